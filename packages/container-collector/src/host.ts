import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { CounterTracker } from '@stoker/shared';
import si from 'systeminformation';
import type { DiskUsage, HostDiskReader } from './host-disks.js';
import type { Metric } from './metrics.js';
import { networkMetrics } from './metrics.js';
import { type InterfaceCounters, parseNetDev } from './procfs/net-dev.js';
import type { PseudoFiles } from './pseudo-file.js';

/**
 * The host itself, so "containers vs host" is one graph. Memory comes from systeminformation. CPU
 * comes from `/proc/stat` directly because `si.currentLoad()` runs `execSync('cat /proc/stat')`, which
 * would block the event loop every cycle, and keeps hidden state between calls. Disks come from the
 * host's mount table and statfs(2) (host-disks.ts): `si.fsSize()` runs `execSync('cat /proc/mounts')`
 * and spawns `df` on every call (a blocked event loop and two processes per cycle), and sees the
 * agent's own mounts, not the host's, when the agent runs in a container.
 */
export interface CpuTimes {
  /** Ticks spent doing anything but idle/iowait. */
  busy: number;
  total: number;
}

export interface HostSample {
  cpu?: CpuTimes;
  perCore: CpuTimes[];
  memory?: {
    totalBytes: number;
    usedBytes: number;
    availableBytes: number;
    swapTotalBytes: number;
    swapUsedBytes: number;
  };
  load: [number, number, number];
  disks: DiskUsage[];
  /** Why the host's disks are missing, when they are. */
  disksProblem?: string;
  interfaces: InterfaceCounters[];
}

/** `/proc/stat` `cpu`/`cpuN` lines: user nice system idle iowait irq softirq steal (guest is inside user). */
export function parseProcStat(text: string): { cpu?: CpuTimes; perCore: CpuTimes[] } {
  let cpu: CpuTimes | undefined;
  const perCore: CpuTimes[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [name, ...fields] = line.trim().split(/\s+/);
    const ticks = fields.slice(0, 8).map(Number);
    if (ticks.length < 4 || ticks.some((tick) => !Number.isFinite(tick))) continue;
    const total = ticks.reduce((sum, tick) => sum + tick, 0);
    const times = { busy: total - ticks[3]! - (ticks[4] ?? 0), total };
    if (name === 'cpu') cpu = times;
    else perCore[Number(name!.slice(3))] = times;
  }
  return cpu ? { cpu, perCore } : { perCore };
}

/** A kernel file's text, '' when it cannot be read (the host's series it feeds are then absent). */
function readOrEmpty(files: PseudoFiles, path: string, reuseFor?: (text: string) => number): string {
  try {
    return files.read(path, reuseFor);
  } catch {
    return '';
  }
}

/**
 * `stat` and `net/dev` are read through `files` like a container's files (kept open, one `pread`
 * each); memory comes from systeminformation meanwhile.
 */
export async function readHost(
  files: PseudoFiles,
  procRoot: string,
  disks: HostDiskReader,
): Promise<HostSample> {
  const memoryRead = si.mem().catch(() => undefined);
  const stat = readOrEmpty(files, join(procRoot, 'stat'));
  // PID 1's namespace is the host's even when the agent runs in a container with the host's /proc.
  const netDev = readOrEmpty(files, join(procRoot, '1', 'net', 'dev'));
  const { disks: diskUsage, problem: disksProblem } = disks.read();
  const load = loadavg();
  const memory = await memoryRead;
  return {
    ...parseProcStat(stat),
    memory: memory && {
      totalBytes: memory.total,
      usedBytes: memory.total - memory.available,
      availableBytes: memory.available,
      swapTotalBytes: memory.swaptotal,
      swapUsedBytes: memory.swapused,
    },
    load: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0],
    disks: diskUsage,
    ...(disksProblem ? { disksProblem } : {}),
    // Container veth ends come and go with containers and repeat their traffic: not host interfaces.
    interfaces: parseNetDev(netDev).filter((nic) => !nic.name.startsWith('veth')),
  };
}

/** Number of CPUs in the sample (used for containers' percent of host). */
export function hostCpuCount(sample: Pick<HostSample, 'perCore'>): number {
  return sample.perCore.filter(Boolean).length;
}

/** `tracker`: the host's own (see `deriveContainerMetrics`). */
export function deriveHostMetrics(sample: HostSample, tracker: CounterTracker, atMs: number): Metric[] {
  const metrics: Metric[] = [];
  const put = (path: readonly string[], value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) metrics.push({ path, value });
  };
  const cpu = (name: string, times: CpuTimes | undefined) => {
    if (!times) return undefined;
    const busy = tracker.delta(`${name}.busy`, times.busy, atMs);
    const total = tracker.delta(`${name}.total`, times.total, atMs);
    if (!busy || !total || total.delta === 0) return undefined;
    return busy.delta / total.delta;
  };
  const cpus = hostCpuCount(sample);
  // Both from one /proc/stat snapshot: busy share of all CPU time, so cores never exceed the CPU count.
  const busyShare = cpu('cpu', sample.cpu);
  const all = busyShare === undefined ? undefined : { percent: 100 * busyShare, cores: busyShare * cpus };
  put(['cpu', 'count'], cpus);
  put(['cpu', 'percent'], all?.percent);
  put(['cpu', 'cores'], all?.cores);
  sample.perCore.forEach((times, index) => {
    const share = cpu(`cpu${index}`, times);
    put(['cpu', 'per_core', String(index), 'percent'], share === undefined ? undefined : 100 * share);
  });
  if (sample.memory) {
    put(['memory', 'total_bytes'], sample.memory.totalBytes);
    put(['memory', 'used_bytes'], sample.memory.usedBytes);
    put(['memory', 'available_bytes'], sample.memory.availableBytes);
    put(['memory', 'percent_used'], (100 * sample.memory.usedBytes) / sample.memory.totalBytes);
    put(['swap', 'total_bytes'], sample.memory.swapTotalBytes);
    put(['swap', 'used_bytes'], sample.memory.swapUsedBytes);
  }
  put(['load', 'load1'], sample.load[0]);
  put(['load', 'load5'], sample.load[1]);
  put(['load', 'load15'], sample.load[2]);
  for (const disk of sample.disks) {
    const mount = disk.mount === '/' ? 'root' : disk.mount.replace(/^\//, '').replace(/\//g, '_');
    put(['disk', mount, 'size_bytes'], disk.sizeBytes);
    put(['disk', mount, 'used_bytes'], disk.usedBytes);
    put(['disk', mount, 'available_bytes'], disk.availableBytes);
    // df's Use%: of what is usable (used + available), so root-reserved blocks do not hide a full disk.
    put(['disk', mount, 'percent_used'], percentOf(disk.usedBytes, disk.usedBytes + disk.availableBytes));
    if (disk.inodesTotal === 0) continue; // btrfs and others have no fixed inode table: df shows '-'
    put(['disk', mount, 'inodes_total'], disk.inodesTotal);
    put(['disk', mount, 'inodes_used'], disk.inodesUsed);
    put(['disk', mount, 'inodes_available'], disk.inodesAvailable);
    put(
      ['disk', mount, 'inodes_percent_used'],
      percentOf(disk.inodesUsed, disk.inodesUsed + disk.inodesAvailable),
    );
  }
  metrics.push(...networkMetrics(sample.interfaces, atMs, tracker));
  return metrics;
}

function percentOf(part: number, whole: number): number | undefined {
  return whole > 0 ? (100 * part) / whole : undefined;
}
