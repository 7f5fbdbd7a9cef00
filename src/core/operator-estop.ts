/**
 * The operator's emergency stop of a running daemon (`robo-train estop`, or SIGUSR1 to the process):
 * latched until the operator clears it (`robo-train estop --clear`, or SIGUSR2). While it is latched
 * no command is sent and no episode starts; the training run waits.
 */
export class OperatorEStop {
  private latchedReason: string | null = null;
  private waiters: (() => void)[] = [];

  /** Why it was triggered, while it is latched; null otherwise. */
  get reason(): string | null {
    return this.latchedReason;
  }

  get latched(): boolean {
    return this.latchedReason !== null;
  }

  /** Latches the stop (a second trigger keeps the first reason). */
  trigger(reason: string): void {
    this.latchedReason ??= reason;
  }

  /** Releases the latch and everyone waiting for it. */
  clear(): void {
    this.latchedReason = null;
    for (const release of this.waiters.splice(0)) release();
  }

  /** Resolves when the stop is cleared, or at once when `abort` fires (the run is being stopped). */
  waitForClear(abort: AbortSignal): Promise<void> {
    if (!this.latched || abort.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      // Nothing else may keep the event loop busy while the daemon waits for the operator (the
      // simulated robot has no sockets): an open timer keeps the process alive until the release.
      const keepAlive = setInterval(() => undefined, 60_000);
      const release = (): void => {
        clearInterval(keepAlive);
        abort.removeEventListener('abort', release);
        resolve();
      };
      this.waiters.push(release);
      abort.addEventListener('abort', release, { once: true });
    });
  }
}
