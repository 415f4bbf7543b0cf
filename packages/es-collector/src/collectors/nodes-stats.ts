import { aggregateNodes } from '../aggregate.js';
import { deriveNodeMetrics } from '../derive.js';
import {
  type ArrayKeyer,
  byField,
  byPosition,
  type FlattenRules,
  forEachLeaf,
  isRecord,
  numberAt,
} from '../flatten.js';
import { isEs2graphite } from '../naming/scheme.js';
import { appendSamples, type Sample, type StatsTree } from '../samples.js';
import type { EsApi } from './api.js';
import { shapeMajor } from './root.js';

/**
 * `GET /_nodes/stats` (`/_nodes/_local/stats` with --local): every numeric leaf of every node as
 * `nodes.<node>.<path as ES nests it>` (`nodes.<node>.jvm.mem.heap_used_percent`), then what is
 * worked out from them: `nodes.<node>.rates|latency|derived.*` (derive.ts) and, unless --local,
 * `aggregates.<role>.*` (aggregate.ts). Sections differ by version (0.90's `network`, 1.x's
 * `os.load_average` array, 5.x `ingest`, 7.x `indexing_pressure`, 7.13's `http.clients`, 8.x
 * transport histograms...): only the fields that name a node and its roles are read by name.
 */
/** One entry of the answer's `nodes` (by node id); the answer itself has no other field read. */
interface NodeStats {
  timestamp?: number;
  name?: string;
  host?: string;
  /** 0.20-era recordings carry the host here. */
  hostname?: string;
  /** 5.x+: `master`, `data`, `ingest`, `data_hot`, `ml`... */
  roles?: unknown[];
  /** 1.x/2.x express roles as string attributes: `{"master": "false", "data": "true"}`. */
  attributes?: Record<string, unknown>;
  [section: string]: unknown;
}

export const nodesStats: EsApi = {
  name: 'nodes_stats',
  clusterWide: false,
  path(version, options) {
    const nodes = options.local ? '/_nodes/_local/stats' : '/_nodes/stats';
    // 0.90 returns only a few sections unless asked for all of them.
    return shapeMajor(version) < 1 ? `${nodes}?all=true` : nodes;
  },
  prime(body, context) {
    deriveNodeMetrics(parseNodesStats(body), context.tracker, context.atMs);
  },
  map(body, context) {
    const nodes = parseNodesStats(body);
    const samples: Sample[] = [];
    const rules = isEs2graphite(context.options.naming) ? ES2GRAPHITE_NODE_RULES : NODE_RULES;
    for (const node of nodes)
      samples.push({ kind: 'node', node: node.name, stats: leavesOf(node.stats, rules), raw: node.stats });
    context.nodeNames = new Map(nodes.map((node) => [node.id, node.name]));
    const derived = deriveNodeMetrics(nodes, context.tracker, context.atMs);
    appendSamples(samples, derived.samples);
    if (!context.options.local) appendSamples(samples, aggregateNodes(derived.figures));
    // Forget the counters of nodes gone since the last good sample: only here, after a good read,
    // since a failed one would otherwise cost every node its rates for a cycle.
    context.tracker.sweep();
    return { samples, collector: { nodes: nodes.length } };
  },
};

// 1.x reports the load average as a bare [1m, 5m, 15m] array.
const loadAverage: ArrayKeyer = (items) => {
  const names = ['1m', '5m', '15m'];
  return new Map(items.slice(0, 3).map((item, index) => [names[index]!, item]));
};

// 8.x transport histograms: [{lt_millis: 1, count}, {ge_millis: 1, lt_millis: 2, count}, ..., {ge_millis: N, count}].
const histogramBuckets: ArrayKeyer = (items) => {
  const keyed = new Map<string, unknown>();
  for (const item of items) {
    if (!isRecord(item) || typeof item.count !== 'number') continue;
    const key =
      typeof item.lt_millis === 'number'
        ? `lt_${item.lt_millis}ms`
        : typeof item.ge_millis === 'number'
          ? `ge_${item.ge_millis}ms`
          : undefined;
    if (key) keyed.set(key, item.count);
  }
  return keyed;
};

/**
 * Arrays kept, by their natural key. Everything else that is an array is skipped on purpose:
 * `http.clients` (one entry per open HTTP connection: unbounded), ingest processor lists
 * (positional, no stable key), `roles`. `adaptive_selection` is an object, but keyed by every other
 * node: N² series on an N-node cluster, so it is skipped too.
 */
const NODE_ARRAYS: Readonly<Record<string, ArrayKeyer>> = {
  'fs.data': byField('path'),
  'fs.io_stats.devices': byField('device_name'),
  'os.load_average': loadAverage,
  'script_cache.contexts': byField('context'),
  'transport.inbound_handling_time_histogram': histogramBuckets,
  'transport.outbound_handling_time_histogram': histogramBuckets,
};

