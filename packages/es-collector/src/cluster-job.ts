import { setTimeout as sleep } from 'node:timers/promises';
import {
  abortedForShutdown,
  CounterTracker,
  type Cycle,
  type Job,
  type SegmentSanitizer,
  type SeriesBudget,
  sanitizeSegment,
} from '@stoker/shared';
import { budgetRequests } from './api-budget.js';
import { type BodyReader, EsRequestError, type EsResponse } from './client.js';
import { collectorSamples } from './collector-samples.js';
import { APIS, type ApiName, type EsApi, type MapContext, mapBodies } from './collectors/index.js';
import { masterNodePath, parseMasterNodeId } from './collectors/master-node.js';
import { nodesStats, parseNodesStats } from './collectors/nodes-stats.js';
import { parseRoot, ROOT_PATH, type RootInfo } from './collectors/root.js';
import { NAMING_SCHEMES, type NamingScheme, nameSamples } from './naming/index.js';
import { exposeSamples } from './prometheus/expose.js';
import type { Sample } from './samples.js';
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
  readonly series: SeriesBudget;
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
    this.series = target.series;
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
    const fail = (step: Step, error: unknown): void => {
      attempted.set(step, true);
      failures.push({ step, reason: error instanceof Error ? error.message : String(error) });
    };

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
        fail(step, error);
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
          fail('root', error);
          this.root = undefined;
        }
      } else {
        this.root = undefined;
      }
    }
    const root = this.root;
    const reported = this.clusterName();
    const cluster = this.names.resolve(this.target.id, reported, this.target.clusterName !== undefined);
    let samples: Sample[] = [];
    let isMaster: boolean | undefined;
    let answers: ReadonlyMap<string, number> | undefined;

    if (root) {
      const version = root.info.version;
      const bodies = new Map<ApiName, unknown>();
      const budget = budgetRequests(this.target.apis, this.target, this.naming, cluster, cycle);
      const context = (): MapContext => ({
        options: budget.options,
        tracker: this.tracker,
        atMs: Date.now(),
      });
      const wanted = (api: EsApi): boolean => budget.apis.has(api.name);
      /** Reads one API into `bodies` (when wanted); under --once a second sample for its rates. */
      const read = async (api: EsApi): Promise<unknown> => {
        const path = api.path(version, budget.options);
        if (path === undefined) return undefined;
        let got = await fetch(api.name, path, api.reader);
        if (got && cycle.once && api.prime && wanted(api)) {
          try {
            api.prime(got.body, context());
            await sleep(ONCE_RATE_WINDOW_MS, undefined, { signal: cycle.signal });
            got = (await fetch(api.name, path, api.reader)) ?? got;
          } catch {
            // A malformed first sample is reported by the mapping; an abort ends the cycle anyway.
          }
        }
        if (got && wanted(api)) bodies.set(api.name, got.body);
        return got?.body;
      };

      // With --local, first learn whether this node is the elected master: only then does it ask
      // for the cluster-wide APIs.
      if (this.target.local) {
        const [nodes, master] = await Promise.all([
          read(nodesStats),
          fetch('master_node', masterNodePath(version)),
        ]);
        let local: { id: string; name: string }[] = [];
        try {
          local = nodes === undefined ? [] : parseNodesStats(nodes);
        } catch {
          // Reported as a nodes_stats failure by its mapping.
        }
        if (local[0]) this.localNode = local[0].name;
        isMaster = false;
        try {
          if (master) isMaster = local.some((node) => node.id === parseMasterNodeId(master.body));
        } catch (error) {
          fail('master_node', error);
        }
      }
      const clusterWide = !this.target.local || isMaster === true;
      await Promise.all(
        APIS.filter(
          (api) => wanted(api) && !attempted.has(api.name) && (clusterWide || !api.clusterWide),
        ).map(read),
      );

      const mapped = mapBodies(bodies, context());
      for (const [api, reason] of mapped.errors) fail(api, reason);
      samples = mapped.samples;
      answers = mapped.collector;
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
        ...(answers ? { answers } : {}),
        ...(isMaster !== undefined ? { isMaster } : {}),
        ...(this.target.local ? { node: this.localNodeName() } : {}),
      }),
    );

    if (cluster !== reported && this.renamedFrom !== reported) {
      cycle.log.warn(
        { cluster, reported },
        `cluster ${this.target.id} reports the cluster name "${reported}" as another cluster of this process does: its series go under "${cluster}" (give each cluster a name)`,
      );
    }
    this.renamedFrom = cluster !== reported ? reported : undefined;
    nameSamples(cycle, this.naming, cluster, samples);
    cycle.expose((out) => exposeSamples(out, cluster, samples));
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

    // A dead cluster throws: the runtime reports the job's failure (when it starts, changes, ends).
    // A partly failing one is a successful cycle whose failing requests are reported one by one, so
    // an API answering 404 all day is a line when it starts and one every ten minutes, not 8,640.
    const summary = failures.map((failure) => `${failure.step}: ${failure.reason}`).join(' | ');
    if (!up) throw new Error(`cluster ${cluster}: down (collector.up 0): ${summary || 'no API answered'}`);
    const scope = `cluster ${cluster}: `;
    const seen = new Set<string>();
    for (const [step, failed] of attempted) {
      const key = `${scope}${step}`;
      seen.add(key);
      const reason = failed ? failures.findLast((failure) => failure.step === step)?.reason : undefined;
      cycle.problems.report(key, reason, { cluster, step });
    }
    cycle.problems.okAllBut(scope, seen);
  }
}
