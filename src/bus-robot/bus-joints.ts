/**
 * The joints of a bus robot as servos: which id drives each joint, its model, and the conversion
 * between calibrated joint angles and the servo's encoder ticks (src/calibration/servo.ts gives the
 * tick convention; `jointAngle = direction * (raw - offsetRad)` the calibration's).
 */
import type { BusSettings, Calibration, JointCalibration, ServoModel } from '../calibration/types.js';
import { rawRadFromTicks, ticksFromRawRad } from '../calibration/servo.js';
import type { JointState } from '../core/joint-state.js';
import type { ControlTable } from '../servo-bus/index.js';
import { UsageError } from '../util/errors.js';
import type { ServoReading } from './servo-driver.js';
import { SERVO_TABLES } from './servo-models.js';

export class BusJoints {
  readonly bus: BusSettings;
  /** Servo ids in joint order. */
  readonly ids: readonly number[];
  /** The control table of each id. */
  readonly tables: ReadonlyMap<number, ControlTable>;
  private readonly joints: readonly JointCalibration[];

  constructor(calibration: Calibration) {
    const { bus, robot } = calibration;
    if (bus === null) throw new UsageError(`calibration '${robot}' has no "bus": it is not a servo-bus robot`);
    if (calibration.commandMode !== 'position')
      throw new UsageError(`calibration '${robot}': a servo-bus robot takes position commands ("commandMode": "position")`);
    if (calibration.passiveJoints.length > 0)
      throw new UsageError(`calibration '${robot}': every joint of a servo-bus robot is a servo; it cannot have "passiveJoints"`);
    this.bus = bus;
    this.joints = calibration.joints;
    this.ids = calibration.joints.map((joint) => servoOf(joint, robot).id);
    this.tables = new Map(calibration.joints.map((joint) => [servoOf(joint, robot).id, SERVO_TABLES[servoOf(joint, robot).model]]));
  }

  get count(): number {
    return this.joints.length;
  }

  /** "joint 'elbow_flex' (id 3, XL330-M288)". */
  describe(index: number): string {
    const joint = this.joints[index];
    const servo = servoOf(joint, '');
    return `joint '${joint.name}' (id ${servo.id}, ${SERVO_TABLES[servo.model].model})`;
  }

  model(index: number): ServoModel {
    return servoOf(this.joints[index], '').model;
  }

  /** Goal ticks of every servo for calibrated joint targets [rad]. */
  toTicks(targetRad: ArrayLike<number>, out: number[]): void {
    for (let j = 0; j < this.joints.length; j++) {
      const { direction, offsetRad } = this.joints[j];
      out[j] = ticksFromRawRad(direction * targetRad[j] + offsetRad);
    }
  }

  /** Writes the servos' readings into `state` (positions, velocities, telemetry) in joint order. */
  toState(readings: ReadonlyMap<number, ServoReading>, state: JointState): void {
    const telemetry = state.telemetry;
    for (let j = 0; j < this.joints.length; j++) {
      const reading = readings.get(this.ids[j]);
      if (reading === undefined) throw new Error(`no reading of id ${this.ids[j]}`);
      const { direction, offsetRad } = this.joints[j];
      state.positionRad[j] = direction * (rawRadFromTicks(reading.positionTicks) - offsetRad);
      state.velocityRadS[j] = direction * reading.velocityRadS;
      if (telemetry === null) continue;
      telemetry.currentA[j] = reading.currentA;
      telemetry.loadFraction[j] = reading.loadFraction;
      telemetry.temperatureC[j] = reading.temperatureC;
      telemetry.voltageV[j] = reading.voltageV;
    }
  }
}

/** The position limits a servo can hold for its joint [ticks], or why it cannot. */
export type ServoLimits = { id: number; joint: string; minTicks: number; maxTicks: number } | { id: number; joint: string; reason: string };

/**
 * The servo's own limits for each joint's hard range: `ticksFromRawRad` of both ends, in the order of
 * the ticks (a joint with direction -1 swaps them). A continuous joint has no range to hold; a range
 * that crosses the encoder's 0/4095 seam cannot be held by the servo's 0..4095 limit registers.
 */
export function servoLimits(calibration: Calibration): ServoLimits[] {
  return calibration.joints.map((joint) => {
    const { id } = servoOf(joint, calibration.robot);
    const { minPositionRad, maxPositionRad } = joint.limits;
    if (minPositionRad === null || maxPositionRad === null)
      return { id, joint: joint.name, reason: 'a continuous joint has no range to hold' };
    const ends = [minPositionRad, maxPositionRad]
      .map((rad) => ticksFromRawRad(joint.direction * rad + joint.offsetRad))
      .sort((a, b) => a - b);
    if (ends[0] < 0 || ends[1] > MAX_TICK)
      return {
        id,
        joint: joint.name,
        reason: `its range is ticks ${ends[0]}..${ends[1]}, across the encoder's 0/${MAX_TICK} seam, which the servo's limits cannot hold`,
      };
    return { id, joint: joint.name, minTicks: ends[0], maxTicks: ends[1] };
  });
}

/** The highest position a servo's limit registers take (12-bit encoder). */
const MAX_TICK = 4095;

function servoOf(joint: JointCalibration, robot: string): NonNullable<JointCalibration['servo']> {
  if (joint.servo === null)
    throw new UsageError(`calibration '${robot}': joint '${joint.name}' names no "servo" although the robot has a "bus"`);
  return joint.servo;
}
