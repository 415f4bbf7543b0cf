import type { Logger } from 'pino';
import { humanDuration } from '../runtime/problem-log.js';

/** How often lines being dropped are summed up in one warning (one per minute, not one per chunk). */
export const DROP_SUMMARY_MS = 60_000;

/** What a destination's lane has done with lines so far (cumulative counts). */
export interface LaneCounts {
  /** Lines handed to the lane. */
  pushedLines: number;
  /** Lines written to the disk spool. */
  spooledLines: number;
  /** Lines the memory queue dropped (full, nowhere else to go). */
  droppedLines: number;
  /** Bytes the spool dropped (oldest segments, past its bound). */
  spoolDroppedBytes: number;
}

interface Outage {
  sinceMs: number;
  at: LaneCounts;
}

/**
 * The log of carbon's reachability, the edges only: one warning when a destination becomes
 * unreachable (its address and the error), one when it is back (how long it was away and what
 * became of the lines meanwhile), and while lines are being dropped one warning per period with the
 * counts. Retries in between are debug lines.
 */
export class OutageLog {
  private readonly outages = new Map<string, Outage>();
  private lastDropped = { lines: 0, spoolBytes: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    /** Every lane's counts and queue, summed (for the drop summary). */
    private readonly totals: () => LaneCounts & { queueBytes: number; queueBytesMax: number },
    summaryMs = DROP_SUMMARY_MS,
  ) {
    this.timer = setInterval(() => this.summarizeDrops(summaryMs), summaryMs);
    this.timer.unref();
  }

  /** `destination` failed to connect or lost its connection; only the first failure of an outage is a warning. */
  down(destination: string, reason: string, counts: LaneCounts): void {
    if (this.outages.has(destination)) return;
    this.outages.set(destination, { sinceMs: Date.now(), at: { ...counts } });
    this.log.warn(
      { carbon: destination, reason },
      `carbon ${destination} unreachable (${reason}): lines are kept for it until it is back, retrying`,
    );
  }

  /** `destination` connected; ends its outage, if it had one. */
  up(destination: string, counts: LaneCounts): void {
    const outage = this.outages.get(destination);
    if (!outage) {
      this.log.info({ carbon: destination }, `carbon ${destination} connected`);
      return;
    }
    this.outages.delete(destination);
    const lastedMs = Date.now() - outage.sinceMs;
    const meanwhile = {
      queued_lines: counts.pushedLines - outage.at.pushedLines,
      spooled_lines: counts.spooledLines - outage.at.spooledLines,
      dropped_lines: counts.droppedLines - outage.at.droppedLines,
      spool_dropped_bytes: counts.spoolDroppedBytes - outage.at.spoolDroppedBytes,
    };
    const lost =
      meanwhile.dropped_lines > 0 || meanwhile.spool_dropped_bytes > 0
        ? `, ${meanwhile.dropped_lines} lines and ${meanwhile.spool_dropped_bytes} spooled bytes dropped`
        : ', none dropped';
    this.log.warn(
      { carbon: destination, lasted_ms: lastedMs, ...meanwhile },
      `carbon ${destination} reachable again after ${humanDuration(lastedMs)}: ${meanwhile.queued_lines} lines queued meanwhile (${meanwhile.spooled_lines} to the spool)${lost}; sending the backlog`,
    );
  }

  private summarizeDrops(periodMs: number): void {
    const totals = this.totals();
    const before = this.lastDropped;
    this.lastDropped = { lines: totals.droppedLines, spoolBytes: totals.spoolDroppedBytes };
    const lines = totals.droppedLines - before.lines;
    const spoolBytes = totals.spoolDroppedBytes - before.spoolBytes;
    if (lines === 0 && spoolBytes === 0) return;
    const away = [...this.outages.keys()];
    this.log.warn(
      {
        dropped_lines: lines,
        spool_dropped_bytes: spoolBytes,
        dropped_lines_total: totals.droppedLines,
        queue_bytes: totals.queueBytes,
        queue_bytes_max: totals.queueBytesMax,
        unreachable: away,
      },
      `carbon: ${lines} lines${spoolBytes > 0 ? ` and ${spoolBytes} spooled bytes` : ''} dropped in the last ${humanDuration(periodMs)} (queues hold ${totals.queueBytes} of ${totals.queueBytesMax} bytes${away.length > 0 ? `; unreachable: ${away.join(', ')}` : ''})`,
    );
  }

  close(): void {
    clearInterval(this.timer);
  }
}
