/**
 * A chain of emulated Feetech STS servos on one bus: instruction packets in, the responses the real
 * chain would send out. Pure and synchronous, like the Dynamixel chain; time comes in as an argument.
 *
 * Protocol rules (vendor protocol description and STS memory table):
 * - an instruction to an id no servo has is unanswered;
 * - with the broadcast id, every servo executes and none answers, except Ping (every servo answers,
 *   in chain order; the vendor advises against it since the answers collide on a real bus) and Sync
 *   Read (one response per listed servo, in list order);
 * - Response Level 0 answers Read and Ping only (Sync Read counts as a read), 1 everything;
 * - Return Delay Time is "not functional on STS": responses go out without delay;
 * - Reboot is not answered; the servo restarts in about 800 ms and ignores packets meanwhile;
 * - instruction packets whose checksum fails are ignored (the status byte has no bit for them).
 * Not modelled: Restore/Backup Params, Reset, Position Calibrate, Torque Enable 2 (damping) and 128
 * (calibrate middle); such packets are ignored.
 */
import { BROADCAST_ID, Instruction, REBOOT_MS } from './constants.js';
import { encodeStatus, type FtPacket } from './packet.js';
import { FtParser } from './parser.js';
import { FtServo } from './servo.js';
import { IdealPlant, type EmulatedReply, type ServoPlant } from '../shared/plant.js';

/** Options of a chain. */
export interface FtChainOptions {
  /** What moves behind the servos (default: an `IdealPlant`). */
  plant?: ServoPlant;
  /** Time of power-on [ms] (default 0). */
  atMs?: number;
}

/** Emulated Feetech chain. */
export class FtChain {
  readonly plant: ServoPlant;
  private readonly parser: FtParser;
  private inbox: EmulatedReply[] = [];
  private nowMs = 0;

  constructor(
    readonly servos: readonly FtServo[],
    options: FtChainOptions = {},
  ) {
    this.plant = options.plant ?? new IdealPlant();
    this.nowMs = options.atMs ?? 0;
    for (const servo of servos) servo.powerOn(this.plant, this.nowMs);
    this.parser = new FtParser({ role: 'device' }, (packet) => this.inbox.push(...this.handle(packet, this.nowMs)));
  }

  /** The servo whose ID register is `id`, if any. */
  servo(id: number): FtServo | undefined {
    return this.servos.find((servo) => servo.id === id);
  }

  /** Parser counters of the servos' side. */
  get parserStats(): FtParser['stats'] {
    return this.parser.stats;
  }

  /** Bytes from the bus, arrived at `atMs`: the responses to every instruction packet they complete. */
  receive(bytes: Uint8Array, atMs: number): EmulatedReply[] {
    this.nowMs = atMs;
    this.inbox = [];
    this.parser.push(bytes);
    const replies = this.inbox;
    this.inbox = [];
    return replies;
  }

  /** Sets status bits of servo `id` (fault injection; see `StatusBit`). */
  raiseStatus(id: number, bits: number, atMs: number): void {
    const servo = this.servo(id);
    if (servo === undefined) throw new RangeError(`no servo with id ${id}`);
    servo.raiseStatus(bits, this.plant, atMs);
  }

  /** Handles one decoded instruction packet at `atMs` and returns the responses. */
  handle(packet: FtPacket, atMs: number): EmulatedReply[] {
    const awake = this.servos.filter((servo) => atMs >= servo.bootUntilMs);
    const broadcast = packet.id === BROADCAST_ID;
    const targets = broadcast ? awake : awake.filter((servo) => servo.id === packet.id);
    const p = packet.params;
    switch (packet.code) {
      case Instruction.PING:
        return targets.map((servo) => this.status(servo));
      case Instruction.READ:
        if (broadcast || p.length !== 2) return [];
        return targets.map((servo) => this.status(servo, servo.read(p[0], p[1], this.plant, atMs)));
      case Instruction.WRITE:
      case Instruction.REG_WRITE:
        if (p.length < 2) return [];
        return targets.flatMap((servo) => {
          if (packet.code === Instruction.WRITE) servo.write(p[0], p.subarray(1), this.plant, atMs);
          else servo.regWrite(p[0], p.subarray(1));
          return this.answer(servo, broadcast);
        });
      case Instruction.ACTION:
        return targets.flatMap((servo) => {
          servo.action(this.plant, atMs);
          return this.answer(servo, broadcast);
        });
      case Instruction.REBOOT:
        for (const servo of targets) {
          servo.powerOn(this.plant, atMs);
          servo.bootUntilMs = atMs + REBOOT_MS;
        }
        return [];
      case Instruction.SYNC_READ:
        return broadcast && p.length >= 3 ? this.syncRead(awake, p, atMs) : [];
      case Instruction.SYNC_WRITE:
        if (broadcast) this.syncWrite(awake, p, atMs);
        return [];
      default:
        return [];
    }
  }

  private status(servo: FtServo, params: Uint8Array = new Uint8Array(0)): EmulatedReply {
    return { id: servo.id, bytes: encodeStatus({ id: servo.id, error: servo.statusByte, params }), delayUs: 0 };
  }

  private answer(servo: FtServo, broadcast: boolean): EmulatedReply[] {
    return !broadcast && servo.responseLevel >= 1 ? [this.status(servo)] : [];
  }

  private syncRead(awake: readonly FtServo[], p: Uint8Array, atMs: number): EmulatedReply[] {
    const replies: EmulatedReply[] = [];
    for (const id of p.subarray(2)) {
      const servo = awake.find((s) => s.id === id);
      if (servo !== undefined) replies.push(this.status(servo, servo.read(p[0], p[1], this.plant, atMs)));
    }
    return replies;
  }

  private syncWrite(awake: readonly FtServo[], p: Uint8Array, atMs: number): void {
    if (p.length < 2) return;
    const length = p[1];
    const stride = 1 + length;
    if (length === 0 || (p.length - 2) % stride !== 0) return;
    for (let at = 2; at < p.length; at += stride) {
      const servo = awake.find((s) => s.id === p[at]);
      servo?.write(p[0], p.subarray(at + 1, at + stride), this.plant, atMs);
    }
  }
}
