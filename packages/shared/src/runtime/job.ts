import type { Logger } from 'pino';
import type { LeafGroup } from '../carbon/distinct-names.js';
import type { UnknownSegment } from '../carbon/name-filter.js';
import type { SegmentSanitizer } from '../carbon/segments.js';
import type { ExposeRender } from '../prometheus/scrape.js';
import type { SeriesProfile } from './options.js';
import type { ProblemLog } from './problem-log.js';

/**
 * What a collector sees of one collection cycle. Everything a job emits is turned into carbon lines
 * under the agent's prefix, stamped with `timestampSec`, and queued when the job settles — also when
 * it throws, so a failing cycle can still report `collector.up 0`.
 */
export interface Cycle {
  readonly job: string;
  /**
   * Aborted at the job's deadline and on shutdown: pass it to every request and wait. Its reason is a
   * CycleAbort; a cycle aborted for shutdown (`abortedForShutdown`) is discarded by the runtime, so a
   * job need not report the failures the abort caused.
   */
  readonly signal: AbortSignal;
  /** Wall-clock start of the tick (ms since the epoch). */
  readonly startedAtMs: number;
  /** The aligned timestamp every line of this cycle carries (seconds). */
  readonly timestampSec: number;
  /** True under `--once`: a job that derives rates takes its own second sample. */
  readonly once: boolean;
  readonly log: Logger;
  /**
   * Where a problem that may recur every cycle (an API failing, a file unreadable) is reported, so it
   * is logged when it starts, changes and ends, not once per cycle. Shared by every job of the agent.
   */
  readonly problems: ProblemLog;
  /**
   * One sample: raw name segments after the prefix and a number or boolean. Each segment is
   * sanitised, and raw segments that sanitise alike within one scope in this cycle (`data.1`,
   * `data_1`) are told apart (`DistinctNames`), so no two sources share a series.
   */
  emit(segments: readonly (string | number)[], value: unknown): void;
  /**
   * Whether the series budget can send any series named `segments` (raw, after the prefix, as for
   * `emit`) or below it, an `UnknownSegment` standing for a name not known before reading (an
   * index's): a job leaves unread what no series could come of. Always true with `--metrics`, whose
   * /metrics shows every series whatever the budget.
   */
  sendsBelow(segments: readonly (string | number | UnknownSegment)[]): boolean;
  /**
   * Many samples under one head (a node, an index, a container): the head is named as `emit` names
   * segments, and each sample below it is a leaf found from the group's `root` (named once for the
   * life of the process) and a number, so a million samples cost no path, name or object each.
   * The same head gives the same group within a cycle; a head's samples all go through its group.
   */
  group(head: readonly (string | number)[]): LeafGroup;
  /**
   * How this cycle's samples look to Prometheus: kept once the cycle completes and run when /metrics
   * is scraped (the samples it closes over are not read again). A cycle that never calls it leaves
   * an empty exposition, so a failed cycle's stale series disappear.
   */
  expose(render: ExposeRender): void;
}

export interface Job {
  /** Stable name, used in logs, /status and self-metrics (a cluster name, `containers`, ...). */
  readonly name: string;
  readonly intervalMs: number;
  /** Deadline for one cycle; the cycle's signal aborts then. */
  readonly timeoutMs: number;
  /** Naming scheme's sanitiser for this job's segments (default: `[A-Za-z0-9_-]`). */
  readonly sanitize?: SegmentSanitizer;
  /** This job's series budget when it has its own (an es-collector `clusters:` entry); else the agent's. */
  readonly series?: SeriesBudget;
  /** Throwing marks the cycle failed (logged, counted); emitted samples are still sent. */
  run(cycle: Cycle): Promise<void>;
}

export interface Agent {
  readonly jobs: readonly Job[];
  /** Agent-specific part of GET /status (never secrets). */
  status?(): unknown;
  close?(): Promise<void>;
}

/** Which series a job sends (`--profile`, `--include`, `--exclude`). */
export interface SeriesBudget {
  profile: SeriesProfile;
  include: readonly string[];
  exclude: readonly string[];
}
