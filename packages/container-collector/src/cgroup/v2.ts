import type { PseudoFiles } from '../pseudo-file.js';
import { type FileTexts, readCgroupFiles, reuseRule, textsOf } from './files.js';
import type { CgroupPaths } from './locate.js';
import { keyedNumber, parseLimit, parseNumber, parsePressure } from './parse.js';
import type { RawBlockDevice, RawCgroupStats, RawCpu, RawMemory } from './raw.js';

/** `cpu.max`: `<quota> <period>` in microseconds, quota `max` when unlimited. */
export function parseCpuMax(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  const quotaUs = Number(quota);
  const periodUs = Number(period);
  if (!Number.isFinite(quotaUs) || !Number.isFinite(periodUs) || quotaUs <= 0 || periodUs <= 0)
    return undefined;
  return quotaUs / periodUs;
}

/** `cpu.stat` counts microseconds; everything here is nanoseconds. */
export function parseV2Cpu(files: FileTexts): RawCpu {
  const stat = files.get('cpu.stat');
  const ns = (key: string) => {
    const us = keyedNumber(stat, key);
    return us === undefined ? undefined : us * 1000;
  };
  return {
    usageNs: ns('usage_usec'),
    userNs: ns('user_usec'),
    systemNs: ns('system_usec'),
    periods: keyedNumber(stat, 'nr_periods'),
    throttledPeriods: keyedNumber(stat, 'nr_throttled'),
    throttledNs: ns('throttled_usec'),
    limitCores: parseCpuMax(files.get('cpu.max')),
  };
}

export function parseV2Memory(files: FileTexts): RawMemory {
  const stat = files.get('memory.stat');
  const events = files.get('memory.events');
  return {
    usageBytes: parseNumber(files.get('memory.current')),
    limitBytes: parseLimit(files.get('memory.max')),
    swapLimitBytes: parseLimit(files.get('memory.swap.max')),
    reservationBytes: parseLimit(files.get('memory.min')),
    rssBytes: keyedNumber(stat, 'anon'),
    cacheBytes: keyedNumber(stat, 'file'),
    inactiveFileBytes: keyedNumber(stat, 'inactive_file'),
    mappedFileBytes: keyedNumber(stat, 'file_mapped'),
    swapBytes: parseNumber(files.get('memory.swap.current')),
    // v2 has no failcnt; `max` counts the same thing: usage about to cross the limit.
    failcnt: keyedNumber(events, 'max'),
    oomKills: keyedNumber(events, 'oom_kill'),
  };
}

/** `io.stat`: `<major:minor> rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..` per device. */
export function parseIoStat(text: string | undefined): RawBlockDevice[] {
  const devices: RawBlockDevice[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    if (!device || !/^\d+:\d+$/.test(device)) continue;
    const values = new Map<string, number>();
    for (const pair of pairs) {
      const [key, raw] = pair.split('=');
      if (key && raw !== undefined && Number.isFinite(Number(raw))) values.set(key, Number(raw));
    }
    devices.push({
      device,
      readBytes: values.get('rbytes') ?? 0,
      writeBytes: values.get('wbytes') ?? 0,
      reads: values.get('rios') ?? 0,
      writes: values.get('wios') ?? 0,
    });
  }
  return devices;
}

const PRESSURE_FILES = ['cpu.pressure', 'memory.pressure', 'io.pressure'];

/** PSI of one v2 directory (pure v2, or the `unified` tree of a hybrid host); absent on kernels without PSI. */
export function readPressureFiles(files: PseudoFiles, dir: string | undefined): RawCgroupStats['pressure'] {
  if (!dir) return {};
  try {
    return pressureFrom(readCgroupFiles(files, dir, PRESSURE_FILES));
  } catch {
    return {};
  }
}

function pressureFrom(files: FileTexts): RawCgroupStats['pressure'] {
  return {
    cpu: parsePressure(files.get('cpu.pressure')),
    memory: parsePressure(files.get('memory.pressure')),
    io: parsePressure(files.get('io.pressure')),
  };
}

const V2_FILES = [
  'cpu.stat',
  'cpu.max',
  'memory.current',
  'memory.max',
  'memory.swap.max',
  'memory.min',
  'memory.stat',
  'memory.events',
  'memory.swap.current',
  'io.stat',
  'pids.current',
  'pids.max',
  ...PRESSURE_FILES,
];

const REUSE = reuseRule(
  new Set(['cpu.max', 'cpu.weight', 'memory.max', 'memory.min', 'memory.low', 'memory.swap.max', 'pids.max']),
  new Set(['io.stat']),
);

/** Pure parse of one v2 directory's files; `extra`: the files whose texts are handed on as read. */
export function parseV2(files: FileTexts, extra: readonly string[] = []): RawCgroupStats {
  return {
    source: 'cgroup-v2',
    cpu: parseV2Cpu(files),
    memory: parseV2Memory(files),
    blockIo: parseIoStat(files.get('io.stat')),
    pids: { current: parseNumber(files.get('pids.current')), limit: parseLimit(files.get('pids.max')) },
    pressure: pressureFrom(files),
    texts: textsOf(extra, [files]),
  };
}

/**
 * Reads one container's v2 directory, and the `extra` files a naming scheme names (whose texts are
 * handed on as read). Throws CgroupUnreadable when it is gone.
 */
export function readV2(
  files: PseudoFiles,
  paths: Extract<CgroupPaths, { version: 2 }>,
  extra: readonly string[],
): RawCgroupStats {
  return parseV2(readCgroupFiles(files, paths.dir, fileList(extra), REUSE), extra);
}

/** V2_FILES and `extra`, built once per scheme's list so the same array comes back every cycle (see `pathsIn`). */
function fileList(extra: readonly string[]): readonly string[] {
  let list = listByExtra.get(extra);
  if (!list) {
    list = [...new Set([...V2_FILES, ...extra])];
    listByExtra.set(extra, list);
  }
  return list;
}
const listByExtra = new Map<readonly string[], readonly string[]>();
