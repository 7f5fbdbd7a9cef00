/**
 * Counters of an incremental packet parser: what came in, what came out, and every dropped byte or
 * frame by reason. Shared by the Dynamixel and Feetech parsers so that logs read the same.
 */

/** Why bytes were dropped. */
export const DROP_REASONS = [
  /** Bytes before a header, or a header-like prefix that never completed. */
  'garbage',
  /** A header whose fixed fields were impossible (reserved byte, id, length, instruction, error byte): one byte dropped. */
  'header',
  /** A whole frame whose CRC / checksum failed: one byte dropped, then searched again. */
  'checksum',
  /** An incomplete frame abandoned because a complete valid frame started inside it (a corrupted length). */
  'superseded',
  /** An incomplete frame abandoned by `reset()` (a timeout, or the servo's inter-byte limit). */
  'flushed',
] as const;

/** One drop reason. */
export type DropReason = (typeof DROP_REASONS)[number];

/** Parser counters since its creation. */
export interface ParserStats {
  bytesIn: number;
  packets: number;
  /** Frames (or byte runs, for `garbage`) dropped, per reason. */
  drops: Record<DropReason, number>;
  /** Bytes dropped, over all reasons. */
  bytesDropped: number;
}

/** Fresh counters. */
export function emptyParserStats(): ParserStats {
  const drops = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) drops[reason] = 0;
  return { bytesIn: 0, packets: 0, drops, bytesDropped: 0 };
}

/** A dropped frame, as reported to an `onDrop` listener. */
export interface Drop {
  reason: DropReason;
  /** Bytes dropped. */
  length: number;
  /** Id of the frame, when its header was intact (checksum, superseded, flushed). */
  id?: number;
  /** The bytes of an incomplete frame dropped by `reset()` (flushed only). */
  bytes?: Uint8Array;
}

/** Per-reason difference `after - before` without the zeros (for error messages). */
export function dropsSince(before: Record<DropReason, number>, after: Record<DropReason, number>): Record<string, number> {
  const difference: Record<string, number> = {};
  for (const reason of DROP_REASONS) if (after[reason] !== before[reason]) difference[reason] = after[reason] - before[reason];
  return difference;
}
