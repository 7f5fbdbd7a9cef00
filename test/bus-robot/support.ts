/**
 * An emulated servo chain (src/servo-bus emulators with an `IdealPlant`) on an in-memory link in
 * real time, for the bus robot's tests: the host's bytes reach the chain as they are written, as on a
 * wire, and its replies come back after their return delay, on timers set before the bus master sets
 * its timeout: however late a loaded machine runs them, a reply due first is delivered first, as a
 * real answer sits in the OS however late the host reads it. Knobs: silence a servo, unplug the link.
 */
import type { BusLink } from '../../src/bus-robot/bus-robot.js';
import { systemClock } from '../../src/core/clock.js';
import { dynamixel, feetech, IdealPlant, type EmulatedReply, type RegisterMemory } from '../../src/servo-bus/index.js';
import type { Calibration } from '../../src/calibration/types.js';
import { SERVO_TABLES } from '../../src/bus-robot/servo-models.js';

interface Chain {
  receive(bytes: Uint8Array, atMs: number): EmulatedReply[];
  servo(id: number): { memory: RegisterMemory } | undefined;
}

/** An id no servo of the test chains has: a silenced servo takes it, so that nothing answers its own. */
const UNPLUGGED_ID = 200;

export class ChainLink implements BusLink {
  isOpen = true;
  /** Bytes the host wrote, in order (to check what was sent). */
  readonly written: Uint8Array[] = [];
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();

  constructor(readonly chain: Chain) {}

  write(bytes: Uint8Array): void {
    if (!this.isOpen) return;
    this.written.push(bytes.slice());
    const replies = this.chain.receive(bytes, systemClock.nowMs());
    let delayMs = 0;
    for (const reply of replies) {
      delayMs += reply.delayUs / 1000;
      setTimeout(() => {
        if (this.isOpen) for (const listener of this.listeners) listener(reply.bytes);
      }, delayMs);
    }
  }

  /** Servo `id` stops hearing and answering (its cable came loose), as if it were not on the bus. */
  unplug(id: number): void {
    const servo = this.chain.servo(id);
    if (servo === undefined) throw new Error(`no servo ${id}`);
    servo.memory.set('id', UNPLUGGED_ID + id);
  }

  /** Servo `id`, unplugged before, is back. */
  plugIn(id: number): void {
    const servo = this.chain.servo(UNPLUGGED_ID + id);
    if (servo === undefined) throw new Error(`servo ${id} was not unplugged`);
    servo.memory.set('id', id);
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): Promise<void> {
    this.isOpen = false;
    return Promise.resolve();
  }
}

/** The chain a bus calibration describes, every servo at its factory settings, on an ideal plant. */
export function chainFor(calibration: Calibration, plant = new IdealPlant()): { chain: Chain; plant: IdealPlant } {
  const servos = calibration.joints.map((joint) => {
    const servo = joint.servo;
    if (servo === null) throw new Error(`joint ${joint.name} has no servo`);
    return { id: servo.id, table: SERVO_TABLES[servo.model] };
  });
  const chain =
    calibration.bus?.protocol === 'dynamixel'
      ? new dynamixel.DxlChain(
          servos.map((s) => new dynamixel.DxlServo(s)),
          { plant, atMs: systemClock.nowMs() },
        )
      : new feetech.FtChain(
          servos.map((s) => new feetech.FtServo(s)),
          { plant, atMs: systemClock.nowMs() },
        );
  return { chain, plant };
}
