import { type FlattenRules, isRecord, numericLeaves } from '../flatten.js';
import type { Sample } from '../samples.js';
import { type EsVersion, shapeMajor } from './root.js';

/**
 * `GET /_cluster/stats`: cluster-wide totals (indices, docs, store, segments, node counts by role,
 * JVM and OS totals). Only the parts read by name are typed; every numeric leaf is emitted.
 */
export interface ClusterStatsResponse {
  cluster_name?: string;
  cluster_uuid?: string;
  timestamp?: number;
  status?: string;
  indices?: {
    count?: number;
    docs?: { count?: number; deleted?: number };
    store?: { size_in_bytes?: number };
    shards?: { total?: number; primaries?: number };
  };
  nodes?: {
    count?: Record<string, number>;
    /** Lists of versions, plugins, OS names: descriptions, not series; skipped. */
    versions?: unknown[];
  };
}

export const CLUSTER_STATS_PATH = '/_cluster/stats';

export function supportsClusterStats(version: EsVersion): boolean {
  return shapeMajor(version) >= 1;
}

// Every array in cluster stats describes the cluster (plugin lists, JVM versions, analyzer names,
// mapping field types); none is a bounded set of series worth keeping, so all are skipped.
const RULES: FlattenRules = { skipKeys: new Set(['timestamp']) };

export function mapClusterStats(body: unknown): Sample[] {
  if (!isRecord(body)) throw new Error('_cluster/stats: expected a JSON object');
  const samples: Sample[] = [];
  for (const leaf of numericLeaves(body, RULES))
    samples.push({ kind: 'cluster_stats', path: leaf.path, value: leaf.value });
  return samples;
}
