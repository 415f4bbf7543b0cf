import { setTimeout as sleep } from 'node:timers/promises';
import {
  abortedForShutdown,
  CounterTracker,
  type Cycle,
  type Job,
  type SegmentSanitizer,
  sanitizeSegment,
} from '@stoker/shared';
import { type BodyReader, EsRequestError, type EsResponse } from './client.js';
import { clusterHealthPath } from './collectors/cluster-health.js';
import { CLUSTER_STATS_PATH, supportsClusterStats } from './collectors/cluster-stats.js';
import { IndicesStatsReader, indicesStatsPath } from './collectors/indices-stats.js';
import { masterNodePath, parseMasterNodeId } from './collectors/master-node.js';
import { nodesStatsPath, parseNodesStats } from './collectors/nodes-stats.js';
import { PENDING_TASKS_PATH, supportsPendingTasks } from './collectors/pending-tasks.js';
import { parseRoot, ROOT_PATH, type RootInfo } from './collectors/root.js';
import { deriveNodeMetrics } from './derive.js';
import { NAMING_SCHEMES, type NamingScheme, nameSamples } from './naming/index.js';
import {
  type ApiName,
  CLUSTER_WIDE_APIS,
  collectorSamples,
  mapResponses,
  type Responses,
} from './pipeline.js';
import { appendSamples, type Sample } from './samples.js';
import { type ClusterTarget, seedLabel } from './targets.js';

/** What the job needs of the HTTP client (tests pass a stub; production an EsClient). */
export interface EsGetter {
  get<T = unknown>(path: string, signal: AbortSignal, read?: () => BodyReader<T>): Promise<EsResponse<T>>;
}

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** GET / is cheap but not free; the version only changes on an upgrade, which a failure also reveals. */
export const ROOT_REFRESH_MS = 10 * 60_000;
/** Under --once, the wait between the two node stats samples that rates are computed from. */
export const ONCE_RATE_WINDOW_MS = 1000;

type Step = ApiName | 'root' | 'master_node';

interface Failure {
  step: Step;
  reason: string;
}

export interface ClusterStatus {
  cluster: string;
  seeds: string[];
  version?: string;
  lastCycle?: { atMs: number; up: boolean; durationMs: number; failures: Failure[]; isMaster?: boolean };
}

/**
 * The cluster segments of one process. A cluster without a configured name is named after the
 * `cluster_name` it reports, and ES gives every cluster the same one by default (`elasticsearch`):
 * two such clusters would write the same series. Of the clusters whose names come out alike, a
 * configured name keeps its name, then the cluster whose id (`<host>_<port>` of its first seed)
 * sorts first; each other one has `_<id>` added (and its job says so, once).
 */
export class ClusterNames {
  /** Segment → the clusters (id → whether the name is configured) that resolve to it. */
  private readonly claims = new Map<string, Map<string, boolean>>();
  private readonly segmentOf = new Map<string, string>();

  constructor(private readonly sanitize: SegmentSanitizer = sanitizeSegment) {}

  /** The name cluster `id` writes under, when it would write under `name`. */
  resolve(id: string, name: string, configured: boolean): string {
    const segment = this.sanitize(name);
    const before = this.segmentOf.get(id);
    if (before !== undefined && before !== segment) this.claims.get(before)?.delete(id);
    this.segmentOf.set(id, segment);
    let claimants = this.claims.get(segment);
    if (!claimants) {
      claimants = new Map();
      this.claims.set(segment, claimants);
    }
    claimants.set(id, configured);
    if (configured || claimants.size === 1) return name;
    let keeper = id;
    for (const [other, otherConfigured] of claimants) {
      if (otherConfigured) return `${name}_${id}`;
      if (other < keeper) keeper = other;
    }
    return keeper === id ? name : `${name}_${id}`;
  }
}

/**
 * One cluster's collection, run by the shared scheduler every interval. Each cluster has its own
 * job (its own deadline), so a slow or dead cluster never delays another.
 */
export class ClusterJob implements Job {
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly sanitize?: SegmentSanitizer;
  private readonly naming: NamingScheme;
  private readonly tracker = new CounterTracker();
  private root?: { info: RootInfo; fetchedAtMs: number };
  /** The `cluster_name` the cluster last reported. */
  private reportedName?: string;
  /** The reported name this cluster was last told apart from (see `ClusterNames`), to warn once. */
  private renamedFrom?: string;
  /** --local: the name of the node this collector reads, as it last reported it. */
  private localNode?: string;
  private status: ClusterStatus;

