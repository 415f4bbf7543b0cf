import { statfsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { CounterTracker } from '@stoker/shared';
import si from 'systeminformation';
import { SETTINGS_REREAD_MS } from './cgroup/files.js';
import type { Metric } from './metrics.js';
import { networkMetrics } from './metrics.js';
import { type InterfaceCounters, parseNetDev } from './procfs/net-dev.js';
import type { PseudoFiles } from './pseudo-file.js';

/**
 * The host itself, so "containers vs host" is one graph. Memory comes from systeminformation. CPU
 * comes from `/proc/stat` directly because `si.currentLoad()` runs `execSync('cat /proc/stat')`, which
 * would block the event loop every cycle, and keeps hidden state between calls. Disks come from the
 * mount table and statfs(2) for the same reason: `si.fsSize()` runs `execSync('cat /proc/mounts')` and
 * spawns `df` on every call (a blocked event loop and two processes per cycle).
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
  disks: { mount: string; sizeBytes: number; usedBytes: number }[];
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

/** Filesystems that are not the host's disks: container layers and memory-backed mounts. */
const PSEUDO_FS = new Set([
  'overlay',
  'aufs',
  'tmpfs',
  'devtmpfs',
  'squashfs',
  'shm',
  'nsfs',
  'proc',
  'sysfs',
]);
const CONTAINER_MOUNT = /\/(docker|containers|kubelet|mesos\/slaves)\//;
/** Files Docker bind-mounts into every container (the agent's own, when it runs in one): not disks. */
const DOCKER_FILE_MOUNTS = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']);

/** `/proc/mounts` escapes space, tab, newline and backslash as octal (`\\040`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * The real filesystems of a mount table (`/proc/<pid>/mounts` format), once each: pseudo and
 * container filesystems, Docker's bind-mounted files and a device mounted again elsewhere (a bind
 * mount, as `df` shows it once) are left out.
 */
export function hostMounts(text: string): { fs: string; mount: string }[] {
  const seen = new Set<string>();
  const mounts: { fs: string; mount: string }[] = [];
  for (const line of text.split('\n')) {
    const [rawFs, rawMount, type] = line.split(' ');
    if (!rawFs || !rawMount || !type || PSEUDO_FS.has(type)) continue;
    const fs = unescapeMountField(rawFs);
    const mount = unescapeMountField(rawMount);
    if (!fs.startsWith('/') || CONTAINER_MOUNT.test(mount) || DOCKER_FILE_MOUNTS.has(mount) || seen.has(fs))
      continue;
    seen.add(fs);
    mounts.push({ fs, mount });
  }
  return mounts;
}

/** The last mount table parsed and its disks: parsed again only when the table changed. */
let lastMounts: { table: string; mounts: { fs: string; mount: string }[] } = { table: '', mounts: [] };

const MOUNT_TABLE = '/proc/self/mounts';

/**
 * Host disks come and go far more rarely than containers, whose overlay and shm mounts make the
 * table long (120 KB with 200): its text is reused for a minute, like a container's limits (see
 * `PseudoFiles.recent`). Read as Latin-1 bytes; a mount point is a path in UTF-8.
 */
function readDisks(files: PseudoFiles): HostSample['disks'] {
  const table = files.recent(MOUNT_TABLE) ?? readOrEmpty(files, MOUNT_TABLE, () => SETTINGS_REREAD_MS);
  if (table !== lastMounts.table)
    lastMounts = { table, mounts: hostMounts(Buffer.from(table, 'latin1').toString('utf8')) };
  const disks: HostSample['disks'] = [];
  for (const { mount } of lastMounts.mounts) {
    try {
      const stats = statfsSync(mount);
      const sizeBytes = stats.blocks * stats.bsize;
      if (sizeBytes > 0)
        disks.push({ mount, sizeBytes, usedBytes: (stats.blocks - stats.bfree) * stats.bsize });
    } catch {
      // unmounted meanwhile, or not ours to read
    }
  }
  return disks;
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
export async function readHost(files: PseudoFiles, procRoot: string): Promise<HostSample> {
  const memoryRead = si.mem().catch(() => undefined);
  const stat = readOrEmpty(files, join(procRoot, 'stat'));
  // PID 1's namespace is the host's even when the agent runs in a container with the host's /proc.
  const netDev = readOrEmpty(files, join(procRoot, '1', 'net', 'dev'));
  const disks = readDisks(files);
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
    disks,
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
    put(
      ['disk', mount, 'percent_used'],
      disk.sizeBytes > 0 ? (100 * disk.usedBytes) / disk.sizeBytes : undefined,
    );
  }
  metrics.push(...networkMetrics(sample.interfaces, atMs, tracker));
  return metrics;
}
