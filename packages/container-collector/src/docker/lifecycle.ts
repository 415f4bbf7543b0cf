import type { ContainerInspectInfo } from 'dockerode';
import type { Logger } from 'pino';
import { getOrCreate } from '../map-util.js';
import { type ContainerIdentity, identityFromInspect, type MarathonIdentity } from './identity.js';

/**
 * Deaths, OOM kills and restarts of containers, from Docker's event stream (`start`, `die`, `oom`,
 * `destroy`) and, for what happened while the stream was down, from the state Docker keeps
 * (`FinishedAt`, `OOMKilled`, `ExitCode`, `RestartCount`) read after every reconnect. A container's
 * counters outlive it: when Docker removes it they are folded into its app's and the host's.
 *
 * Counted once: a death is counted when its container is known alive (a `die` while already counted
 * dead is the same death seen twice), and a recovered death only if Docker finished it after the last
 * death counted and after the agent started (a death before the agent existed is not one it saw).
 * OOM kills per run of a container: the kills its cgroup counted while the collector read it, and at
 * least one when Docker sent `oom` for the run or said `OOMKilled` at its death (the kernel may notify
 * several times for one kill, and a killed main process takes its cgroup, and counter, with it).
 */
export interface LifecycleCounts {
  oomKillsTotal: number;
  exitsTotal: number;
  /** Restarts made by Docker's restart policy. */
  restartsTotal: number;
  /** Runs started otherwise (a new container, `docker start`): a Marathon task starting. */
  taskStartsTotal: number;
  /** Deaths the restart policy does not follow with a restart: a Marathon task ending. */
  taskExitsTotal: number;
  lastExitCode?: number;
  lastExitAtMs: number;
}

/** Where a container's own counters are named, and whose app they count for. */
export interface LifecycleNode {
  name: string;
  marathon?: MarathonIdentity;
}

export interface LifecycleView {
  containers: { node: LifecycleNode; counts: LifecycleCounts }[];
  /** Marathon app id → its containers' counters, those removed included. */
  apps: Map<string, LifecycleCounts>;
  all: LifecycleCounts;
}

/** One container event of Docker's stream. */
export interface ContainerEvent {
  id: string;
  action: string;
  atMs: number;
  name?: string;
  exitCode?: number;
}

export interface LifecycleOptions {
  groupLabelKeys: readonly string[];
  log: Logger;
  /** GET /containers/{id}/json; undefined when the container is gone. */
  inspect(id: string): Promise<ContainerInspectInfo | undefined>;
  /** Deaths before this are not counted (default: now). */
  startedAtMs?: number;
}

interface ContainerRecord {
  id: string;
  name: string;
  identity?: ContainerIdentity;
  /** `new`: no run of it seen yet; `dead`: its last death is counted and nothing started since. */
  state: 'new' | 'running' | 'dead';
  /** Docker said, at its last death, that the restart policy will start it again. */
  willRestart: boolean;
  lastDeathAtMs: number;
  lastStartAtMs: number;
  /** Docker's `RestartCount` as far as we know it (it restarts from 0 at a start by hand). */
  restartCount: number;
  /** OOM evidence for the current run. */
  runOomEvent: boolean;
  runCgroupOomKills: number;
  /**
   * The cgroup's count when first read, for a run that began before the agent (its kills then are
   * not ours); undefined until that first read.
   */
  cgroupOomKillsBefore: number | undefined;
  counts: LifecycleCounts;
  removed: boolean;
  /** Its counters were in a view since they last changed (a removed one may go then). */
  shown: boolean;
  /** Its events are handled one after the other (a `die` waits for its inspect). */
  queue: Promise<void>;
  /** Steps queued and not done: a removed container is folded into the totals only once idle. */
  pending: number;
}

interface Death {
  atMs: number;
  deaths: number;
  exitCode?: number;
  oomKilled: boolean;
  /** No restart by the restart policy follows it. */
  final: boolean;
}

export function zeroCounts(): LifecycleCounts {
  return {
    oomKillsTotal: 0,
    exitsTotal: 0,
    restartsTotal: 0,
    taskStartsTotal: 0,
    taskExitsTotal: 0,
    lastExitAtMs: 0,
  };
}