  constructor(
    readonly target: ClusterTarget,
    private readonly client: EsGetter,
    private readonly limit: Limiter = (task) => task(),
    private readonly names: ClusterNames = new ClusterNames(),
  ) {
    this.name = target.id;
    this.intervalMs = target.intervalMs;
    // A cycle must end before the next one is due.
    this.timeoutMs = target.intervalMs;
    this.naming = NAMING_SCHEMES[target.naming];
    if (this.naming.sanitize) this.sanitize = this.naming.sanitize;
    if (target.clusterName) names.resolve(target.id, target.clusterName, true);
    this.status = { cluster: this.clusterName(), seeds: target.seeds.map((seed) => seed.origin) };
  }

  snapshot(): ClusterStatus {
    return this.status;
  }

  run(cycle: Cycle): Promise<void> {
    return this.limit(() => this.collect(cycle));
  }

  /**
   * The configured name, else the name the cluster last reported (kept while it is down, so its
   * `collector.up 0` goes where its series are), else the id.
   */
  private clusterName(): string {
    if (this.root) this.reportedName = this.root.info.clusterName;
    return this.target.clusterName ?? this.reportedName ?? this.target.id;
  }

  /**
   * --local: every node's collector writes its own series (`collector.*`) under its node, so none
   * is written by two collectors. Before the node has ever answered, the seed stands in for it.
   */
  private localNodeName(): string {
    return this.localNode || this.root?.info.nodeName || seedLabel(this.target.seeds[0]!);
  }

