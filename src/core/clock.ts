/**
 * Time as the device session, the transports and the simulated firmware see it. Injected, so that
 * heartbeats, watchdogs, timeouts and backoff can be tested in virtual time (see
 * `test/device/virtual-clock.ts`) and run on the real clock in production.
 */
export interface Clock {
  /** Monotonic time [ms]; its origin is arbitrary. */
  nowMs(): number;
  /** Runs `callback` once after `delayMs` (0 or more); returns a function that cancels it. */
  setTimer(callback: () => void, delayMs: number): () => void;
  /**
   * Runs `callback` after pending I/O has been served (real clock: `setImmediate`). A timer that
   * fires late because the thread was busy uses it to let the data that arrived meanwhile be read
   * before it concludes that nothing arrived.
   */
  afterIo(callback: () => void): void;
}

/** The process's monotonic clock (`performance.now()`) and Node's timers. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
  afterIo(callback) {
    setImmediate(callback);
  },
};

/** Resolves after `delayMs` on `clock`, or rejects with the signal's reason when `signal` aborts first. */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
