/**
 * Bounds on waits for I/O in shutdown paths: a peer that stopped reading, a broker that never
 * answers or a worker stuck in a busy wait must not keep a daemon from exiting.
 */

/** Resolves when `start`'s callback runs or after `limitMs`, whichever comes first; true if it ran in time. */
export function settleWithin(limitMs: number, start: (done: () => void) => void): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), limitMs);
    start(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Waits for `promise` at most `limitMs`: true if it settled (fulfilled or rejected) in time. Never rejects. */
export function settledWithin(promise: Promise<unknown>, limitMs: number): Promise<boolean> {
  return settleWithin(limitMs, (done) => {
    promise.then(done, done);
  });
}

/** `promise`, or a rejection naming `what` after `limitMs`. */
export function withTimeout<T>(promise: Promise<T>, limitMs: number, what = 'the operation'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${limitMs} ms`)), limitMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
