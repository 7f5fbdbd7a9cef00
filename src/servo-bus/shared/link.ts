/**
 * What the bus master needs from the outside world, injected so that tests run on an in-memory wire
 * in virtual time: a byte duplex (a serial port, a pseudo-terminal, or a test wire) and the project's
 * `Clock` (src/core/clock.ts).
 */

/** A half-duplex byte link as the host sees it. */
export interface ByteDuplex {
  /** Queues `bytes` for sending; never blocks. */
  write(bytes: Uint8Array): void;
  /** Registers the receiver of incoming bytes (chunks of any size); returns a function that removes it. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
}
