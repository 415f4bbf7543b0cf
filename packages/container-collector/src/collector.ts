import { access } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CounterTracker, type Cycle, type Job, type ProblemLog } from '@stoker/shared';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { MeasuredContainer } from './aggregate.js';
import { CgroupUnreadable } from './cgroup/files.js';
import {
  type CgroupLayout,
  type CgroupPaths,
  cgroupPathsFor,
  guessedEntries,
  locateByPid,
} from './cgroup/locate.js';
import type { RawCgroupStats } from './cgroup/raw.js';
import { readV1 } from './cgroup/v1.js';
import { readV2 } from './cgroup/v2.js';
import type { ContainerIdentity } from './docker/identity.js';
import type { ContainerLifecycle } from './docker/lifecycle.js';
import { interfacesFromDockerStats, rawFromDockerStats } from './docker/stats-fallback.js';
import { deriveHostMetrics, hostCpuCount, readHost } from './host.js';
import { HostDiskReader } from './host-disks.js';
import { getOrCreate } from './map-util.js';
import { deriveContainerMetrics, type Metric } from './metrics.js';
import { type CycleView, type NamingScheme, seriesOut } from './naming/scheme.js';
import { type InterfaceCounters, readNetDev } from './procfs/net-dev.js';
import { exposeCycle } from './prometheus/expose.js';
import { PseudoFiles } from './pseudo-file.js';
import { BlockDeviceNames } from './sysfs/block-devices.js';

/** What the collector needs from discovery (an interface so unit tests can hand in a fixed set). */
export interface ContainerSource {
  readonly containers: ReadonlyMap<string, ContainerIdentity>;
  readonly ready: boolean;
  /** Docker's events are being followed (`collector.docker_up`). */
  readonly connected: boolean;
  status(): { lastError?: string };
  oneShotStats(id: string, signal: AbortSignal): Promise<unknown>;
}

export interface CollectorOptions {
  source: ContainerSource;
  layout: CgroupLayout;
  procRoot: string;
  naming: NamingScheme;
  hostName: string;
  hostMetrics: boolean;
  /** Containers read at once: matters for the Docker stats API fallback (cgroup files are read synchronously). */
  readConcurrency: number;
  intervalMs: number;
  timeoutMs: number;
  log: Logger;
  /** Deaths and restarts from Docker's events; the collector hands it each run's cgroup OOM kill count. */
  lifecycle?: Pick<ContainerLifecycle, 'view' | 'noteCgroupOomKills'>;
  /** Pause between the two samples of `--once` (rates need two). */
  onceGapMs?: number;
  /** Where block devices are listed by `<major>:<minor>` (default `/sys/dev/block`), for schemes that name them. */
  sysDevBlockDir?: string;
}

interface Located {
  pid: number;
  paths: CgroupPaths;
}

type NetworkState = 'own' | 'host-network' | 'shared-namespace' | 'unreadable';

interface ContainerStatus {
  name: string;
  id: string;
  app?: string;
  task?: string;
  source?: RawCgroupStats['source'];
  network: NetworkState;
  paused: boolean;
}

/**
 * The collection job: each cycle reads every known container's cgroup files (bounded parallelism, no
 * Docker API call), derives rates, and hands the result to the naming scheme. Identity comes from
 * discovery's cache, never from a per-cycle inspect.
 */
export class ContainerCollector implements Job {
  readonly name = 'containers';
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Counters of each container (by id), and of the host. */
  private readonly trackers = new Map<string, CounterTracker>();
  private readonly hostTracker = new CounterTracker();
  private readonly located = new Map<string, Located>();
  /** The runtime's problem log (set by each cycle): a container's trouble is logged when it starts and ends. */
  private problems: ProblemLog | undefined;
  private readonly statuses = new Map<string, ContainerStatus>();
  private readonly hostCpus = cpus().length;
  private readonly hostMemoryBytes = totalmem();
  private lastCycle: { at: string; containers: number; fallbacks: number; durationMs: number } | undefined;
  /** Bounds the Docker stats API fallback, the one part of a cycle that waits on requests. */
  private readonly limit: LimitFunction;
  /** The cgroup and proc files read, kept open between cycles. */
  private readonly files = new PseudoFiles();
  private readonly blockDevices: BlockDeviceNames;
  private readonly hostDisks: HostDiskReader;

  constructor(private readonly options: CollectorOptions) {
    this.intervalMs = options.intervalMs;
    this.timeoutMs = options.timeoutMs;
    this.limit = pLimit(options.readConcurrency);
    this.blockDevices = new BlockDeviceNames(options.sysDevBlockDir);
    this.hostDisks = new HostDiskReader(options.procRoot);
  }

