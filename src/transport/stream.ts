/**
 * What every byte-stream transport shares (serial port, pseudo-terminal, the in-memory wire): COBS
 * frames out, a `FrameDecoder` in, and the counters. The transports only move bytes.
 */
import { encodeFrameInto, FrameDecoder, MAX_FRAME_LEN, type Message } from '../protocol/index.js';
import type { TransportHandlers, TransportStats } from './interface.js';

/** A lone delimiter: sent before the first frame after opening, so that bytes left from an interrupted frame cannot merge with it (PROTOCOL.md § 3.2). */
export const RESYNC_BYTE = Uint8Array.of(0);

export class FrameLink {
  readonly stats: TransportStats;
  private decoder: FrameDecoder;
  private handlers: TransportHandlers | null = null;
  private readonly scratch = new Uint8Array(MAX_FRAME_LEN);
  /** Arrival time of the chunk being decoded [ms]. */
  private chunkAtMs = 0;

  constructor() {
    this.decoder = this.newDecoder();
    this.stats = { messagesOut: 0, messagesIn: 0, bytesOut: 0, decoder: this.decoder.stats };
  }

  /** Starts a new connection: a fresh decoder (a partial frame of the previous one is forgotten). */
  attach(handlers: TransportHandlers): void {
    this.handlers = handlers;
    this.decoder = this.newDecoder();
    this.stats.decoder = this.decoder.stats;
  }

  /** Stops delivering: nothing reaches the handlers after this. */
  detach(): void {
    this.handlers = null;
  }

  /** The frame of `message` as a new buffer (the caller's write may keep it until the bytes are out). */
  encode(message: Message, seq: number): Uint8Array {
    const length = encodeFrameInto(message, seq, this.scratch);
    this.stats.messagesOut++;
    this.stats.bytesOut += length;
    return this.scratch.slice(0, length);
  }

  /** Feeds received bytes; valid messages reach the handlers before this returns. */
  receive(chunk: Uint8Array, atMs: number): void {
    if (this.handlers === null) return;
    this.chunkAtMs = atMs;
    this.decoder.push(chunk);
  }

  private newDecoder(): FrameDecoder {
    return new FrameDecoder(
      (message, seq) => {
        this.stats.messagesIn++;
        this.handlers?.message(message, seq, this.chunkAtMs);
      },
      { reuseMessages: true, onReject: (rejection) => this.handlers?.reject?.(rejection) },
    );
  }
}
