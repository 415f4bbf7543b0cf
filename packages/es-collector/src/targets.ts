import { readFileSync } from 'node:fs';
import { type CommonConfig, ConfigError, type ConfigOf, InvalidValue, parsers } from '@stoker/shared';
import type { EsAuth, EsTls } from './client.js';
import { API_NAMES, type ApiName } from './collectors/api.js';
import { DEFAULT_INDEX_SELECTION, type IndexSelectionOptions } from './index-selection.js';
import type { NamingSchemeName } from './naming/index.js';
import type { EsOptions } from './options.js';

/**
 * Configuration → the clusters to poll. A single cluster comes from flags (`--es`, `--cluster`...);
 * several from the config file's `clusters:` list, where each entry may override the top-level
 * settings. Secrets are read here, once, from the environment or files, and live only inside the
 * client's Authorization header from then on.
 */
export interface ClusterTarget {
  /** Stable job name: the configured name, else the first seed's host_port. */
  id: string;
  /** Name in metric paths when configured; otherwise ES's cluster_name is used once known. */
  clusterName?: string;
  seeds: URL[];
  auth?: EsAuth;
  tls?: EsTls;
  intervalMs: number;
  requestTimeoutMs: number;
  local: boolean;
  apis: ReadonlySet<ApiName>;
  naming: NamingSchemeName;
  indices: IndexSelectionOptions;
  healthLevelIndices: boolean;
  maxResponseBytes: number;
}

/** One `clusters:` entry as written in the config file (kebab-case keys, all optional but `es`). */
export interface ClusterFileEntry {
  name?: string;
  es: URL[];
  username?: string;
  'password-env'?: string;
  'password-file'?: string;
  'api-key-env'?: string;
  'api-key-file'?: string;
  'bearer-token-env'?: string;
  'bearer-token-file'?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  /** Milliseconds once parsed. */
  interval?: number;
  timeout?: number;
  local?: boolean;
  apis?: ApiName[];
  naming?: NamingSchemeName;
  'indices-include'?: string[];
  'indices-exclude'?: string[];
  'indices-top'?: number;
  'indices-rollup'?: boolean;
  'health-level-indices'?: boolean;
}

const text = parsers.string({ nonEmpty: true });
const ENTRY_PARSERS: Record<string, (raw: unknown) => unknown> = {
  name: text,
  es: parsers.list(parsers.url()),
  username: text,
  'password-env': text,
  'password-file': text,
  'api-key-env': text,
  'api-key-file': text,
  'bearer-token-env': text,
  'bearer-token-file': text,
  ca: text,
  cert: text,
  key: text,
  insecure: parsers.boolean(),
  interval: parsers.duration({ minMs: 1000 }),
  timeout: parsers.duration({ minMs: 100, maxMs: 600_000 }),
  local: parsers.boolean(),
  apis: parsers.list(parsers.oneOf<ApiName>(API_NAMES)),
  naming: parsers.oneOf(['default', 'es2graphite']),
  'indices-include': parsers.list(text),
  'indices-exclude': parsers.list(text),
  'indices-top': parsers.integer({ min: 0, max: 100_000 }),
  'indices-rollup': parsers.boolean(),
  'health-level-indices': parsers.boolean(),
};

/** Parser of the `clusters` file key; an error names the entry and key (never a secret's value). */
export function parseClusterEntries(raw: unknown): ClusterFileEntry[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new InvalidValue('a non-empty list of clusters, each {name, es: [urls], ...}');
  return raw.map((entry, index) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      throw new InvalidValue(`clusters[${index}] to be a mapping`);
    const parsed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entry)) {
      const parse = ENTRY_PARSERS[key];
      if (!parse)
        throw new InvalidValue(
          `clusters[${index}] with known keys only (${Object.keys(ENTRY_PARSERS).join(', ')}); got "${key}"`,
        );
      try {
        parsed[key] = parse(value);
      } catch (error) {
        if (error instanceof InvalidValue)
          throw new InvalidValue(`clusters[${index}].${key} to be ${error.expected}`);
        throw error;
      }
    }
    if (!Array.isArray(parsed.es) || parsed.es.length === 0)
      throw new InvalidValue(`clusters[${index}].es to list at least one URL`);
    return parsed as unknown as ClusterFileEntry;
  });
}

export type EsConfig = CommonConfig & ConfigOf<EsOptions>;

export interface ResolveContext {
  env: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
}

export const DEFAULT_SEED = 'http://127.0.0.1:9200';

/** A seed as `host_port` (`es-master-1_9200`): a job's name before ES has told its cluster's. */
export function seedLabel(seed: URL): string {
  return `${seed.hostname}_${seed.port || (seed.protocol === 'https:' ? '443' : '80')}`;
}

