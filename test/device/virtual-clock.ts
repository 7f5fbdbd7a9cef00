/**
 * Virtual time for the device session, the transports and the simulated firmware: timers run only
 * when a test advances the clock, in time order, with pending I/O and promises settled between them.
 */
import type { Clock } from '../../src/core/clock.js';

interface Timer {
  atMs: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private now = 0;
  private order = 0;
  private timers: Timer[] = [];

  nowMs(): number {
    return this.now;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const timer: Timer = { atMs: this.now + Math.max(0, delayMs), order: this.order++, callback, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  afterIo(callback: () => void): void {
    this.setTimer(callback, 0);
  }

  /** Runs every timer due within `ms` from now, in order, settling promises and queued I/O around each. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    for (;;) {
      await settle();
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      let next: Timer | null = null;
      for (const timer of this.timers)
        if (timer.atMs <= target && (next === null || timer.atMs < next.atMs || (timer.atMs === next.atMs && timer.order < next.order)))
          next = timer;
      if (next === null) break;
      this.now = Math.max(this.now, next.atMs);
      next.cancelled = true;
      next.callback();
    }
    this.now = target;
    await settle();
  }

  /** Advances in steps of `stepMs` until `condition` holds or `limitMs` passed; returns whether it held. */
  async advanceUntil(condition: () => boolean, limitMs: number, stepMs = 1): Promise<boolean> {
    for (let waited = 0; waited <= limitMs; waited += stepMs) {
      if (condition()) return true;
      await this.advance(stepMs);
    }
    return condition();
  }
}

/** Lets queued microtasks and immediates run (the memory wire delivers in microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
