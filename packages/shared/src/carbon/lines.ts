import { joinSegments, type SegmentSanitizer, sanitizeSegment } from './names.js';

/** Carbon closes the connection (losing the rest of the stream) on a line of 16 KiB or more. */
export const MAX_LINE_BYTES = 16_383;

/** Why a sample did not become a line. */
export type DropReason = 'non_finite' | 'too_long';

/**
 * Aligns a wall-clock instant down to the collection interval, in whole seconds, so every point of a
 * cycle lands in one whisper step whatever the cycle's jitter.
 */
export function alignTimestamp(atMs: number, intervalMs: number): number {
  const stepMs = Math.max(1000, intervalMs);
  return Math.floor(Math.floor(atMs / stepMs) * stepMs) / 1000;
}

/** Accepts finite numbers and booleans (as 1/0); everything else is not a value. */
export function toMetricValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

export interface LineBatchOptions {
  /** Already-sanitised prefix segments, e.g. `['es']`. */
  prefix: readonly string[];
  /** Seconds since the epoch, already aligned. */
  timestampSec: number;
  /** `;k=v` suffix for Graphite tagged series, or '' for plain names. */
  tagSuffix?: string;
  sanitize?: SegmentSanitizer;
}

/** Collects one cycle's samples as carbon plaintext lines (`path value timestamp\n`). */
export class LineBatch {
  /** Lines added since the last `take`. */
  lines: string[] = [];
  readonly dropped: Record<DropReason, number> = { non_finite: 0, too_long: 0 };
  private readonly head: string;
  private readonly tail: string;
  private readonly timestamp: string;
  private readonly sanitize: SegmentSanitizer;

  constructor(options: LineBatchOptions) {
    this.head = options.prefix.length > 0 ? `${options.prefix.join('.')}.` : '';
    this.tail = `${options.tagSuffix ?? ''} `;
    this.sanitize = options.sanitize ?? sanitizeSegment;
    this.timestamp = ` ${Math.floor(options.timestampSec)}\n`;
  }

  /** Adds one sample; returns false (and counts why) when it cannot be sent. */
  add(segments: readonly (string | number)[], value: unknown): boolean {
    return this.addName(joinSegments(segments, this.sanitize), value);
  }

  /** Adds one sample under a dotted name whose every segment is already safe (no sanitising). */
  addName(name: string, value: unknown): boolean {
    const number = toMetricValue(value);
    if (number === undefined) {
      this.dropped.non_finite++;
      return false;
    }
    const line = this.head + name + this.tail + number + this.timestamp;
    if (line.length > MAX_LINE_BYTES) {
      this.dropped.too_long++;
      return false;
    }
    this.lines.push(line);
    return true;
  }

  /** The lines added since the last call; the batch goes on empty. */
  take(): string[] {
    const lines = this.lines;
    this.lines = [];
    return lines;
  }
}
