import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Link, StdoutLink, TcpLink, UdpLink } from './links.js';
import { type LaneCounts, OutageLog } from './outage-log.js';
import { LineQueue } from './queue.js';
import { Spool, type SpoolStats } from './spool.js';
import { lockSpoolDirectory, SpoolInUseError } from './spool-lock.js';

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
  /** A disk spool behind each queue (tcp only); unset: memory only. */
  spool?: {
    dir: string;
    /** Bound of each destination's spool, in bytes. */
    maxBytes: number;
    /** How often spooled lines are made durable (fdatasync): what `kill -9` can lose at most. */
    fsyncMs: number;
  };
  log: Logger;
  /** Period of the warning that sums up dropped lines (default one minute; tests shorten it). */
  dropSummaryMs?: number;
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
    spoolBytes?: number;
    reconnects: number;
    lastError?: string;
  }>;
  /** The spools of every destination together, when there is one. */
  spool?: SpoolStats;
}

/** Lines written per socket write: big enough for throughput, small enough to re-queue cheaply. */
const CHUNK_BYTES = 64 * 1024;

/**
 * One queue feeding one link (replicate) or the first ready link of several (failover), with an
 * optional disk spool behind the queue. Lines go to the spool while no link is connected (the
 * queue's lines first, so order and the crash guarantee hold) or when the queue would pass its bound.
 * Live lines go first: the queue is sent before the spool, whose backlog only fills the gaps, one
 * chunk per socket write, so a new cycle waits at most one chunk behind hours of backlog.
 */
class Lane {
  sent = 0;
  pushedLines = 0;
  spooledLines = 0;
  private pumping = false;

  constructor(
    readonly queue: LineQueue,
    readonly links: readonly Link[],
    readonly spool?: Spool,
  ) {
    for (const link of links) link.onReady = () => this.pump();
  }

  get connected(): boolean {
    return this.links.some((link) => link.connected);
  }

  /** Queues whole lines; returns how many older lines the memory queue had to drop. */
  push(chunk: Uint8Array, lines: number): number {
    this.pushedLines += lines;
    if (this.spool) {
      // Connected, the queue keeps its live lines and only the overflow goes to disk; down, the queue
      // goes to disk first so the spool keeps the order.
      const down = !this.connected;
      const spill = down || this.queue.bytes + chunk.length > this.queue.maxBytes;
      if (spill && (!down || this.spillQueue()) && this.spool.append(chunk, lines)) {
        this.spooledLines += lines;
        return 0;
      }
    }
    return this.queue.push(chunk, lines);
  }

  /** Moves what waits in memory to the spool while no link is connected (a crash then loses none of it). */
  spillIfDown(): void {
    if (!this.connected) this.spillQueue();
  }

