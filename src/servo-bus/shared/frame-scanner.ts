/**
 * The incremental core shared by the Dynamixel and Feetech stream parsers: bytes in chunks of any
 * size in, whole checked frames out.
 *
 * How it stays in sync and bounded:
 * - bytes before a header are dropped ('garbage'); a header prefix at the end of a chunk is kept;
 * - a header whose fixed fields are impossible costs one byte ('header'), then the search resumes;
 * - a frame is never longer than the format's maximum, so the parser holds at most one frame;
 * - a complete frame whose CRC / checksum fails costs one byte ('checksum') and the search resumes
 *   inside it, so a valid frame that a corrupted length swallowed is still found;
 * - while a frame is incomplete, a complete valid frame starting inside it wins ('superseded'): a
 *   corrupted length field never makes the parser wait for bytes that will not come as long as
 *   valid traffic follows; `reset()` drops an incomplete frame ('flushed') when the caller knows no
 *   more bytes are coming (a timeout) — the parser itself has no clock.
 * A frame is handed out only when its checksum matched: a corrupted byte is rejected, never misread
 * (up to the strength of the checksum).
 */
import { emptyParserStats, type Drop, type DropReason, type ParserStats } from './parser-stats.js';

/** What the scanner needs to know about a frame format. */
export interface FrameFormat<P> {
  /** Bytes that identify a header: `magicAt` is asked only when that many are available. */
  readonly magicLength: number;
  /** Bytes needed before `frameLength` can be asked (header, id, length fields). */
  readonly headerLength: number;
  /** Largest frame [bytes], header and checksum included. */
  readonly maxFrameLength: number;
  /** Whether `bytes[at, at + magicLength)` is a header. */
  magicAt(bytes: Uint8Array, at: number): boolean;
  /** Whether `bytes[at, end)` (shorter than `magicLength`) could be the start of a header. */
  magicPrefixAt(bytes: Uint8Array, at: number, end: number): boolean;
  /** Total length of the frame at `at` from its header fields, or -1 when they are impossible. */
  frameLength(bytes: Uint8Array, at: number): number;
  /** Whether the complete frame `bytes[at, at + length)` passes its CRC / checksum and content checks. */
  frameValid(bytes: Uint8Array, at: number, length: number): boolean;
  /** The packet in the complete, valid frame. */
  decode(bytes: Uint8Array, at: number, length: number): P;
  /** Id byte of the frame at `at` (its header is complete). */
  idAt(bytes: Uint8Array, at: number): number;
}

/** Incremental frame scanner over one format. */
export class FrameScanner<P> {
  readonly stats: ParserStats = emptyParserStats();
  private readonly buffer: Uint8Array;
  private length = 0;

  constructor(
    private readonly format: FrameFormat<P>,
    private readonly onPacket: (packet: P) => void,
    private readonly onDrop?: (drop: Drop) => void,
  ) {
    this.buffer = new Uint8Array(format.maxFrameLength * 2);
  }

  /** Bytes held in an incomplete frame or header prefix. */
  get pending(): number {
    return this.length;
  }

  /** Feeds bytes; packets and drops are reported synchronously, in stream order. */
  push(bytes: Uint8Array): void {
    this.stats.bytesIn += bytes.length;
    let offset = 0;
    while (offset < bytes.length) {
      const room = this.buffer.length - this.length;
      const take = Math.min(room, bytes.length - offset);
      this.buffer.set(bytes.subarray(offset, offset + take), this.length);
      this.length += take;
      offset += take;
      this.scan();
    }
  }

  /** Drops whatever incomplete frame or header prefix is held ('flushed'). */
  reset(): void {
    if (this.length === 0) return;
    const id = this.length >= this.format.headerLength ? this.format.idAt(this.buffer, 0) : undefined;
    this.drop('flushed', this.length, id, this.buffer.slice(0, this.length));
  }

  private scan(): void {
    const f = this.format;
    for (;;) {
      const start = this.findHeader();
      if (start > 0) this.drop('garbage', start);
      if (this.length < f.headerLength) return;
      const frameLength = f.frameLength(this.buffer, 0);
      if (frameLength < 0) {
        this.drop('header', 1);
        continue;
      }
      if (this.length < frameLength) {
        const inner = this.validFrameInside(frameLength);
        if (inner < 0) return;
        this.drop('superseded', inner, f.idAt(this.buffer, 0));
        continue;
      }
      if (!f.frameValid(this.buffer, 0, frameLength)) {
        this.drop('checksum', 1, f.idAt(this.buffer, 0));
        continue;
      }
      const packet = f.decode(this.buffer, 0, frameLength);
      this.consume(frameLength);
      this.stats.packets++;
      this.onPacket(packet);
    }
  }

  /** Index of the first header, or of a header prefix at the end; `length` when neither. */
  private findHeader(): number {
    const f = this.format;
    for (let i = 0; i < this.length; i++) {
      if (i + f.magicLength <= this.length) {
        if (f.magicAt(this.buffer, i)) return i;
      } else if (f.magicPrefixAt(this.buffer, i, this.length)) {
        return i;
      }
    }
    return this.length;
  }

  /** Start of a complete valid frame inside the incomplete one at 0, or -1. */
  private validFrameInside(outerLength: number): number {
    const f = this.format;
    for (let j = 1; j + f.headerLength <= this.length && j < outerLength; j++) {
      if (!f.magicAt(this.buffer, j)) continue;
      const length = f.frameLength(this.buffer, j);
      if (length > 0 && j + length <= this.length && f.frameValid(this.buffer, j, length)) return j;
    }
    return -1;
  }

  private drop(reason: DropReason, count: number, id?: number, bytes?: Uint8Array): void {
    this.consume(count);
    this.stats.drops[reason]++;
    this.stats.bytesDropped += count;
    if (this.onDrop === undefined) return;
    const drop: Drop = { reason, length: count };
    if (id !== undefined) drop.id = id;
    if (bytes !== undefined) drop.bytes = bytes;
    this.onDrop(drop);
  }

  private consume(count: number): void {
    this.buffer.copyWithin(0, count, this.length);
    this.length -= count;
  }
}
