import { appendSamples, type Sample } from '../samples.js';
import type { ApiName, EsApi, MapContext } from './api.js';
import { catAllocation } from './cat-allocation.js';
import { catNodes } from './cat-nodes.js';
import { catThreadPool } from './cat-thread-pool.js';
import { clusterHealth } from './cluster-health.js';
import { clusterStats } from './cluster-stats.js';
import { indicesStats } from './indices-stats.js';
import { indicesStatus } from './indices-status.js';
import { nodesStats } from './nodes-stats.js';
import { pendingTasks } from './pending-tasks.js';

export { API_NAMES, type ApiName, type ApiOptions, type EsApi, type MapContext } from './api.js';

/**
 * Every API a cycle reads, in the order their bodies are mapped: indices_stats before
 * cluster_health and indices_status, which follow the index stats' selection (`reportedAs`), and
 * nodes_stats before indices_status, which names shard copies by their node (`nodeNames`).
 */
export const APIS: readonly EsApi[] = [
  nodesStats,
  indicesStats,
  clusterHealth,
  indicesStatus,
  clusterStats,
  pendingTasks,
  catAllocation,
  catNodes,
  catThreadPool,
];

export interface MapResult {
  samples: Sample[];
  /** APIs whose body could not be mapped, with the reason. */
  errors: Map<ApiName, string>;
  /** Figures about the answers, for `collector.<name>`. */
  collector: Map<string, number>;
}

/**
 * Bodies as read (by API) → samples. Pure, so golden and conformance tests feed recorded bodies
 * straight in. Each API is mapped on its own: one that throws costs its own samples only.
 */
export function mapBodies(bodies: ReadonlyMap<ApiName, unknown>, context: MapContext): MapResult {
  const result: MapResult = { samples: [], errors: new Map(), collector: new Map() };
  for (const api of APIS) {
    if (!bodies.has(api.name)) continue;
    try {
      const mapped = api.map(bodies.get(api.name), context);
      appendSamples(result.samples, mapped.samples);
      for (const [name, value] of Object.entries(mapped.collector ?? {})) result.collector.set(name, value);
    } catch (error) {
      result.errors.set(api.name, error instanceof Error ? error.message : String(error));
    }
  }
  return result;
}
