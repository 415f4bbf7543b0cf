/**
 * Parsers shared by the v1 and v2 readers. Each takes the text of one cgroup file and never throws:
 * a kernel that adds, renames or drops a key must not cost us the rest of the file.
 */

/** Values at or above this are the kernel's "no limit" sentinels (v1 prints 2^63 rounded down to a page). */
const UNLIMITED = 2 ** 60;

/** A single number (`memory.usage_in_bytes`, `pids.current`); `max` and `-1` mean no value/limit. */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'max' || trimmed === '-1') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** A limit: like parseNumber, but the huge "unlimited" sentinels also mean no limit. */
export function parseLimit(text: string | undefined): number | undefined {
  const value = parseNumber(text);
  return value === undefined || value >= UNLIMITED || value < 0 ? undefined : value;
}

/**
 * The number on the line `<key> <number>` of a keyed file (`memory.stat`, `cpu.stat`,
 * `memory.events`, `memory.oom_control`); undefined when no line has that key, or its value is not
 * a number. Found with `indexOf` rather than by splitting the file into a map: a reader wants a few
 * of `memory.stat`'s ~40 lines, for every container, every cycle.
 */
export function keyedNumber(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  for (let at = text.indexOf(key); at !== -1; at = text.indexOf(key, at + 1)) {
    // The whole key at the start of a line: `rss` is neither `total_rss` nor `rss_huge`.
    if (at > 0 && text.charCodeAt(at - 1) !== 0x0a) continue;
    let valueStart = at + key.length;
    if (!isBlank(text.charCodeAt(valueStart))) continue;
    while (isBlank(text.charCodeAt(valueStart))) valueStart++;
    let valueEnd = valueStart;
    while (
      valueEnd < text.length &&
      !isBlank(text.charCodeAt(valueEnd)) &&
      text.charCodeAt(valueEnd) !== 0x0a
    )
      valueEnd++;
    if (valueEnd === valueStart) return undefined;
    const value = Number(text.slice(valueStart, valueEnd));
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/** Space, tab, carriage return (what `\s` matches within a line of these files). */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d;
}

/** Pressure stall information, the same format in v2 files and `/proc/pressure/*`. */
export interface Pressure {
  /** Microseconds during which at least one task stalled on the resource, since the cgroup was made. */
  someTotalUs?: number;
  /** Microseconds during which all non-idle tasks stalled at once. */
  fullTotalUs?: number;
}

/** `some avg10=0.00 avg60=0.00 avg300=0.00 total=123` (+ an optional `full ...` line). */
export function parsePressure(text: string | undefined): Pressure | undefined {
  if (text === undefined) return undefined;
  const pressure: Pressure = {};
  // Scanned, not matched: three of these files per container every cycle.
  for (let at = 0; at < text.length; ) {
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd === -1) lineEnd = text.length;
    const line = text.slice(at, lineEnd).trim();
    at = lineEnd + 1;
    const kind = line.startsWith('some ') ? 'some' : line.startsWith('full ') ? 'full' : undefined;
    const total = line.lastIndexOf(' total=');
    if (!kind || total === -1) continue;
    const digits = line.slice(total + 7);
    if (!/^\d+$/.test(digits)) continue;
    if (kind === 'some') pressure.someTotalUs = Number(digits);
    else pressure.fullTotalUs = Number(digits);
  }
  return pressure.someTotalUs === undefined && pressure.fullTotalUs === undefined ? undefined : pressure;
}
