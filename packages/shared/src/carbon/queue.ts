/** Newline, the end of every carbon line. */
const NL = 0x0a;

/**
 * Lines are stored in blocks of this many bytes. A block is written once, front to back, and
 * handed to the socket as it is, so the queue holds bytes (not one string object per line) and a
 * taken chunk needs no copy.
 */
export const BLOCK_BYTES = 64 * 1024;

/** A contiguous run of whole lines: `data[start, end)`. Only `end` grows while it is the tail. */
interface Block {
  readonly data: Buffer;
  start: number;
  end: number;
  /** Lines in `[start, end)`. */
  lines: number;
  /** Some of `data` was handed out (taken, or put back by `unshift`): it may still be in flight. */
  lent: boolean;
}

/** A chunk bigger than this that does not fit a block's room starts a new block instead of being cut. */
const SPLIT_BELOW = 8 * 1024;

/** Newlines in `data[from, to)`: the lines in that range (it always ends on a line's end). */
function countLines(data: Uint8Array, from: number, to: number): number {
  let lines = 0;
  for (let at = data.indexOf(NL, from); at !== -1 && at < to; at = data.indexOf(NL, at + 1)) lines++;
  return lines;
}

/** The end of the last whole line in `data[from, limit)`, or `from` when no line ends there. */
function lastLineEnd(data: Uint8Array, from: number, limit: number): number {
  const at = data.lastIndexOf(NL, limit - 1);
  return at >= from ? at + 1 : from;
}

/**
 * A FIFO of carbon lines bounded by bytes. When a push would pass the bound, the oldest lines go
 * first and are counted: during a long outage the newest data is the most useful, and memory never
 * grows past the bound (plus one partly filled block at each end). Lines are ASCII (names are
 * sanitised, tags validated), so a line's length is its size in bytes.
 */
export class LineQueue {
  private readonly blocks: Block[] = [];
  private queuedBytes = 0;
  private queuedLines = 0;
  /**
   * A dropped block that nothing outside ever saw, kept for the next allocation: during an outage
   * every new block would otherwise leave a dropped one as garbage (external memory the GC frees late).
   */
  private spare: Buffer | undefined;
  /** Lines dropped because the queue was full (oldest first), since start. */
  droppedLines = 0;
  /** When lines were last dropped (Date.now()), if ever. */
  lastDropAtMs: number | undefined;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new Error('queue bound must be positive');
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  get length(): number {
    return this.queuedLines;
  }

  /**
   * Appends `chunk`, whole lines (`lines` of them), dropping the oldest lines if needed; returns
   * how many were dropped. The chunk is copied: the caller may reuse it at once.
   */
  push(chunk: Uint8Array, lines: number): number {
    const droppedBefore = this.droppedLines;
    let from = 0;
    let left = lines;
    while (from < chunk.length) {
      let tail = this.blocks.at(-1);
      const room = tail ? tail.data.length - tail.end : 0;
      let to = chunk.length;
      let count = left;
      if (to - from > room) {
        // Cut after the last whole line that fits, counting the lines of the smaller side; a big
        // chunk that barely fits is not worth the count: it starts a block of its own.
        const cut = room > 0 && to - from <= SPLIT_BELOW ? lastLineEnd(chunk, from, from + room) : from;
        if (cut > from) {
          to = cut;
          count = countLines(chunk, from, to);
        } else {
          // A new block takes the rest, or as many whole lines of it as a block holds (a single line
          // longer than a block gets a block of its own size).
          if (to - from > BLOCK_BYTES) {
            const end = lastLineEnd(chunk, from, from + BLOCK_BYTES);
            to = end > from ? end : chunk.indexOf(NL, from) + 1;
            count = countLines(chunk, from, to);
          }
          tail = { data: this.newBlockData(to - from), start: 0, end: 0, lines: 0, lent: false };
          this.blocks.push(tail);
        }
      }
      tail!.data.set(chunk.subarray(from, to), tail!.end);
      tail!.end += to - from;
      tail!.lines += count;
      this.queuedBytes += to - from;
      this.queuedLines += count;
      left -= count;
      from = to;
      this.dropOldest();
    }
    return this.droppedLines - droppedBefore;
  }

