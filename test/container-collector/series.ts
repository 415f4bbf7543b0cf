import { setTimeout as sleep } from 'node:timers/promises';

/** One carbon plaintext line as printed by `--output stdout`. */
export interface Point {
  name: string;
  value: number;
  timestampSec: number;
}

const LINE = /^(\S+) (\S+) (\d+)$/;

export function parsePoints(text: string): Point[] {
  const points: Point[] = [];
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (match) points.push({ name: match[1]!, value: Number(match[2]), timestampSec: Number(match[3]) });
  }
  return points;
}

/** Every point of `name`, oldest first. */
export function series(text: string, name: string): Point[] {
  return parsePoints(text).filter((point) => point.name === name);
}

/** The values of one cycle (one timestamp) keyed by name. */
export function cycleAt(text: string, timestampSec: number): Map<string, number> {
  return new Map(
    parsePoints(text)
      .filter((point) => point.timestampSec === timestampSec)
      .map((point) => [point.name, point.value]),
  );
}

/** Polls `probe` until it returns a value; the error says what was awaited and shows `context()`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context().slice(-4000)}`);
    await sleep(100);
  }
}
