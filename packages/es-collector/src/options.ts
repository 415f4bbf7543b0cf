import { commonOptions, option as opt, parsers, perCluster, perClusterEntries, typed } from '@stoker/shared';
import { API_NAMES, type ApiName } from './collectors/api.js';
import { NAMING_SCHEMES } from './naming/index.js';

const path = typed('path', parsers.string({ nonEmpty: true }));
const envVarName = parsers.envVarName();
const globs = parsers.list(typed('glob', parsers.string({ nonEmpty: true })));

/** What one cluster may set: flags (for a single cluster), file keys, and keys of a `clusters:` entry. */
const clusterSettings = perCluster({
  es: opt({
    describe:
      'seed URL; repeat for several. On failure the next seed is tried within the same cycle; the seed that answered is tried first next time. `user:pass@` in the URL becomes basic auth and is never logged.',
    parse: parsers.list(parsers.url()),
    defaultText: '`http://127.0.0.1:9200`',
    array: true,
  }),
  cluster: opt({
    describe:
      "cluster segment of every name (also the job name). Set it: before the first answer the job is named `<host>_<port>`; a cluster that goes down keeps the name it last reported. Unnamed clusters of one process that report the same name (ES's default is `elasticsearch`) are told apart: the one whose `<host>_<port>` sorts first keeps it, each other one writes under `<name>_<host>_<port>` and says so in a warning.",
    parse: parsers.string({ nonEmpty: true }),
    defaultText: "ES's `cluster_name`",
    perCluster: 'name',
  }),
  local: opt({
    describe:
      'one collector per node: reads `_nodes/_local/stats`; cluster-wide APIs only when this node is the elected master; its own series under `nodes.<node>.collector.*`, no `aggregates.*`, so no series is written by two collectors (see "One collector per node" below)',
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
  naming: opt({
    describe: `naming scheme (below): \`${Object.keys(NAMING_SCHEMES).join('`, `')}\``,
    parse: parsers.keyOf(NAMING_SCHEMES),
    default: 'default',
  }),
  apis: opt({
    describe: `APIs to poll, comma separated: \`${API_NAMES.join(', ')}\` (the \`cat_*\` ones are asked under \`--naming es2graphite\` only, \`indices_status\` under \`--naming es2graphite-2013\` on ES < 2.0 only)`,
    parse: parsers.list(parsers.oneOf<ApiName>(API_NAMES)),
    default: API_NAMES,
    defaultText: 'all',
  }),
  indicesInclude: opt({
    describe: 'report per-index stats only for indices matching these globs (repeatable; `*`, `?`)',
    parse: globs,
    default: [],
    defaultText: 'all',
    array: true,
  }),
  indicesExclude: opt({
    describe: 'never report indices matching these globs per index (repeatable)',
    parse: globs,
    default: [],
    array: true,
  }),
  indicesTop: opt({
    describe:
      'report at most this many indices (after rollup), largest store first; the rest are counted in `collector.indices_dropped`. `_all` is always sent.',
    parse: parsers.integer({ min: 0, max: 100_000 }),
    // es2graphite sent every index: its schemes have no cap unless one is given (targets.ts).
    defaultText: '`100`; no cap under the `es2graphite` schemes',
  }),
  indicesRollup: opt({
    describe:
      'sum date-suffixed indices (`logstash-2026.11.26`, `logs-2026-11`, `.ds-x-2026.11.26-000001`) into their base name (see below)',
    parse: parsers.boolean(),
    defaultText: 'on; off under the `es2graphite` schemes',
    boolean: true,
  }),
  healthLevelIndices: opt({
    describe: 'also per-index health (`_cluster/health?level=indices`)',
    parse: parsers.boolean(),
    defaultText: 'off; on under the `es2graphite` schemes (es2graphite asked `level=indices`)',
    boolean: true,
  }),
  esTimeout: opt({
    describe: "timeout of one request to one seed. A cycle's deadline is its interval.",
    parse: parsers.duration({ minMs: 100, maxMs: 600_000 }),
    default: '5s',
    oldClusterKey: 'timeout',
  }),
  username: opt({
    describe: 'basic auth user; the password from `--password-env` or `--password-file`',
    parse: parsers.string({ nonEmpty: true }),
  }),
  passwordEnv: opt({
    describe: 'environment variable holding the basic auth password',
    parse: envVarName,
  }),
  passwordFile: opt({ describe: 'file holding the basic auth password', parse: path }),
  apiKeyEnv: opt({
    describe: 'environment variable holding an API key, sent as `Authorization: ApiKey <base64 id:key>`',
    parse: envVarName,
  }),
  apiKeyFile: opt({ describe: 'file holding an API key', parse: path }),
  bearerTokenEnv: opt({
    describe: 'environment variable holding a token, sent as `Authorization: Bearer <token>`',
    parse: envVarName,
  }),
  bearerTokenFile: opt({ describe: 'file holding a bearer token', parse: path }),
  ca: opt({
    describe: 'PEM file of the CA(s) that signed the cluster certificate',
    parse: path,
  }),
  cert: opt({ describe: 'PEM client certificate (with `--key`)', parse: path }),
  key: opt({ describe: 'PEM client key (with `--cert`)', parse: path }),
  insecure: opt({
    describe: 'do not verify the server certificate',
    parse: parsers.boolean(),
    default: false,
    boolean: true,
  }),
});

/** es-collector's own options, beside the common ones (carbon, prefix, interval, once, ...). */
export const esOptions = {
  ...clusterSettings,
  maxConcurrentClusters: opt({
    describe: 'clusters polled at the same time',
    parse: parsers.integer({ min: 1, max: 1000 }),
    default: 16,
  }),
  maxResponseSize: opt({
    describe: 'larger (decompressed) answers are refused',
    parse: parsers.bytes({ min: 1024 }),
    default: '256MiB',
  }),
  clusters: opt({
    describe:
      'config file only: clusters, one job each; an entry sets what one cluster may, keyed like the flags',
    parse: perClusterEntries({ ...commonOptions, ...clusterSettings }, 'es'),
    fileOnly: true,
  }),
};

export type EsOptions = typeof esOptions;
