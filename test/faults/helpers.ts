/**
 * Small helpers shared by the fault-matrix tests (test/faults/*.test.ts). Each test drives the real
 * agents (from their TypeScript sources) against real components; these only read their output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ES_CLI = 'packages/es-collector/src/cli.ts';
export const CONTAINER_CLI = 'packages/container-collector/src/cli.ts';

/**
 * One well-formed carbon plaintext line: a dotted name of non-empty `[A-Za-z0-9_-]` segments, one
 * space, a finite number as JavaScript prints it, one space, a 10-digit epoch timestamp.
 */
export const CARBON_LINE = /^([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*) (-?\d+(?:\.\d+)?(?:e[+-]\d+)?) (\d{10})$/;

/** Carbon drops the connection on a line of 16 KiB or more (and loses the rest of the stream). */
export const CARBON_MAX_LINE_BYTES = 16_383;

export interface CarbonPoint {
  name: string;
  value: number;
  timestampSec: number;
}

export interface LineCheck {
  points: CarbonPoint[];
  /** Every line that is not well-formed, outside the prefix, too long, or a repeat of a name and timestamp. */
  problems: string[];
}

/**
 * Checks `--output stdout` text line by line: each line well-formed, under `prefix.`, shorter than
 * carbon's limit, and no name twice for the same timestamp (two lines for one series in one cycle
 * means two things write into one whisper file).
 */
export function checkCarbonLines(text: string, prefix: string): LineCheck {
  const points: CarbonPoint[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const shown = JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);
    const match = CARBON_LINE.exec(line);
    if (!match) {
      problems.push(`malformed: ${shown}`);
      continue;
    }
    const [, name, value, timestamp] = match as unknown as [string, string, string, string];
    if (!name.startsWith(`${prefix}.`)) problems.push(`outside the prefix ${prefix}: ${shown}`);
    if (Buffer.byteLength(line) > CARBON_MAX_LINE_BYTES) problems.push(`too long: ${shown}`);
    const key = `${name} ${timestamp}`;
    if (seen.has(key)) problems.push(`same name twice in one cycle: ${name} @${timestamp}`);
    seen.add(key);
    points.push({ name, value: Number(value), timestampSec: Number(timestamp) });
  }
  return { points, problems };
}

/** Polls `probe` until it returns a value other than undefined; the error names what was awaited. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context().slice(-4000)}`);
    await sleep(100);
  }
}

/** Writes `text` to a new file in a fresh temp directory and returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stoker-faults-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Resolves at `offsetMs` after the next multiple of `intervalMs` (wall clock), i.e. between two ticks. */
export async function untilPhase(intervalMs: number, offsetMs: number): Promise<void> {
  const now = Date.now();
  let target = Math.floor(now / intervalMs) * intervalMs + offsetMs;
  if (target <= now) target += intervalMs;
  await sleep(target - now);
}

/** Resolves at `offsetMs` after the first tick (multiple of `intervalMs`) strictly after now. */
export async function afterNextTick(intervalMs: number, offsetMs: number): Promise<void> {
  const now = Date.now();
  await sleep((Math.floor(now / intervalMs) + 1) * intervalMs + offsetMs - now);
}

/** JSON log lines (pino) of an agent's stderr; other lines are skipped. */
export function logLines(stderr: string): Array<Record<string, any>> {
  const entries: Array<Record<string, any>> = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      entries.push(JSON.parse(line));
    } catch {}
  }
  return entries;
}
