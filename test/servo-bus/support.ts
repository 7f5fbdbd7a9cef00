/**
 * Shared by the servo-bus tests: the vendors' example packets (vectors/*.json), hex helpers, the
 * fast-check parameters from FC_SEED / FC_RUNS, and `EmulatedLink`, a byte duplex that carries a bus
 * master's requests to an emulated chain and its replies back in virtual time, at the wire speed of
 * a baud rate, with knobs to corrupt, drop, split and inject bytes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Clock } from '../../src/core/clock.js';
import type { ByteDuplex, EmulatedReply } from '../../src/servo-bus/index.js';

/** The checkout: tests run compiled from dist/test/servo-bus/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** One example packet of a vendor document. */
export interface PacketVector {
  name: string;
  section: string;
  kind: 'instruction' | 'status';
  hex: string;
  id: number;
  instruction?: number;
  error?: number;
  code?: number;
  params: string;
}

/** A request and the documented answers, with the servos' conditions. */
export interface ExchangeVector {
  name: string;
  section: string;
  servos: { id: number; positionTicks?: number }[];
  before?: string[];
  request: string;
  responses: string[];
  after?: { id: number; register: string; value: number }[];
}

/** A vector file. */
export interface VectorFile {
  source: string;
  packets: PacketVector[];
  exchanges: ExchangeVector[];
  [key: string]: unknown;
}

/** Reads test/servo-bus/vectors/`name`. */
export function readVectors(name: string): VectorFile {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'servo-bus', 'vectors', name), 'utf8')) as VectorFile;
}

/** Bytes of a hex string; whitespace is ignored (the vector files group bytes for reading). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${hex}`);
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The packet vector `name` of `file`. */
export function packetNamed(file: VectorFile, name: string): PacketVector {
  const vector = file.packets.find((p) => p.name === name);
  if (vector === undefined) throw new Error(`no packet vector ${name}`);
  return vector;
}

/** fast-check parameters: FC_SEED (default 20260301) and FC_RUNS (default per property) replay a failure. */
export function fcParams(defaultRuns: number): { seed: number; numRuns: number } {
  const seed = Number(process.env['FC_SEED'] ?? 20260301);
  const numRuns = process.env['FC_RUNS'] === undefined ? defaultRuns : Number(process.env['FC_RUNS']);
  return { seed, numRuns };
}

/** The device side of an `EmulatedLink`: an emulated chain. */
export interface ChainEnd {
  receive(bytes: Uint8Array, atMs: number): EmulatedReply[];
}

/**
 * A byte duplex between a bus master and an emulated chain, in the clock's time: a request reaches
 * the chain when its last byte is through the wire (10 bits per byte at `baudRate`); each reply goes
 * out after its return delay, once the previous one is through, and arrives when its last byte is.
 */
export class EmulatedLink implements ByteDuplex {
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  private busyUntilMs = 0;
  /** Every request the master wrote. */
  readonly requests: Uint8Array[] = [];
  private corruption: { skip: number; byte: number } | null = null;
  /** Replies from these ids are not delivered (a servo whose answer is lost on the wire). */
  readonly muteIds = new Set<number>();
  /** Largest chunk delivered at once [bytes] (default: whole replies). */
  maxChunk = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly chain: ChainEnd,
    private readonly baudRate: number,
  ) {}

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  write(bytes: Uint8Array): void {
    this.requests.push(bytes.slice());
    const start = Math.max(this.clock.nowMs(), this.busyUntilMs);
    const arrives = start + this.wireMs(bytes.length);
    this.busyUntilMs = arrives;
    this.clock.setTimer(() => this.deliverToChain(bytes.slice(), arrives), arrives - this.clock.nowMs());
  }

  /** Flips bit 4 of byte `byte` of the next reply after `skip` others. */
  corruptNextReply(byte: number, skip = 0): void {
    this.corruption = { skip, byte };
  }

  /** Puts bytes on the wire towards the master now (noise, a stale packet). */
  inject(bytes: Uint8Array): void {
    this.emit(bytes.slice());
  }

  private wireMs(bytes: number): number {
    return (bytes * 10_000) / this.baudRate;
  }

  private deliverToChain(bytes: Uint8Array, atMs: number): void {
    let end = atMs;
    for (const reply of this.chain.receive(bytes, atMs)) {
      const start = end + reply.delayUs / 1000;
      end = start + this.wireMs(reply.bytes.length);
      this.busyUntilMs = Math.max(this.busyUntilMs, end);
      const out = reply.bytes.slice();
      if (this.corruption !== null) {
        if (this.corruption.skip === 0) {
          out[this.corruption.byte] ^= 0x10;
          this.corruption = null;
        } else {
          this.corruption.skip--;
        }
      }
      if (this.muteIds.has(reply.id)) continue;
      this.clock.setTimer(() => this.emit(out), end - this.clock.nowMs());
    }
  }

  private emit(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += Math.min(this.maxChunk, bytes.length)) {
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + this.maxChunk));
      for (const listener of this.listeners) listener(chunk);
    }
  }
}
