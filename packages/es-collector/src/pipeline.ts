import type { CounterTracker } from '@stoker/shared';
import { aggregateNodes } from './aggregate.js';
import {
  type ClusterHealthIndex,
  indexHealthEntries,
  mapClusterHealth,
  mapIndexHealth,
} from './collectors/cluster-health.js';
import { mapClusterStats } from './collectors/cluster-stats.js';
import { mapIndexStats, type ParsedIndicesStats } from './collectors/indices-stats.js';
import { mapNodeStats, type NodeEntry, parseNodesStats } from './collectors/nodes-stats.js';
import { mapPendingTasks } from './collectors/pending-tasks.js';
import { deriveNodeMetrics } from './derive.js';
import {
  type IndexSelectionOptions,
  indexFilter,
  mergeStats,
  rollupName,
  selectIndices,
} from './index-selection.js';
import { appendSamples, type HealthStatus, type Path, parseHealthStatus, type Sample } from './samples.js';

/**
 * The pure middle of a cycle: parsed response bodies in, samples out. No I/O, so golden tests and
 * the conformance suite feed recorded bodies straight in. Each API is mapped on its own: a body
 * of an unexpected shape fails that API only.
 */
export const API_NAMES = [
  'cluster_health',
  'cluster_stats',
  'nodes_stats',
  'indices_stats',
  'pending_tasks',
] as const;
export type ApiName = (typeof API_NAMES)[number];

/** APIs that describe the whole cluster: with --local only the elected master's collector sends them. */
export const CLUSTER_WIDE_APIS: ReadonlySet<ApiName> = new Set([
  'cluster_health',
  'cluster_stats',
  'indices_stats',
  'pending_tasks',
]);

export interface MapOptions {
  indices: IndexSelectionOptions;
  /** Emit per-index health (needs `_cluster/health?level=indices`). */
  healthLevelIndices: boolean;
  /**
   * Sum/avg/max/min over the nodes of the answer (default true). Off with --local: a collector that
   * reads one node has no group to aggregate, and every node's collector would write the same series.
   */
  aggregates?: boolean;
}

export interface MapState {
  tracker: CounterTracker;
  /** Used for rates when a node does not report its own sampling time. */
  atMs: number;
}

export interface MapResult {
  samples: Sample[];
  /** APIs whose body could not be mapped, with the reason. */
  errors: Map<ApiName, string>;
  nodes?: NodeEntry[];
  indicesDropped?: number;
}

/**
 * Parsed bodies by API; index stats come already read into their compact form
 * (`IndicesStatsReader`, which reads them as they arrive).
 */
export type Responses = Partial<Record<Exclude<ApiName, 'indices_stats'>, unknown>> & {
  indices_stats?: ParsedIndicesStats;
};

export function mapResponses(responses: Responses, options: MapOptions, state: MapState): MapResult {
  const result: MapResult = { samples: [], errors: new Map() };
  const attempt = <A extends ApiName>(api: A, map: (body: Responses[A]) => void): void => {
    if (!(api in responses)) return;
    try {
      map(responses[api]);
    } catch (error) {
      result.errors.set(api, error instanceof Error ? error.message : String(error));
    }
  };
  let reportedAs: Map<string, string> | undefined;

  attempt('nodes_stats', (body) => {
    const nodes = parseNodesStats(body);
    result.nodes = nodes;
    for (const node of nodes) result.samples.push(mapNodeStats(node));
    const derived = deriveNodeMetrics(nodes, state.tracker, state.atMs);
    appendSamples(result.samples, derived.samples);
    if (options.aggregates !== false) appendSamples(result.samples, aggregateNodes(derived.figures));
  });
  attempt('indices_stats', (parsed) => {
    if (!parsed?.all) throw new Error('_stats: expected {"_all": {...}}');
    result.samples.push(mapIndexStats('_all', parsed.all));
    const selection = selectIndices(parsed.indices, options.indices);
    for (const [name, stats] of selection.kept) result.samples.push(mapIndexStats(name, stats));
    result.indicesDropped = selection.dropped;
    reportedAs = selection.reportedAs;
  });
  attempt('cluster_health', (body) => {
    appendSamples(result.samples, mapClusterHealth(body));
    if (options.healthLevelIndices)
      appendSamples(result.samples, mapHealthIndices(indexHealthEntries(body), options.indices, reportedAs));
  });
  attempt('cluster_stats', (body) => appendSamples(result.samples, mapClusterStats(body)));
  attempt('pending_tasks', (body) => appendSamples(result.samples, mapPendingTasks(body)));
  return result;
}

