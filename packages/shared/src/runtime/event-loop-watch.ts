/** How often the watch's timer is due. */
const TICK_MS = 500;
/** How far back the longest stall is remembered: longer than Marathon's health check interval (30 s). */
const WINDOW_MS = 60_000;

/**
 * Measures how long the event loop was blocked: a timer due every 500 ms that runs late by N ms
 * means the loop did nothing else for N ms. A loop blocked for good never answers /healthz at all
 * (the check times out); this catches one that is blocked for seconds again and again.
 */
export class EventLoopWatch {
  private readonly timer: NodeJS.Timeout;
  private dueAtMs = Date.now() + TICK_MS;
  /** The longest stall in the current and the previous window. */
  private longestMs = [0, 0];
  private windowStartMs = Date.now();

  constructor() {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.windowStartMs >= WINDOW_MS) {
      this.longestMs = [0, this.longestMs[0]!];
      this.windowStartMs = now;
    }
    this.longestMs[0] = Math.max(this.longestMs[0]!, now - this.dueAtMs);
    this.dueAtMs = now + TICK_MS;
  }

  /** The longest stall within the last one to two minutes, counting one going on now, in ms. */
  get longestStallMs(): number {
    return Math.max(...this.longestMs, Date.now() - this.dueAtMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
