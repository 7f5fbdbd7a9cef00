/**
 * Heartbeats that feed the device's watchdog (PROTOCOL.md § 8.4): one whenever nothing fed it for a
 * third of its timeout or 1 s, whichever is shorter. A JOINT_COMMAND feeds it too, so a commanding
 * host sends none. Checked twice per feeding period.
 */
import type { Clock } from '../core/clock.js';

/** The device watchdog's default when neither the host nor the device says one [ms]. */
const ASSUMED_DEVICE_WATCHDOG_MS = 3000;

/** How often the device's watchdog must be fed, given its timeout [ms] (null: not known). */
export function feedingPeriodMs(deviceWatchdogMs: number | null): number {
  return Math.min(1000, (deviceWatchdogMs ?? ASSUMED_DEVICE_WATCHDOG_MS) / 3);
}

export class Heartbeat {
  private lastFedAtMs = Number.NEGATIVE_INFINITY;
  private cancelTimer: (() => void) | null = null;

  /**
   * `deviceWatchdogMs` is read at every check (the device's own default is known only after its
   * DEVICE_INFO); `beat` sends one HEARTBEAT and says whether the link could take it (false: the
   * device was not fed).
   */
  constructor(
    private readonly clock: Clock,
    private readonly deviceWatchdogMs: () => number | null,
    private readonly beat: (nowMs: number) => boolean,
  ) {}

  /** Checks at once (on the next timer turn) and then twice per feeding period until `stop`; restarts a running one. */
  start(): void {
    this.stop();
    this.cancelTimer = this.clock.setTimer(() => this.check(), 0);
  }

  /** Something else (a command) fed the device's watchdog at `atMs`. */
  fedAt(atMs: number): void {
    this.lastFedAtMs = atMs;
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private check(): void {
    const periodMs = feedingPeriodMs(this.deviceWatchdogMs());
    const now = this.clock.nowMs();
    if (now - this.lastFedAtMs >= periodMs && this.beat(now)) this.lastFedAtMs = now;
    this.cancelTimer = this.clock.setTimer(() => this.check(), periodMs / 2);
  }
}
