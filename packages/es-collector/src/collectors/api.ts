import type { CounterTracker } from '@stoker/shared';
import type { BodyReader } from '../client.js';
import type { IndexSelectionOptions } from '../index-selection.js';
import type { NamingSchemeName } from '../naming/scheme.js';
import type { Sample } from '../samples.js';
import type { EsVersion } from './root.js';

/** The APIs a user can choose (`--apis`), each reported as `collector.errors.<api>`. */
export const API_NAMES = [
  'cluster_health',
  'cluster_stats',
  'nodes_stats',
  'indices_stats',
  'pending_tasks',
  // Asked for the es2graphite scheme only (es2graphite's 2015 per-node figures).
  'cat_allocation',
  'cat_nodes',
  'cat_thread_pool',
  // Asked for the es2graphite-2013 scheme only, on ES < 2.0 (es2graphite 2013's per-index status).
  'indices_status',
] as const;
export type ApiName = (typeof API_NAMES)[number];

/** What the APIs' paths and mappings depend on (a `ClusterTarget` has all of it). */
export interface ApiOptions {
  /** --local: this node's stats only, and no cross-node aggregates (one node is no group). */
  local: boolean;
  /** Per-index health too (`_cluster/health?level=indices`). */
  healthLevelIndices: boolean;
  /** Index stats of `_all` only (`level=cluster`): the series budget sends no other index's (api-budget.ts). */
  allIndicesOnly?: boolean;
  indices: IndexSelectionOptions;
  /**
   * The es2graphite schemes walk node stats as es2graphite did (lists by position, `fs.data` by
   * mount) and the 2015 one asks the `_cat` APIs es2graphite asked.
   */
  naming: NamingSchemeName;
}

export interface MapContext {
  options: ApiOptions;
  /** Counters of earlier samples, for rates. */
  tracker: CounterTracker;
  /** When the body was read: rates use it when a node does not report its own sampling time. */
  atMs: number;
  /**
   * Real index name → the name it is reported under, as index stats selected them this cycle. Set
   * by indices_stats, read by cluster_health (mapped after it), so per-index health is filtered,
   * rolled up and cut exactly like the index stats.
   */
  reportedAs?: ReadonlyMap<string, string>;
  /**
   * Node id → the name its stats are reported under, as node stats read them this cycle. Set by
   * nodes_stats, read by indices_status (mapped after it), which names each shard copy by its node.
   */
  nodeNames?: ReadonlyMap<string, string>;
}

export interface Mapped {
  samples: Sample[];
  /** Figures about the answer itself, sent as `collector.<name>` (`nodes`, `indices_dropped`). */
  collector?: Readonly<Record<string, number>>;
}

/**
 * One Elasticsearch API: where to ask for it, how to read its answer, and how that answer becomes
 * samples. `collectors/index.ts` lists them; the cluster job asks for each one wanted and supported,
 * all at once, and maps each on its own (a body of an unexpected shape fails that API only).
 */
export interface EsApi<Body = unknown> {
  readonly name: ApiName;
  /** Describes the whole cluster: with --local only the elected master's collector asks for it. */
  readonly clusterWide: boolean;
  /** Undefined when this version lacks the API. */
  path(version: EsVersion, options: ApiOptions): string | undefined;
  /** Reads the body as it arrives; without one the body is parsed whole. */
  readonly reader?: () => BodyReader<Body>;
  /**
   * --once has no earlier cycle to compute rates against: an API with rates records a first sample
   * here, and the job maps a second one, taken `ONCE_RATE_WINDOW_MS` later.
   */
  prime?(body: Body, context: MapContext): void;
  /** Throws when the body is not of the expected shape. */
  map(body: Body, context: MapContext): Mapped;
}
