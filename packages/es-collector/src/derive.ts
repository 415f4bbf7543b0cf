import type { CounterTracker } from '@stoker/shared';
import { at, isRecord, numberAt } from './flatten.js';
import type { Sample } from './samples.js';

/**
 * Metrics Graphite users otherwise assemble with derivative() and divideSeries(): per-second rates
 * of the main counters, average latency per operation (Δtime / Δcount) and used percents. Counters
 * are tracked per node id (not name) so a renamed node keeps its history and a node restart
 * (counters going back) yields no point instead of a negative rate.
 */

/** A counter pair of one operation: how many, and the milliseconds they took in total. */
interface Operation {
  /** Segments under `rates.` / `latency.`. */
  name: readonly [string, string];
  count: readonly string[];
  timeMs?: readonly string[];
}

const OPERATIONS: readonly Operation[] = [
  {
    name: ['indexing', 'index'],
    count: ['indices', 'indexing', 'index_total'],
    timeMs: ['indices', 'indexing', 'index_time_in_millis'],
  },
  {
    name: ['indexing', 'delete'],
    count: ['indices', 'indexing', 'delete_total'],
    timeMs: ['indices', 'indexing', 'delete_time_in_millis'],
  },
  {
    name: ['search', 'query'],
    count: ['indices', 'search', 'query_total'],
    timeMs: ['indices', 'search', 'query_time_in_millis'],
  },
  {
    name: ['search', 'fetch'],
    count: ['indices', 'search', 'fetch_total'],
    timeMs: ['indices', 'search', 'fetch_time_in_millis'],
  },
  {
    name: ['search', 'scroll'],
    count: ['indices', 'search', 'scroll_total'],
    timeMs: ['indices', 'search', 'scroll_time_in_millis'],
  },
  { name: ['get', 'get'], count: ['indices', 'get', 'total'], timeMs: ['indices', 'get', 'time_in_millis'] },
  {
    name: ['merges', 'merge'],
    count: ['indices', 'merges', 'total'],
    timeMs: ['indices', 'merges', 'total_time_in_millis'],
  },
  {
    name: ['refresh', 'refresh'],
    count: ['indices', 'refresh', 'total'],
    timeMs: ['indices', 'refresh', 'total_time_in_millis'],
  },
  {
    name: ['flush', 'flush'],
    count: ['indices', 'flush', 'total'],
    timeMs: ['indices', 'flush', 'total_time_in_millis'],
  },
];

/** Byte counters turned into bytes per second. */
const BYTE_COUNTERS: readonly { name: readonly string[]; path: readonly string[] }[] = [
  { name: ['transport', 'rx_bytes_per_s'], path: ['transport', 'rx_size_in_bytes'] },
  { name: ['transport', 'tx_bytes_per_s'], path: ['transport', 'tx_size_in_bytes'] },
  { name: ['http', 'opened_per_s'], path: ['http', 'total_opened'] },
];

/** One node's stats as read (collectors/nodes-stats.ts). */
export interface NodeSample {
  /** Counters are tracked by id: a renamed node keeps its history. */
  id: string;
  name: string;
  roles: readonly string[];
  /** The node's own sampling time, when reported: rates are computed against it. */
  timestampMs?: number;
  stats: unknown;
}

/** Per-node numbers the aggregates summarise (see aggregate.ts). */
export interface NodeFigures {
  name: string;
  roles: readonly string[];
  metrics: Record<string, number | undefined>;
}

export interface Derived {
  samples: Sample[];
  figures: NodeFigures[];
}