const NODE_RULES: FlattenRules = {
  // Sampling timestamps are not series; identity fields are strings or lists anyway.
  skipKeys: new Set(['timestamp']),
  skipPaths: new Set([
    'name',
    'host',
    'hostname',
    'ip',
    'transport_address',
    'roles',
    'attributes',
    'http.clients',
    'adaptive_selection',
  ]),
  arrays: NODE_ARRAYS,
  // ES and OpenSearch report -1 when the OS does not tell (cpu percent, load average on some kernels).
  isUnknown: (path, value) =>
    value < 0 && path.some((key) => key === 'percent' || key === 'cpu_percent' || key === 'load_average'),
  // cgroup memory figures come as strings because they may read "max".
  numericString: (path) => path[0] === 'os' && path[1] === 'cgroup',
};

/**
 * A node as es2graphite's `process_section` walked it (commit ac8bbf9): every number and boolean
 * (as 0/1) at any depth, whatever its key, except keys named `timestamp`; strings dropped; `fs.data`
 * keyed by each entry's `mount`; a 1.x `os.load_average` list as `1min_avg`, `5min_avg`,
 * `15min_avg`; every other list by position (`transport.inbound_handling_time_histogram.0.count`,
 * `script_cache.contexts.0.compilations`, `http.clients.0.request_size_bytes`). Nothing else is
 * skipped: -1 ("unknown") is sent as es2graphite sent it.
 */
const ES2GRAPHITE_NODE_RULES: FlattenRules = {
  skipKeys: new Set(['timestamp']),
  arrays: {
    'fs.data': byField('mount'),
    'os.load_average': (items) => {
      const names = ['1min_avg', '5min_avg', '15min_avg'];
      return new Map(items.slice(0, 3).map((item, index) => [names[index]!, item]));
    },
  },
  otherArrays: byPosition,
};

/** One node of a `_nodes/stats` answer, under the name it is reported with. */
export interface NodeEntry {
  id: string;
  /** Unique within the cluster (see `displayNames`). */
  name: string;
  roles: string[];
  /** The node's own sampling time, when reported: rates are computed against it. */
  timestampMs?: number;
  stats: NodeStats;
}

export function parseNodesStats(body: unknown): NodeEntry[] {
  if (!isRecord(body) || !isRecord(body.nodes)) throw new Error('_nodes/stats: expected {"nodes": {...}}');
  const raw = Object.entries(body.nodes).filter((entry): entry is [string, NodeStats] => isRecord(entry[1]));
  const names = displayNames(raw);
  return raw.map(([id, stats]) => {
    const timestampMs = numberAt(stats, 'timestamp');
    return {
      id,
      name: names.get(id)!,
      roles: nodeRoles(stats),
      ...(timestampMs !== undefined ? { timestampMs } : {}),
      stats,
    };
  });
}

/**
 * Names nodes by their ES name. Several ES nodes share a host here (told apart by port), and a
 * re-created container may reuse a name: identical names get a short node id appended, so two
 * nodes never write into one series. Names that only become alike once sanitised (`data.1`,
 * `data_1`) are told apart later, when the runtime names the cycle (`DistinctNames`).
 */
function displayNames(nodes: readonly (readonly [string, NodeStats])[]): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const [id, stats] of nodes) {
    const name =
      [stats.name, stats.host, stats.hostname].find((v): v is string => typeof v === 'string' && v !== '') ??
      id;
    byName.set(name, [...(byName.get(name) ?? []), id]);
  }
  const names = new Map<string, string>();
  for (const [name, ids] of byName) {
    if (ids.length === 1) {
      names.set(ids[0]!, name);
      continue;
    }
    // The shortest id prefix (at least 7 characters) that tells these nodes apart.
    let length = 7;
    while (
      new Set(ids.map((id) => id.slice(0, length))).size < ids.length &&
      ids.some((id) => id.length > length)
    )
      length++;
    for (const id of ids) names.set(id, `${name}_${id.slice(0, length)}`);
  }
  return names;
}

/** 5.x+ list roles; 1.x/2.x default to master+data unless attributes say otherwise. */
function nodeRoles(stats: NodeStats): string[] {
  if (Array.isArray(stats.roles))
    return stats.roles.filter((role): role is string => typeof role === 'string');
  const attributes = isRecord(stats.attributes) ? stats.attributes : {};
  if (attributes.client === 'true') return ['client'];
  const roles: string[] = [];
  if (attributes.master !== 'false') roles.push('master');
  if (attributes.data !== 'false') roles.push('data');
  return roles;
}

/** A node's leaves, walked one by one into the naming scheme's group (no object per leaf). */
function leavesOf(stats: NodeStats, rules: FlattenRules): StatsTree {
  return {
    walk: (sink) => forEachLeaf(stats, rules, sink.root, sink.add.bind(sink), sink.skips?.bind(sink)),
  };
}