  /** Moves the memory queue to the spool, in order; false when the disk refused (the rest stays in memory). */
  spillQueue(): boolean {
    const spool = this.spool;
    if (!spool) return false;
    for (let taken = this.queue.take(CHUNK_BYTES); taken; taken = this.queue.take(CHUNK_BYTES)) {
      if (!spool.append(taken.chunk, taken.lines)) {
        this.queue.unshift(taken.chunk, taken.lines);
        return false;
      }
      this.spooledLines += taken.lines;
    }
    return true;
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
        const live = this.queue.take(CHUNK_BYTES);
        const spooled = live ? undefined : this.spool?.take();
        const taken = live ?? spooled;
        if (!taken) return;
        let synchronous = true;
        let again = false;
        link.write(taken.chunk, (error) => {
          if (error) {
            // Not handed to the kernel: keep it, in order, for the next connection. A point sent twice
            // overwrites itself in whisper, so at-least-once is safe.
            if (spooled) this.spool!.putBack(spooled);
            else this.queue.unshift(taken.chunk, taken.lines);
          } else {
            this.sent += taken.lines;
            if (spooled) this.spool!.sent(spooled);
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

  counts(): LaneCounts {
    return {
      pushedLines: this.pushedLines,
      spooledLines: this.spooledLines,
      droppedLines: this.queue.droppedLines,
      spoolDroppedBytes: this.spool?.droppedBytes ?? 0,
    };
  }

  /** Nothing in memory waits to be written (a spool's backlog is kept on disk for the next start). */
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
  private readonly releaseSpool: (() => void) | undefined;
  private readonly syncTimer: NodeJS.Timeout | undefined;
  private readonly outages: OutageLog;

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
    const laneLinks =
      options.mode === 'failover' || this.links.length === 1
        ? [this.links]
        : this.links.map((link) => [link]);
    this.releaseSpool = options.protocol === 'tcp' ? this.lockSpool() : undefined;
    this.lanes = laneLinks.map(
      (links) => new Lane(new LineQueue(options.queueBytes), links, this.openSpool(links)),
    );
    this.outages = new OutageLog(log, () => this.totals(), options.dropSummaryMs);
    for (const lane of this.lanes) {
      for (const link of lane.links) {
        link.onConnection = (error) => {
          if (this.closed) return;
          if (error === undefined) this.outages.up(link.name, lane.counts());
          else this.outages.down(link.name, error, lane.counts());
        };
      }
    }
    if (this.releaseSpool) {
      this.syncTimer = setInterval(() => {
        for (const lane of this.lanes) {
          lane.spillIfDown();
          lane.spool?.sync();
        }
      }, options.spool!.fsyncMs);
      this.syncTimer.unref();
    }
  }

  /**
   * Takes the spool directory for this agent, or returns undefined (memory only, one warning) when
   * it cannot be created or written. Another live agent's lock is an error: SpoolInUseError.
   */
  private lockSpool(): (() => void) | undefined {
    const spool = this.options.spool;
    if (!spool) return undefined;
    try {
      mkdirSync(spool.dir, { recursive: true });
      return lockSpoolDirectory(spool.dir);
    } catch (error) {
      if (error instanceof SpoolInUseError) throw error;
      this.warnSpoolUnusable(spool.dir, error);
      return undefined;
    }
  }

  /** Each lane spools into a directory named after its destinations, so a spool is replayed to where it was meant for. */
  private openSpool(links: readonly Link[]): Spool | undefined {
    const spool = this.options.spool;
    if (!this.releaseSpool || !spool) return undefined;
    const dir = join(spool.dir, links.map((link) => link.name.replace(/[^A-Za-z0-9._-]/g, '_')).join('+'));
    try {
      return new Spool({ dir, maxBytes: spool.maxBytes, log: this.options.log });
    } catch (error) {
      this.warnSpoolUnusable(dir, error);
      return undefined;
    }
  }

  private warnSpoolUnusable(dir: string, error: unknown): void {
    this.options.log.warn(
      { spool: dir, reason: (error as Error).message },
      'spool directory unusable: keeping lines in memory only (bounded by --queue-size)',
    );
  }

  /**
   * Queues a chunk of whole lines (`lines` of them) for every lane; returns how many older lines
   * had to be dropped to make room. The chunk is copied: the caller may reuse it at once.
   */
  send(chunk: Uint8Array, lines: number): number {
    if (this.closed || lines === 0) return 0;
    let dropped = 0;
    for (const lane of this.lanes) {
      dropped += lane.push(chunk, lines);
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

  /**
   * Stops sending. What is still queued in memory goes to the spool (when there is one); returns
   * how many lines that was.
   */
  async close(): Promise<number> {
    this.closed = true;
    clearInterval(this.syncTimer);
    this.outages.close();
    let spooled = 0;
    for (const lane of this.lanes) {
      const before = lane.queue.length;
      lane.spillQueue();
      spooled += before - lane.queue.length;
      lane.spool?.close();
    }
    this.releaseSpool?.();
    await Promise.all(this.links.map((link) => link.close()));
    return spooled;
  }

  /** Every lane's counts summed, with the queues' fill (what the drop summary reports). */
  private totals(): LaneCounts & { queueBytes: number; queueBytesMax: number } {
    const sum = (pick: (counts: LaneCounts) => number) =>
      this.lanes.reduce((total, lane) => total + pick(lane.counts()), 0);
    return {
      pushedLines: sum((counts) => counts.pushedLines),
      spooledLines: sum((counts) => counts.spooledLines),
      droppedLines: sum((counts) => counts.droppedLines),
      spoolDroppedBytes: sum((counts) => counts.spoolDroppedBytes),
      queueBytes: this.queueBytes,
      queueBytesMax: this.queueBytesMax,
    };
  }

  stats(): SenderStats {
    const destinations = this.links.map((link) => {
      const lane = this.lanes.find((candidate) => candidate.links.includes(link))!;
      return {
        name: link.name,
        connected: link.connected,
        queueBytes: lane.queue.bytes,
        ...(lane.spool ? { spoolBytes: lane.spool.bytes } : {}),
        reconnects: link.reconnects,
        ...(link.lastError ? { lastError: link.lastError } : {}),
      };
    });
    const spools = this.lanes.flatMap((lane) => (lane.spool ? [lane.spool.stats()] : []));
    return {
      linesQueued: this.lanes.reduce((sum, lane) => sum + lane.queue.length, 0),
      linesSent: this.lanes.reduce((sum, lane) => sum + lane.sent, 0),
      linesDroppedQueueFull: this.lanes.reduce((sum, lane) => sum + lane.queue.droppedLines, 0),
      lastDropAtMs: latest(this.lanes.flatMap((lane) => [lane.queue.lastDropAtMs, lane.spool?.lastDropAtMs])),
      queueBytes: this.queueBytes,
      queueBytesMax: this.queueBytesMax,
      reconnects: this.links.reduce((sum, link) => sum + link.reconnects, 0),
      destinations,
      ...(spools.length > 0 ? { spool: sumSpoolStats(spools) } : {}),
    };
  }
}

function latest(times: ReadonlyArray<number | undefined>): number | undefined {
  const known = times.filter((time): time is number => time !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

function sumSpoolStats(spools: readonly SpoolStats[]): SpoolStats {
  const sum = (pick: (stats: SpoolStats) => number) =>
    spools.reduce((total, stats) => total + pick(stats), 0);
  return {
    bytes: sum((stats) => stats.bytes),
    segments: sum((stats) => stats.segments),
    replayedLines: sum((stats) => stats.replayedLines),
    droppedBytes: sum((stats) => stats.droppedBytes),
    corruptRecords: sum((stats) => stats.corruptRecords),
    writable: spools.every((stats) => stats.writable),
  };
}
