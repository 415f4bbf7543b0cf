/**
 * Exponential backoff with full jitter between `minMs` and `maxMs`: reconnecting agents on hundreds of
 * hosts must not hammer a carbon that just came back all in the same second.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly minMs = 1000,
    readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt; grows with each call until reset(). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(this.minMs + this.random() * (ceiling - this.minMs));
  }

  reset(): void {
    this.attempt = 0;
  }
}
