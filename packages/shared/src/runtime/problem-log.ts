import type { Logger } from 'pino';

/** How often a problem that goes on is logged again, with how many times it recurred meanwhile. */
export const PROBLEM_SUMMARY_MS = 10 * 60_000;

interface Ongoing {
  reason: string;
  sinceMs: number;
  /** Occurrences since the problem was last logged. */
  repeats: number;
  occurrences: number;
  loggedAtMs: number;
}

/**
 * Logs a problem that recurs every cycle (an API answering 404, a cluster down, a file that cannot be
 * read) when it starts, when its reason changes and when it ends, and while it goes on one summary
 * line every `summaryMs` with how often it recurred: a day of a failing API is a handful of lines,
 * not one per cycle. Each problem has a key (`cluster logs: indices_stats`) that says what failed.
 */
export class ProblemLog {
  private readonly ongoing = new Map<string, Ongoing>();
  private readonly summaryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly log: Logger,
    options: { summaryMs?: number; now?: () => number } = {},
  ) {
    this.summaryMs = options.summaryMs ?? PROBLEM_SUMMARY_MS;
    this.now = options.now ?? Date.now;
  }

  /** This cycle's word on problem `key`: its reason when it occurred, undefined when all was well. */
  report(key: string, reason: string | undefined, fields: Record<string, unknown> = {}): void {
    if (reason === undefined) this.ok(key, fields);
    else this.fail(key, reason, fields);
  }

  fail(key: string, reason: string, fields: Record<string, unknown> = {}): void {
    const now = this.now();
    const problem = this.ongoing.get(key);
    if (!problem || problem.reason !== reason) {
      this.ongoing.set(key, { reason, sinceMs: now, repeats: 0, occurrences: 1, loggedAtMs: now });
      this.log.warn({ ...fields, problem: key, reason }, `${key}: ${reason}`);
      return;
    }
    problem.repeats++;
    problem.occurrences++;
    if (now - problem.loggedAtMs < this.summaryMs) return;
    this.log.warn(
      {
        ...fields,
        problem: key,
        reason,
        repeats: problem.repeats,
        since: new Date(problem.sinceMs).toISOString(),
      },
      `${key}: still ${reason} (${problem.repeats} more times in the last ${humanDuration(now - problem.loggedAtMs)}, since ${new Date(problem.sinceMs).toISOString()})`,
    );
    problem.repeats = 0;
    problem.loggedAtMs = now;
  }

  ok(key: string, fields: Record<string, unknown> = {}): void {
    const problem = this.ongoing.get(key);
    if (!problem) return;
    this.ongoing.delete(key);
    const lastedMs = this.now() - problem.sinceMs;
    this.log.info(
      { ...fields, problem: key, occurrences: problem.occurrences, lasted_ms: lastedMs },
      `${key}: recovered after ${problem.occurrences} failed time(s) over ${humanDuration(lastedMs)}`,
    );
  }

  /** Ends every problem under `prefix` that this cycle did not report (a target that went away). */
  okAllBut(prefix: string, reported: ReadonlySet<string>): void {
    for (const key of [...this.ongoing.keys()])
      if (key.startsWith(prefix) && !reported.has(key)) this.ok(key);
  }

  /** Forgets, without a word, every problem whose key starts with `prefix` (what it concerned is gone). */
  forget(prefix: string): void {
    for (const key of [...this.ongoing.keys()]) if (key.startsWith(prefix)) this.ongoing.delete(key);
  }
}

/** A duration as a person reads it in a log line. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3600_000).toFixed(1)} h`;
}
