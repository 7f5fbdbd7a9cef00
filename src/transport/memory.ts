/**
 * An in-memory byte-stream wire between two transports (host end, device end), for unit tests of the
 * session and the simulated firmware without ports or brokers. It is strict like node-serialport's
 * mock binding: sending on a closed end throws, opening an open end rejects. Test knobs: split
 * deliveries into small chunks, drop or corrupt the next frames of one direction, record what was
 * sent, unplug (both ends see a disconnect) and plug back in.
 *
 * Bytes are delivered in a microtask after `send`, never from inside it, so a handler that answers at
 * once does not re-enter its sender.
 */
import type { Message } from '../protocol/index.js';
import type { Clock } from '../core/clock.js';
import { notOpenError, TransportError } from './errors.js';
import type { InjectableTransport, LinkRole, TransportHandlers, TransportStats } from './interface.js';
import { FrameLink, RESYNC_BYTE } from './stream.js';

export interface MemoryWireOptions {
  /** Time stamps of received bytes. */
  clock: Clock;
  /** Largest chunk a receiver gets at once [bytes]; frames are split across chunks beyond it. Default: whole writes. */
  maxChunk?: number;
}

/** Faults to apply to the next frames sent by one end. */
interface DirectionKnobs {
  dropFrames: number;
  corruptFrames: number;
  recording: Uint8Array[] | null;
}

export class MemoryWire {
  readonly host: MemoryTransport;
  readonly device: MemoryTransport;
  private plugged = true;

  constructor(readonly options: MemoryWireOptions) {
    this.host = new MemoryTransport(this, 'host');
    this.device = new MemoryTransport(this, 'device');
  }

  get isPlugged(): boolean {
    return this.plugged;
  }

  /** Cuts the wire: both open ends report `closed` (disconnected) and cannot open until `plug()`. */
  unplug(): void {
    this.plugged = false;
    for (const end of [this.host, this.device])
      end.fail(new TransportError(`${end.description} was unplugged`, { disconnected: true, code: 'ENODEV' }));
  }

  plug(): void {
    this.plugged = true;
  }

  /** Drops the next `count` frames that `from` sends. */
  dropFrames(from: LinkRole, count: number): void {
    this.end(from).knobs.dropFrames += count;
  }

  /** Flips a byte in each of the next `count` frames that `from` sends (the CRC catches it). */
  corruptFrames(from: LinkRole, count: number): void {
    this.end(from).knobs.corruptFrames += count;
  }

  /** Writes raw bytes as if `from` had sent them (garbage, foreign frames). */
  inject(from: LinkRole, bytes: Uint8Array): void {
    this.deliver(from, bytes.slice());
  }

  /** Starts recording the frames `from` sends; returns the live list. */
  record(from: LinkRole): Uint8Array[] {
    const recording: Uint8Array[] = [];
    this.end(from).knobs.recording = recording;
    return recording;
  }

  /** Carries bytes to the other end (called by an end's `send`). */
  deliver(from: LinkRole, bytes: Uint8Array): void {
    const to = from === 'host' ? this.device : this.host;
    const maxChunk = this.options.maxChunk ?? bytes.length;
    queueMicrotask(() => {
      for (let at = 0; at < bytes.length; at += maxChunk) to.receive(bytes.subarray(at, Math.min(bytes.length, at + maxChunk)));
    });
  }

  private end(role: LinkRole): MemoryTransport {
    return role === 'host' ? this.host : this.device;
  }
}

export class MemoryTransport implements InjectableTransport {
  readonly kind = 'memory' as const;
  readonly description: string;
  readonly knobs: DirectionKnobs = { dropFrames: 0, corruptFrames: 0, recording: null };
  private readonly link = new FrameLink();
  private handlers: TransportHandlers | null = null;

  constructor(
    private readonly wire: MemoryWire,
    readonly role: LinkRole,
  ) {
    this.description = `memory wire (${role} end)`;
  }

  get isOpen(): boolean {
    return this.handlers !== null;
  }

  get stats(): TransportStats {
    return this.link.stats;
  }

  async open(handlers: TransportHandlers): Promise<void> {
    if (this.handlers) throw new TransportError(`${this.description} is already open`);
    if (!this.wire.isPlugged) throw new TransportError(`${this.description} is unplugged`, { code: 'ENOENT' });
    this.handlers = handlers;
    this.link.attach(handlers);
    this.wire.deliver(this.role, RESYNC_BYTE.slice());
  }

  send(message: Message, seq: number): void {
    if (!this.handlers) throw notOpenError(this.description);
    const frame = this.link.encode(message, seq);
    this.knobs.recording?.push(frame.slice());
    if (this.knobs.dropFrames > 0) {
      this.knobs.dropFrames--;
      return;
    }
    if (this.knobs.corruptFrames > 0) {
      this.knobs.corruptFrames--;
      // A byte inside the frame, never the delimiter: the frame stays a frame but fails its CRC.
      const at = Math.floor((frame.length - 1) / 2);
      frame[at] = frame[at] === 0x55 ? 0xaa : 0x55;
    }
    this.wire.deliver(this.role, frame);
  }

  sendRaw(bytes: Uint8Array): void {
    if (!this.handlers) throw notOpenError(this.description);
    this.wire.deliver(this.role, bytes.slice());
  }

  async close(): Promise<void> {
    this.handlers = null;
    this.link.detach();
  }

  /** The other end notices nothing but silence, as when a device's end of a serial line is closed. */
  async abort(): Promise<void> {
    await this.close();
  }

  /** Bytes from the other end. */
  receive(chunk: Uint8Array): void {
    if (this.handlers) this.link.receive(chunk, this.wire.options.clock.nowMs());
  }

  /** The wire failed: report it once, then behave as closed. */
  fail(error: TransportError): void {
    const handlers = this.handlers;
    if (!handlers) return;
    this.handlers = null;
    this.link.detach();
    queueMicrotask(() => handlers.closed(error));
  }
}
