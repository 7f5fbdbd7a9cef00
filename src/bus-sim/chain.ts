/**
 * The chain of emulated servos a bus calibration describes (one per joint, its id and model), either
 * protocol behind one face: bytes in, replies out, and the faults the emulator can inject into the
 * servos themselves.
 */
import type { BusProtocol, Calibration, ServoModel } from '../calibration/types.js';
import { dynamixel, feetech, type ControlTable, type EmulatedReply } from '../servo-bus/index.js';
import type { TwinPlant } from './twin-plant.js';

export interface EmulatedBus {
  readonly protocol: BusProtocol;
  /** Bytes from the host, arrived at `atMs`: the replies to the packets they complete. */
  receive(bytes: Uint8Array, atMs: number): EmulatedReply[];
  /** Each servo still on the bus reads its sensors, as its firmware does all the time (a temperature past its limit trips it without a read). */
  monitor(atMs: number): void;
  /** Servo `id` leaves the bus: it no longer hears or answers anything (its cable broke). */
  detach(id: number): void;
  /** Servo `id` restarts (a brown-out): RAM to its initial values, torque off, errors cleared. */
  reboot(id: number, atMs: number): void;
  /** Servo `id`'s temperature limit [°C], from its control table. */
  temperatureLimitC(id: number): number;
}

const DYNAMIXEL_TABLES: Partial<Record<ServoModel, ControlTable>> = {
  'xl430-w250': dynamixel.XL430_W250,
  'xl330-m288': dynamixel.XL330_M288,
};
const FEETECH_TABLES: Partial<Record<ServoModel, ControlTable>> = { sts3215: feetech.STS3215 };

/** What the servos of a chain share: an ID register. */
interface Identified {
  readonly id: number;
}

/**
 * Keeps the plant's joints with their servos when the host writes a servo's ID register (the plant
 * knows servos by id): after each batch of packets, servos whose id changed are renumbered in it.
 */
function followIds(servos: readonly Identified[], plant: TwinPlant): () => void {
  const known = new Map(servos.map((servo) => [servo, servo.id]));
  return () => {
    for (const [servo, id] of known) {
      if (servo.id === id) continue;
      plant.renumber(id, servo.id);
      known.set(servo, servo.id);
    }
  };
}

/** The calibration's servos, powered on at `atMs` with `plant` behind them. */
export function emulatedBus(calibration: Calibration, plant: TwinPlant, atMs: number): EmulatedBus {
  const protocol = calibration.bus?.protocol;
  if (protocol === undefined) throw new RangeError(`${calibration.sourcePath}: the robot '${calibration.robot}' has no servo bus`);
  const refs = calibration.joints.map((joint) => joint.servo!);
  if (protocol === 'dynamixel') {
    // The chain holds this array: taking a servo out of it takes it off the bus.
    const attached = refs.map((ref) => new dynamixel.DxlServo({ table: tableOf(DYNAMIXEL_TABLES, ref.model), id: ref.id }));
    const chain = new dynamixel.DxlChain(attached, { plant, atMs });
    const servo = (id: number): dynamixel.DxlServo => found(chain.servo(id), id);
    const renumbered = followIds(attached, plant);
    return {
      protocol,
      receive: (bytes, at) => {
        const replies = chain.receive(bytes, at);
        renumbered();
        return replies;
      },
      monitor: (at) => {
        chain.elapse(at);
        for (const s of attached) s.sample(plant, at);
      },
      detach: (id) => void attached.splice(attached.indexOf(servo(id)), 1),
      reboot: (id, at) => servo(id).powerOn(plant, at),
      temperatureLimitC: (id) => servo(id).memory.get('temperatureLimit'),
    };
  }
  const attached = refs.map((ref) => new feetech.FtServo({ table: tableOf(FEETECH_TABLES, ref.model), id: ref.id }));
  const chain = new feetech.FtChain(attached, { plant, atMs });
  const servo = (id: number): feetech.FtServo => found(chain.servo(id), id);
  const renumbered = followIds(attached, plant);
  return {
    protocol,
    receive: (bytes, at) => {
      const replies = chain.receive(bytes, at);
      renumbered();
      return replies;
    },
    monitor: (at) => {
      for (const s of attached) if (at >= s.bootUntilMs) s.sample(plant, at);
    },
    detach: (id) => void attached.splice(attached.indexOf(servo(id)), 1),
    reboot: (id, at) => {
      const s = servo(id);
      s.powerOn(plant, at);
      s.bootUntilMs = at + feetech.REBOOT_MS;
    },
    temperatureLimitC: (id) => servo(id).memory.get('maxTemperature'),
  };
}

function tableOf(tables: Partial<Record<ServoModel, ControlTable>>, model: ServoModel): ControlTable {
  const table = tables[model];
  if (table === undefined) throw new RangeError(`no emulated ${model} on this bus`);
  return table;
}

function found<T>(servo: T | undefined, id: number): T {
  if (servo === undefined) throw new RangeError(`no servo with id ${id} on the emulated bus`);
  return servo;
}
