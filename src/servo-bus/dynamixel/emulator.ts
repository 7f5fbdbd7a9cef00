/**
 * A chain of emulated Dynamixel servos on one bus: instruction packets in, the status packets the
 * real chain would send out. Pure and synchronous: no timers, no I/O; time comes in as an argument
 * (for the Bus Watchdog, the byte-to-byte limit and Realtime Tick), and each reply carries the delay
 * before it goes out for the caller to wait (`EmulatedReply.delayUs`).
 *
 * Protocol rules (e-manual, Protocol 2.0 page and the X-series Status Return Level item):
 * - an instruction to an id no servo has is unanswered (an absent servo);
 * - with the broadcast id 254, only Ping, Sync Read and Fast Sync Read are answered; Ping is answered
 *   by every servo in chain order; Read is not executed;
 * - Status Return Level: 0 answers Ping only, 1 Ping and Read (Sync Read and Fast Sync Read count as
 *   reads here), 2 everything; Ping is always answered;
 * - Sync Read: one status packet per listed servo, in the order of the list;
 * - Fast Sync Read: one status packet (id 254) for all listed servos, never stuffed (`fast-sync-read.ts`);
 * - Reg Write / Action; Reboot answers, then resets RAM; an undefined instruction is an Instruction Error;
 * - a unicast instruction packet whose CRC fails is answered with a CRC Error (error number 3);
 * - a pause of more than 1.5 ms inside an instruction packet drops it (Byte to Byte Time).
 * Where the documents are silent the choice is written at the code that makes it and in README.md.
 */
import { BROADCAST_ID, BYTE_TO_BYTE_TIMEOUT_MS, ErrorNumber, Instruction, ALERT_BIT } from './constants.js';
import { encodeStatus, type DxlPacket } from './packet.js';
import { encodeFastSyncStatus, type FastSyncSegment } from './fast-sync-read.js';
import { DxlParser } from './parser.js';
import { DxlServo } from './servo.js';
import { IdealPlant, type EmulatedReply, type ServoPlant } from '../shared/plant.js';
import type { Drop } from '../shared/parser-stats.js';

/** Options of a chain. */
export interface DxlChainOptions {
  /** What moves behind the servos (default: an `IdealPlant`). */
  plant?: ServoPlant;
  /** Time of power-on [ms] (default 0). */
  atMs?: number;
}

/** Emulated Dynamixel chain. */
export class DxlChain {
  readonly plant: ServoPlant;
  private readonly parser: DxlParser;
  private lastByteMs = -Infinity;
  /** Replies collected while `receive` feeds the parser. */
  private inbox: EmulatedReply[] = [];
  private nowMs = 0;

  constructor(
    readonly servos: readonly DxlServo[],
    options: DxlChainOptions = {},
  ) {
    this.plant = options.plant ?? new IdealPlant();
    this.nowMs = options.atMs ?? 0;
    for (const servo of servos) servo.powerOn(this.plant, this.nowMs);
    this.parser = new DxlParser({ role: 'device', onDrop: (drop) => this.onDrop(drop) }, (packet) =>
      this.inbox.push(...this.handle(packet, this.nowMs)),
    );
  }

  /** The servo whose ID register is `id`, if any. */
  servo(id: number): DxlServo | undefined {
    return this.servos.find((servo) => servo.id === id);
  }

  /** Parser counters of the servos' side. */
  get parserStats(): DxlParser['stats'] {
    return this.parser.stats;
  }

  /**
   * Bytes from the bus, arrived at `atMs`: returns the replies to every instruction packet completed
   * by them, in order. A pause longer than the byte-to-byte limit drops a partial packet first.
   */
  receive(bytes: Uint8Array, atMs: number): EmulatedReply[] {
    this.elapse(atMs);
    if (atMs - this.lastByteMs > BYTE_TO_BYTE_TIMEOUT_MS) this.parser.reset();
    this.lastByteMs = atMs;
    this.nowMs = atMs;
    this.inbox = [];
    this.parser.push(bytes);
    const replies = this.inbox;
    this.inbox = [];
    return replies;
  }

  /** Runs the servos' Bus Watchdogs up to `atMs`. */
  elapse(atMs: number): void {
    for (const servo of this.servos) servo.runWatchdog(this.plant, atMs);
  }

  /** Sets Hardware Error Status bits of servo `id` (fault injection; see `HardwareError`). */
  raiseHardwareError(id: number, bits: number, atMs: number): void {
    const servo = this.servo(id);
    if (servo === undefined) throw new RangeError(`no servo with id ${id}`);
    servo.raiseHardwareError(bits, this.plant, atMs);
  }

  /** Handles one decoded instruction packet at `atMs` and returns the replies. */
  handle(packet: DxlPacket, atMs: number): EmulatedReply[] {
    this.elapse(atMs);
    const broadcast = packet.id === BROADCAST_ID;
    const targets = broadcast ? [...this.servos] : this.servos.filter((servo) => servo.id === packet.id);
    for (const servo of targets) servo.lastInstructionMs = atMs;
    switch (packet.instruction) {
      case Instruction.PING:
        return targets.map((servo) => this.status(servo, ErrorNumber.NONE, pingParams(servo)));
      case Instruction.READ:
        return broadcast ? [] : targets.flatMap((servo) => this.read(servo, packet.params, atMs));
      case Instruction.WRITE:
      case Instruction.REG_WRITE:
        return targets.flatMap((servo) => {
          // A write may change the ID: the status comes from the id the packet addressed.
          const id = servo.id;
          return this.answer(servo, broadcast, this.write(servo, packet, atMs), id);
        });
      case Instruction.ACTION:
        return targets.flatMap((servo) => this.answer(servo, broadcast, servo.action(this.plant, atMs).errorNumber));
      case Instruction.REBOOT:
        return targets.flatMap((servo) => {
          const replies = this.answer(servo, broadcast, ErrorNumber.NONE);
          servo.powerOn(this.plant, atMs);
          // The reply was built before the reset: a reboot clears the hardware error it reports.
          return replies;
        });
      case Instruction.SYNC_READ:
        return broadcast ? this.syncRead(packet.params, atMs) : [];
      case Instruction.FAST_SYNC_READ:
        return broadcast ? this.fastSyncRead(packet.params, atMs) : [];
      case Instruction.SYNC_WRITE:
        if (broadcast) this.syncWrite(packet.params, atMs);
        return [];
      default:
        return targets.flatMap((servo) => this.answer(servo, broadcast, ErrorNumber.INSTRUCTION));
    }
  }

