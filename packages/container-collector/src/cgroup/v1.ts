import { getOrCreate } from '../map-util.js';
import type { PseudoFiles } from '../pseudo-file.js';
import { CgroupUnreadable, type FileTexts, readCgroupFiles, reuseRule } from './files.js';
import type { CgroupPaths } from './locate.js';
import { keyedNumber, parseLimit, parseNumber, parseNumberList } from './parse.js';
import type { RawBlockDevice, RawCgroupStats, RawCpu, RawMemory } from './raw.js';
import { readPressureFiles } from './v2.js';

/** `cpuacct.stat` counts in USER_HZ ticks, which is 100 on every Linux build Docker runs on. */
const NS_PER_USER_HZ_TICK = 10_000_000;

/** CPU from the `cpuacct` and `cpu` controllers (which may be one mount or two). */
export function parseV1Cpu(cpuacct: FileTexts, cpu: FileTexts): RawCpu {
  const usageNs = parseNumber(cpuacct.get('cpuacct.usage'));
  const ticks = cpuacct.get('cpuacct.stat');
  const stat = cpu.get('cpu.stat');
  const quotaUs = parseNumber(cpu.get('cpu.cfs_quota_us'));
  const periodUs = parseNumber(cpu.get('cpu.cfs_period_us'));
  const user = keyedNumber(ticks, 'user');
  const system = keyedNumber(ticks, 'system');
  return {
    usageNs,
    userNs: user === undefined ? undefined : user * NS_PER_USER_HZ_TICK,
    systemNs: system === undefined ? undefined : system * NS_PER_USER_HZ_TICK,
    perCpuNs: parseNumberList(cpuacct.get('cpuacct.usage_percpu')),
    periods: keyedNumber(stat, 'nr_periods'),
    throttledPeriods: keyedNumber(stat, 'nr_throttled'),
    throttledNs: keyedNumber(stat, 'throttled_time'),
    limitCores: quotaUs !== undefined && quotaUs > 0 && periodUs ? quotaUs / periodUs : undefined,
  };
}

/** Memory from the `memory` controller; `total_*` keys include child cgroups, which a container's tree has. */
export function parseV1Memory(memory: FileTexts): RawMemory {
  const stat = memory.get('memory.stat');
  const pick = (key: string) => keyedNumber(stat, `total_${key}`) ?? keyedNumber(stat, key);
  return {
    usageBytes: parseNumber(memory.get('memory.usage_in_bytes')),
    limitBytes: parseLimit(memory.get('memory.limit_in_bytes')),
    rssBytes: pick('rss'),
    cacheBytes: pick('cache'),
    inactiveFileBytes: pick('inactive_file'),
    mappedFileBytes: pick('mapped_file'),
    swapBytes: pick('swap'),
    failcnt: parseNumber(memory.get('memory.failcnt')),
    memswFailcnt: parseNumber(memory.get('memory.memsw.failcnt')),
    oomKills: keyedNumber(memory.get('memory.oom_control'), 'oom_kill'),
  };
}

/**
 * `blkio.throttle.io_service_bytes` / `io_serviced`: `<major:minor> <Read|Write|Sync|Async|Discard|Total> <n>`
 * lines and a final bare `Total <n>`. The throttle files count every bio on current kernels, whatever the
 * I/O scheduler, unlike `blkio.io_service_bytes` which only CFQ/BFQ fill.
 */
export function parseV1Blkio(
  serviceBytes: string | undefined,
  serviced: string | undefined,
): RawBlockDevice[] {
  const devices = new Map<string, RawBlockDevice>();
  const device = (name: string) =>
    getOrCreate(devices, name, () => ({ device: name, readBytes: 0, writeBytes: 0, reads: 0, writes: 0 }));
  for (const [text, field] of [
    [serviceBytes, 'Bytes'],
    [serviced, 'Ops'],
  ] as const) {
    // Most containers' files are a bare `Total 0`: no device line, nothing to split.
    if (text === undefined || !text.includes(':')) continue;
    for (const line of text.split('\n')) {
      const [name, op, raw] = line.trim().split(/\s+/);
      if (!name || !op || raw === undefined || !/^\d+:\d+$/.test(name)) continue;
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      if (op === 'Read') device(name)[field === 'Bytes' ? 'readBytes' : 'reads'] = value;
      else if (op === 'Write') device(name)[field === 'Bytes' ? 'writeBytes' : 'writes'] = value;
    }
  }
  return [...devices.values()];
}

