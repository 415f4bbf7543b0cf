/**
 * Runs a task on wall-clock-aligned ticks (every 10 s at :00, :10, ...), so points of all agents line up
 * with whisper steps. A cycle never overlaps the previous one: a tick that arrives while a cycle still
 * runs is skipped and counted. Each cycle gets an AbortSignal that fires at its deadline or on stop().
 */
/**
 * Why a cycle's signal fired: its deadline passed (the target was too slow: report it), or the agent is
 * stopping (the target did nothing wrong: the cycle reports nothing). The signal's `reason`.
 */
export class CycleAbort extends Error {
  constructor(
    readonly kind: 'deadline' | 'shutdown',
    message: string,
  ) {
    super(message);
    this.name = 'CycleAbort';
  }
}

/** Whether a cycle's signal fired because the agent is stopping (and not at the cycle's deadline). */
export function abortedForShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof CycleAbort && signal.reason.kind === 'shutdown';
}

export interface TickInfo {
  /** Wall-clock time of the tick this cycle belongs to. */
  tickAtMs: number;
  signal: AbortSignal;
}

export interface SchedulerOptions {
  intervalMs: number;
  timeoutMs: number;
  run(tick: TickInfo): Promise<void>;
  /** Called with every skipped tick. */
  onSkip?(tickAtMs: number): void;
  now?: () => number;
}

export class Scheduler {
  skippedTicks = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The first tick is the next aligned instant. */
  start(): void {
    this.scheduleNext(this.now());
  }

  /** Next aligned tick strictly after `afterMs`. */
  static nextTick(afterMs: number, intervalMs: number): number {
    return (Math.floor(afterMs / intervalMs) + 1) * intervalMs;
  }

  /** Schedules the first aligned tick after `afterMs` (a timer that fired a hair early never repeats a tick). */
  private scheduleNext(afterMs: number): void {
    if (this.stopped) return;
    const now = this.now();
    const next = Scheduler.nextTick(Math.max(now, afterMs), this.options.intervalMs);
    this.timer = setTimeout(() => this.tick(next), next - now);
  }

  private tick(tickAtMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.skippedTicks++;
      this.options.onSkip?.(tickAtMs);
    } else {
      this.running = this.runCycle(tickAtMs).finally(() => {
        this.running = undefined;
      });
    }
    this.scheduleNext(tickAtMs);
  }

  /** Runs one cycle now (also used by --once); resolves when it has settled. */
  async runCycle(tickAtMs: number = this.now()): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const deadline = setTimeout(
      () =>
        controller.abort(new CycleAbort('deadline', `cycle deadline of ${this.options.timeoutMs} ms passed`)),
      this.options.timeoutMs,
    );
    try {
      await this.options.run({ tickAtMs, signal: controller.signal });
    } finally {
      clearTimeout(deadline);
      this.controller = undefined;
    }
  }

  /**
   * Stops ticking, aborts a running cycle, and waits for it to settle — at most `waitMs`, so a
   * collector that ignores its signal cannot hold up the shutdown.
   */
  async stop(waitMs = 5000, reason = 'shutting down'): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller?.abort(new CycleAbort('shutdown', reason));
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running.catch(() => {}),
      new Promise((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
