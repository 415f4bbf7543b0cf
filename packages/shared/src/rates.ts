/**
 * Turns cumulative counters into per-second rates and ratios between consecutive samples. A counter
 * that went backwards (node or container restart) yields nothing for that cycle instead of a
 * negative rate, and becomes the new baseline.
 */
export interface CounterDelta {
  delta: number;
  seconds: number;
}

interface Previous {
  value: number;
  atMs: number;
  generation: number;
}

export class CounterTracker {
  private readonly previous = new Map<string, Previous>();
  private generation = 0;

  /** Records `value` for `key` at `atMs`; returns the change since the last record, if meaningful. */
  delta(key: string, value: number, atMs: number): CounterDelta | undefined {
    if (!Number.isFinite(value)) return undefined;
    const before = this.previous.get(key);
    if (!before) {
      this.previous.set(key, { value, atMs, generation: this.generation });
      return undefined;
    }
    const { value: previousValue, atMs: previousAtMs } = before;
    // Updated in place: thousands of counters a cycle, no new record each.
    before.value = value;
    before.atMs = atMs;
    before.generation = this.generation;
    if (value < previousValue || atMs <= previousAtMs) return undefined;
    return { delta: value - previousValue, seconds: (atMs - previousAtMs) / 1000 };
  }

  /** Per-second rate of a counter, or undefined on the first sample, a reset, or no elapsed time. */
  rate(key: string, value: number, atMs: number): number | undefined {
    const change = this.delta(key, value, atMs);
    return change ? change.delta / change.seconds : undefined;
  }

  /**
   * Δnumerator / Δdenominator between consecutive samples (average latency = Δtime / Δcount,
   * throttled ratio = Δthrottled / Δperiods). Undefined when either counter reset or nothing happened.
   */
  ratio(key: string, numerator: number, denominator: number, atMs: number): number | undefined {
    const top = this.delta(`${key}\u0000n`, numerator, atMs);
    const bottom = this.delta(`${key}\u0000d`, denominator, atMs);
    if (!top || !bottom || bottom.delta === 0) return undefined;
    return top.delta / bottom.delta;
  }

  /**
   * Forgets counters not recorded since the previous sweep, so a gone node or container neither
   * leaks memory nor yields a bogus rate if its name comes back. Call once at the end of each cycle.
   */
  sweep(): void {
    for (const [key, entry] of this.previous) {
      if (entry.generation !== this.generation) this.previous.delete(key);
    }
    this.generation++;
  }

  get size(): number {
    return this.previous.size;
  }
}