const SEVERITY: Readonly<Record<HealthStatus, number>> = { green: 0, yellow: 1, red: 2 };

/**
 * Per-index health under the same names the index stats use: filtered and rolled up alike (a
 * rollup is as bad as its worst member, its shard counts are summed) and limited to the indices
 * the stats kept, so both stay within the same cardinality bound.
 */
export function mapHealthIndices(
  entries: ReadonlyMap<string, ClusterHealthIndex>,
  options: IndexSelectionOptions,
  reportedAs?: ReadonlyMap<string, string>,
): Sample[] {
  const accept = indexFilter(options);
  const grouped = new Map<string, ClusterHealthIndex>();
  for (const [name, entry] of entries) {
    const target = reportedAs
      ? reportedAs.get(name)
      : accept(name)
        ? options.rollup
          ? rollupName(name)
          : name
        : undefined;
    if (target === undefined) continue;
    const before = grouped.get(target);
    if (!before) {
      grouped.set(target, entry);
      continue;
    }
    const merged = mergeStats(
      { ...before, status: undefined },
      { ...entry, status: undefined },
    ) as ClusterHealthIndex;
    const worst = [parseHealthStatus(before.status), parseHealthStatus(entry.status)].reduce<
      HealthStatus | undefined
    >((a, b) => (a === undefined ? b : b === undefined ? a : SEVERITY[b] > SEVERITY[a] ? b : a), undefined);
    grouped.set(target, { ...merged, ...(worst ? { status: worst } : {}) });
  }
  const names = [...grouped.keys()].sort().slice(0, reportedAs ? undefined : Math.max(0, options.top));
  return names.flatMap((name) => mapIndexHealth(name, grouped.get(name)!));
}

export interface CollectorFigures {
  up: boolean;
  durationMs: number;
  versionMajor?: number;
  /** Every API attempted this cycle, with whether it failed. */
  apiErrors: ReadonlyMap<ApiName | 'root' | 'master_node', boolean>;
  apiDurationsMs?: ReadonlyMap<string, number>;
  indicesDropped?: number;
  nodes?: number;
  /** --local only: whether this node is the elected master. */
  isMaster?: boolean;
  /** --local only: the node this collector reads, under whose name its series go. */
  node?: string;
}

export function collectorSamples(figures: CollectorFigures): Sample[] {
  const samples: Sample[] = [];
  const node = figures.node !== undefined ? { node: figures.node } : {};
  const put = (path: Path, value: number) => samples.push({ kind: 'collector', ...node, path, value });
  put(['up'], figures.up ? 1 : 0);
  put(['duration_ms'], Math.round(figures.durationMs));
  let total = 0;
  for (const [api, failed] of figures.apiErrors) {
    put(['errors', api], failed ? 1 : 0);
    if (failed) total++;
  }
  put(['errors_total'], total);
  for (const [api, ms] of figures.apiDurationsMs ?? []) put(['api_duration_ms', api], Math.round(ms));
  if (figures.versionMajor !== undefined) put(['version_major'], figures.versionMajor);
  if (figures.indicesDropped !== undefined) put(['indices_dropped'], figures.indicesDropped);
  if (figures.nodes !== undefined) put(['nodes'], figures.nodes);
  if (figures.isMaster !== undefined) put(['is_master'], figures.isMaster ? 1 : 0);
  return samples;
}
