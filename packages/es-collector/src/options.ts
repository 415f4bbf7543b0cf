import { option as opt, parsers } from '@stoker/shared';
import { API_NAMES, type ApiName } from './collectors/api.js';
import type { NamingSchemeName } from './naming/index.js';
import { type ClusterFileEntry, parseClusterEntries } from './targets.js';

const path = parsers.string({ nonEmpty: true });
const envVarName = parsers.envVarName();

/** es-collector's own options, beside the common ones (carbon, prefix, interval, once, ...). */
export const esOptions = {
  es: opt({
    describe:
      'Seed URL of the cluster (repeatable; tried in order on failure; user:pass@ is moved into basic auth) [default: http://127.0.0.1:9200]',
    parse: parsers.list(parsers.url()),
    array: true,
  }),
  cluster: opt({
    describe: 'Cluster name in metric names (default: the cluster_name ES reports)',
    parse: parsers.string({ nonEmpty: true }),
  }),
  clusters: opt<ClusterFileEntry[]>({
    describe:
      'Config file only: a list of clusters ({name, es: [urls], auth, TLS, interval, timeout, local, apis, indices-*})',
    parse: parseClusterEntries,
    fileOnly: true,
  }),
  local: opt({
    describe:
      'Read only the node the seed points at (_nodes/_local); cluster-wide APIs only when it is the elected master',
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
  naming: opt({
    describe: 'Metric naming scheme: default, or es2graphite (its paths, for existing dashboards)',
    parse: parsers.oneOf<NamingSchemeName>(['default', 'es2graphite']),
    default: 'default' as NamingSchemeName,
  }),
  apis: opt({
    describe: `APIs to poll, comma separated: ${API_NAMES.join(', ')}`,
    parse: parsers.list(parsers.oneOf<ApiName>(API_NAMES)),
    default: [...API_NAMES] as ApiName[],
  }),
  indicesInclude: opt({
    describe: 'Index name globs to report per index (repeatable; default: all)',
    parse: parsers.list(parsers.string({ nonEmpty: true })),
    default: [] as string[],
    array: true,
  }),
  indicesExclude: opt({
    describe: 'Index name globs not to report per index (repeatable)',
    parse: parsers.list(parsers.string({ nonEmpty: true })),
    default: [] as string[],
    array: true,
  }),
  indicesTop: opt({
    describe:
      'Report at most this many indices (largest store first); the rest are counted in collector.indices_dropped',
    parse: parsers.integer({ min: 0, max: 100_000 }),
    default: 100,
  }),
  indicesRollup: opt({
    describe:
      'Sum date-suffixed indices (logstash-2026.11.26, logs-2026-11, .ds-x-2026.11.26-000001) into their base name',
    parse: parsers.boolean(),
    default: true,
    boolean: true,
  }),
  healthLevelIndices: opt({
    describe: 'Also report per-index health (_cluster/health?level=indices)',
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
  esTimeout: opt({
    describe: 'Timeout of one request to one seed',
    parse: parsers.duration({ minMs: 100, maxMs: 600_000 }),
    default: 5000,
  }),
  maxConcurrentClusters: opt({
    describe: 'Clusters polled at the same time',
    parse: parsers.integer({ min: 1, max: 1000 }),
    default: 16,
  }),
  maxResponseSize: opt({
    describe: 'Largest response accepted (decompressed)',
    parse: parsers.bytes({ min: 1024 }),
    default: 256 * 1024 * 1024,
  }),
  username: opt({
    describe: 'Basic auth user (password from --password-env or --password-file)',
    parse: parsers.string({ nonEmpty: true }),
  }),
  passwordEnv: opt({ describe: 'Environment variable holding the basic auth password', parse: envVarName }),
  passwordFile: opt({ describe: 'File holding the basic auth password', parse: path }),
  apiKeyEnv: opt({
    describe: 'Environment variable holding an API key (base64 id:key, sent as "ApiKey")',
    parse: envVarName,
  }),
  apiKeyFile: opt({ describe: 'File holding an API key', parse: path }),
  bearerTokenEnv: opt({ describe: 'Environment variable holding a bearer token', parse: envVarName }),
  bearerTokenFile: opt({ describe: 'File holding a bearer token', parse: path }),
  ca: opt({ describe: 'PEM file of the CA(s) that signed the cluster certificate', parse: path }),
  cert: opt({ describe: 'PEM client certificate (with --key)', parse: path }),
  key: opt({ describe: 'PEM client key (with --cert)', parse: path }),
  insecure: opt({
    describe: 'Do not verify the cluster certificate',
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
};

export type EsOptions = typeof esOptions;