export function deriveNodeMetrics(
  nodes: readonly NodeSample[],
  tracker: CounterTracker,
  fallbackAtMs: number,
): Derived {
  const samples: Sample[] = [];
  const figures: NodeFigures[] = [];
  for (const node of nodes) {
    const atMs = node.timestampMs ?? fallbackAtMs;
    const stats = node.stats;
    const emit = (path: string[], value: number | undefined): void => {
      if (value !== undefined && Number.isFinite(value))
        samples.push({ kind: 'node_derived', node: node.name, path, value });
    };
    const key = (...parts: readonly string[]): string => `${node.id}\u0000${parts.join('.')}`;
    const metrics: Record<string, number | undefined> = {};

    for (const op of OPERATIONS) {
      const count = numberAt(stats, ...op.count);
      if (count === undefined) continue;
      const rate = tracker.rate(key(...op.count), count, atMs);
      emit(['rates', op.name[0], `${op.name[1]}_per_s`], rate);
      metrics[`${op.name[0]}_${op.name[1]}_per_s`] = rate;
      const timeMs = op.timeMs ? numberAt(stats, ...op.timeMs) : undefined;
      if (timeMs !== undefined)
        emit(
          ['latency', op.name[0], `${op.name[1]}_ms`],
          tracker.ratio(key('latency', ...op.count), timeMs, count, atMs),
        );
    }
    for (const counter of BYTE_COUNTERS) {
      const value = numberAt(stats, ...counter.path);
      if (value !== undefined)
        emit(['rates', ...counter.name], tracker.rate(key(...counter.path), value, atMs));
    }

    let gcTimeMsPerS: number | undefined;
    const collectors = at(stats, 'jvm', 'gc', 'collectors');
    if (isRecord(collectors)) {
      for (const [collector, gc] of Object.entries(collectors)) {
        const count = numberAt(gc, 'collection_count');
        const timeMs = numberAt(gc, 'collection_time_in_millis');
        if (count !== undefined)
          emit(
            ['rates', 'gc', collector, 'collections_per_s'],
            tracker.rate(key('gc', collector, 'count'), count, atMs),
          );
        if (timeMs !== undefined) {
          const msPerS = tracker.rate(key('gc', collector, 'time'), timeMs, atMs);
          emit(['rates', 'gc', collector, 'time_ms_per_s'], msPerS);
          if (msPerS !== undefined) gcTimeMsPerS = (gcTimeMsPerS ?? 0) + msPerS;
        }
        if (count !== undefined && timeMs !== undefined) {
          emit(
            ['latency', 'gc', collector, 'collection_ms'],
            tracker.ratio(key('gc', collector, 'latency'), timeMs, count, atMs),
          );
        }
      }
    }
    metrics.gc_time_ms_per_s = gcTimeMsPerS;

    let rejectedPerS: number | undefined;
    let queueMax: number | undefined;
    const pools = at(stats, 'thread_pool');
    if (isRecord(pools)) {
      for (const [pool, figures] of Object.entries(pools)) {
        const rejected = numberAt(figures, 'rejected');
        const queue = numberAt(figures, 'queue');
        if (queue !== undefined) queueMax = Math.max(queueMax ?? 0, queue);
        if (rejected === undefined) continue;
        const rate = tracker.rate(key('thread_pool', pool, 'rejected'), rejected, atMs);
        emit(['rates', 'thread_pool', pool, 'rejected_per_s'], rate);
        if (rate !== undefined) rejectedPerS = (rejectedPerS ?? 0) + rate;
      }
    }
    metrics.thread_pool_rejected_per_s = rejectedPerS;
    metrics.thread_pool_queue_max = queueMax;
    metrics.search_queue = numberAt(stats, 'thread_pool', 'search', 'queue');
    // The write pool was `bulk` before 6.x and `index` for single-document writes before 7.x.
    metrics.write_queue =
      numberAt(stats, 'thread_pool', 'write', 'queue') ?? numberAt(stats, 'thread_pool', 'bulk', 'queue');

    const heapUsed = numberAt(stats, 'jvm', 'mem', 'heap_used_in_bytes');
    const heapMax = numberAt(stats, 'jvm', 'mem', 'heap_max_in_bytes');
    const heapPercent =
      heapUsed !== undefined && heapMax
        ? (heapUsed / heapMax) * 100
        : numberAt(stats, 'jvm', 'mem', 'heap_used_percent');
    emit(['derived', 'heap_used_percent'], heapPercent);
    metrics.heap_used_percent = heapPercent;
    // Both parts or neither, so a group's sums of them cover the same nodes (its ratio of sums).
    if (heapUsed !== undefined && heapMax)
      Object.assign(metrics, { heap_used_bytes: heapUsed, heap_max_bytes: heapMax });

    const diskTotal = numberAt(stats, 'fs', 'total', 'total_in_bytes');
    // available (what ES itself may still write) rather than free (includes root-reserved blocks).
    const diskAvailable =
      numberAt(stats, 'fs', 'total', 'available_in_bytes') ?? numberAt(stats, 'fs', 'total', 'free_in_bytes');
    const diskPercent =
      diskTotal && diskAvailable !== undefined ? ((diskTotal - diskAvailable) / diskTotal) * 100 : undefined;
    emit(['derived', 'disk_used_percent'], diskPercent);
    metrics.disk_used_percent = diskPercent;
    if (diskPercent !== undefined)
      Object.assign(metrics, { disk_used_bytes: diskTotal! - diskAvailable!, disk_total_bytes: diskTotal });
    metrics.disk_available_bytes = diskAvailable;

    const cpu = numberAt(stats, 'process', 'cpu', 'percent');
    metrics.process_cpu_percent = cpu !== undefined && cpu >= 0 ? cpu : undefined;
    metrics.docs_count = numberAt(stats, 'indices', 'docs', 'count');
    metrics.store_size_bytes = numberAt(stats, 'indices', 'store', 'size_in_bytes');
    metrics.open_file_descriptors = numberAt(stats, 'process', 'open_file_descriptors');

    figures.push({ name: node.name, roles: node.roles, metrics });
  }
  return { samples, figures };
}
