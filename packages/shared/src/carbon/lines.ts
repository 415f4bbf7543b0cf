import { BLOCK_BYTES } from './queue.js';
import { joinSegments, type SegmentSanitizer, sanitizeSegment } from './segments.js';

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
  /**
   * Takes each chunk of whole lines (at most `CHUNK_BYTES`) as it fills, and at `end()`; the chunk
   * is only valid during the call (the sender copies it). Without it, the batch keeps its lines
   * as strings in `lines` (tests, tools).
   */
  onChunk?: (chunk: Buffer, lines: number) => void;
}

/** Bytes of lines handed on at a time: one block of the sender's queue. */
export const CHUNK_BYTES = BLOCK_BYTES;

/** The longest a JavaScript number's text can be (`-1.2345678901234567e-308`). */
const MAX_NUMBER_CHARS = 24;

/**
 * Formats one cycle's samples as carbon plaintext lines (`path value timestamp\n`), written as
 * bytes straight into a chunk (names are ASCII: sanitised segments, validated tags), so a
 * million lines cost no string each.
 */
export class LineBatch {
  readonly dropped: Record<DropReason, number> = { non_finite: 0, too_long: 0 };
  private readonly head: Buffer;
  private readonly tail: Buffer;
  private readonly timestamp: Buffer;
  private readonly sanitize: SegmentSanitizer;
  private readonly onChunk: (chunk: Buffer, lines: number) => void;
  private readonly chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private length = 0;
  private count = 0;
  private readonly kept: string[] = [];

  constructor(options: LineBatchOptions) {
    this.head = Buffer.from(options.prefix.length > 0 ? `${options.prefix.join('.')}.` : '', 'latin1');
    this.tail = Buffer.from(`${options.tagSuffix ?? ''} `, 'latin1');
    this.sanitize = options.sanitize ?? sanitizeSegment;
    this.timestamp = Buffer.from(` ${Math.floor(options.timestampSec)}\n`, 'latin1');
    this.onChunk =
      options.onChunk ??
      ((chunk) => {
        for (const line of chunk.toString('latin1').split('\n').slice(0, -1)) this.kept.push(`${line}\n`);
      });
  }

  /** Without `onChunk`: every line added so far (each ending in a newline). */
  get lines(): string[] {
    this.end();
    return this.kept;
  }

  /** Adds one sample; returns false (and counts why) when it cannot be sent. */
  add(segments: readonly (string | number)[], value: unknown): boolean {
    return this.addName(joinSegments(segments, this.sanitize), value);
  }

  /** Adds one sample under a dotted name whose every segment is already safe (not sanitised again). */
  addName(name: string, value: unknown): boolean {
    return this.addBytes(name, value);
  }

  /**
   * Adds one sample named `first` followed by `second` (a group's head and a leaf's name), already
   * safe; as bytes on the hot path (a million times a cycle: copies and nothing else), or ASCII text.
   */
  addBytes(first: Uint8Array | string, value: unknown, second: Uint8Array = EMPTY): boolean {
    const number = toMetricValue(value);
    if (number === undefined) {
      this.dropped.non_finite++;
      return false;
    }
    const { head, tail, timestamp } = this;
    const most =
      head.length + first.length + second.length + tail.length + MAX_NUMBER_CHARS + timestamp.length;
    if (most > CHUNK_BYTES - this.length) {
      if (most > MAX_LINE_BYTES + MAX_NUMBER_CHARS) {
        this.dropped.too_long++;
        return false;
      }
      this.end();
    }
    const { chunk } = this;
    const start = this.length;
    let at = copy(chunk, start, head);
    at = typeof first === 'string' ? ascii(chunk, at, first) : copy(chunk, at, first);
    at = copy(chunk, at, second);
    at = copy(chunk, at, tail);
    at = Number.isSafeInteger(number) ? digits(chunk, at, number) : ascii(chunk, at, bigNumberText(number));
    at = copy(chunk, at, timestamp);
    if (at - start > MAX_LINE_BYTES) {
      this.dropped.too_long++;
      return false;
    }
    this.length = at;
    this.count++;
    return true;
  }

  /** Hands on the lines not handed on yet. */
  end(): void {
    if (this.count === 0) return;
    this.onChunk(this.chunk.subarray(0, this.length), this.count);
    this.length = 0;
    this.count = 0;
  }
}

const EMPTY = new Uint8Array(0);

/** Copies `bytes` to `at`; returns where they end. */
function copy(target: Buffer, at: number, bytes: Uint8Array): number {
  target.set(bytes, at);
  return at + bytes.length;
}

/** Writes an ASCII string at `at`; returns where it ends. */
function ascii(target: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) target[at++] = text.charCodeAt(i);
  return at;
}

/**
 * A number beyond the safe integers: a whole one below 2^64 (a kernel's u64 counter or "no limit"
 * value, `9223372036854771712`) in all its digits, as the kernel printed it, where `String` rounds
 * the text (`9223372036854772000`); both parse to the same double in carbon.
 */
function bigNumberText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 2 ** 64 ? BigInt(value).toString() : String(value);
}

/** Writes a safe integer as `String(value)` would; returns where it ends. */
function digits(target: Buffer, at: number, value: number): number {
  if (value < 0) {
    target[at++] = 0x2d; // '-'
    value = -value;
  }
  // Small-integer arithmetic only (a double's `%` is a slow call): the top digits, then nine more.
  if (value >= 1e9) {
    const high = Math.floor(value / 1e9);
    at = digits(target, at, high);
    return nineDigits(target, at, value - high * 1e9);
  }
  let rest = value | 0;
  let width = 1;
  for (let scale = 10; scale <= rest; scale *= 10) width++;
  for (let i = at + width - 1; i >= at; i--) {
    const tenth = (rest / 10) | 0;
    target[i] = 0x30 + rest - tenth * 10;
    rest = tenth;
  }
  return at + width;
}

/** Writes 0 <= value < 1e9 as exactly nine digits (zero-padded). */
function nineDigits(target: Buffer, at: number, value: number): number {
  let rest = value | 0;
  for (let i = at + 8; i >= at; i--) {
    const tenth = (rest / 10) | 0;
    target[i] = 0x30 + rest - tenth * 10;
    rest = tenth;
  }
  return at + 9;
}