  private async collect(cycle: Cycle): Promise<void> {
    const began = performance.now();
    const failures: Failure[] = [];
    const attempted = new Map<Step, boolean>();
    const durations = new Map<string, number>();
    let seedsUnreachable = false;

    const fetch = async <T = unknown>(
      step: Step,
      path: string,
      read?: () => BodyReader<T>,
    ): Promise<{ body: T } | undefined> => {
      try {
        const response = await this.client.get(path, cycle.signal, read);
        attempted.set(step, false);
        durations.set(step, response.durationMs);
        return { body: response.body };
      } catch (error) {
        attempted.set(step, true);
        failures.push({ step, reason: error instanceof Error ? error.message : String(error) });
        if (!(error instanceof EsRequestError) || !error.answered) seedsUnreachable = true;
        return undefined;
      }
    };

    // 1. Who answers, and which version: cached, refreshed every ROOT_REFRESH_MS or after a failure.
    if (!this.root || Date.now() - this.root.fetchedAtMs > ROOT_REFRESH_MS) {
      const fetched = await fetch('root', ROOT_PATH);
      if (fetched) {
        try {
          this.root = { info: parseRoot(fetched.body), fetchedAtMs: Date.now() };
        } catch (error) {
          attempted.set('root', true);
          failures.push({ step: 'root', reason: (error as Error).message });
          this.root = undefined;
        }
      } else {
        this.root = undefined;
      }
    }
    const root = this.root;
    const samples: Sample[] = [];
    let isMaster: boolean | undefined;
    let indicesDropped: number | undefined;
    let nodeCount: number | undefined;

    if (root) {
      const version = root.info.version;
      const apis = this.target.apis;
      const responses: Responses = {};
      const nodesPath = nodesStatsPath(version, { local: this.target.local });
      const wanted = (api: ApiName): boolean => apis.has(api);

      // 2. With --local, first learn whether this node is the elected master.
      let nodesBody: { body: unknown } | undefined;
      let nodesFetchedAt = Date.now();
      if (this.target.local) {
        const [nodes, master] = await Promise.all([
          fetch('nodes_stats', nodesPath),
          fetch('master_node', masterNodePath(version)),
        ]);
        nodesBody = nodes;
        isMaster = false;
        let localIds: string[] | undefined;
        try {
          const local = nodes ? parseNodesStats(nodes.body) : [];
          localIds = local.map((node) => node.id);
          if (local[0]) this.localNode = local[0].name;
        } catch {
          // A malformed answer is reported as a nodes_stats failure by the mapping below.
        }
        if (localIds && master) {
          try {
            isMaster = localIds.includes(parseMasterNodeId(master.body));
          } catch (error) {
            attempted.set('master_node', true);
            failures.push({ step: 'master_node', reason: (error as Error).message });
          }
        }
      }

      // 3. Everything else of this cycle at once; each API fails on its own.
      const clusterWide = !this.target.local || isMaster === true;
      const paths: Partial<Record<ApiName, string | undefined>> = {
        cluster_health: clusterHealthPath(version, { levelIndices: this.target.healthLevelIndices }),
        cluster_stats: supportsClusterStats(version) ? CLUSTER_STATS_PATH : undefined,
        indices_stats: indicesStatsPath(version),
        pending_tasks: supportsPendingTasks(version) ? PENDING_TASKS_PATH : undefined,
      };
      const jobs: Promise<void>[] = [];
      for (const [api, path] of Object.entries(paths) as [ApiName, string | undefined][]) {
        if (!path || !wanted(api) || (CLUSTER_WIDE_APIS.has(api) && !clusterWide)) continue;
        jobs.push(
          api === 'indices_stats'
            ? fetch(api, path, () => new IndicesStatsReader()).then((got) => {
                if (got) responses.indices_stats = got.body;
              })
            : fetch(api, path).then((got) => {
                if (got) responses[api] = got.body;
              }),
        );
      }
      if (!this.target.local && wanted('nodes_stats')) {
        jobs.push(
          fetch('nodes_stats', nodesPath).then((got) => {
            nodesBody = got;
          }),
        );
      }
      nodesFetchedAt = Date.now();
      await Promise.all(jobs);

      // 4. --once has no previous cycle to compute rates against: take a second sample shortly after.
      if (nodesBody && wanted('nodes_stats') && cycle.once) {
        try {
          deriveNodeMetrics(parseNodesStats(nodesBody.body), this.tracker, nodesFetchedAt);
          await sleep(ONCE_RATE_WINDOW_MS, undefined, { signal: cycle.signal });
          const second = await fetch('nodes_stats', nodesPath);
          if (second) nodesBody = second;
        } catch {
          // A malformed first sample is reported by the mapping below; an abort ends the cycle anyway.
        }
      }
      if (nodesBody && wanted('nodes_stats')) responses.nodes_stats = nodesBody.body;

      const mapped = mapResponses(
        responses,
        {
          indices: this.target.indices,
          healthLevelIndices: this.target.healthLevelIndices,
          aggregates: !this.target.local,
        },
        { tracker: this.tracker, atMs: Date.now() },
      );
      for (const [api, reason] of mapped.errors) {
        attempted.set(api, true);
        failures.push({ step: api, reason });
      }
      // Forget counters of nodes gone since the last good sample; not after a failed read, which
      // would otherwise cost every node its rates for a cycle.
      if (mapped.nodes) this.tracker.sweep();
      appendSamples(samples, mapped.samples);
      indicesDropped = mapped.indicesDropped;
      nodeCount = mapped.nodes?.length;
    }

    // The agent is stopping and aborted the requests: the cluster did nothing wrong, so this cycle
    // reports nothing about it (no collector.up 0, no "down", /status keeps the last real cycle).
    if (abortedForShutdown(cycle.signal)) throw cycle.signal.reason;
    if (seedsUnreachable) this.root = undefined;
    // Up when some data came back: a cached root with every API failing is as down as no answer.
    const apiSteps = [...attempted].filter(([step]) => step !== 'root' && step !== 'master_node');
    const up = apiSteps.length > 0 ? apiSteps.some(([, failed]) => !failed) : attempted.get('root') === false;
    const durationMs = performance.now() - began;
    samples.push(
      ...collectorSamples({
        up,
        durationMs,
        ...(root ? { versionMajor: root.info.version.major } : {}),
        apiErrors: attempted,
        apiDurationsMs: durations,
        ...(indicesDropped !== undefined ? { indicesDropped } : {}),
        ...(nodeCount !== undefined ? { nodes: nodeCount } : {}),
        ...(isMaster !== undefined ? { isMaster } : {}),
        ...(this.target.local ? { node: this.localNodeName() } : {}),
      }),
    );

    const reported = this.clusterName();
    const cluster = this.names.resolve(this.target.id, reported, this.target.clusterName !== undefined);
    if (cluster !== reported && this.renamedFrom !== reported) {
      cycle.log.warn(
        { cluster, reported },
        `cluster ${this.target.id} reports the cluster name "${reported}" as another cluster of this process does: its series go under "${cluster}" (give each cluster a name)`,
      );
    }
    this.renamedFrom = cluster !== reported ? reported : undefined;
    nameSamples(cycle, this.naming, cluster, samples);
    this.status = {
      cluster,
      seeds: this.target.seeds.map((seed) => seed.origin),
      ...(root ? { version: `${root.info.version.distribution} ${root.info.version.number}` } : {}),
      lastCycle: {
        atMs: cycle.startedAtMs,
        up,
        durationMs: Math.round(durationMs),
        failures,
        ...(isMaster !== undefined ? { isMaster } : {}),
      },
    };

    // One line per cycle, whatever failed: a dead cluster throws (the runtime logs it and counts a
    // failed cycle), a partly failing one is a warning and still a successful cycle.
    const summary = failures.map((failure) => `${failure.step}: ${failure.reason}`).join(' | ');
    if (!up) throw new Error(`cluster ${cluster}: down (collector.up 0): ${summary || 'no API answered'}`);
    if (failures.length > 0) {
      cycle.log.warn(
        { cluster, failures },
        `cluster ${cluster}: ${failures.length} of ${attempted.size} requests failed: ${summary}`,
      );
    }
  }
}
