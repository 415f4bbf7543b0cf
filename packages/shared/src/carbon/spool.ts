import {
  closeSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseRecord, RECORD_HEADER_BYTES, recordHeader } from './spool-records.js';

export interface SpoolOptions {
  /** This destination's own directory (the lock is on its parent, see spool-lock.ts). */
  dir: string;
  /** Bound of the segment files together; past it the oldest segments are dropped. */
  maxBytes: number;
  log: Logger;
  /** After a failed write (disk full, directory gone), how long the spool rests before trying the disk again. */
  retryAfterFailureMs?: number;
}

export interface SpoolStats {
  bytes: number;
  segments: number;
  /** Lines read back from disk and handed to carbon's socket, since start. */
  replayedLines: number;
  /** Bytes of the oldest segments dropped to stay within the bound, since start. */
  droppedBytes: number;
  /** Torn or damaged records skipped, since start. */
  corruptRecords: number;
  /** False while the disk refuses writes (lines then stay in memory). */
  writable: boolean;
}

/** A chunk read from the spool; `seq` is its segment's, to acknowledge it. */
export interface SpooledChunk {
  chunk: Buffer;
  lines: number;
  seq: number;
}

const SEGMENT_NAME = /^(\d{12})\.seg$/;

/**
 * A disk spool of carbon lines for one destination: append-only segment files of checksummed
 * records (spool-records.ts), read back oldest first. A segment is deleted once every record of it
 * has been handed to carbon's socket, so after a restart or a crash at most one segment is sent
 * again (at least once: a point sent twice overwrites itself in whisper). Writes are synchronous
 * (one writev per chunk of ≤ 64 KiB, to the page cache); `sync()` makes them durable.
 */
export class Spool {
  /** Segments on disk, oldest first; the last is the one being written when `writeFd` is set. */
  private readonly segments: Array<{ seq: number; bytes: number }> = [];
  private readonly segmentBytes: number;
  private writeFd: number | undefined;
  private unsynced = false;
  /** The segment being read back: its bytes, the next record's offset, chunks out and not yet acknowledged. */
  private reading: { seq: number; data: Buffer; at: number; outstanding: number } | undefined;
  /** Chunks whose write failed, to be sent again before anything else of the spool. */
  private readonly returned: SpooledChunk[] = [];
  private failedAtMs: number | undefined;
  private totalBytes = 0;
  replayedLines = 0;
  droppedBytes = 0;
  corruptRecords = 0;
  lastDropAtMs: number | undefined;

