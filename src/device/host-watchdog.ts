/**
 * The host's watchdog over the device's states (PROTOCOL.md § 8.4): no state for `timeoutMs` while
 * the session runs is a lost link.
 *
 * One timer per timeout, not one per state: a state only records its arrival time (states are on the
 * hot path of every tick), and the timer, when it fires, either trips or re-arms for the time left.
 */
import type { Clock } from '../core/clock.js';

export class HostWatchdog {
  private lastStateAtMs = 0;
  private cancelTimer: (() => void) | null = null;
  /** Bumped by every stop, so that a check started before it stays quiet. */
  private epoch = 0;

  /** `expired` gets the time without a state [ms]; the watchdog is stopped by then. */
  constructor(
    private readonly clock: Clock,
    readonly timeoutMs: number,
    private readonly expired: (quietMs: number) => void,
  ) {}

  /** Watches from now (a state counts as just arrived); restarts a running watch. */
  start(): void {
    this.stop();
    const epoch = this.epoch;
    this.lastStateAtMs = this.clock.nowMs();
    const arm = (delayMs: number): void => {
      this.cancelTimer = this.clock.setTimer(check, delayMs);
    };
    const check = (): void => {
      const quiet = this.quietMs();
      if (quiet < this.timeoutMs) return arm(this.timeoutMs - quiet);
      // A busy thread fires timers before it reads the bytes that arrived meanwhile: look again after I/O.
      this.clock.afterIo(() => {
        if (epoch !== this.epoch) return;
        const after = this.quietMs();
        if (after < this.timeoutMs) return arm(this.timeoutMs - after);
        this.stop();
        this.expired(after);
      });
    };
    arm(this.timeoutMs);
  }

  /** A state arrived at `atMs`. */
  stateAt(atMs: number): void {
    this.lastStateAtMs = atMs;
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    // A check already waiting for I/O sees the new epoch and does nothing.
    this.epoch++;
  }

  private quietMs(): number {
    return this.clock.nowMs() - this.lastStateAtMs;
  }
}
