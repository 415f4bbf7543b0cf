import type { CounterTracker } from '@stoker/shared';
import type { Pressure } from './cgroup/parse.js';
import type { RawCgroupStats } from './cgroup/raw.js';
import { getOrCreate, getOrCreateBounded } from './map-util.js';
import type { InterfaceCounters } from './procfs/net-dev.js';

/**
 * Raw counters → the numbers people graph. Everything cumulative becomes a per-second rate between two
 * consecutive reads (CounterTracker: a reset after a container restart yields nothing, never a negative
 * rate); gauges pass through. Names carry their units.
 */

/**
 * How a metric combines over a group (app, label, all containers); undefined: it is not aggregated.
 * `percent`: the group's ratio of sums under the metric's own name (aggregate.ts) and the worst
 * member under `<name>.max`; a percentage is never summed.
 */
export type Combine = 'sum' | 'max' | 'percent';

export interface Metric {
  /** Segments under the container (or group) node, e.g. `['cpu', 'cores']`. */
  path: readonly string[];
  value: number;
  combine?: Combine;
}

const NS_PER_SECOND = 1e9;

export interface DeriveInput {
  raw: RawCgroupStats;
  /** Interfaces of the container's own network namespace; undefined when it has none of its own. */
  interfaces?: readonly InterfaceCounters[];
  /** When the files were read (ms since the epoch): rates use read time, not the tick. */
  atMs: number;
  hostCpus: number;
}

/** Working set as the kernel's reclaim sees it: usage minus inactive page cache, floored at 0. */
export function workingSetBytes(
  usageBytes: number | undefined,
  inactiveFileBytes: number | undefined,
): number | undefined {
  if (usageBytes === undefined) return undefined;
  return Math.max(0, usageBytes - (inactiveFileBytes ?? 0));
}

/**
 * `tracker` is the container's own (one per container, so its counters are keyed by constant
 * strings: no key is built per counter per cycle).
 */
