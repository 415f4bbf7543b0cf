/**
 * The Marathon app of one es-collector per Elasticsearch cluster: what `stoker-marathon` writes.
 * Two shapes of networking: Marathon ≥ 1.5's `networks` and 1.4's `container.docker.network` (the
 * schemas of both, from Marathon's repository, are in test/ship/marathon-schemas/).
 */
import { createHash } from 'node:crypto';
import { type CommonConfig, commonOptions } from '@stoker/shared';
import type { NamingSchemeName } from '../naming/index.js';

/** The parts of Marathon's AppDefinition this generator writes. */
export interface MarathonApp {
  id: string;
  instances: number;
  cpus: number;
  mem: number;
  container: {
    type: 'DOCKER';
    /** `network`: Marathon 1.4's way to ask for host networking (deprecated from 1.5 on). */
    docker: { image: string; forcePullImage: boolean; network?: 'HOST' };
  };
  /** Marathon ≥ 1.5 only; 1.4 refuses the key. */
  networks?: Array<{ mode: 'host' }>;
  portDefinitions: Array<{ port: number; name: string; protocol: 'tcp' }>;
  env: Record<string, string>;
  healthChecks: Array<{
    protocol: 'MESOS_HTTP';
    path: string;
    portIndex: number;
    gracePeriodSeconds: number;
    intervalSeconds: number;
    timeoutSeconds: number;
    maxConsecutiveFailures: number;
    delaySeconds: number;
  }>;
  upgradeStrategy: { minimumHealthCapacity: number; maximumOverCapacity: number };
  unreachableStrategy: { inactiveAfterSeconds: number; expungeAfterSeconds: number };
  taskKillGracePeriodSeconds: number;
  labels: Record<string, string>;
}

export interface MarathonGroup {
  id: string;
  apps: MarathonApp[];
}

/**
 * The Marathon versions whose app JSON differs for us: `1.4` (host networking as
 * `container.docker.network`) and `1.5` (`networks`, also what every later version takes).
 */
export const MARATHON_VERSIONS = ['1.4', '1.5'] as const;
export type MarathonVersion = (typeof MARATHON_VERSIONS)[number];

/** Defaults shared by every app; the input file's top level and the flags override them. */
export interface AppDefaults {
  marathonVersion: MarathonVersion;
  group: string;
  image: string;
  carbon: string[];
  carbonMode?: CommonConfig['carbonMode'];
  interval: string;
  prefix?: string;
  naming?: NamingSchemeName;
  cpus: number;
  memMib: number;
}

export interface ClusterSpec {
  name: string;
  seeds: string[];
  username?: string;
  passwordEnv?: string;
  apiKeyEnv?: string;
  bearerTokenEnv?: string;
  naming?: NamingSchemeName;
  interval?: string;
  cpus?: number;
  memMib?: number;
}

export const DEFAULTS: Omit<AppDefaults, 'carbon'> = {
  marathonVersion: '1.5',
  group: '/monitoring/es-collector',
  image: 'stoker/es-collector:0.1.0',
  interval: String(commonOptions.interval.default),
  // Measured polling a 200-node, 1000-index cluster every 10 s (docker/marathon/README.md).
  cpus: 0.25,
  memMib: 512,
};

/** Share of the container's memory given to V8's old space; the rest is code, buffers and sockets. */
const HEAP_SHARE = 0.75;
/** Mesos-DNS turns app ids into DNS labels, which end at 63 characters. */
const MAX_SEGMENT_LENGTH = 63;

// ---- names ------------------------------------------------------------------------------------

const SEGMENT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * A Marathon id segment for any cluster name: lower case, accents dropped (`Café` → `cafe`), every
 * run of other characters one `-`, no dash at either end. A name with nothing usable left (`日志`)
 * becomes `cluster-<hash>`; a name too long for a DNS label is cut and keeps a hash of the whole.
 */
