/**
 * A robot on a serial port (USB-serial adapter, USB CDC, or one end of a `socat` pseudo-terminal
 * pair), through node-serialport. Frames are COBS with a 0x00 delimiter (`stream.ts`).
 *
 * On open the port's input buffer is flushed (frames the OS queued while nobody read are stale) and
 * a lone 0x00 is sent. Opening the port of many Arduino-style boards toggles DTR and resets them; the
 * session's handshake (HELLO repeated for 5 s) covers the boot time.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { SerialPort, type SerialPortMock } from 'serialport';
import type { Message } from '../protocol/index.js';
import { systemClock, type Clock } from '../core/clock.js';
import { settleWithin } from '../util/bounded.js';
import { notOpenError, TransportError } from './errors.js';
import type { InjectableTransport, TransportHandlers, TransportStats } from './interface.js';
import { FrameLink, RESYNC_BYTE } from './stream.js';

/** What the transport needs of a port object: `SerialPort`, or `SerialPortMock` in unit tests. */
export type SerialPortHandle = SerialPort | SerialPortMock;

export interface SerialTransportOptions {
  path: string;
  baudRate: number;
  clock?: Clock;
  /** Creates the (unopened) port; default a real `SerialPort`. Tests pass a `SerialPortMock`. */
  createPort?: (path: string, baudRate: number) => SerialPortHandle;
  /** Root of sysfs, for the FTDI latency-timer check (tests point it at a fake tree). Default `/sys`. */
  sysfsRoot?: string;
}

/** The longest a close waits for queued bytes to leave, and then for the port to close [ms]. */
export const CLOSE_LIMIT_MS = 500;

export class SerialTransport implements InjectableTransport {
  readonly kind = 'serial' as const;
  readonly description: string;
  private readonly link = new FrameLink();
  private readonly clock: Clock;
  private port: SerialPortHandle | null = null;
  private handlers: TransportHandlers | null = null;

  constructor(private readonly options: SerialTransportOptions) {
    this.description = `${options.path} at ${options.baudRate} Bd`;
    this.clock = options.clock ?? systemClock;
  }

  get isOpen(): boolean {
    return this.handlers !== null;
  }

  get stats(): TransportStats {
    return this.link.stats;
  }

  async open(handlers: TransportHandlers): Promise<void> {
    if (this.port) throw new TransportError(`${this.description} is already open`);
    const { path, baudRate } = this.options;
    const port = this.options.createPort ? this.options.createPort(path, baudRate) : new SerialPort({ path, baudRate, autoOpen: false });
    this.port = port;
    try {
      await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
      await new Promise<void>((resolve, reject) => port.flush((error) => (error ? reject(error) : resolve())));
    } catch (error) {
      this.port = null;
      if (port.isOpen) port.close(() => undefined);
      throw describeOpenError(path, error);
    }
    this.handlers = handlers;
    this.link.attach(handlers);
    port.on('data', (chunk: Buffer) => this.link.receive(chunk, this.clock.nowMs()));
    // 'error' without a close (a failed write, say) is a failed link too.
    port.on('error', (error: Error) => this.fail(port, error));
    port.on('close', (error?: Error & { disconnected?: boolean }) => this.fail(port, error ?? new Error('the port closed')));
    port.write(Buffer.from(RESYNC_BYTE));
    const latency = ftdiLatencyNotice(path, this.options.sysfsRoot ?? '/sys');
    if (latency) queueMicrotask(() => this.handlers?.notice?.(latency));
  }

  send(message: Message, seq: number): void {
    if (!this.handlers || !this.port) throw notOpenError(this.description);
    const frame = this.link.encode(message, seq);
    this.port.write(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  sendRaw(bytes: Uint8Array): void {
    if (!this.handlers || !this.port) throw notOpenError(this.description);
    this.port.write(Buffer.from(bytes));
  }

  /** A serial line has no goodbye: the same as `close`. */
  abort(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    this.handlers = null;
    this.link.detach();
    if (!port) return;
    port.removeAllListeners();
    // A late error of the dying port has nowhere to go.
    port.on('error', () => undefined);
    if (!port.isOpen) return;
    // A blocked peer (nobody reads the other end, a full output queue) never lets queued bytes
    // leave: the drain and the close are each bounded, or a shutdown hangs forever.
    await settleWithin(CLOSE_LIMIT_MS, (done) => port.drain(done));
    await settleWithin(CLOSE_LIMIT_MS, (done) => port.close(done));
  }

  private fail(port: SerialPortHandle, error: Error): void {
    if (port !== this.port) return;
    const handlers = this.handlers;
    this.port = null;
    this.handlers = null;
    this.link.detach();
    port.removeAllListeners();
    port.on('error', () => undefined);
    if (port.isOpen) port.close(() => undefined);
    handlers?.closed(
      new TransportError(`${this.description}: the link failed (${error.message}); unplugged, or the device reset?`, {
        disconnected: true,
        cause: error,
      }),
    );
  }
}

/** Turns node-serialport's open error into one that says what to do. */
export function describeOpenError(path: string, error: unknown): TransportError {
  const text = error instanceof Error ? error.message : String(error);
  if (/permission denied|EACCES/i.test(text)) {
    return new TransportError(
      `cannot open ${path}: permission denied. Add yourself to the 'dialout' group (sudo usermod -aG dialout $USER, then log in again) ` +
        `or run with access to the port. Stable names of USB adapters live under /dev/serial/by-id/.`,
      { code: 'EACCES', permanent: true, cause: error },
    );
  }
  if (/no such file|ENOENT|cannot open/i.test(text) && !/busy|lock/i.test(text)) {
    return new TransportError(
      `cannot open ${path}: no such port (unplugged?). 'robo-train ports' lists the serial ports; USB adapters keep a stable name under /dev/serial/by-id/.`,
      { code: 'ENOENT', cause: error },
    );
  }
  if (/busy|lock|resource temporarily unavailable/i.test(text)) {
    return new TransportError(`cannot open ${path}: the port is in use by another program (${text})`, { code: 'EBUSY', cause: error });
  }
  return new TransportError(`cannot open ${path}: ${text}`, { cause: error });
}

/**
 * USB-serial adapters with an FTDI chip hold received bytes for their latency timer, 16 ms by
 * default, which caps a request/response loop near 60 Hz. Returns a notice with the fix when the
 * port's timer is above 1 ms, or null (not an FTDI port, or already fast).
 */
export function ftdiLatencyNotice(path: string, sysfsRoot: string): string | null {
  let device: string;
  try {
    device = basename(realpathSync(path));
  } catch {
    return null;
  }
  const file = `${sysfsRoot}/bus/usb-serial/devices/${device}/latency_timer`;
  let latencyMs: number;
  try {
    latencyMs = Number(readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
  if (!(latencyMs > 1)) return null;
  return (
    `${path} (${device}) buffers received bytes for ${latencyMs} ms (FTDI latency timer), which delays every state frame: ` +
    `set it to 1 ms with 'echo 1 | sudo tee /sys/bus/usb-serial/devices/${device}/latency_timer' (or a udev rule).`
  );
}