export function deriveContainerMetrics(input: DeriveInput, tracker: CounterTracker): Metric[] {
  const { raw, atMs } = input;
  const metrics: Metric[] = [];
  const put = (path: readonly string[], value: number | undefined, combine?: Combine) => {
    if (value !== undefined && Number.isFinite(value))
      metrics.push(combine ? { path, value, combine } : { path, value });
  };
  const rate = (name: string, value: number | undefined) =>
    value === undefined ? undefined : tracker.rate(name, value, atMs);

  // CPU
  const { cpu, memory } = raw;
  const usagePerSecondNs = rate('cpu.usage', cpu.usageNs);
  const cores = usagePerSecondNs === undefined ? undefined : usagePerSecondNs / NS_PER_SECOND;
  put(metricPath('cpu.cores'), cores, 'sum');
  put(metricPath('cpu.user_cores'), divide(rate('cpu.user', cpu.userNs), NS_PER_SECOND), 'sum');
  put(metricPath('cpu.system_cores'), divide(rate('cpu.system', cpu.systemNs), NS_PER_SECOND), 'sum');
  put(metricPath('cpu.limit_cores'), cpu.limitCores, 'sum');
  if (cores !== undefined && cpu.limitCores)
    put(metricPath('cpu.percent_of_limit'), (100 * cores) / cpu.limitCores, 'percent');
  if (cores !== undefined && input.hostCpus > 0)
    put(metricPath('cpu.percent_of_host'), (100 * cores) / input.hostCpus, 'percent');
  if (cpu.periods !== undefined && cpu.throttledPeriods !== undefined) {
    // Share of CFS periods in which the container hit its quota; worst task of a group is what matters.
    put(
      metricPath('cpu.throttled_ratio'),
      tracker.ratio('cpu.throttled', cpu.throttledPeriods, cpu.periods, atMs),
      'max',
    );
  }
  put(
    metricPath('cpu.throttled_seconds_per_second'),
    divide(rate('cpu.throttled_ns', cpu.throttledNs), NS_PER_SECOND),
    'sum',
  );

  // Memory
  const workingSet = workingSetBytes(memory.usageBytes, memory.inactiveFileBytes);
  put(metricPath('memory.usage_bytes'), memory.usageBytes, 'sum');
  put(metricPath('memory.working_set_bytes'), workingSet, 'sum');
  put(metricPath('memory.rss_bytes'), memory.rssBytes, 'sum');
  put(metricPath('memory.cache_bytes'), memory.cacheBytes, 'sum');
  put(metricPath('memory.mapped_file_bytes'), memory.mappedFileBytes, 'sum');
  put(metricPath('memory.swap_bytes'), memory.swapBytes, 'sum');
  put(metricPath('memory.limit_bytes'), memory.limitBytes, 'sum');
  if (workingSet !== undefined && memory.limitBytes)
    put(metricPath('memory.percent_of_limit'), (100 * workingSet) / memory.limitBytes, 'percent');
  // Cumulative counts, not rates: "did it ever happen since the container started" is the question.
  put(metricPath('memory.failcnt'), memory.failcnt, 'sum');
  put(metricPath('memory.oom_kills'), memory.oomKills, 'sum');

  // Block I/O, total and per device
  const totals = { readBytes: 0, writeBytes: 0, reads: 0, writes: 0 };
  for (const device of raw.blockIo) {
    totals.readBytes += device.readBytes;
    totals.writeBytes += device.writeBytes;
    totals.reads += device.reads;
    totals.writes += device.writes;
    const { keys, paths } = deviceCounters(device.device);
    put(paths[0]!, rate(keys[0]!, device.readBytes));
    put(paths[1]!, rate(keys[1]!, device.writeBytes));
    put(paths[2]!, rate(keys[2]!, device.reads));
    put(paths[3]!, rate(keys[3]!, device.writes));
  }
  put(metricPath('io.read_bytes_per_second'), rate('io.rb', totals.readBytes), 'sum');
  put(metricPath('io.write_bytes_per_second'), rate('io.wb', totals.writeBytes), 'sum');
  put(metricPath('io.reads_per_second'), rate('io.r', totals.reads), 'sum');
  put(metricPath('io.writes_per_second'), rate('io.w', totals.writes), 'sum');

  // pids
  put(metricPath('pids.current'), raw.pids.current, 'sum');
  put(metricPath('pids.limit'), raw.pids.limit);

  // Pressure stall information: share of wall time some/all tasks stalled (exact over the interval,
  // unlike the kernel's avg10 which is a decaying average).
  for (const resource of ['cpu', 'memory', 'io'] as const) {
    const pressure: Pressure | undefined = raw.pressure[resource];
    if (!pressure) continue;
    const psi = PSI[resource];
    put(psi.somePath, divide(rate(psi.some, pressure.someTotalUs), 1e6), 'max');
    put(psi.fullPath, divide(rate(psi.full, pressure.fullTotalUs), 1e6), 'max');
  }

  if (input.interfaces) metrics.push(...networkMetrics(input.interfaces, atMs, tracker));
  return metrics;
}

/**
 * The path of a metric whose segments are fixed, as one array for the life of the process: a
 * cycle builds no path, and whoever keys by path (aggregates, leaf names) meets the same arrays.
 */
export function metricPath(dotted: string): readonly string[] {
  return getOrCreate(pathByDotted, dotted, () => Object.freeze(dotted.split('.')));
}
const pathByDotted = new Map<string, readonly string[]>();

const PSI = Object.fromEntries(
  (['cpu', 'memory', 'io'] as const).map((resource) => [
    resource,
    {
      some: `psi.${resource}.some`,
      full: `psi.${resource}.full`,
      somePath: metricPath(`pressure.${resource}.some_stalled_ratio`),
      fullPath: metricPath(`pressure.${resource}.full_stalled_ratio`),
    },
  ]),
) as Record<
  'cpu' | 'memory' | 'io',
  { some: string; full: string; somePath: readonly string[]; fullPath: readonly string[] }
