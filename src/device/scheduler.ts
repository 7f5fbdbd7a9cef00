import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { Clock } from '../core/clock.js';

/**
 * An rxjs scheduler whose time and timers come from a `Clock`, so that `timer`, `interval` and
 * `timeout` in the device session run in virtual time under test. Only delayed work is supported the
 * way the async scheduler does it: each action is one pending timer, rescheduled in place.
 */
export class ClockScheduler implements SchedulerLike {
  constructor(readonly clock: Clock) {}

  now(): number {
    return this.clock.nowMs();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new ClockAction<T>(this.clock, work).schedule(state, delay);
  }
}

class ClockAction<T> extends Subscription implements SchedulerAction<T> {
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super(() => this.cancel());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.cancel();
    this.cancelTimer = this.clock.setTimer(() => {
      this.cancelTimer = null;
      if (!this.closed) this.work.call(this, state);
    }, delay);
    return this;
  }

  private cancel(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }
}
