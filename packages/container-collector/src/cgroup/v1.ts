import { getOrCreate } from '../map-util.js';
import type { PseudoFiles } from '../pseudo-file.js';
import { CgroupUnreadable, type FileTexts, readCgroupFiles, reuseRule, textsOf } from './files.js';
import type { CgroupPaths } from './locate.js';
import { keyedNumber, parseLimit, parseNumber } from './parse.js';
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
    swapLimitBytes: parseLimit(memory.get('memory.memsw.limit_in_bytes')),
    reservationBytes: parseLimit(memory.get('memory.soft_limit_in_bytes')),
    rssBytes: pick('rss'),
    cacheBytes: pick('cache'),
    inactiveFileBytes: pick('inactive_file'),
    mappedFileBytes: pick('mapped_file'),
    swapBytes: pick('swap'),
    failcnt: parseNumber(memory.get('memory.failcnt')),
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
const MEMORY_FILES = [
  'memory.usage_in_bytes',
  'memory.limit_in_bytes',
  // Absent on a kernel without swap accounting: a single missing file is normal (readCgroupFiles).
  'memory.memsw.limit_in_bytes',
  'memory.soft_limit_in_bytes',
  'memory.stat',
  'memory.failcnt',
  'memory.oom_control',
];
const BLKIO_FILES = ['blkio.throttle.io_service_bytes', 'blkio.throttle.io_serviced'];
const PIDS_FILES = ['pids.current', 'pids.max'];
const REUSE = reuseRule(
  new Set([
    'cpu.cfs_quota_us',
    'cpu.cfs_period_us',
    'cpu.shares',
    'memory.limit_in_bytes',
    'memory.soft_limit_in_bytes',
    'memory.kmem.limit_in_bytes',
    'memory.memsw.limit_in_bytes',
    'pids.max',
  ]),
  new Set(BLKIO_FILES),
);
const NONE: FileTexts = new Map();

/** The file names read in each controller's directory: its own, then those a naming scheme adds. */
interface V1FileLists {
  /** By whether `cpu` is mounted with `cpuacct` (`cpu,cpuacct`): then one directory holds both. */
  cpuacct: readonly [alone: readonly string[], withCpu: readonly string[]];
  cpu: readonly string[];
  memory: readonly string[];
  blkio: readonly string[];
}

/**
 * Lists built once per scheme's `extra` list, so each stays the same array across cycles (its joined
 * paths are kept by array, see `pathsIn`). A v1 file's controller is its name up to the first dot.
 */
function fileLists(extra: readonly string[]): V1FileLists {
  let lists = listsByExtra.get(extra);
  if (!lists) {
    const plus = (base: readonly string[], controller: string) => [
      ...new Set([...base, ...extra.filter((name) => name.slice(0, name.indexOf('.')) === controller)]),
    ];
    const cpu = plus(CPU_FILES, 'cpu');
    const cpuacct = plus(CPUACCT_FILES, 'cpuacct');
    lists = {
      cpuacct: [cpuacct, [...cpuacct, ...cpu]],
      cpu,
      memory: plus(MEMORY_FILES, 'memory'),
      blkio: plus(BLKIO_FILES, 'blkio'),
    };
    listsByExtra.set(extra, lists);
  }
  return lists;
}
const listsByExtra = new Map<readonly string[], V1FileLists>();

/**
 * Reads one container's v1 files, and the `extra` files a naming scheme names (whose texts are
 * handed on as read). Throws CgroupUnreadable when it is gone.
 */
export function readV1(
  files: PseudoFiles,
  paths: Extract<CgroupPaths, { version: 1 }>,
  extra: readonly string[],
): RawCgroupStats {
  const { dirs } = paths;
  if (!dirs.cpuacct && !dirs.memory) throw new CgroupUnreadable('(no cpuacct or memory hierarchy)', 'ENOENT');
  const lists = fileLists(extra);
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
  const cpuacct = read(dirs.cpuacct, lists.cpuacct[Number(sameCpuDir)]!);
  const cpu = sameCpuDir ? cpuacct : optional(dirs.cpu, lists.cpu);
  const memory = read(dirs.memory, lists.memory);
  const blkio = optional(dirs.blkio, lists.blkio);
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
    texts: extra.length === 0 ? NONE : textsOf(extra, [cpuacct, cpu, memory, blkio]),
  };
}
