import type { Logger } from 'pino';
import { type Link, StdoutLink, TcpLink, UdpLink } from './links.js';
import { LineQueue } from './queue.js';

export interface Destination {
  host: string;
  port: number;
}

export interface SenderOptions {
  destinations: readonly Destination[];
  /** replicate: every line to each destination (a queue each); failover: the first healthy one. */
  mode: 'replicate' | 'failover';
  protocol: 'tcp' | 'udp' | 'stdout';
  /** Bound of each queue, in bytes. */
  queueBytes: number;
  connectTimeoutMs: number;
  log: Logger;
}

export interface SenderStats {
  linesQueued: number;
  linesSent: number;
  linesDroppedQueueFull: number;
  /** When a queue last dropped lines (Date.now()), if ever. */
  lastDropAtMs: number | undefined;
  queueBytes: number;
  queueBytesMax: number;
  reconnects: number;
  destinations: Array<{
    name: string;
    connected: boolean;
    queueBytes: number;
    reconnects: number;
    lastError?: string;
  }>;
}

/** Lines written per socket write: big enough for throughput, small enough to re-queue cheaply. */
const CHUNK_BYTES = 64 * 1024;

/** One queue feeding one link (replicate) or the first ready link of several (failover). */
class Lane {
  sent = 0;
  private pumping = false;

  constructor(
    readonly queue: LineQueue,
    readonly links: readonly Link[],
  ) {
    for (const link of links) link.onReady = () => this.pump();
  }

  /** The link to write to now: failover prefers the first connected link in the configured order. */
  private pick(): Link | undefined {
    const link = this.links.find((candidate) => candidate.connected);
    return link?.ready ? link : undefined;
  }

  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const link = this.pick();
        if (!link) return;
        const taken = this.queue.take(CHUNK_BYTES);
        if (!taken) return;
        let synchronous = true;
        let again = false;
        link.write(taken.chunk, (error) => {
          if (error) {
            // Not handed to the kernel: keep it, in order, for the next connection. A point sent twice
            // overwrites itself in whisper, so at-least-once is safe.
            this.queue.unshift(taken.chunk, taken.lines);
          } else {
            this.sent += taken.lines;
          }
          if (synchronous) again = true;
        });
        synchronous = false;
        if (!again) return;
      }
    } finally {
      this.pumping = false;
    }
  }

  get idle(): boolean {
    return this.queue.length === 0 && this.links.every((link) => link.ready || !link.connected);
  }
}

/**
 * The carbon sender: bounded queues, persistent connections, replicate or failover. Lines pushed
 * while carbon is unreachable are kept (up to the bound) and sent in order once it is back.
 */
export class CarbonSender {
  private readonly lanes: Lane[];
  private readonly links: Link[];
  private closed = false;

  constructor(private readonly options: SenderOptions) {
    const { log } = options;
    if (options.protocol === 'stdout') {
      this.links = [new StdoutLink()];
    } else {
      this.links = options.destinations.map((destination) =>
        options.protocol === 'udp'
          ? new UdpLink(destination.host, destination.port)
          : new TcpLink({ ...destination, connectTimeoutMs: options.connectTimeoutMs, log }),
      );
    }
    this.lanes =
      options.mode === 'failover' || this.links.length === 1
        ? [new Lane(new LineQueue(options.queueBytes), this.links)]
        : this.links.map((link) => new Lane(new LineQueue(options.queueBytes), [link]));
  }

  /**
   * Queues a chunk of whole lines (`lines` of them) for every lane; returns how many older lines
   * had to be dropped to make room. The chunk is copied: the caller may reuse it at once.
   */
  send(chunk: Uint8Array, lines: number): number {
    if (this.closed || lines === 0) return 0;
    let dropped = 0;
    for (const lane of this.lanes) {
      dropped += lane.queue.push(chunk, lines);
      lane.pump();
    }
    return dropped;
  }

  /** True when at least one destination is connected (always for udp and stdout). */
  get reachable(): boolean {
    return this.links.some((link) => link.connected);
  }

  get queueBytes(): number {
    return this.lanes.reduce((sum, lane) => sum + lane.queue.bytes, 0);
  }

  get queueBytesMax(): number {
    return this.lanes.length * this.options.queueBytes;
  }

  /** Resolves true once every queue is empty and written, or false when `timeoutMs` passes first. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let nextKick = 0;
    for (;;) {
      if (Date.now() >= nextKick) {
        // While flushing there is no time for a 30 s backoff: try twice a second.
        for (const link of this.links) if (!link.connected) link.reconnectNow();
        nextKick = Date.now() + 500;
      }
      for (const lane of this.lanes) lane.pump();
      if (this.lanes.every((lane) => lane.idle)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.links.map((link) => link.close()));
  }

  stats(): SenderStats {
    const destinations = this.links.map((link) => {
      const lane = this.lanes.find((candidate) => candidate.links.includes(link))!;
      return {
        name: link.name,
        connected: link.connected,
        queueBytes: lane.queue.bytes,
        reconnects: link.reconnects,
        ...(link.lastError ? { lastError: link.lastError } : {}),
      };
    });
    return {
      linesQueued: this.lanes.reduce((sum, lane) => sum + lane.queue.length, 0),
      linesSent: this.lanes.reduce((sum, lane) => sum + lane.sent, 0),
      linesDroppedQueueFull: this.lanes.reduce((sum, lane) => sum + lane.queue.droppedLines, 0),
      lastDropAtMs: latest(this.lanes.map((lane) => lane.queue.lastDropAtMs)),
      queueBytes: this.queueBytes,
      queueBytesMax: this.queueBytesMax,
      reconnects: this.links.reduce((sum, link) => sum + link.reconnects, 0),
      destinations,
    };
  }
}

function latest(times: ReadonlyArray<number | undefined>): number | undefined {
  const known = times.filter((time): time is number => time !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}
