/**
 * The serial-bus servos a calibration file may name (a joint's `servo`, the file's `bus`), and the
 * convention that turns their encoder ticks into the raw joint angles of the calibration.
 *
 * Both families count 4096 ticks per turn with 2048 at the centre of the horn's travel: the raw
 * angle is `(ticks - 2048) * 2π / 4096` [rad], and the calibration's `offsetRad` and `direction`
 * then give the joint angle as for any other robot (`direction * (raw - offsetRad)`). Ticks beyond
 * 0..4095 (the multi-turn "extended position" modes) follow the same line.
 */
import type { BusProtocol, ServoModel } from './types.js';

/** The protocol each servo model speaks: Feetech SCS/STS or Dynamixel Protocol 2.0. */
export const SERVO_PROTOCOL: Readonly<Record<ServoModel, BusProtocol>> = {
  sts3215: 'feetech',
  'xl430-w250': 'dynamixel',
  'xl330-m288': 'dynamixel',
};

export const SERVO_MODELS = Object.keys(SERVO_PROTOCOL) as readonly ServoModel[];
export const BUS_PROTOCOLS: readonly BusProtocol[] = ['feetech', 'dynamixel'];

/** Highest id a servo may have on either bus (Dynamixel reserves 253; 254 is the broadcast id of both). */
export const MAX_SERVO_ID = 252;

export const TICKS_PER_TURN = 4096;
/** The tick count of raw angle 0. */
export const CENTRE_TICKS = 2048;

/** Raw joint angle [rad] of an encoder reading [ticks]. */
export function rawRadFromTicks(ticks: number): number {
  return ((ticks - CENTRE_TICKS) * 2 * Math.PI) / TICKS_PER_TURN;
}

/** The nearest encoder reading [ticks] to a raw joint angle [rad]; the inverse of `rawRadFromTicks` on whole ticks. */
export function ticksFromRawRad(rawRad: number): number {
  return Math.round((rawRad * TICKS_PER_TURN) / (2 * Math.PI)) + CENTRE_TICKS;
}
