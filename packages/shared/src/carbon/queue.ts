/**
 * A FIFO of carbon lines bounded by bytes. When a push would pass the bound, the oldest lines go
 * first and are counted: during a long outage the newest data is the most useful, and memory never
 * grows past the bound. Lines are ASCII (names are sanitised, tags validated), so length == bytes.
 */
export class LineQueue {
  private items: string[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** Lines dropped because the queue was full (oldest first), since start. */
  droppedLines = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new Error('queue bound must be positive');
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends lines, dropping the oldest ones if needed; returns how many were dropped. */
  push(lines: readonly string[]): number {
    let dropped = 0;
    for (const line of lines) {
      if (line.length > this.maxBytes) {
        dropped++;
        continue;
      }
      while (this.queuedBytes + line.length > this.maxBytes) {
        this.queuedBytes -= this.items[this.head]!.length;
        this.head++;
        dropped++;
      }
      this.items.push(line);
      this.queuedBytes += line.length;
    }
    this.compact();
    this.droppedLines += dropped;
    return dropped;
  }

  /** Removes lines from the front, whole lines only, up to about `maxChunkBytes`, as one string. */
  take(maxChunkBytes: number): { chunk: string; lines: number } | undefined {
    if (this.length === 0) return undefined;
    let end = this.head;
    let bytes = 0;
    while (
      end < this.items.length &&
      (end === this.head || bytes + this.items[end]!.length <= maxChunkBytes)
    ) {
      bytes += this.items[end]!.length;
      end++;
    }
    const chunk = end - this.head === 1 ? this.items[this.head]! : this.items.slice(this.head, end).join('');
    const lines = end - this.head;
    this.head = end;
    this.queuedBytes -= bytes;
    this.compact();
    return { chunk, lines };
  }

  /** Puts a chunk that could not be written back at the front (a connection died before the write). */
  unshift(chunk: string, lines: number): void {
    const parts = lines === 1 ? [chunk] : chunk.split(/(?<=\n)/);
    this.items.splice(this.head, 0, ...parts);
    this.queuedBytes += chunk.length;
    // The bound still holds: drop from the front if the restored chunk overflowed it.
    while (this.queuedBytes > this.maxBytes) {
      this.queuedBytes -= this.items[this.head]!.length;
      this.head++;
      this.droppedLines++;
    }
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