  async run(cycle: Cycle): Promise<void> {
    this.problems = cycle.problems;
    if (cycle.once) {
      // The first sample only seeds the counters; the second, a moment later, yields rates.
      await this.sample(cycle.signal);
      await sleep(this.options.onceGapMs ?? 1000, undefined, { signal: cycle.signal });
    }
    const started = Date.now();
    const { containers, hostMetrics } = await this.sample(cycle.signal);
    const { source, lifecycle } = this.options;
    // Container names, label values and app ids that sanitise alike (`web.1`, `web_1`) are told apart
    // by the runtime when the cycle is named.
    const view: CycleView = {
      host: this.options.hostName,
      containers,
      hostMetrics,
      blockDeviceName: (majorMinor) => this.blockDevices.nameOf(majorMinor),
      dockerUp: source.connected,
      ...(lifecycle ? { lifecycle: lifecycle.view(containers.map((container) => container.identity)) } : {}),
    };
    this.options.naming.render(view, seriesOut(cycle));
    cycle.expose((out) => exposeCycle(out, view));
    this.lastCycle = {
      at: new Date(started).toISOString(),
      containers: containers.length,
      fallbacks: containers.filter((container) => container.raw.source === 'docker-api').length,
      durationMs: Date.now() - started,
    };
    if (!source.ready) {
      // Host metrics were still sent; the cycle counts as failed so /healthz and --once tell the truth.
      throw new Error(`Docker not reachable: ${this.options.source.status().lastError ?? 'no answer yet'}`);
    }
  }

  /** Closes the files kept open. */
  close(): void {
    this.files.closeAll();
  }

  status(): unknown {
    return {
      cgroup: { mode: this.options.layout.mode, root: this.options.layout.root },
      naming: this.options.naming.name,
      lastCycle: this.lastCycle,
      containers: [...this.statuses.values()],
      notes: {
        hostNetwork: 'containers on the host network (or sharing another namespace) get no network series',
        dockerApi:
          'source docker-api: cgroup files unreadable, stats taken from Docker (slow); check --cgroup-root/--proc-root',
      },
    };
  }

  /** One read of everything; also used for the seeding read of `--once`. */
  private async sample(
    signal: AbortSignal,
  ): Promise<{ containers: MeasuredContainer[]; hostMetrics: Metric[] }> {
    const identities = [...this.options.source.containers.values()];
    // The host's kernel files and every located container's are read synchronously (the host's
    // memory figures are asked of systeminformation meanwhile); only the Docker stats API fallback
    // waits on requests, bounded by `limit`.
    const host = this.options.hostMetrics ? this.readHostMetrics() : Promise.resolve([]);
    const [measured, hostMetrics] = await Promise.all([
      Promise.all(identities.map((identity) => this.measure(identity, signal))),
      host,
    ]);
    const containers = measured.filter((container) => container !== undefined);
    for (const tracker of this.trackers.values()) tracker.sweep();
    this.hostTracker.sweep();
    this.files.sweep();
    this.forgetGone(new Set(identities.map((identity) => identity.id)));
    return { containers, hostMetrics };
  }

  private async readHostMetrics(): Promise<Metric[]> {
    const sample = await readHost(this.files, this.options.procRoot, this.hostDisks);
    this.problems?.report('host disks not measured', sample.disksProblem);
    return deriveHostMetrics(sample, this.hostTracker, Date.now()).concat(
      hostCpuCount(sample) > 0 ? [] : [{ path: ['cpu', 'count'], value: this.hostCpus }],
    );
  }

  /**
   * A container's metrics. When its cgroup is known (every cycle but its first), its files are read
   * and its metrics derived right here, synchronously (no promise to settle per container).
   * Otherwise it is located first; if its files cannot be read, Docker's stats API is asked.
   */
  private measure(
    identity: ContainerIdentity,
    signal: AbortSignal,
  ): MeasuredContainer | Promise<MeasuredContainer | undefined> | undefined {
    if (signal.aborted) return undefined;
    this.statusOf(identity);
    const located = this.locatedNow(identity);
    if (located) return this.measureLocated(identity, located, signal);
    return this.locate(identity).then(
      (found) => this.measureLocated(identity, found, signal),
      (error: unknown) => this.measureThroughDocker(identity, error, signal),
    );
  }

  /** From the container's cgroup files; through Docker's stats API when they cannot be read. */
  private measureLocated(
    identity: ContainerIdentity,
    located: Located,
    signal: AbortSignal,
  ): MeasuredContainer | Promise<MeasuredContainer | undefined> {
    let raw: RawCgroupStats;
    try {
      raw =
        located.paths.version === 2
          ? readV2(this.files, located.paths, this.options.naming.extraFiles.v2)
          : readV1(this.files, located.paths, this.options.naming.extraFiles.v1);
    } catch (error) {
      return this.measureThroughDocker(identity, error, signal);
    }
    this.report(identity, 'cgroup', undefined);
    return this.measured(identity, raw);
  }

