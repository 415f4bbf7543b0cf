import { type FlattenRules, isRecord, numericLeaves } from '../flatten.js';
import type { Sample } from '../samples.js';
import type { EsApi } from './api.js';
import { shapeMajor } from './root.js';

/**
 * `GET /_cluster/stats` (ES ≥ 1.0): cluster-wide totals (indices, docs, store, segments, node counts
 * by role, JVM and OS totals), every numeric leaf a series under `cluster.stats.*` as ES nests it.
 * Nothing is read by name, so the answer has no type beyond "an object".
 */

// Every array in cluster stats describes the cluster (plugin lists, JVM versions, analyzer names,
// mapping field types); none is a bounded set of series worth keeping, so all are skipped.
const RULES: FlattenRules = { skipKeys: new Set(['timestamp']) };

export const clusterStats: EsApi = {
  name: 'cluster_stats',
  clusterWide: true,
  path: (version) => (shapeMajor(version) >= 1 ? '/_cluster/stats' : undefined),
  map(body) {
    if (!isRecord(body)) throw new Error('_cluster/stats: expected a JSON object');
    const samples: Sample[] = [];
    for (const leaf of numericLeaves(body, RULES))
      samples.push({ kind: 'cluster_stats', path: leaf.path, value: leaf.value });
    return { samples };
  },
};