  /** Removes whole lines from the front, up to about `maxChunkBytes` (at least one line). */
  take(maxChunkBytes: number): { chunk: Buffer; lines: number } | undefined {
    if (this.queuedLines === 0) return undefined;
    const parts: Buffer[] = [];
    let bytes = 0;
    let lines = 0;
    while (this.blocks.length > 0) {
      const block = this.blocks[0]!;
      const available = block.end - block.start;
      if (available === 0) {
        this.release(this.blocks.shift()!);
        continue;
      }
      block.lent = true;
      if (bytes + available <= maxChunkBytes) {
        parts.push(block.data.subarray(block.start, block.end));
        bytes += available;
        lines += block.lines;
        block.start = block.end;
        block.lines = 0;
        continue;
      }
      // Only part of this block fits: cut after the last whole line that does (or the first line).
      // (lastIndexOf counts a negative offset from the end: only search when there is room left.)
      const limit = block.start + maxChunkBytes - bytes;
      let cut = limit > block.start ? block.data.lastIndexOf(NL, limit - 1) + 1 : 0;
      if (cut <= block.start) {
        if (parts.length > 0) break;
        cut = block.data.indexOf(NL, block.start) + 1;
      }
      const taken = countLines(block.data, block.start, cut);
      parts.push(block.data.subarray(block.start, cut));
      bytes += cut - block.start;
      lines += taken;
      block.start = cut;
      block.lines -= taken;
      break;
    }
    this.releaseDrained();
    this.queuedBytes -= bytes;
    this.queuedLines -= lines;
    return { chunk: parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes), lines };
  }

  /** Puts a chunk that could not be written back at the front (a connection died before the write). */
  unshift(chunk: Buffer, lines: number): void {
    this.blocks.unshift({ data: chunk, start: 0, end: chunk.length, lines, lent: true });
    this.queuedBytes += chunk.length;
    this.queuedLines += lines;
    // The bound still holds: drop from the front if the restored chunk overflowed it.
    this.dropOldest();
  }

  /** Drops whole lines from the front until the queue is within its bound. */
  private dropOldest(): void {
    while (this.queuedBytes > this.maxBytes) {
      const block = this.blocks[0]!;
      const excess = this.queuedBytes - this.maxBytes;
      const available = block.end - block.start;
      let cut = block.end;
      let dropped = block.lines;
      if (excess < available) {
        cut = block.data.indexOf(NL, block.start + excess - 1) + 1;
        dropped = countLines(block.data, block.start, cut);
      }
      this.queuedBytes -= cut - block.start;
      this.queuedLines -= dropped;
      this.droppedLines += dropped;
      this.lastDropAtMs = Date.now();
      block.start = cut;
      block.lines -= dropped;
      this.releaseDrained();
    }
  }

  /**
   * Lets go of emptied blocks at the front. An emptied block is never written again: a chunk taken
   * from it may still be on its way to the kernel.
   */
  private releaseDrained(): void {
    while (this.blocks.length > 0 && this.blocks[0]!.start === this.blocks[0]!.end)
      this.release(this.blocks.shift()!);
  }

  /** Keeps an emptied block's buffer as the spare when nothing outside can still hold it. */
  private release(block: Block): void {
    if (!block.lent && block.data.length === BLOCK_BYTES) this.spare ??= block.data;
  }

  private newBlockData(lineLength: number): Buffer {
    const spare = this.spare;
    if (spare && lineLength <= BLOCK_BYTES) {
      this.spare = undefined;
      return spare;
    }
    return Buffer.allocUnsafeSlow(Math.max(BLOCK_BYTES, lineLength));
  }
}
