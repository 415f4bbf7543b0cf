import { summarize } from '@stoker/shared';
import type { RawCgroupStats } from './cgroup/raw.js';
import type { ContainerIdentity } from './docker/identity.js';
import { getOrCreate } from './map-util.js';
import { type Combine, type Metric, metricPath } from './metrics.js';
import type { InterfaceCounters } from './procfs/net-dev.js';

/** One container after a cycle's read. */
export interface MeasuredContainer {
  identity: ContainerIdentity;
  raw: RawCgroupStats;
  metrics: Metric[];
  /** Network counters as read (cumulative), when the container has a namespace of its own. */
  interfaces?: readonly InterfaceCounters[];
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
const CPU_PERCENT_OF_HOST = metricPath('cpu.percent_of_host');

/** `<percentage>.max`, one array per percentage for the life of the process (see `key`). */
function maxPath(path: readonly string[]): readonly string[] {
  let max = maxPaths.get(path);
  if (max === undefined) {
    max = Object.freeze([...path, 'max']);
    maxPaths.set(path, max);
  }
  return max;
}
const maxPaths = new WeakMap<readonly string[], readonly string[]>();

/**
 * Combines the members' metrics: sums for additive ones (cores, bytes, rates), the maximum for ratios
 * where the worst member is the signal (throttling, pressure). A percentage is never summed: the
 * group's is its ratio of sums (group cores / group limit; averaging would weigh a 0.1-core sidecar
 * like a 16-core data node), and `<percentage>.max` is the worst member, which the ratio hides (one
 * container at 95 % of its memory limit among idle ones).
 */
export function aggregate(members: readonly MeasuredContainer[]): GroupAggregate {
  const byPath = new Map<string, { path: readonly string[]; combine: Combine; values: number[] }>();
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
    if (entry.combine === 'percent') {
      metrics.push({ path: maxPath(entry.path), value: summary.max });
      // Every member's percent of the host has the same denominator: their sum is the ratio of sums.
      if (entry.path === CPU_PERCENT_OF_HOST) metrics.push({ path: entry.path, value: summary.sum });
      continue;
    }
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