function addCounts(into: LifecycleCounts, from: LifecycleCounts): void {
  into.oomKillsTotal += from.oomKillsTotal;
  into.exitsTotal += from.exitsTotal;
  into.restartsTotal += from.restartsTotal;
  into.taskStartsTotal += from.taskStartsTotal;
  into.taskExitsTotal += from.taskExitsTotal;
  if (from.lastExitCode !== undefined && from.lastExitAtMs >= into.lastExitAtMs) {
    into.lastExitCode = from.lastExitCode;
    into.lastExitAtMs = from.lastExitAtMs;
  }
}

/** Docker's timestamps; its "never" (`0001-01-01T00:00:00Z`) and garbage read as 0. */
function dockerTimeMs(value: string | number | undefined): number {
  if (typeof value === 'number') return value * 1000;
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

export class ContainerLifecycle {
  readonly startedAtMs: number;
  private readonly records = new Map<string, ContainerRecord>();
  /** Counters of removed containers, so app and host totals never go down. */
  private readonly removedApps = new Map<string, LifecycleCounts>();
  private readonly removedAll = zeroCounts();

  constructor(private readonly options: LifecycleOptions) {
    this.startedAtMs = options.startedAtMs ?? Date.now();
  }

  /** One event of Docker's stream (discovery passes each one on). */
  event(event: ContainerEvent): void {
    const known = this.records.get(event.id);
    if (event.action === 'destroy') {
      if (known) known.removed = true;
      return;
    }
    if (!['start', 'die', 'oom'].includes(event.action)) return;
    const record = known ?? this.newRecord(event.id, event.name ?? event.id.slice(0, 12));
    this.enqueue(record, () => this.onEvent(record, event));
  }

  /**
   * Docker's state after a (re)connect, running and exited containers alike: what happened while its
   * events were not followed (or before the first list) is counted from it, once.
   */
  resync(infos: readonly ContainerInspectInfo[]): void {
    for (const info of infos) {
      const known = this.records.get(info.Id);
      if (known) this.enqueue(known, async () => this.reconcile(known, info));
      else this.firstSight(info);
    }
  }

  /** The OOM kills a container's cgroup counted so far in this run (read by the collector each cycle). */
  noteCgroupOomKills(id: string, kills: number | undefined): void {
    const record = this.records.get(id);
    if (record?.state !== 'running' || kills === undefined) return;
    record.cgroupOomKillsBefore ??= kills;
    if (kills - record.cgroupOomKillsBefore > record.runCgroupOomKills) {
      record.runCgroupOomKills = kills - record.cgroupOomKillsBefore;
      record.shown = false;
    }
  }

  /** Resolves once every event received so far is handled (for tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.records.values()].map((record) => record.queue));
  }

  /**
   * The counters for one cycle: of each container measured (`live`) and of each dead one whose counts
   * changed since the last view, per app and for the host. Removed containers are folded into the
   * totals once they were shown.
   */
  view(live: readonly ContainerIdentity[]): LifecycleView {
    const apps = new Map<string, LifecycleCounts>();
    for (const [app, counts] of this.removedApps) apps.set(app, { ...counts });
    const all = { ...this.removedAll };
    const containers: LifecycleView['containers'] = [];
    const count = (node: LifecycleNode, counts: LifecycleCounts) => {
      addCounts(all, counts);
      const app = node.marathon?.appId;
      if (app !== undefined) addCounts(getOrCreate(apps, app, zeroCounts), counts);
    };
    const add = (node: LifecycleNode, counts: LifecycleCounts) => {
      containers.push({ node, counts });
      count(node, counts);
    };
    const liveIds = new Set<string>();
    for (const identity of live) {
      liveIds.add(identity.id);
      const record = this.records.get(identity.id);
      add(identity, record ? this.countsOf(record) : zeroCounts());
    }
    for (const record of this.records.values()) {
      if (liveIds.has(record.id)) {
        record.shown = true;
        continue;
      }
      if (record.state === 'new' && record.removed && record.pending === 0) {
        this.records.delete(record.id); // created and removed, never run: nothing to tell
        continue;
      }
      // A dead container's own series show its death once, then stop like its other series; its
      // counts stay in its app's and the host's (and in its record, should it start again).
      if (record.state !== 'new') {
        const node = record.identity ?? { name: record.name };
        if (record.shown) count(node, this.countsOf(record));
        else add(node, this.countsOf(record));
      }
      if (record.removed && record.shown && record.pending === 0) this.retire(record);
      record.shown = true;
    }
    return { containers, apps, all };
  }

  private newRecord(id: string, name: string): ContainerRecord {
    const record: ContainerRecord = {
      id,
      name,
      state: 'new',
      willRestart: false,
      lastDeathAtMs: 0,
      lastStartAtMs: 0,
      restartCount: 0,
      runOomEvent: false,
      runCgroupOomKills: 0,
      cgroupOomKillsBefore: 0,
      counts: zeroCounts(),
      removed: false,
      shown: false,
      queue: Promise.resolve(),
      pending: 0,
    };
    this.records.set(id, record);
    return record;
  }

  private enqueue(record: ContainerRecord, step: () => Promise<void>): void {
    record.pending++;
    record.queue = record.queue
      .then(step)
      .catch((error: unknown) => {
        this.options.log.debug({ id: record.id, err: (error as Error).message }, 'lifecycle event failed');
      })
      .finally(() => {
        record.pending--;
      });
  }

  private async onEvent(record: ContainerRecord, event: ContainerEvent): Promise<void> {
    record.shown = false;
    if (event.action === 'oom') {
      record.runOomEvent = true;
    } else if (event.action === 'start') {
      if (record.state === 'running') return;
      if (record.state === 'dead' && record.willRestart) {
        record.counts.restartsTotal++;
        record.restartCount++;
      } else {
        record.counts.taskStartsTotal++;
        record.restartCount = 0;
      }
      this.startRun(record, event.atMs);
    } else if (event.action === 'die') {
      if (record.state === 'dead') return;
      // Docker decides on the restart before it sends `die`: its state now says whether one follows,
      // and whether the kernel's OOM killer ended this run (unless the next run has begun already).
      const info = await this.options.inspect(record.id).catch(() => undefined);
      if (info) record.identity = identityFromInspect(info, this.options.groupLabelKeys);
      const restartedSince = info ? dockerTimeMs(info.State?.StartedAt) > event.atMs : false;
      this.died(record, {
        atMs: event.atMs,
        deaths: 1,
        ...(event.exitCode === undefined ? {} : { exitCode: event.exitCode }),
        oomKilled: !restartedSince && info?.State?.OOMKilled === true,
        final: !(restartedSince || info?.State?.Restarting === true),
      });
    }
  }

  /** A container seen for the first time in Docker's state (not through an event). */
  private firstSight(info: ContainerInspectInfo): void {
    const alive = info.State?.Running === true;
    const finishedAtMs = dockerTimeMs(info.State?.FinishedAt);
    const existedBefore = dockerTimeMs(info.Created) < this.startedAtMs;
    // An exited container whose death came before the agent: not one of ours to count or show.
    if (existedBefore && !alive && finishedAtMs <= this.startedAtMs) return;
    const record = this.newRecord(info.Id, (info.Name ?? '').replace(/^\//, '') || info.Id.slice(0, 12));
    if (existedBefore) {
      // Running when the agent started: what it did before is its history, not news.
      record.state = 'running';
      record.restartCount = info.RestartCount ?? 0;
      record.lastDeathAtMs = alive ? finishedAtMs : this.startedAtMs;
      record.lastStartAtMs = dockerTimeMs(info.State?.StartedAt);
      record.cgroupOomKillsBefore = undefined;
    }
    this.enqueue(record, async () => this.reconcile(record, info));
  }

  /** Counts what Docker's state shows happened since we last knew the container. */
  private reconcile(record: ContainerRecord, info: ContainerInspectInfo): void {
    record.identity = identityFromInspect(info, this.options.groupLabelKeys);
    const state = info.State ?? ({} as Partial<ContainerInspectInfo['State']>);
    const alive = state.Running === true;
    const restartCount = info.RestartCount ?? 0;
    const finishedAtMs = dockerTimeMs(state.FinishedAt);
    const startedAtMs = dockerTimeMs(state.StartedAt);
    // Docker starts RestartCount again from 0 at a start by hand; a lower count from a start we
    // already know of is only an inspect older than the events handled meanwhile.
    const missedRestarts =
      restartCount >= record.restartCount
        ? restartCount - record.restartCount
        : startedAtMs > record.lastStartAtMs
          ? restartCount
          : 0;
    const newDeath = finishedAtMs > record.lastDeathAtMs && finishedAtMs > this.startedAtMs;
    // Every restart follows a death, the first one a death already counted if the container was
    // dead when the stream broke; the last death counts too if nothing restarted it since.
    const deaths =
      missedRestarts > 0
        ? Math.max(0, missedRestarts - (record.state === 'dead' ? 1 : 0) + (!alive && newDeath ? 1 : 0))
        : newDeath
          ? 1
          : 0;
    if (record.state === 'new' && (alive || deaths > 0)) record.counts.taskStartsTotal++;
    if (missedRestarts > 0) record.shown = false;
    record.counts.restartsTotal += missedRestarts;
    if (missedRestarts > 0 || startedAtMs > record.lastStartAtMs) record.restartCount = restartCount;
    if (deaths > 0) {
      const lastSeen = !alive && newDeath;
      this.died(record, {
        atMs: lastSeen ? finishedAtMs : Math.max(record.lastDeathAtMs, startedAtMs),
        deaths,
        ...(lastSeen ? { exitCode: state.ExitCode ?? 0 } : {}),
        oomKilled: lastSeen && state.OOMKilled === true,
        final: lastSeen && state.Restarting !== true,
      });
    }
    // A start after the last death counted (an older inspect shows a run that has ended since).
    if (alive && (record.state !== 'running' || deaths > 0) && startedAtMs > record.lastDeathAtMs)
      this.startRun(record, startedAtMs);
  }

  private startRun(record: ContainerRecord, atMs: number): void {
    record.state = 'running';
    record.lastStartAtMs = Math.max(record.lastStartAtMs, atMs);
    record.cgroupOomKillsBefore = 0;
    record.willRestart = false;
    record.runOomEvent = false;
    record.runCgroupOomKills = 0;
  }

  private died(record: ContainerRecord, death: Death): void {
    const { counts } = record;
    const oomKills = Math.max(record.runOomEvent ? 1 : 0, record.runCgroupOomKills, death.oomKilled ? 1 : 0);
    counts.exitsTotal += death.deaths;
    counts.oomKillsTotal += oomKills;
    if (death.final) counts.taskExitsTotal++;
    if (death.exitCode !== undefined) {
      counts.lastExitCode = death.exitCode;
      counts.lastExitAtMs = death.atMs;
    }
    record.state = 'dead';
    record.willRestart = !death.final;
    record.lastDeathAtMs = Math.max(record.lastDeathAtMs, death.atMs);
    record.runOomEvent = false;
    record.runCgroupOomKills = 0;
    record.shown = false;
    const identity = record.identity;
    this.options.log.warn(
      {
        container: identity?.name ?? record.name,
        id: record.id.slice(0, 12),
        ...(identity?.marathon?.taskId ? { task: identity.marathon.taskId } : {}),
        ...(identity?.marathon ? { app: identity.marathon.appId } : {}),
        exitCode: death.exitCode ?? null,
        oom: oomKills > 0,
        restart: !death.final,
        ...(death.deaths > 1 ? { deaths: death.deaths } : {}),
      },
      death.deaths > 1 || death.exitCode === undefined
        ? "container died while Docker's events were not followed"
        : 'container died',
    );
  }

  private countsOf(record: ContainerRecord): LifecycleCounts {
    if (record.state !== 'running') return record.counts;
    const runOomKills = Math.max(record.runOomEvent ? 1 : 0, record.runCgroupOomKills);
    return { ...record.counts, oomKillsTotal: record.counts.oomKillsTotal + runOomKills };
  }

  /** A removed container: its counters move into its app's and the host's. */
  private retire(record: ContainerRecord): void {
    const counts = this.countsOf(record);
    addCounts(this.removedAll, counts);
    const app = record.identity?.marathon?.appId;
    if (app !== undefined) addCounts(getOrCreate(this.removedApps, app, zeroCounts), counts);
    this.records.delete(record.id);
  }
}