  /** The fallback for a container whose cgroup files cannot be read (`error` says why). */
  private async measureThroughDocker(
    identity: ContainerIdentity,
    error: unknown,
    signal: AbortSignal,
  ): Promise<MeasuredContainer | undefined> {
    if (!this.options.source.containers.has(identity.id)) return undefined; // exited mid-read: its series just stop
    this.located.delete(identity.id);
    const cause =
      error instanceof CgroupUnreadable ? `cgroup unreadable (${error.code})` : (error as Error).message;
    try {
      const dockerStats = await this.limit(() => this.options.source.oneShotStats(identity.id, signal));
      const raw = rawFromDockerStats(dockerStats as never, {
        cpuLimitCores: identity.cpuLimitCores,
        hostMemoryBytes: this.hostMemoryBytes,
      });
      this.report(
        identity,
        'cgroup',
        `cgroup files unreadable (${cause}): measured through Docker's stats API`,
      );
      return this.measured(identity, raw, dockerStats);
    } catch (fallbackError) {
      if (this.options.source.containers.has(identity.id)) {
        this.report(
          identity,
          'cgroup',
          `not measured: cgroup files unreadable (${cause}), Docker's stats API failed (${(fallbackError as Error).message})`,
        );
      }
      return undefined;
    }
  }

  /** Network counters (unless they came with `dockerStats`), then rates: the container measured. */
  private measured(
    identity: ContainerIdentity,
    raw: RawCgroupStats,
    dockerStats?: unknown,
  ): MeasuredContainer {
    const status = this.statusOf(identity);
    status.source = raw.source;
    let interfaces: InterfaceCounters[] | undefined;
    if (!identity.ownNetwork) {
      status.network = identity.networkMode === 'host' ? 'host-network' : 'shared-namespace';
    } else if (dockerStats !== undefined) {
      interfaces = interfacesFromDockerStats(dockerStats as never);
    } else {
      try {
        interfaces = readNetDev(this.files, this.options.procRoot, identity.pid);
        status.network = 'own';
        this.report(identity, 'network', undefined);
      } catch (error) {
        status.network = 'unreadable';
        if (this.options.source.containers.has(identity.id))
          this.report(identity, 'network', `network counters unreadable (${(error as Error).message})`);
      }
    }
    this.options.lifecycle?.noteCgroupOomKills(identity.id, raw.memory.oomKills);
    const metrics = deriveContainerMetrics(
      { raw, interfaces, atMs: Date.now(), hostCpus: this.hostCpus },
      getOrCreate(this.trackers, identity.id, () => new CounterTracker()),
    );
    return interfaces ? { identity, raw, metrics, interfaces } : { identity, raw, metrics };
  }

  /** The container's cgroup paths as found before, while its main process is the same. */
  private locatedNow(identity: ContainerIdentity): Located | undefined {
    const cached = this.located.get(identity.id);
    return cached?.pid === identity.pid ? cached : undefined;
  }

  /** Finds the container's cgroup paths (once per process id: see `locatedNow`). */
  private async locate(identity: ContainerIdentity): Promise<Located> {
    const { layout, procRoot } = this.options;
    let paths: CgroupPaths | undefined;
    try {
      paths = await locateByPid(identity.pid, procRoot, layout);
    } catch {
      // /proc/<pid> unreadable (wrong --proc-root, or the process is gone): try Docker's usual places.
    }
    if (!paths) {
      const driver = await this.guessDriver(identity.id);
      paths = cgroupPathsFor(guessedEntries(identity.id, layout, driver), layout);
    }
    if (!paths) throw new CgroupUnreadable(`(no cgroup for ${identity.shortId})`, 'ENOENT');
    const located = { pid: identity.pid, paths };
    this.located.set(identity.id, located);
    return located;
  }

  private async guessDriver(id: string): Promise<'cgroupfs' | 'systemd'> {
    const systemd = cgroupPathsFor(guessedEntries(id, this.options.layout, 'systemd'), this.options.layout);
    const dir = systemd?.version === 2 ? systemd.dir : systemd?.dirs.memory;
    if (!dir) return 'cgroupfs';
    return access(dir).then(
      () => 'systemd' as const,
      () => 'cgroupfs' as const,
    );
  }

  private statusOf(identity: ContainerIdentity): ContainerStatus {
    let status = this.statuses.get(identity.id);
    if (!status) {
      status = { name: identity.name, id: identity.shortId, network: 'own', paused: identity.paused };
      if (identity.marathon) {
        status.app = identity.marathon.appId;
        if (identity.marathon.taskId) status.task = identity.marathon.taskId;
      }
      this.statuses.set(identity.id, status);
    }
    status.name = identity.name;
    status.paused = identity.paused;
    return status;
  }

  /** One cycle's word on one part of a container's reading (see `ProblemLog`): a reason, or fine. */
  private report(identity: ContainerIdentity, part: 'cgroup' | 'network', reason: string | undefined): void {
    this.problems?.report(`${problemScope(identity.id)}${identity.name} ${part}`, reason, {
      container: identity.name,
      id: identity.shortId,
    });
  }

  private forgetGone(present: ReadonlySet<string>): void {
    for (const id of this.located.keys()) if (!present.has(id)) this.located.delete(id);
    for (const id of this.trackers.keys()) if (!present.has(id)) this.trackers.delete(id);
    for (const id of this.statuses.keys()) {
      if (present.has(id)) continue;
      this.statuses.delete(id);
      // A container gone is no problem ended: its problems are dropped without a "recovered" line.
      this.problems?.forget(problemScope(id));
    }
  }
}

/** The start of every problem key of one container (its id, so a rename does not orphan it). */
function problemScope(id: string): string {
  return `container ${id.slice(0, 12)} `;
}
