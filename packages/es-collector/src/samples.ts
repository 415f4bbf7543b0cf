/**
 * What the collectors produce: samples that say what they measure (a node's stats, an index's stats,
 * a derived rate, the cluster's health...) but not how they are named. A naming scheme (src/naming/)
 * turns each into carbon name segments (a node's or index's stats: a head, below which its leaves
 * are walked), so the two schemes share every line of parsing and deriving. This module imports no
 * collector and no naming scheme: both import it.
 */
import type { LeafName } from '@stoker/shared';

export type HealthStatus = 'green' | 'yellow' | 'red';

export type Path = readonly string[];

/**
 * Where a stats tree's leaves go (the naming scheme's group): walked key by key from `root` and
 * added one at a time, or added as a run (leaves and values in order).
 */
export interface LeafSink {
  readonly root: LeafName;
  add(leaf: LeafName, value: number): void;
  addRun(leaves: readonly LeafName[], values: readonly number[]): void;
  /** Whether nothing below `leaf` would be sent (the series budget): a walk need not go there. */
  skips?(leaf: LeafName): boolean;
}

/**
 * One node's or index's stats, possibly thousands of leaves: handed to the naming scheme whole and
 * walked straight into its group, so no sample object or path is made per leaf.
 */
export interface StatsTree {
  /** Puts every numeric leaf into `sink`. */
  walk(sink: LeafSink): void;
}

export type Sample =
  /** A number of `_cluster/health` (cluster-wide, or of one index with `index`). */
  | { kind: 'health'; index?: string; path: Path; value: number }
  | { kind: 'health_status'; index?: string; status: HealthStatus }
  | { kind: 'cluster_stats'; path: Path; value: number }
  /** One node's whole `_nodes/stats` entry: each numeric leaf a series, under its path as ES nests it. */
  | {
      kind: 'node';
      node: string;
      stats: StatsTree;
      /** The node's entry as ES sent it: Prometheus labels (host, roles, a data path's mount) come from it. */
      raw?: Readonly<Record<string, unknown>>;
    }
  /** Rates, latencies and percents computed here (`rates.indexing.index_per_s`). */
  | { kind: 'node_derived'; node: string; path: Path; value: number }
  /** One index (or `_all`, or a date-suffix rollup): its primaries and total, each leaf a series. */
  | { kind: 'index'; index: string; stats: StatsTree }
  /**
   * One index's `_status` (ES < 2.0, asked for the es2graphite-2013 scheme only), walked as
   * es2graphite walked it: its own figures and one subtree per shard copy, below the index's head.
   */
  | { kind: 'index_status'; index: string; stats: StatsTree }
  | { kind: 'pending_tasks'; path: Path; value: number }
  /**
   * One cell of a `_cat` row, asked for the es2graphite scheme only (es2graphite's 2015 per-node
   * figures): `row` is what the row is named by (a node; a host for thread pools), `section` where
   * es2graphite put the row's cells, `column` the column as ES names it (`disk.used`, `heapPercent`).
   */
  | { kind: 'cat'; row: string; section: CatSection; column: string; value: number }
  /** sum/avg/max/min of one node metric over a group (`all` or a role). */
  | { kind: 'aggregate'; group: string; path: Path; value: number }
  /**
   * The collector's own view of this cluster: up, duration, errors per API. With --local each
   * collector sees its own node only, and says so: `node` is that node's name.
   */
  | { kind: 'collector'; node?: string; path: Path; value: number };

export type CatSection = 'disk' | 'memory' | 'os' | 'thread_pool';

export const HEALTH_STATUSES: readonly HealthStatus[] = ['green', 'yellow', 'red'];

export function parseHealthStatus(raw: unknown): HealthStatus | undefined {
  const status = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  return HEALTH_STATUSES.find((known) => known === status);
}

/**
 * Appends without spreading: `push(...samples)` passes every element as an argument, and a 1,000-node
 * cluster's samples overflow the call stack.
 */
export function appendSamples(target: Sample[], source: readonly Sample[]): void {
  for (const sample of source) target.push(sample);
}
