/**
 * A serial port as a plain byte duplex, for protocols that do their own framing: the Dynamixel and
 * Feetech servo buses (the host driving the servos, or the emulated chain serving them). It has the
 * shape of `ByteDuplex` in src/servo-bus/shared/link.ts (write, onData) without importing it.
 *
 * Unlike `SerialTransport` nothing is written on open: a servo bus must not see a stray byte. The
 * input buffer is still flushed, as what the OS queued before anyone read is stale.
 */
import { SerialPort } from 'serialport';
import { TransportError } from './errors.js';
import { settleWithin } from '../util/bounded.js';
import { CLOSE_LIMIT_MS, describeOpenError, ftdiLatencyNotice } from './serial.js';

export interface SerialByteLinkOptions {
  path: string;
  baudRate: number;
  /** Called once when the port fails or disappears after it opened (unplugged, the other end closed). */
  onLost?: (error: TransportError) => void;
  /** Root of sysfs for the FTDI latency-timer check; default `/sys`. */
  sysfsRoot?: string;
}

export class SerialByteLink {
  readonly description: string;
  /** A notice about the port that slows every transaction (an FTDI latency timer above 1 ms), or null. */
  readonly latencyNotice: string | null;
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private port: SerialPort | null;

  private constructor(port: SerialPort, options: SerialByteLinkOptions) {
    this.port = port;
    this.description = `${options.path} at ${options.baudRate} Bd`;
    this.latencyNotice = ftdiLatencyNotice(options.path, options.sysfsRoot ?? '/sys');
    port.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (const listener of this.listeners) listener(bytes);
    });
    const lost = (error: Error): void => {
      if (this.port !== port) return;
      this.port = null;
      port.removeAllListeners();
      port.on('error', () => undefined);
      if (port.isOpen) port.close(() => undefined);
      options.onLost?.(
        new TransportError(`${this.description}: the link failed (${error.message}); unplugged, or the adapter reset?`, {
          disconnected: true,
          cause: error,
        }),
      );
    };
    port.on('error', lost);
    port.on('close', (error?: Error) => lost(error ?? new Error('the port closed')));
  }

  /** Opens the port (8N1, no flow control) and flushes its input. */
  static async open(options: SerialByteLinkOptions): Promise<SerialByteLink> {
    const port = new SerialPort({ path: options.path, baudRate: options.baudRate, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
      await new Promise<void>((resolve, reject) => port.flush((error) => (error ? reject(error) : resolve())));
    } catch (error) {
      if (port.isOpen) port.close(() => undefined);
      throw describeOpenError(options.path, error);
    }
    return new SerialByteLink(port, options);
  }

  get isOpen(): boolean {
    return this.port !== null;
  }

  /** Queues `bytes`; dropped once the port is closed or lost (the bus master's timeout reports it). */
  write(bytes: Uint8Array): void {
    this.port?.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lets queued bytes leave, then closes (each at most CLOSE_LIMIT_MS: a blocked peer must not hold a shutdown). */
  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    this.listeners.clear();
    if (port === null) return;
    port.removeAllListeners();
    port.on('error', () => undefined);
    if (!port.isOpen) return;
    await settleWithin(CLOSE_LIMIT_MS, (done) => port.drain(done));
    await settleWithin(CLOSE_LIMIT_MS, (done) => port.close(done));
  }
}