  constructor(private readonly options: SpoolOptions) {
    // Eight segments or more within the bound, so dropping one loses an eighth at most; 4 MiB at most,
    // the memory a segment takes while it is read back.
    this.segmentBytes = Math.min(4 * 1024 * 1024, Math.max(16 * 1024, Math.floor(options.maxBytes / 8)));
    mkdirSync(options.dir, { recursive: true });
    for (const name of readdirSync(options.dir).sort()) {
      const match = SEGMENT_NAME.exec(name);
      if (!match) continue;
      const bytes = statSync(join(options.dir, name)).size;
      this.segments.push({ seq: Number(match[1]), bytes });
      this.totalBytes += bytes;
    }
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get empty(): boolean {
    return this.totalBytes === 0 && this.returned.length === 0 && !this.reading;
  }

  /**
   * Appends whole lines. False when the disk refused them (full, unwritable): the caller keeps
   * them in memory instead; the spool tries the disk again 30 s later.
   */
  append(chunk: Uint8Array, lines: number): boolean {
    if (this.failedAtMs !== undefined) {
      if (Date.now() - this.failedAtMs < (this.options.retryAfterFailureMs ?? 30_000)) return false;
    }
    const recordBytes = RECORD_HEADER_BYTES + chunk.length;
    let segment = this.writeFd === undefined ? undefined : this.segments.at(-1);
    try {
      if (!segment || segment.bytes + recordBytes > this.segmentBytes) {
        this.seal();
        const seq = (this.segments.at(-1)?.seq ?? 0) + 1;
        this.writeFd = openSync(this.path(seq), 'wx');
        segment = { seq, bytes: 0 };
        this.segments.push(segment);
      }
      const written = writevSync(this.writeFd!, [recordHeader(chunk, lines), chunk]);
      if (written !== recordBytes) {
        ftruncateSync(this.writeFd!, segment.bytes);
        throw new Error(`short write: ${written} of ${recordBytes} bytes (disk full?)`);
      }
    } catch (error) {
      this.failed(error);
      return false;
    }
    segment.bytes += recordBytes;
    this.totalBytes += recordBytes;
    this.unsynced = true;
    if (this.failedAtMs !== undefined) {
      this.failedAtMs = undefined;
      this.options.log.info({ spool: this.options.dir }, 'spool writable again');
    }
    this.dropOldest();
    return true;
  }

  /** The oldest chunk not yet sent, or undefined when the spool is empty. */
  take(): SpooledChunk | undefined {
    const returned = this.returned.shift();
    if (returned) return returned;
    for (;;) {
      if (!this.reading) {
        const oldest = this.segments[0];
        if (!oldest) return undefined;
        // The segment being written is sealed first: a segment is only read once complete.
        if (this.writeFd !== undefined && this.segments.length === 1) this.seal();
        let data: Buffer;
        try {
          data = readFileSync(this.path(oldest.seq));
        } catch (error) {
          this.options.log.warn({ err: error, spool: this.options.dir }, 'spool segment unreadable: skipped');
          this.removeOldest();
          continue;
        }
        this.reading = { seq: oldest.seq, data, at: 0, outstanding: 0 };
      }
      const reading = this.reading;
      const record = parseRecord(reading.data, reading.at);
      if (record.kind === 'record') {
        reading.at = record.next;
        reading.outstanding++;
        return { chunk: record.chunk, lines: record.lines, seq: reading.seq };
      }
      if (record.kind === 'corrupt') {
        this.corruptRecords++;
        this.options.log.warn(
          {
            spool: this.options.dir,
            segment: reading.seq,
            offset: reading.at,
            skipped_bytes: record.next - reading.at,
          },
          'spool record torn or corrupt: skipped',
        );
        reading.at = record.next;
        continue;
      }
      if (reading.outstanding > 0) return undefined; // the rest is in flight: delete the file once it is sent
      this.finishReading();
    }
  }

  /** A chunk from `take()` reached carbon's socket. */
  sent(taken: SpooledChunk): void {
    this.replayedLines += taken.lines;
    const reading = this.reading;
    if (reading?.seq !== taken.seq) return; // its segment was dropped meanwhile
    reading.outstanding--;
    if (reading.outstanding === 0 && reading.at >= reading.data.length) this.finishReading();
  }

  /** A chunk from `take()` could not be written: it goes out again first. */
  putBack(taken: SpooledChunk): void {
    this.returned.unshift(taken);
  }

  /** Makes what was appended durable (fdatasync); the crash-loss window is the time between calls. */
  sync(): void {
    if (!this.unsynced || this.writeFd === undefined) return;
    try {
      fdatasyncSync(this.writeFd);
      this.unsynced = false;
    } catch (error) {
      this.failed(error);
    }
  }

  close(): void {
    this.seal();
  }

  stats(): SpoolStats {
    return {
      bytes: this.totalBytes,
      segments: this.segments.length,
      replayedLines: this.replayedLines,
      droppedBytes: this.droppedBytes,
      corruptRecords: this.corruptRecords,
      writable: this.failedAtMs === undefined,
    };
  }

  private finishReading(): void {
    this.reading = undefined;
    this.removeOldest();
  }

  /** Past the bound: the oldest segments go (never the one being written), counted. */
  private dropOldest(): void {
    while (this.totalBytes > this.options.maxBytes && this.segments.length > 1) {
      const dropped = this.segments[0]!;
      this.droppedBytes += dropped.bytes - (this.reading?.seq === dropped.seq ? this.reading.at : 0);
      this.lastDropAtMs = Date.now();
      if (this.reading?.seq === dropped.seq) {
        this.reading = undefined;
        this.returned.length = 0;
      }
      this.removeOldest();
    }
  }

  private removeOldest(): void {
    const oldest = this.segments.shift();
    if (!oldest) return;
    this.totalBytes -= oldest.bytes;
    try {
      unlinkSync(this.path(oldest.seq));
    } catch {
      // Already gone (removed by hand): nothing more to free.
    }
  }

  /** Closes the segment being written, durably: it is complete from now on. */
  private seal(): void {
    if (this.writeFd === undefined) return;
    this.sync();
    closeSync(this.writeFd);
    this.writeFd = undefined;
  }

  private failed(error: unknown): void {
    if (this.failedAtMs === undefined) {
      this.options.log.warn(
        { spool: this.options.dir, reason: (error as Error).message },
        'spool cannot write: keeping lines in memory (bounded by --queue-size) until it can',
      );
    }
    this.failedAtMs = Date.now();
    // The segment may end in a torn record: start a new one next time (the reader skips the tear).
    if (this.writeFd !== undefined) {
      try {
        closeSync(this.writeFd);
      } catch {}
      this.writeFd = undefined;
    }
  }

  private path(seq: number): string {
    return join(this.options.dir, `${String(seq).padStart(12, '0')}.seg`);
  }
}
