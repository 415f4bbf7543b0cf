import { keyedNumber } from '../cgroup/parse.js';
import { firstLineValue, MISSING_FILE_VALUE, type Put, type Texts } from './pyadvisor-v1.js';

/**
 * pyadvisor's names on a cgroup v2 host, which pyadvisor never read: each from the closest v2 file,
 * in the unit and with the "no limit" value the v1 file had. Names v2 has nothing for
 * (`cpu.usage_percpu.*`, `memory.pgpgin`/`pgpgout`, `memory.*.max_usage_in_bytes` but the first,
 * `memory.kmem.*` but usage, `memory.memsw.failcnt`/`max_usage_in_bytes`, the `sync`/`async`
 * operations) are not sent. The README lists each source.
 */

/** What v1's `memory.*limit_in_bytes` shows for no limit on 64-bit hosts: 2^63 rounded down to a 4 KiB page. */
export const V1_NO_LIMIT_BYTES = 2 ** 63 - 4096;

export const PYADVISOR_V2_FILES: readonly string[] = [
  'cpu.weight',
  'cpu.max',
  'cpu.stat',
  'memory.stat',
  'memory.current',
  'memory.peak',
  'memory.events',
  'memory.max',
  'memory.low',
  'memory.swap.current',
  'memory.swap.max',
  'io.stat',
];

/** `memory.stat` keys of v2 under pyadvisor's v1 names. */
const MEMORY_STAT_KEYS_V2 = [
  ['cache', 'file'],
  ['mapped_file', 'file_mapped'],
  ['pgfault', 'pgfault'],
] as const;

/** io.stat keys by pyadvisor's `<operation>.<unit>`; `total` is their sum, as v1's Total line was. */
const IO_STAT_KEYS = [
  ['read', 'bytes', 'rbytes'],
  ['write', 'bytes', 'wbytes'],
  ['discard', 'bytes', 'dbytes'],
  ['read', 'io', 'rios'],
  ['write', 'io', 'wios'],
  ['discard', 'io', 'dios'],
] as const;

export function putV2(texts: Texts, put: Put, deviceName: (majorMinor: string) => string | undefined): void {
  // The scheduler's weight in v1 units: the kernel maps weight 100 (the default) to 1024 shares.
  const weight = firstLineValue(texts.get('cpu.weight'));
  const shares =
    weight === undefined || weight === MISSING_FILE_VALUE ? weight : Math.round((weight * 1024) / 100);
  put(['cpu', 'share'], shares);
  const [quota, period] = words(texts.get('cpu.max'));
  put(['cpu', 'cfs_quota_us'], quota === 'max' ? -1 : numberOr(quota, MISSING_FILE_VALUE));
  put(['cpu', 'cfs_period_us'], numberOr(period, MISSING_FILE_VALUE));
  const usageUs = keyedNumber(texts.get('cpu.stat'), 'usage_usec');
  put(['cpu', 'usage'], usageUs === undefined ? MISSING_FILE_VALUE : usageUs * 1000);

  const stat = texts.get('memory.stat');
  if (stat !== undefined) {
    for (const [name, key] of MEMORY_STAT_KEYS_V2) put(['memory', name], keyedNumber(stat, key) ?? 0);
    put(['memory', 'kmem', 'usage_in_bytes'], keyedNumber(stat, 'kernel'));
  }
  const usage = firstLineValue(texts.get('memory.current'));
  const swap = firstLineValue(texts.get('memory.swap.current'));
  put(['memory', 'swap'], swap);
  put(['memory', 'usage_in_bytes'], usage);
  put(['memory', 'max_usage_in_bytes'], firstLineValue(texts.get('memory.peak')));
  const events = texts.get('memory.events');
  put(['memory', 'failcnt'], events === undefined ? MISSING_FILE_VALUE : keyedNumber(events, 'max'));
  const limit = limitValue(texts.get('memory.max'));
  put(['memory', 'limit_in_bytes'], limit);
  // Docker's `--memory-reservation` (v1's soft limit) is memory.low on v2.
  put(['memory', 'soft_limit_in_bytes'], limitValue(texts.get('memory.low')));
  // v1's memsw counts memory and swap together.
  const swapLimit = limitValue(texts.get('memory.swap.max'));
  put(['memory', 'memsw', 'usage_in_bytes'], sumOrMissing(usage, swap));
  put(
    ['memory', 'memsw', 'limit_in_bytes'],
    limit === V1_NO_LIMIT_BYTES || swapLimit === V1_NO_LIMIT_BYTES
      ? V1_NO_LIMIT_BYTES
      : sumOrMissing(limit, swapLimit),
  );

  for (const line of (texts.get('io.stat') ?? '').split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const name = device ? deviceName(device) : undefined;
    if (name === undefined) continue;
    const values = new Map(pairs.map((pair) => pair.split('=') as [string, string]));
    const totals = { bytes: 0, io: 0 };
    for (const [operation, unit, key] of IO_STAT_KEYS) {
      const value = Number(values.get(key) ?? 0);
      totals[unit] += value;
      put([name, operation, unit], value);
    }
    put([name, 'total', 'bytes'], totals.bytes);
    put([name, 'total', 'io'], totals.io);
  }
}

function words(text: string | undefined): string[] {
  return (text ?? '').trim().split(/\s+/);
}

function numberOr(word: string | undefined, fallback: number): number {
  const value = word === undefined || word === '' ? Number.NaN : Number(word);
  return Number.isFinite(value) ? value : fallback;
}

/** A v2 limit file: `max` is v1's no-limit value, a missing file -1. */
function limitValue(text: string | undefined): number | undefined {
  return text?.trim() === 'max' ? V1_NO_LIMIT_BYTES : firstLineValue(text);
}

function sumOrMissing(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  return a === MISSING_FILE_VALUE || b === MISSING_FILE_VALUE ? MISSING_FILE_VALUE : a + b;
}
