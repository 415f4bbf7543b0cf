import { keyedNumber } from '../cgroup/parse.js';

/**
 * What pyadvisor (QunarOPS/pyadvisor f566b31) sent for one container from its cgroup v1 files,
 * rebuilt from the same files' texts: raw values as the kernel prints them, cumulative counters and
 * bytes, nothing derived. Each controller's names are sent only when its directory was read
 * (pyadvisor walked each hierarchy and saw only the containers it found there).
 */

/** pyadvisor's value for a file it could not read, or read empty: `-1` (its `read_first_line`). */
export const MISSING_FILE_VALUE = -1;

/** Path below the container (`['memory', 'kmem', 'failcnt']`) and a value; undefined sends nothing. */
export type Put = (path: readonly (string | number)[], value: number | undefined) => void;

/** The texts of a container's cgroup files, by file name (`raw.texts`). */
export type Texts = ReadonlyMap<string, string>;

/** The first line of a file as pyadvisor sent it: -1 when missing or empty; a word that is no number is not sent (carbon refused it). */
export function firstLineValue(text: string | undefined): number | undefined {
  if (text === undefined) return MISSING_FILE_VALUE;
  const end = text.indexOf('\n');
  const line = (end === -1 ? text : text.slice(0, end)).trim();
  if (line === '') return MISSING_FILE_VALUE;
  const value = Number(line);
  return Number.isFinite(value) ? value : undefined;
}

/** `cpu` controller: the name differs from the file for `cpu.shares` only. */
const CPU_NAMES = [
  [['cpu', 'share'], 'cpu.shares'],
  [['cpu', 'cfs_quota_us'], 'cpu.cfs_quota_us'],
  [['cpu', 'cfs_period_us'], 'cpu.cfs_period_us'],
] as const;

/** `memory.stat` keys pyadvisor took (this cgroup's own, not the `total_*` ones), each `memory.<key>`; a missing key is 0. */
export const MEMORY_STAT_KEYS = ['cache', 'swap', 'mapped_file', 'pgpgin', 'pgpgout', 'pgfault'] as const;

/** `memory` controller files sent by their own name (`memory.kmem.failcnt` → `memory.kmem.failcnt`). */
const MEMORY_FILES = [
  ...['memory', 'memory.kmem', 'memory.memsw'].flatMap((module) =>
    ['usage_in_bytes', 'max_usage_in_bytes', 'failcnt', 'limit_in_bytes'].map((file) => `${module}.${file}`),
  ),
  'memory.soft_limit_in_bytes',
];

/** Block I/O tables, and the last segment pyadvisor gave their values. */
const BLKIO_FILES = [
  ['blkio.throttle.io_service_bytes', 'bytes'],
  ['blkio.throttle.io_serviced', 'io'],
] as const;

/** Every v1 file these names come from (read for the scheme, see `extraFiles`). */
export const PYADVISOR_V1_FILES: readonly string[] = [
  ...CPU_NAMES.map(([, file]) => file),
  'cpuacct.usage',
  'cpuacct.usage_percpu',
  'memory.stat',
  ...MEMORY_FILES,
  ...BLKIO_FILES.map(([file]) => file),
];

export function putV1(texts: Texts, put: Put, deviceName: (majorMinor: string) => string | undefined): void {
  if (CPU_NAMES.some(([, file]) => texts.has(file)))
    for (const [path, file] of CPU_NAMES) put(path, firstLineValue(texts.get(file)));
  if (texts.has('cpuacct.usage') || texts.has('cpuacct.usage_percpu')) {
    put(['cpu', 'usage'], firstLineValue(texts.get('cpuacct.usage')));
    putPerCpu(texts.get('cpuacct.usage_percpu'), put);
  }
  if (MEMORY_FILES.some((file) => texts.has(file)) || texts.has('memory.stat')) {
    putMemoryStat(texts.get('memory.stat'), MEMORY_STAT_KEYS, put);
    for (const file of MEMORY_FILES) put(file.split('.'), firstLineValue(texts.get(file)));
  }
  for (const [file, unit] of BLKIO_FILES) {
    const text = texts.get(file);
    if (text !== undefined) putBlkioTable(text, unit, put, deviceName);
  }
}

/**
 * `cpu.usage_percpu.<n>`: the words of the first line, by position (ns, as the kernel prints them,
 * negative ones included); a missing or empty file gives one word, `-1`, as `read_first_line` did.
 */
function putPerCpu(text: string | undefined, put: Put): void {
  const first = firstLineValue(text);
  if (first === MISSING_FILE_VALUE) {
    put(['cpu', 'usage_percpu', 0], MISSING_FILE_VALUE);
    return;
  }
  const end = text!.indexOf('\n');
  const words = (end === -1 ? text! : text!.slice(0, end)).trim().split(' ');
  for (const [index, word] of words.entries()) {
    const value = Number(word);
    if (word !== '' && Number.isFinite(value)) put(['cpu', 'usage_percpu', index], value);
  }
}

/**
 * `memory.<key>` from `memory.stat` (`<key> <value>` lines): a key the file lacks is 0, as pyadvisor's
 * `.get(key, 0)` made it. Without the file pyadvisor stopped with an error; nothing is sent then.
 */
export function putMemoryStat(text: string | undefined, keys: readonly string[], put: Put): void {
  if (text === undefined) return;
  for (const key of keys) put(['memory', key], keyedNumber(text, key) ?? 0);
}

/**
 * `<device>.<operation>.<unit>` per line `<major>:<minor> <Operation> <value>`: the device by its
 * kernel name, the operation lower-cased (`read`, `write`, `sync`, `async`, `discard`, `total`). The
 * bare `Total <n>` line and a device the host does not list are skipped, as pyadvisor skipped them.
 */
function putBlkioTable(
  text: string,
  unit: string,
  put: Put,
  deviceName: (majorMinor: string) => string | undefined,
): void {
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length !== 3) continue;
    const [device, operation, value] = fields as [string, string, string];
    const name = deviceName(device);
    if (name !== undefined) put([name, operation.toLowerCase(), unit], Number(value));
  }
}
