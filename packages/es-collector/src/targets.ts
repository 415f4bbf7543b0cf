import { readFileSync } from 'node:fs';
import { type CommonConfig, ConfigError, type ConfigOf, kebab, type SeriesBudget } from '@stoker/shared';
import type { EsAuth, EsTls } from './client.js';
import type { ApiName } from './collectors/api.js';
import { DEFAULT_INDEX_SELECTION, type IndexSelectionOptions } from './index-selection.js';
import { isEs2graphite, type NamingSchemeName } from './naming/index.js';
import type { EsOptions } from './options.js';

/**
 * Configuration → the clusters to poll. A single cluster comes from flags (`--es`, `--cluster`...);
 * several from the config file's `clusters:` list, where each entry may override the top-level
 * settings marked per cluster (options.ts). Secrets are read here, once, from the environment or files, and live only inside the
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
  /** `--profile`, `--include`, `--exclude` as this cluster has them. */
  series: SeriesBudget;
}

export type EsConfig = CommonConfig & ConfigOf<EsOptions>;
/** One `clusters:` entry: the per-cluster options it sets, under their config names. */
export type ClusterEntry = NonNullable<EsConfig['clusters']>[number];

export interface ResolveContext {
  env: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
}

export const DEFAULT_SEED = 'http://127.0.0.1:9200';

/** A seed as `host_port` (`es-master-1_9200`): a job's name before ES has told its cluster's. */
export function seedLabel(seed: URL): string {
  return `${seed.hostname}_${seed.port || (seed.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * Defaults that depend on the naming scheme. es2graphite asked `_cluster/health?level=indices` and
 * sent every index under its own name: its schemes do the same unless a flag says otherwise, so
 * its per-index dashboards find every series on the day of the switch.
 */
export function schemeDefaults(naming: NamingSchemeName): {
  rollup: boolean;
  top: number;
  healthLevelIndices: boolean;
} {
  return isEs2graphite(naming)
    ? { rollup: false, top: Number.POSITIVE_INFINITY, healthLevelIndices: true }
    : { rollup: DEFAULT_INDEX_SELECTION.rollup, top: DEFAULT_INDEX_SELECTION.top, healthLevelIndices: false };
}

export function resolveTargets(config: EsConfig, context: ResolveContext): ClusterTarget[] {
  const io = {
    env: context.env,
    readFile: context.readFile ?? ((path: string) => readFileSync(path, 'utf8')),
  };
  if (config.clusters && config.es && config.es.length > 0) {
    throw new ConfigError(
      '--es',
      config.es.map((url) => url.origin).join(','),
      'either --es (one cluster) or a clusters: list in the config file, not both',
    );
  }
  // An entry's name is its own, never the top level's --cluster (two entries would share it).
  const targets = config.clusters
    ? config.clusters.map((entry, index) =>
        resolveTarget(
          { ...config, cluster: undefined, ...entry },
          (name) => `clusters[${index}].${name}`,
          io,
        ),
      )
    : [
        resolveTarget(
          { ...config, es: config.es?.length ? config.es : [new URL(DEFAULT_SEED)] },
          (name) => `--${name}`,
          io,
        ),
      ];
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

/**
 * One cluster's target from its `settings`: the top-level config with an entry's per-cluster keys
 * over it; `key` names a key in errors (`--password-env`, `clusters[1].password-env`).
 */
function resolveTarget(
  settings: Omit<EsConfig, 'cluster'> & { cluster?: string | undefined },
  key: (name: string) => string,
  { env, readFile }: Required<ResolveContext>,
): ClusterTarget {
  // Credentials in a seed URL become basic auth, and the URL keeps only origin and path.
  let urlUser: { username: string; password: string } | undefined;
  const seeds = (settings.es ?? []).map((url) => {
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

  /** A secret from the variable named by option `<kind>Env` or the file named by `<kind>File`. */
  const secret = (kind: 'password' | 'apiKey' | 'bearerToken'): string | undefined => {
    const envName = settings[`${kind}Env`];
    const file = settings[`${kind}File`];
    const [envKey, fileKey] = [kebab(`${kind}Env`), kebab(`${kind}File`)];
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
  const username = settings.username;
  const password = secret('password');
  const apiKey = secret('apiKey');
  const token = secret('bearerToken');
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
  const ca = pem('ca', settings.ca);
  const cert = pem('cert', settings.cert);
  const tlsKey = pem('key', settings.key);
  if ((cert === undefined) !== (tlsKey === undefined))
    throw new ConfigError(
      key('cert'),
      cert ? 'cert without key' : 'key without cert',
      'both cert and key, or neither',
    );
  const insecure = settings.insecure;
  const tls: EsTls | undefined =
    ca || cert || insecure
      ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(tlsKey ? { key: tlsKey } : {}), insecure }
      : undefined;

  const name = settings.cluster;
  const defaults = schemeDefaults(settings.naming);
  return {
    id: name ?? seedLabel(seeds[0]!),
    ...(name ? { clusterName: name } : {}),
    seeds,
    ...(auth ? { auth } : {}),
    ...(tls ? { tls } : {}),
    intervalMs: settings.interval,
    requestTimeoutMs: settings.esTimeout,
    local: settings.local,
    apis: new Set(settings.apis),
    naming: settings.naming,
    indices: {
      include: settings.indicesInclude ?? DEFAULT_INDEX_SELECTION.include,
      exclude: settings.indicesExclude ?? DEFAULT_INDEX_SELECTION.exclude,
      rollup: settings.indicesRollup ?? defaults.rollup,
      top: settings.indicesTop ?? defaults.top,
    },
    healthLevelIndices: settings.healthLevelIndices ?? defaults.healthLevelIndices,
    maxResponseBytes: settings.maxResponseSize,
    series: { profile: settings.profile, include: settings.include, exclude: settings.exclude },
  };
}
