import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  type Agent,
  type AgentDefinition,
  ConfigError,
  InvalidValue,
  option as opt,
  parsers,
} from '@stoker/shared';
import { detectLayout } from './cgroup/locate.js';
import { ContainerCollector } from './collector.js';
import { ContainerDiscovery } from './docker/discovery.js';
import { defaultNaming } from './naming/default.js';
import { pyadvisorNaming } from './naming/pyadvisor.js';
import type { NamingScheme } from './naming/scheme.js';

export const NAMING_SCHEMES: Record<'default' | 'pyadvisor', NamingScheme> = {
  default: defaultNaming,
  pyadvisor: pyadvisorNaming,
};

const dockerAddress = (raw: unknown): string => {
  const value = parsers.string({ nonEmpty: true })(raw).trim();
  if (/^(unix:\/\/)?\//.test(value) || /^(tcp|http|https):\/\/[^/]+/.test(value)) return value;
  throw new InvalidValue('unix:///path/docker.sock, /path/docker.sock or tcp://host:port');
};

const absolutePath = (raw: unknown): string => {
  const value = parsers.string({ nonEmpty: true })(raw);
  if (!value.startsWith('/')) throw new InvalidValue('an absolute path');
  return value.replace(/\/+$/, '') || '/';
};

/** Container-specific options; the common ones (carbon, prefix, interval, once, ...) come from shared. */
export const containerOptions = {
  docker: opt({
    describe: 'Docker API address (only GET requests are made)',
    parse: dockerAddress,
    default: 'unix:///var/run/docker.sock',
    env: ['DOCKER_HOST'],
  }),
  hostName: opt({
    describe: 'Host segment of every name (Marathon sets $HOST)',
    parse: parsers.string({ nonEmpty: true }),
    default: () => hostname(),
    env: ['HOST'],
  }),
  naming: opt({
    describe: 'Naming scheme: default, or pyadvisor (pyadvisor-compatible paths, default prefix pycadvisor)',
    parse: parsers.oneOf(['default', 'pyadvisor'] as const),
    default: 'default' as const,
  }),
  cgroupRoot: opt({
    describe: "Where the host's cgroup hierarchies are mounted (e.g. /host/sys/fs/cgroup in a container)",
    parse: absolutePath,
    default: '/sys/fs/cgroup',
  }),
  procRoot: opt({
    describe: "Where the host's /proc is mounted (e.g. /host/proc in a container)",
    parse: absolutePath,
    default: '/proc',
  }),
  groupLabel: opt({
    describe:
      'Docker label, env variable or Marathon app label whose value groups containers in names (repeatable)',
    parse: parsers.list(parsers.string({ nonEmpty: true })),
    default: [] as string[],
    array: true,
  }),
  hostMetrics: opt({
    describe: 'Also send the host itself (CPU, memory, swap, load, disks, network)',
    parse: parsers.boolean(),
    default: true,
    boolean: true,
  }),
  readConcurrency: opt({
    describe:
      "Containers read at once through Docker's stats API when their cgroup files cannot be read (cgroup files themselves are read synchronously: they are kernel memory)",
    parse: parsers.integer({ min: 1, max: 256 }),
    default: 16,
  }),
  dockerTimeout: opt({
    describe: 'Timeout of one Docker API request (list, inspect, fallback stats)',
    parse: parsers.duration({ minMs: 100 }),
    default: 5000,
  }),
};

export const containerCollector: AgentDefinition<typeof containerOptions> = {
  name: 'container-collector',
  version: '0.1.0',
  description:
    'Reads every Docker container on this host from cgroups and /proc (v1 and v2), maps containers to Marathon apps and Mesos tasks, aggregates per app and host, and sends it all to Graphite.',
  // `containers`, or `pycadvisor` under --naming pyadvisor (what pyadvisor's dashboards read).
  defaultPrefix: (config) => NAMING_SCHEMES[config.naming].defaultPrefix,
  options: containerOptions,
  async create(config, { log }): Promise<Agent> {
    // Checked here, not by the parser: the path is the host's as mounted where the agent runs (the
    // image's default /host/... exists only there). A missing one would send every container through
    // Docker's slow stats API, or lose the network and host metrics, without a word.
    requireDirectory('--cgroup-root', config.cgroupRoot, "the host's cgroup hierarchies");
    requireDirectory('--proc-root', config.procRoot, "the host's /proc");
    const naming = NAMING_SCHEMES[config.naming];
    const layout = await detectLayout(config.cgroupRoot);
    const discovery = new ContainerDiscovery({
      docker: config.docker,
      requestTimeoutMs: config.dockerTimeout,
      groupLabelKeys: config.groupLabel,
      log: log.child({ component: 'discovery' }),
    });
    await discovery.start();
    const collector = new ContainerCollector({
      source: discovery,
      layout,
      procRoot: config.procRoot,
      naming,
      hostName: config.hostName,
      hostMetrics: config.hostMetrics,
      readConcurrency: config.readConcurrency,
      intervalMs: config.interval,
      // Leave a margin so a slow cycle ends before the next tick.
      timeoutMs: Math.max(1000, config.interval - 500) + (config.once ? 2000 : 0),
      log: log.child({ component: 'collector' }),
    });
    log.info(
      { cgroup: layout.mode, docker: config.docker, naming: naming.name },
      'container-collector ready',
    );
    return {
      jobs: [collector],
      status: () => ({ docker: discovery.status(), ...(collector.status() as object) }),
      close: () => discovery.close(),
    };
  },
};

function requireDirectory(option: string, path: string, what: string): void {
  let problem: string | undefined;
  try {
    if (!statSync(path).isDirectory()) problem = 'not a directory';
  } catch (error) {
    problem = (error as NodeJS.ErrnoException).code ?? String(error);
  }
  if (problem) throw new ConfigError(option, path, `an existing directory holding ${what} (${problem})`);
}
