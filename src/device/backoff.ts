/**
 * Exponential backoff between reconnection attempts: `initialMs`, then × `factor` per failed attempt
 * up to `maxMs`, back to `initialMs` after a success. Deterministic (no jitter): one host talks to
 * one robot, so there is no crowd of clients to spread out.
 */
export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 250, maxMs: 4000, factor: 2 };

export class Backoff {
  private attempt = 0;

  constructor(readonly settings: BackoffSettings = DEFAULT_BACKOFF) {
    const { initialMs, maxMs, factor } = settings;
    if (!(initialMs > 0 && maxMs >= initialMs && factor >= 1)) {
      throw new RangeError(`backoff needs initialMs > 0, maxMs >= initialMs and factor >= 1 (got ${initialMs}, ${maxMs}, ${factor})`);
    }
  }

  /** Failed attempts since the last success. */
  get failures(): number {
    return this.attempt;
  }

  /** The wait before the next attempt [ms]; counts one more failure. */
  next(): number {
    const { initialMs, maxMs, factor } = this.settings;
    const delayMs = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    return delayMs;
  }

  reset(): void {
    this.attempt = 0;
  }
}
