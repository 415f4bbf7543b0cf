import { type Family, type FamilyType, familyNamed, labelText, metricName } from '@stoker/shared';

/**
 * Names for what elasticsearch_exporter does not have: `stoker_es_<area>_<path>`, where a key that
 * names a thing (a pool, a collector, a data path) becomes a label instead of a name segment, units
 * become base units (`_in_bytes` → `_bytes`, milliseconds → seconds), and cumulative counts become
 * counters with `_total`.
 */
export interface StokerMetric {
  family: Family;
  /** Labels taken from the path's naming keys: [label, key]. */
  labels: readonly (readonly [string, string])[];
  /** The same, rendered (`labelText`). */
  labelText: string;
  scale: number;
}

/** Paths whose key at `*` names a thing: that key becomes the label. */
const NAMING_KEYS: readonly (readonly [readonly string[], string])[] = [
  [['thread_pool', '*'], 'pool'],
  [['jvm', 'gc', 'collectors', '*'], 'gc'],
  [['jvm', 'mem', 'pools', '*'], 'pool'],
  [['jvm', 'buffer_pools', '*'], 'pool'],
  [['breakers', '*'], 'breaker'],
  [['fs', 'data', '*'], 'path'],
  [['fs', 'io_stats', 'devices', '*'], 'device'],
  [['script_cache', 'contexts', '*'], 'context'],
  [['transport', 'inbound_handling_time_histogram', '*'], 'bucket'],
  [['transport', 'outbound_handling_time_histogram', '*'], 'bucket'],
  [['ingest', 'pipelines', '*'], 'pipeline'],
  [['os', 'load_average', '*'], 'period'],
  [['os', 'cpu', 'load_average', '*'], 'period'],
  [['nodes', 'ingest', 'processor_stats', '*'], 'processor'],
];

/** Leaves that only grow (beside `*_total`, `total` and `*time_in_millis`). */
const COUNTER_LEAVES = new Set([
  'rejected',
  'completed',
  'evictions',
  'tripped',
  'collection_count',
  'hit_count',
  'miss_count',
  'rx_count',
  'tx_count',
  'rx_size_in_bytes',
  'tx_size_in_bytes',
  'total_opened',
  'read_operations',
  'write_operations',
  'operations',
  'read_kilobytes',
  'write_kilobytes',
  'io_time_in_millis',
  'total_count',
  'cache_count',
  'total_loaded_count',
  'total_unloaded_count',
]);

const UNITS: readonly (readonly [RegExp, string, number])[] = [
  [/_in_bytes$/, '_bytes', 1],
  [/_in_millis$|_millis$/, '_seconds', 1 / 1000],
  [/_in_nanos$|_nanos$/, '_seconds', 1e-9],
  [/_kilobytes$/, '_bytes', 1024],
  [/_ms$/, '_seconds', 1 / 1000],
];

/** A leaf below `area` (`node`, `index`, `cluster_stats`...): its family, naming-key labels and scale. */
export function stokerMetric(area: string, keys: readonly string[], help: string): StokerMetric {
  const labels: [string, string][] = [];
  const segments: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const label = namingKeyAt(keys, i);
    if (label) labels.push([label, keys[i]!]);
    else segments.push(keys[i]!);
  }
  const leaf = keys[keys.length - 1] ?? '';
  let name = segments.join('_');
  let scale = 1;
  for (const [pattern, unit, factor] of UNITS) {
    if (!pattern.test(name)) continue;
    name = name.replace(pattern, unit);
    scale = factor;
    break;
  }
  // 8.x transport histograms: one cumulative count of requests per bucket.
  const histogram = /_histogram(_|$)/.test(name);
  if (histogram) name = name.replace(/_histogram(_|$)/, '_requests$1');
  const type: FamilyType =
    histogram ||
    /(^|_)total$/.test(leaf) ||
    /time_in_millis$/.test(leaf) ||
    COUNTER_LEAVES.has(leaf) ||
    // ingest's `total.count` / `total.failed`: documents through the pipelines since start.
    (keys[keys.length - 2] === 'total' && (leaf === 'count' || leaf === 'failed'))
      ? 'counter'
      : 'gauge';
  if (type === 'counter' && !name.endsWith('_total')) name += '_total';
  // `_count` is a summary's suffix to Prometheus: a gauge says what it counts (`docs`, `threads`).
  else if (type === 'gauge') name = name.replace(/_count$|^count$/, '');
  return {
    family: familyNamed(metricName(name ? `stoker_es_${area}_${name}` : `stoker_es_${area}`), type, help),
    labels,
    labelText: labelText(labels),
    scale,
  };
}

/** The label of the key at `index` when a NAMING_KEYS pattern ends there. */
function namingKeyAt(keys: readonly string[], index: number): string | undefined {
  for (const [pattern, label] of NAMING_KEYS) {
    if (pattern.length !== index + 1 || label === '') continue;
    let matches = true;
    for (let i = 0; i < pattern.length - 1; i++) if (pattern[i] !== keys[i]) matches = false;
    if (matches) return label;
  }
  return undefined;
}