export function clusterSegment(name: string): string {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const slug = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '') return `cluster-${hash}`;
  if (slug.length <= MAX_SEGMENT_LENGTH) return slug;
  return `${slug.slice(0, MAX_SEGMENT_LENGTH - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** An absolute Marathon group id: `/a/b-c`, segments as in SEGMENT. */
export function isGroupId(value: string): boolean {
  return (
    value.startsWith('/') &&
    value
      .slice(1)
      .split('/')
      .every((segment) => SEGMENT.test(segment))
  );
}

// ---- building apps ----------------------------------------------------------------------------

export function esCollectorApp(cluster: ClusterSpec, defaults: AppDefaults): MarathonApp {
  const memMib = cluster.memMib ?? defaults.memMib;
  const segment = clusterSegment(cluster.name);
  const env: Record<string, string> = {
    STOKER_CLUSTER: cluster.name,
    // Self-metrics go to <prefix>.es-collector.<instance>.self; the default instance is $HOST, which
    // two collectors placed on one agent would share. The cluster follows the task from host to host.
    STOKER_INSTANCE: segment,
    // Repeatable options are comma separated in the environment.
    STOKER_ES: cluster.seeds.join(','),
    STOKER_CARBON: defaults.carbon.join(','),
  };
  if (defaults.carbonMode) env.STOKER_CARBON_MODE = defaults.carbonMode;
  env.STOKER_INTERVAL = cluster.interval ?? defaults.interval;
  // In the container's own file system: it keeps what carbon misses through an outage of any length
  // (up to --spool-size, 1 GiB), but a relaunch, on this host or another, starts a new container
  // without it. A host path would pin nothing either: the task may land anywhere.
  env.STOKER_SPOOL_DIR = '/tmp/stoker-spool';
  if (defaults.prefix !== undefined) env.STOKER_PREFIX = defaults.prefix;
  const naming = cluster.naming ?? defaults.naming;
  if (naming) env.STOKER_NAMING = naming;
  // Secrets never appear here: only the NAME of the variable the platform injects the secret into.
  if (cluster.username) env.STOKER_USERNAME = cluster.username;
  if (cluster.passwordEnv) env.STOKER_PASSWORD_ENV = cluster.passwordEnv;
  if (cluster.apiKeyEnv) env.STOKER_API_KEY_ENV = cluster.apiKeyEnv;
  if (cluster.bearerTokenEnv) env.STOKER_BEARER_TOKEN_ENV = cluster.bearerTokenEnv;
  // V8 would size its heap from the host's memory and let the kernel OOM-kill the task first.
  env.NODE_OPTIONS = `--max-old-space-size=${Math.floor(memMib * HEAP_SHARE)}`;
  // STOKER_HTTP_PORT is deliberately unset: the endpoint listens on $PORT0, the health check's port.

  return {
    id: `${defaults.group}/${segment}`,
    // One collector per cluster: two would poll ES twice and write every series twice.
    instances: 1,
    cpus: cluster.cpus ?? defaults.cpus,
    mem: memMib,
    // Host networking: the collector only dials out; $PORT0 is a port of the agent, so the endpoint,
    // Marathon's health check and `curl $HOST:$PORT0/status` all agree without port mapping.
    ...(defaults.marathonVersion === '1.4'
      ? {
          container: {
            type: 'DOCKER',
            docker: { image: defaults.image, forcePullImage: false, network: 'HOST' },
          },
        }
      : {
          container: { type: 'DOCKER', docker: { image: defaults.image, forcePullImage: false } },
          networks: [{ mode: 'host' }],
        }),
    portDefinitions: [{ port: 0, name: 'http', protocol: 'tcp' }],
    env,
    healthChecks: [
      {
        protocol: 'MESOS_HTTP',
        path: '/healthz',
        portIndex: 0,
        gracePeriodSeconds: 60,
        intervalSeconds: 30,
        timeoutSeconds: 5,
        maxConsecutiveFailures: 3,
        delaySeconds: 15,
      },
    ],
    // Kill the old task before starting the new one: never two collectors of one cluster.
    upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    // A short network partition of the agent does not start a second collector beside the first.
    unreachableStrategy: { inactiveAfterSeconds: 300, expungeAfterSeconds: 600 },
    // The agent flushes its queue for up to 10 s (--shutdown-grace) after SIGTERM.
    taskKillGracePeriodSeconds: 15,
    labels: { 'stoker.agent': 'es-collector', 'stoker.cluster': cluster.name },
  };
}

export function esCollectorGroup(clusters: ClusterSpec[], defaults: AppDefaults): MarathonGroup {
  return { id: defaults.group, apps: clusters.map((cluster) => esCollectorApp(cluster, defaults)) };
}
