import { statSync } from 'node:fs';
import { type Agent, type AgentDefinition, ConfigError, packageVersion } from '@stoker/shared';
import type { ContainerInspectInfo } from 'dockerode';
import { detectLayout } from './cgroup/locate.js';
import { ContainerCollector } from './collector.js';
import { ContainerDiscovery } from './docker/discovery.js';
import { ContainerLifecycle } from './docker/lifecycle.js';
import { CONTAINERS_ESSENTIAL_SERIES } from './essential-series.js';
import { NAMING_SCHEMES } from './naming/index.js';
import { containerOptions } from './options.js';

/** The container-collector agent: one job for every container on this host, run by the shared runtime. */
export const containerCollector: AgentDefinition<typeof containerOptions> = {
  name: 'container-collector',
  version: packageVersion(import.meta.url),
  description:
    'Reads every Docker container on this host from cgroups and /proc (v1 and v2), maps containers to Marathon apps and Mesos tasks, aggregates per app and host, and sends it all to Graphite.',
  // `containers`, or `pycadvisor` under --naming pyadvisor (what pyadvisor's dashboards read).
  defaultPrefix: (config) => NAMING_SCHEMES[config.naming].defaultPrefix,
  // Under --naming pyadvisor, `containers`: a `pycadvisor.container-collector.*` would pass for a task.
  selfMetricsPrefix: (config) => NAMING_SCHEMES[config.naming].selfMetricsPrefix,
  essentialSeries: CONTAINERS_ESSENTIAL_SERIES,
  defaultPrefixText: '`containers` (`pycadvisor` with `--naming pyadvisor`)',
  examples: [
    {
      command: 'container-collector --carbon graphite:2003',
      explains:
        "every container of this host, per app and the host itself, every 10s, from the host's /sys/fs/cgroup and /proc",
    },
    {
      command:
        'docker run -v /var/run/docker.sock:/var/run/docker.sock:ro -v /sys/fs/cgroup:/host/sys/fs/cgroup:ro -v /proc:/host/proc:ro stoker/container-collector --carbon graphite:2003',
      explains:
        "in its image: the host's cgroups and /proc mounted read-only where the image looks (docker/README.md)",
    },
    {
      command: 'container-collector --naming pyadvisor --carbon graphite:2003 --interval 60s',
      explains: "pyadvisor's names (pycadvisor.<task id>.*) every minute, so its dashboards keep working",
    },
  ],
  options: containerOptions,
  async create(config, { log }): Promise<Agent> {
    // Checked here, not by the parser: the path is the host's as mounted where the agent runs (the
    // image's default /host/... exists only there). A missing one would send every container through
    // Docker's slow stats API, or lose the network and host metrics, without a word.
    requireDirectory('--cgroup-root', config.cgroupRoot, "the host's cgroup hierarchies");
    requireDirectory('--proc-root', config.procRoot, "the host's /proc");
    const naming = NAMING_SCHEMES[config.naming];
    const layout = await detectLayout(config.cgroupRoot);
    const lifecycle: ContainerLifecycle = new ContainerLifecycle({
      groupLabelKeys: config.groupLabel,
      log: log.child({ component: 'lifecycle' }),
      inspect: (id): Promise<ContainerInspectInfo | undefined> => discovery.inspect(id),
    });
    const discovery: ContainerDiscovery = new ContainerDiscovery({
      docker: config.docker,
      requestTimeoutMs: config.dockerTimeout,
      groupLabelKeys: config.groupLabel,
      log: log.child({ component: 'discovery' }),
      lifecycle,
    });
    await discovery.start();
    const collector = new ContainerCollector({
      source: discovery,
      layout,
      procRoot: config.procRoot,
      naming,
      hostName: config.hostName,
      hostMetrics: config.hostMetrics,
      lifecycle,
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
      close: () => {
        collector.close();
        return discovery.close();
      },
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
