import { type FlattenRules, isRecord, numericLeaves } from '../flatten.js';
import { groupIndices, mergeStats, reportedName } from '../index-selection.js';
import { type HealthStatus, parseHealthStatus, type Sample } from '../samples.js';
import type { EsApi, MapContext } from './api.js';

/**
 * `GET /_cluster/health` (`?level=indices` with --health-level-indices), in every version: status,
 * node and shard counts as `cluster.health.*`; with level=indices the same per index, as
 * `indices.<index>.health.*`. Every number of the answer is kept, whatever new ones a version adds.
 */
interface ClusterHealthResponse {
  status?: unknown;
  /** Only with `level=indices`. */
  indices?: Record<string, ClusterHealthIndex>;
}

/** `status` and shard counts (`number_of_shards`, `unassigned_shards`...) of one index. */
interface ClusterHealthIndex {
  status?: unknown;
  [count: string]: unknown;
}

const RULES: FlattenRules = { skipKeys: new Set(['indices', 'status', 'cluster_name', 'shards']) };

export const clusterHealth: EsApi = {
  name: 'cluster_health',
  clusterWide: true,
  path: (_version, options) =>
    options.healthLevelIndices ? '/_cluster/health?level=indices' : '/_cluster/health',
  map(body, context) {
    if (!isRecord(body)) throw new Error('_cluster/health: expected a JSON object');
    const health = body as ClusterHealthResponse;
    const samples = healthSamples(health, undefined);
    if (context.options.healthLevelIndices && isRecord(health.indices))
      for (const [index, entry] of indexHealth(health.indices, context))
        for (const sample of healthSamples(entry, index)) samples.push(sample);
    return { samples };
  },
};

/** The status and the numbers of the cluster (`index` undefined) or of one index. */
function healthSamples(
  health: ClusterHealthResponse | ClusterHealthIndex,
  index: string | undefined,
): Sample[] {
  const where = index === undefined ? {} : { index };
  const samples: Sample[] = [];
  const status = parseHealthStatus(health.status);
  if (status) samples.push({ kind: 'health_status', ...where, status });
  for (const leaf of numericLeaves(health, RULES))
    samples.push({ kind: 'health', ...where, path: leaf.path, value: leaf.value });
  return samples;
}

const SEVERITY: Readonly<Record<HealthStatus, number>> = { green: 0, yellow: 1, red: 2 };

function worse(a: HealthStatus | undefined, b: HealthStatus | undefined): HealthStatus | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

/** A rollup is as bad as its worst member; its shard counts are summed. */
function mergeHealth(a: ClusterHealthIndex, b: ClusterHealthIndex): ClusterHealthIndex {
  const merged = mergeStats({ ...a, status: undefined }, { ...b, status: undefined }) as ClusterHealthIndex;
  const worst = worse(parseHealthStatus(a.status), parseHealthStatus(b.status));
  return { ...merged, ...(worst ? { status: worst } : {}) };
}

/**
 * Per-index health under the names the index stats use: filtered and rolled up alike and limited
 * to the indices the stats kept (`reportedAs`), so both stay within the same cardinality bound.
 * Without index stats this cycle: the same globs and rollup, the first `top` names.
 */
function indexHealth(
  indices: Record<string, unknown>,
  { options, reportedAs }: MapContext,
): [string, ClusterHealthIndex][] {
  const entries = Object.entries(indices).filter((entry): entry is [string, ClusterHealthIndex] =>
    isRecord(entry[1]),
  );
  // Unbounded (no rollup, no cap: the es2graphite schemes' defaults), every index the globs let
  // through is sent, as es2graphite did, even one index stats do not list (a closed index).
  const unbounded = !options.indices.rollup && options.indices.top === Number.POSITIVE_INFINITY;
  const reportAs =
    reportedAs && !unbounded ? (name: string) => reportedAs.get(name) : reportedName(options.indices);
  const grouped = groupIndices(entries, reportAs, mergeHealth).grouped;
  const names = [...grouped.keys()]
    .sort()
    .slice(0, reportedAs ? undefined : Math.max(0, options.indices.top));
  return names.map((name) => [name, grouped.get(name)!]);
}
