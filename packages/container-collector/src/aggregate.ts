import { summarize } from '@stoker/shared';
import type { RawCgroupStats } from './cgroup/raw.js';
import type { ContainerIdentity } from './docker/identity.js';
import { getOrCreate } from './map-util.js';
import { type Metric, metricPath } from './metrics.js';

/** One container after a cycle's read. */
export interface MeasuredContainer {
  identity: ContainerIdentity;
  raw: RawCgroupStats;
  metrics: Metric[];
}

export interface GroupAggregate {
  instances: number;
  metrics: Metric[];
}

/**
 * A metric path as one string. Paths are mostly the same few arrays every cycle (constants of
 * metrics.ts, or one per device and interface), so each is joined once.
 */
function key(path: readonly string[]): string {
  let joined = keys.get(path);
  if (joined === undefined) {
    joined = path.join('\u0000');
    keys.set(path, joined);
  }
  return joined;
}
const keys = new WeakMap<readonly string[], string>();

const CPU_CORES = metricPath('cpu.cores');
const CPU_LIMIT_CORES = metricPath('cpu.limit_cores');
const CPU_PERCENT_OF_LIMIT = metricPath('cpu.percent_of_limit');
const MEMORY_WORKING_SET = metricPath('memory.working_set_bytes');
const MEMORY_LIMIT = metricPath('memory.limit_bytes');
const MEMORY_PERCENT_OF_LIMIT = metricPath('memory.percent_of_limit');

/**
 * Combines the members' metrics: sums for additive ones (cores, bytes, rates), the maximum for ratios
 * where the worst member is the signal (throttling, pressure). Percent of limit is recomputed from the
 * sums (group cores / group limit), since averaging percentages would weigh a 0.1-core sidecar like a
 * 16-core data node.
 */
export function aggregate(members: readonly MeasuredContainer[]): GroupAggregate {
  const byPath = new Map<string, { path: readonly string[]; combine: 'sum' | 'max'; values: number[] }>();
  for (const member of members) {
    for (const metric of member.metrics) {
      if (!metric.combine) continue;
      const id = key(metric.path);
      const combine = metric.combine;
      getOrCreate(byPath, id, () => ({ path: metric.path, combine, values: [] as number[] })).values.push(
        metric.value,
      );
    }
  }
  const metrics: Metric[] = [];
  const sums = new Map<string, number>();
  for (const [id, entry] of byPath) {
    const summary = summarize(entry.values);
    if (!summary) continue;
    const value = entry.combine === 'sum' ? summary.sum : summary.max;
    sums.set(id, value);
    metrics.push({ path: entry.path, value, combine: entry.combine });
  }
  const ratio = (top: readonly string[], bottom: readonly string[]) => {
    const numerator = sums.get(key(top));
    const denominator = sums.get(key(bottom));
    return numerator !== undefined && denominator ? (100 * numerator) / denominator : undefined;
  };
  const cpuPercent = ratio(CPU_CORES, CPU_LIMIT_CORES);
  if (cpuPercent !== undefined) metrics.push({ path: CPU_PERCENT_OF_LIMIT, value: cpuPercent });
  const memoryPercent = ratio(MEMORY_WORKING_SET, MEMORY_LIMIT);
  if (memoryPercent !== undefined) metrics.push({ path: MEMORY_PERCENT_OF_LIMIT, value: memoryPercent });
  return { instances: members.length, metrics };
}

/** Marathon app id → its tasks on this host. */
export function groupByApp(containers: readonly MeasuredContainer[]): Map<string, MeasuredContainer[]> {
  const groups = new Map<string, MeasuredContainer[]>();
  for (const container of containers) {
    const appId = container.identity.marathon?.appId;
    if (appId === undefined) continue;
    getOrCreate(groups, appId, () => []).push(container);
  }
  return groups;
}

/** Allow-listed label → value → its containers (e.g. `es_cluster` → `logs` → the cluster's nodes here). */
export function groupByLabel(
  containers: readonly MeasuredContainer[],
): Map<string, Map<string, MeasuredContainer[]>> {
  const groups = new Map<string, Map<string, MeasuredContainer[]>>();
  for (const container of containers) {
    for (const [label, value] of Object.entries(container.identity.groupLabels)) {
      const values = getOrCreate(groups, label, () => new Map<string, MeasuredContainer[]>());
      getOrCreate(values, value, () => []).push(container);
    }
  }
  return groups;
}
