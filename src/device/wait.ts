/**
 * The device session's one way to wait: for the first value of an event stream that a test accepts,
 * as a promise, bounded by a timeout on the session's clock and cancelled by an AbortSignal.
 */
import type { Observable, Subscription } from 'rxjs';
import type { Clock } from '../core/clock.js';

export interface WaitBounds {
  clock: Clock;
  timeoutMs: number;
  /** The error when `timeoutMs` passes first (built then, so that it says how things stood). */
  expired: () => Error;
  signal?: AbortSignal;
  /** The error when `signal` aborts; default: the signal's reason. */
  aborted?: () => Error;
}

export function firstMatching<T>(source$: Observable<T>, accept: (value: T) => boolean, bounds: WaitBounds): Promise<T> {
  const { clock, timeoutMs, expired, signal } = bounds;
  const abortError = (): unknown => (bounds.aborted ? bounds.aborted() : signal?.reason);
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    let done = false;
    let subscription: Subscription | null = null;
    let cancelTimer: (() => void) | null = null;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      subscription?.unsubscribe();
      cancelTimer?.();
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = (): void => finish(() => reject(abortError()));
    subscription = source$.subscribe((value) => {
      if (accept(value)) finish(() => resolve(value));
    });
    // A source that replays on subscription may have settled the wait already.
    if (done) {
      subscription.unsubscribe();
      return;
    }
    cancelTimer = clock.setTimer(() => finish(() => reject(expired())), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves with the signal's reason once it aborts. */
export function whenAborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
