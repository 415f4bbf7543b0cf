import { type FlattenRules, isRecord, numericLeaves } from '../flatten.js';
import { parseHealthStatus, type Sample } from '../samples.js';
import { type EsVersion, shapeMajor } from './root.js';

/** `GET /_cluster/health[?level=indices]`; numbers are kept whatever new ones a version adds. */
export interface ClusterHealthResponse {
  cluster_name?: string;
  status?: string;
  timed_out?: boolean;
  number_of_nodes?: number;
  number_of_data_nodes?: number;
  active_primary_shards?: number;
  active_shards?: number;
  relocating_shards?: number;
  initializing_shards?: number;
  unassigned_shards?: number;
  delayed_unassigned_shards?: number;
  number_of_pending_tasks?: number;
  number_of_in_flight_fetch?: number;
  task_max_waiting_in_queue_millis?: number;
  active_shards_percent_as_number?: number;
  /** Only with `level=indices`. */
  indices?: Record<string, ClusterHealthIndex>;
}

export interface ClusterHealthIndex {
  status?: string;
  number_of_shards?: number;
  number_of_replicas?: number;
  active_primary_shards?: number;
  active_shards?: number;
  relocating_shards?: number;
  initializing_shards?: number;
  unassigned_shards?: number;
  /** With `level=shards`; never requested. */
  shards?: unknown;
}

export function clusterHealthPath(_version: EsVersion, options: { levelIndices: boolean }): string {
  return options.levelIndices ? '/_cluster/health?level=indices' : '/_cluster/health';
}

const RULES: FlattenRules = { skipKeys: new Set(['indices', 'status', 'cluster_name', 'shards']) };

/** Cluster-wide health; per-index health (level=indices) is mapped by `mapIndexHealth`. */
export function mapClusterHealth(body: unknown, _version?: EsVersion): Sample[] {
  if (!isRecord(body)) throw new Error('_cluster/health: expected a JSON object');
  const samples: Sample[] = [];
  const status = parseHealthStatus(body.status);
  if (status) samples.push({ kind: 'health_status', status });
  for (const leaf of numericLeaves(body, RULES))
    samples.push({ kind: 'health', path: leaf.path, value: leaf.value });
  return samples;
}

/** Per-index health entries, by index name (before any rollup or filtering). */
export function indexHealthEntries(body: unknown): Map<string, ClusterHealthIndex> {
  const entries = new Map<string, ClusterHealthIndex>();
  const indices = isRecord(body) ? body.indices : undefined;
  if (!isRecord(indices)) return entries;
  for (const [name, entry] of Object.entries(indices))
    if (isRecord(entry)) entries.set(name, entry as ClusterHealthIndex);
  return entries;
}

export function mapIndexHealth(index: string, entry: ClusterHealthIndex): Sample[] {
  const samples: Sample[] = [];
  const status = parseHealthStatus(entry.status);
  if (status) samples.push({ kind: 'health_status', index, status });
  for (const leaf of numericLeaves(entry, RULES))
    samples.push({ kind: 'health', index, path: leaf.path, value: leaf.value });
  return samples;
}

/** `_cluster/health` exists in every version we support; kept as a function for symmetry. */
export function supportsClusterHealth(version: EsVersion): boolean {
  return shapeMajor(version) >= 0;
}