>;

/** Tracker keys and metric paths of one device's or interface's counters, in the order of its counter list. */
interface Counters {
  keys: readonly string[];
  paths: readonly (readonly string[])[];
}

/** Built once per name (`8:0`, `eth0`): a few names per host, met every cycle in every container. */
function countersByName(build: (name: string) => Counters): (name: string) => Counters {
  const byName = new Map<string, Counters>();
  return (name) => getOrCreateBounded(byName, name, () => build(name));
}

const DEVICE_COUNTERS = [
  ['rb', 'read_bytes_per_second'],
  ['wb', 'write_bytes_per_second'],
  ['r', 'reads_per_second'],
  ['w', 'writes_per_second'],
] as const;
const deviceCounters = countersByName((device) => ({
  keys: DEVICE_COUNTERS.map(([key]) => `io.${device}.${key}`),
  paths: DEVICE_COUNTERS.map(([, name]) => Object.freeze(['io', 'devices', device.replace(':', '_'), name])),
}));

const INTERFACE_COUNTERS = [
  ['rxBytes', 'rx_bytes_per_second'],
  ['txBytes', 'tx_bytes_per_second'],
  ['rxPackets', 'rx_packets_per_second'],
  ['txPackets', 'tx_packets_per_second'],
  ['rxErrors', 'rx_errors_per_second'],
  ['txErrors', 'tx_errors_per_second'],
  ['rxDropped', 'rx_dropped_per_second'],
  ['txDropped', 'tx_dropped_per_second'],
] as const;
const INTERFACE_FIELDS = INTERFACE_COUNTERS.map(([field]) => field);
const interfaceCounters = countersByName((nic) => ({
  keys: INTERFACE_FIELDS.map((field) => `net.${nic}.${field}`),
  paths: INTERFACE_COUNTERS.map(([, name]) => Object.freeze(['network', 'interfaces', nic, name])),
}));
const TOTAL_PATHS = Object.fromEntries(
  INTERFACE_COUNTERS.map(([field, name]) => [field, metricPath(`network.${name}`)]),
) as Record<(typeof INTERFACE_FIELDS)[number], readonly string[]>;
/** Keys of the totals over interfaces: `/` is never in an interface's name, so no interface clashes. */
const TOTAL_KEYS = Object.fromEntries(
  INTERFACE_FIELDS.map((field) => [field, `net/total.${field}`]),
) as Record<(typeof INTERFACE_FIELDS)[number], string>;

/**
 * Per interface under `network.interfaces.<iface>`, and a total over all but `lo` under `network.*`
 * (loopback traffic never leaves the container, so it is not the container's network load).
 */
export function networkMetrics(
  nics: readonly InterfaceCounters[],
  atMs: number,
  tracker: CounterTracker,
): Metric[] {
  const metrics: Metric[] = [];
  const totals = new Map<string, number>();
  for (const nic of nics) {
    const { keys, paths } = interfaceCounters(nic.name);
    for (let i = 0; i < INTERFACE_COUNTERS.length; i++) {
      const field = INTERFACE_COUNTERS[i]![0];
      const value = tracker.rate(keys[i]!, nic[field], atMs);
      if (value !== undefined) metrics.push({ path: paths[i]!, value });
      if (nic.name !== 'lo') totals.set(field, (totals.get(field) ?? 0) + nic[field]);
    }
  }
  for (const field of INTERFACE_FIELDS) {
    const total = totals.get(field);
    if (total === undefined) continue;
    const value = tracker.rate(TOTAL_KEYS[field], total, atMs);
    if (value !== undefined) metrics.push({ path: TOTAL_PATHS[field], value, combine: 'sum' });
  }
  return metrics;
}

function divide(value: number | undefined, by: number): number | undefined {
  return value === undefined ? undefined : value / by;
}