const CPUACCT_FILES = ['cpuacct.usage', 'cpuacct.stat'];
const CPU_FILES = ['cpu.stat', 'cpu.cfs_quota_us', 'cpu.cfs_period_us'];
/**
 * What the `cpuacct` directory is read for, by [cpu mounted with it (`cpu,cpuacct`)][per-CPU
 * usage wanted]: constant lists, so their joined paths are kept (see `pathsIn`).
 */
const CPUACCT_LISTS = [false, true].map((withCpu) =>
  [false, true].map((perCpu) => [
    ...CPUACCT_FILES,
    ...(perCpu ? ['cpuacct.usage_percpu'] : []),
    ...(withCpu ? CPU_FILES : []),
  ]),
);
const MEMORY_FILES = [
  'memory.usage_in_bytes',
  'memory.limit_in_bytes',
  'memory.stat',
  'memory.failcnt',
  'memory.oom_control',
];
const MEMORY_MEMSW_FILES = [...MEMORY_FILES, 'memory.memsw.failcnt'];
const BLKIO_FILES = ['blkio.throttle.io_service_bytes', 'blkio.throttle.io_serviced'];
const PIDS_FILES = ['pids.current', 'pids.max'];
const REUSE = reuseRule(
  new Set(['cpu.cfs_quota_us', 'cpu.cfs_period_us', 'memory.limit_in_bytes', 'pids.max']),
  new Set(BLKIO_FILES),
);
const NONE: FileTexts = new Map();

/** Files only some naming schemes name, read only for them. */
export interface ReadOptions {
  /** `cpuacct.usage_percpu` (128 numbers on a 128-CPU host). */
  perCpu: boolean;
  /** `memory.memsw.failcnt` (memory+swap limit hits). */
  memswFailcnt: boolean;
}

/** Reads one container's v1 files. Throws CgroupUnreadable when it is gone. */
export function readV1(
  files: PseudoFiles,
  paths: Extract<CgroupPaths, { version: 1 }>,
  options: ReadOptions,
): RawCgroupStats {
  const { dirs } = paths;
  if (!dirs.cpuacct && !dirs.memory) throw new CgroupUnreadable('(no cpuacct or memory hierarchy)', 'ENOENT');
  const read = (dir: string | undefined, names: readonly string[]) =>
    dir ? readCgroupFiles(files, dir, names, REUSE) : NONE;
  const optional = (dir: string | undefined, names: readonly string[]) => {
    try {
      return read(dir, names);
    } catch {
      return NONE;
    }
  };
  // cpuacct and memory are in every v1 container; if either is gone the container is gone.
  const sameCpuDir = dirs.cpu === dirs.cpuacct;
  const cpuacct = read(dirs.cpuacct, CPUACCT_LISTS[Number(sameCpuDir)]![Number(options.perCpu)]!);
  const cpu = sameCpuDir ? cpuacct : optional(dirs.cpu, CPU_FILES);
  const memory = read(dirs.memory, options.memswFailcnt ? MEMORY_MEMSW_FILES : MEMORY_FILES);
  const blkio = optional(dirs.blkio, BLKIO_FILES);
  const pids = optional(dirs.pids, PIDS_FILES);
  return {
    source: 'cgroup-v1',
    cpu: parseV1Cpu(cpuacct, cpu),
    memory: parseV1Memory(memory),
    blockIo: parseV1Blkio(
      blkio.get('blkio.throttle.io_service_bytes'),
      blkio.get('blkio.throttle.io_serviced'),
    ),
    pids: { current: parseNumber(pids.get('pids.current')), limit: parseLimit(pids.get('pids.max')) },
    pressure: readPressureFiles(files, paths.unifiedDir),
  };
}