export function resolveTargets(config: EsConfig, context: ResolveContext): ClusterTarget[] {
  const readFile = context.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const entries: (ClusterFileEntry & { label: string })[] = config.clusters
    ? config.clusters.map((entry, index) => ({ ...entry, label: `clusters[${index}]` }))
    : [
        {
          es: config.es && config.es.length > 0 ? config.es : [new URL(DEFAULT_SEED)],
          ...(config.cluster ? { name: config.cluster } : {}),
          label: '--es',
        },
      ];
  if (config.clusters && config.es && config.es.length > 0) {
    throw new ConfigError(
      '--es',
      config.es.map((url) => url.origin).join(','),
      'either --es (one cluster) or a clusters: list in the config file, not both',
    );
  }
  const targets = entries.map((entry) => resolveTarget(entry, config, context.env, readFile));
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.id))
      throw new ConfigError(
        'clusters',
        target.id,
        'distinct cluster names (two entries would write the same series)',
      );
    seen.add(target.id);
  }
  return targets;
}

function resolveTarget(
  entry: ClusterFileEntry & { label: string },
  config: EsConfig,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): ClusterTarget {
  const key = (name: string): string => (entry.label === '--es' ? `--${name}` : `${entry.label}.${name}`);
  const pick = <K extends keyof ClusterFileEntry, T>(
    name: K,
    fallback: T,
  ): NonNullable<ClusterFileEntry[K]> | T => entry[name] ?? fallback;

  // Credentials in a seed URL become basic auth, and the URL keeps only origin and path.
  let urlUser: { username: string; password: string } | undefined;
  const seeds = entry.es.map((url) => {
    const clean = new URL(url.href);
    if (clean.username)
      urlUser = {
        username: decodeURIComponent(clean.username),
        password: decodeURIComponent(clean.password),
      };
    clean.username = '';
    clean.password = '';
    return clean;
  });

  const secret = (
    envKey: string,
    fileKey: string,
    envName: string | undefined,
    file: string | undefined,
  ): string | undefined => {
    if (envName !== undefined) {
      const value = env[envName];
      if (value === undefined || value === '')
        throw new ConfigError(key(envKey), envName, 'the name of a set, non-empty environment variable');
      return value;
    }
    if (file !== undefined) {
      try {
        const value = readFile(file).trim();
        if (value !== '') return value;
      } catch (error) {
        throw new ConfigError(
          key(fileKey),
          file,
          `a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        );
      }
      throw new ConfigError(key(fileKey), file, 'a file holding a non-empty secret');
    }
    return undefined;
  };
  const username = pick('username', config.username);
  const password = secret(
    'password-env',
    'password-file',
    pick('password-env', config.passwordEnv),
    pick('password-file', config.passwordFile),
  );
  const apiKey = secret(
    'api-key-env',
    'api-key-file',
    pick('api-key-env', config.apiKeyEnv),
    pick('api-key-file', config.apiKeyFile),
  );
  const token = secret(
    'bearer-token-env',
    'bearer-token-file',
    pick('bearer-token-env', config.bearerTokenEnv),
    pick('bearer-token-file', config.bearerTokenFile),
  );
  const kinds = [
    username !== undefined || urlUser ? 'basic' : undefined,
    apiKey ? 'api key' : undefined,
    token ? 'bearer token' : undefined,
  ].filter(Boolean);
  if (kinds.length > 1)
    throw new ConfigError(key('username'), kinds.join(' + '), 'one kind of authentication per cluster');
  let auth: EsAuth | undefined;
  if (apiKey) auth = { kind: 'api_key', apiKey };
  else if (token) auth = { kind: 'bearer', token };
  else if (username !== undefined) {
    if (password === undefined)
      throw new ConfigError(
        key('password-env'),
        undefined,
        `a password for user "${username}" (password-env or password-file)`,
      );
    auth = { kind: 'basic', username, password };
  } else if (urlUser) auth = { kind: 'basic', ...urlUser };

  const pem = (name: 'ca' | 'cert' | 'key', path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFile(path);
    } catch (error) {
      throw new ConfigError(
        key(name),
        path,
        `a readable PEM file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
  };
  const ca = pem('ca', pick('ca', config.ca));
  const cert = pem('cert', pick('cert', config.cert));
  const tlsKey = pem('key', pick('key', config.key));
  if ((cert === undefined) !== (tlsKey === undefined))
    throw new ConfigError(
      key('cert'),
      cert ? 'cert without key' : 'key without cert',
      'both cert and key, or neither',
    );
  const insecure = pick('insecure', config.insecure);
  const tls: EsTls | undefined =
    ca || cert || insecure
      ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(tlsKey ? { key: tlsKey } : {}), insecure }
      : undefined;

  const first = seeds[0]!;
  const id = entry.name ?? seedLabel(first);
  return {
    id,
    ...(entry.name ? { clusterName: entry.name } : {}),
    seeds,
    ...(auth ? { auth } : {}),
    ...(tls ? { tls } : {}),
    intervalMs: pick('interval', config.interval),
    requestTimeoutMs: pick('timeout', config.esTimeout),
    local: pick('local', config.local),
    apis: new Set(pick('apis', config.apis)),
    naming: pick('naming', config.naming),
    indices: {
      include: pick('indices-include', config.indicesInclude ?? DEFAULT_INDEX_SELECTION.include),
      exclude: pick('indices-exclude', config.indicesExclude ?? DEFAULT_INDEX_SELECTION.exclude),
      rollup: pick('indices-rollup', config.indicesRollup),
      top: pick('indices-top', config.indicesTop),
    },
    healthLevelIndices: pick('health-level-indices', config.healthLevelIndices),
    maxResponseBytes: config.maxResponseSize,
  };
}
