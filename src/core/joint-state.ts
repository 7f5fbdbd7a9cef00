/**
 * What the control loop sees of a robot, whatever carries it (serial, MQTT, the in-process twin):
 * joint readings in calibrated joint units and commands in the calibration's command mode. Arrays are
 * per joint, in the calibration's joint order.
 */
import type { CommandMode } from '../calibration/types.js';

export interface JointState {
  /** Sequence number of the state frame; a command answers it. */
  seq: number;
  /** Device clock when the joints were sampled [s]. */
  deviceTimeS: number;
  /** [joints] */
  positionRad: Float64Array;
  /** [joints] */
  velocityRadS: Float64Array;
  /** [joints]; NaN where the device does not measure effort. */
  effortNm: Float64Array;
  /** The device reports a fault, an e-stop or an expired watchdog: it will not move. */
  deviceFault: boolean;
  /** How old the reading is when the control loop gets it [µs] (set by whoever delivers it; 0 in simulation). */
  ageUs: number;
  /** What the actuators report of their own wear, when the robot reports it (servo buses); null otherwise. */
  telemetry: JointTelemetry | null;
}

/**
 * Per-joint actuator readings that measure wear and tear: what a servo reports about itself. Each
 * array is [driven joints]; NaN where an actuator does not measure that quantity.
 */
export interface JointTelemetry {
  /** Motor current [A] (signed as the servo reports it). */
  currentA: Float64Array;
  /** Load as a signed fraction of the servo's maximum torque (what servos without a current sensor report). */
  loadFraction: Float64Array;
  /** Internal temperature [°C]. */
  temperatureC: Float64Array;
  /** Input voltage at the servo [V]. */
  voltageV: Float64Array;
}

export function createJointTelemetry(joints: number): JointTelemetry {
  return {
    currentA: new Float64Array(joints).fill(Number.NaN),
    loadFraction: new Float64Array(joints).fill(Number.NaN),
    temperatureC: new Float64Array(joints).fill(Number.NaN),
    voltageV: new Float64Array(joints).fill(Number.NaN),
  };
}

export interface JointCommand {
  mode: CommandMode;
  /** [joints]: positions [rad] or efforts [N·m], after the safety layer. */
  target: Float64Array;
  /** Sequence number of the state this command answers. */
  answersSeq: number;
}

export function createJointState(joints: number): JointState {
  return {
    seq: 0,
    deviceTimeS: 0,
    positionRad: new Float64Array(joints),
    velocityRadS: new Float64Array(joints),
    effortNm: new Float64Array(joints).fill(Number.NaN),
    deviceFault: false,
    ageUs: 0,
    telemetry: null,
  };
}

export function copyJointState(from: JointState, to: JointState): void {
  to.seq = from.seq;
  to.deviceTimeS = from.deviceTimeS;
  to.positionRad.set(from.positionRad);
  to.velocityRadS.set(from.velocityRadS);
  to.effortNm.set(from.effortNm);
  to.deviceFault = from.deviceFault;
  to.ageUs = from.ageUs;
  if (from.telemetry === null) {
    to.telemetry = null;
    return;
  }
  // Allocated at the first copy of a robot that reports telemetry, reused after.
  to.telemetry ??= createJointTelemetry(from.telemetry.currentA.length);
  to.telemetry.currentA.set(from.telemetry.currentA);
  to.telemetry.loadFraction.set(from.telemetry.loadFraction);
  to.telemetry.temperatureC.set(from.telemetry.temperatureC);
  to.telemetry.voltageV.set(from.telemetry.voltageV);
}
