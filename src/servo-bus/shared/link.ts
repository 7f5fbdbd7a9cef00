/**
 * What the bus master needs from the outside world, injected so that tests run on an in-memory wire
 * in virtual time: a byte duplex (a serial port, a pseudo-terminal, or a test wire) and a clock with
 * timers. `BusClock` has the shape of the project's device clock, so the system clock and the tests'
 * virtual clock fit without an adapter; it is declared here because this folder imports only
 * `src/util/`.
 */

/** A half-duplex byte link as the host sees it. */
export interface ByteDuplex {
  /** Queues `bytes` for sending; never blocks. */
  write(bytes: Uint8Array): void;
  /** Registers the receiver of incoming bytes (chunks of any size); returns a function that removes it. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
}

/** Time and timers. */
export interface BusClock {
  /** Monotonic time [ms]. */
  nowMs(): number;
  /** Runs `callback` once after `delayMs`; returns a function that cancels it. */
  setTimer(callback: () => void, delayMs: number): () => void;
  /** Runs `callback` once pending I/O has been served, so that a late timer first sees the data that arrived. */
  afterIo(callback: () => void): void;
}