  private onDrop(drop: Drop): void {
    if (drop.reason !== 'checksum' || drop.id === undefined || drop.id === BROADCAST_ID) return;
    const servo = this.servo(drop.id);
    if (servo !== undefined) this.inbox.push(...this.answer(servo, false, ErrorNumber.CRC));
  }

  private status(servo: DxlServo, errorNumber: number, params: Uint8Array = new Uint8Array(0), id = servo.id): EmulatedReply {
    const error = errorNumber | (servo.alert ? ALERT_BIT : 0);
    return { id, bytes: encodeStatus({ id, error, params }), delayUs: servo.returnDelayUs };
  }

  /** A reply to a non-read instruction: only unicast, only at Status Return Level 2. */
  private answer(servo: DxlServo, broadcast: boolean, errorNumber: number, id = servo.id): EmulatedReply[] {
    return !broadcast && servo.statusReturnLevel >= 2 ? [this.status(servo, errorNumber, new Uint8Array(0), id)] : [];
  }

  private read(servo: DxlServo, params: Uint8Array, atMs: number): EmulatedReply[] {
    if (servo.statusReturnLevel < 1) return [];
    // A Read needs exactly address and length; other parameter counts are taken as a Data Length Error.
    if (params.length !== 4) return [this.status(servo, ErrorNumber.DATA_LENGTH)];
    const result = servo.read(u16(params, 0), u16(params, 2), this.plant, atMs);
    return [this.status(servo, result.errorNumber, result.data)];
  }

  private write(servo: DxlServo, packet: DxlPacket, atMs: number): number {
    if (packet.params.length < 3) return ErrorNumber.DATA_LENGTH;
    const address = u16(packet.params, 0);
    const data = packet.params.subarray(2);
    return packet.instruction === Instruction.WRITE
      ? servo.write(address, data, this.plant, atMs).errorNumber
      : servo.regWrite(address, data).errorNumber;
  }

  private syncRead(params: Uint8Array, atMs: number): EmulatedReply[] {
    if (params.length < 5) return [];
    const address = u16(params, 0);
    const length = u16(params, 2);
    const replies: EmulatedReply[] = [];
    for (const id of params.subarray(4)) {
      const servo = this.servo(id);
      // Servos after an absent one still answer in list order (the e-manual does not say otherwise).
      if (servo === undefined || servo.statusReturnLevel < 1) continue;
      servo.lastInstructionMs = atMs;
      const result = servo.read(address, length, this.plant, atMs);
      replies.push(this.status(servo, result.errorNumber, result.data));
    }
    return replies;
  }

  /**
   * One combined packet. Each listed servo appends its part after the previous one; when a listed
   * servo is absent (or silent), the chain stops there, so the packet stays incomplete: the e-manual
   * does not say what a real chain does then, and an incomplete packet is what a host must survive.
   */
  private fastSyncRead(params: Uint8Array, atMs: number): EmulatedReply[] {
    if (params.length < 5) return [];
    const address = u16(params, 0);
    const length = u16(params, 2);
    const ids = [...params.subarray(4)];
    const segments: FastSyncSegment[] = [];
    let first: DxlServo | undefined;
    for (const id of ids) {
      const servo = this.servo(id);
      if (servo === undefined || servo.statusReturnLevel < 1) break;
      first ??= servo;
      servo.lastInstructionMs = atMs;
      const result = servo.read(address, length, this.plant, atMs);
      const error = result.errorNumber | (servo.alert ? ALERT_BIT : 0);
      segments.push({ id, error, data: result.data ?? new Uint8Array(length) });
    }
    if (first === undefined) return [];
    const full = encodeFastSyncStatus(segments, length, ids.length);
    // When the chain stops early, the last part's CRC bytes are the running CRC, not a packet CRC.
    return [{ id: BROADCAST_ID, bytes: full, delayUs: first.returnDelayUs }];
  }

  private syncWrite(params: Uint8Array, atMs: number): void {
    if (params.length < 4) return;
    const address = u16(params, 0);
    const length = u16(params, 2);
    const stride = 1 + length;
    if (length === 0 || (params.length - 4) % stride !== 0) return;
    for (let at = 4; at < params.length; at += stride) {
      const servo = this.servo(params[at]);
      if (servo === undefined) continue;
      servo.lastInstructionMs = atMs;
      servo.write(address, params.subarray(at + 1, at + stride), this.plant, atMs);
    }
  }
}

function u16(bytes: Uint8Array, at: number): number {
  return bytes[at] | (bytes[at + 1] << 8);
}

function pingParams(servo: DxlServo): Uint8Array {
  const model = servo.memory.get('modelNumber');
  return Uint8Array.of(model & 0xff, model >> 8, servo.memory.get('firmwareVersion'));
}
