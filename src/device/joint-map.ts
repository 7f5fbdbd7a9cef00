/**
 * Between the device's view of the joints and the calibration's: the device lists its joints in its
 * own order (DEVICE_INFO `joint_names`) and reports raw angles; policies, limits and the twin use the
 * calibrated joint angles `direction * (raw - offsetRad)` in the calibration's order (driven joints,
 * then passive ones). Pure.
 */
import type { Calibration } from '../calibration/types.js';
import { CommandModeBit, WATCHDOG_MAX_MS, WATCHDOG_MIN_MS, type JointStateMessage } from '../protocol/index.js';
import type { JointState } from '../core/joint-state.js';

/** How a calibrated robot must look on the wire. */
export interface DeviceExpectation {
  /** Every measured joint, as the device must name them (in any order); null accepts any (calibration of a new robot). */
  jointNames: string[] | null;
  /** The command mode the calibration uses; 0 accepts any. */
  commandMode: number;
  /** JOINT_STATE rate the host needs [Hz]; 0 takes the device's default. */
  stateRateHz: number;
}

export function expectationFromCalibration(calibration: Calibration): DeviceExpectation {
  return {
    jointNames: [...calibration.joints, ...calibration.passiveJoints].map((joint) => joint.name),
    commandMode: calibration.commandMode === 'position' ? CommandModeBit.POSITION : CommandModeBit.EFFORT,
    stateRateHz: calibration.controlHz,
  };
}

/** What the device said about itself, as far as the check needs it. */
export interface DeviceDescription {
  deviceId: string;
  jointNames: readonly string[];
  supportedModes: number;
  minStateRateHz: number;
  maxStateRateHz: number;
  defaultStateRateHz: number;
  defaultWatchdogMs: number;
}

/** Lists every disagreement between a device and the calibration's expectation; empty when it fits. */
export function deviceMismatches(device: DeviceDescription, expected: DeviceExpectation): string[] {
  const problems = deviceInfoRangeErrors(device);
  const names = expected.jointNames;
  const missing = names?.filter((name) => !device.jointNames.includes(name)) ?? [];
  const extra = names ? device.jointNames.filter((name) => !names.includes(name)) : [];
  if (names && (missing.length > 0 || extra.length > 0 || device.jointNames.length !== names.length)) {
    const parts = [
      missing.length > 0 ? `missing ${missing.join(', ')}` : '',
      extra.length > 0 ? `not calibrated ${extra.join(', ')}` : '',
    ].filter(Boolean);
    problems.push(
      `joints: the device has [${device.jointNames.join(', ')}], the calibration [${names.join(', ')}]${parts.length ? ` (${parts.join('; ')})` : ''}`,
    );
  }
  if (expected.commandMode !== 0 && (device.supportedModes & expected.commandMode) === 0) {
    problems.push(
      `command mode: the calibration needs ${modeName(expected.commandMode)}, the device accepts ${modeNames(device.supportedModes)}`,
    );
  }
  const rate = expected.stateRateHz;
  if (rate !== 0 && (!Number.isInteger(rate) || rate < device.minStateRateHz || rate > device.maxStateRateHz)) {
    problems.push(
      `state rate: the calibration runs at ${rate} Hz, the device streams ${device.minStateRateHz}–${device.maxStateRateHz} Hz`,
    );
  }
  return problems;
}

/**
 * The ranges PROTOCOL.md § 6.2 gives DEVICE_INFO but the decoder does not check (§ 5 notes, § 15 item 4):
 * a device that breaks them cannot be driven as § 8 says, so the host refuses it naming the field.
 */
function deviceInfoRangeErrors(device: DeviceDescription): string[] {
  const problems: string[] = [];
  if (device.supportedModes === 0) problems.push('supported_modes: the device announces no command mode (0)');
  const { minStateRateHz: min, defaultStateRateHz: preferred, maxStateRateHz: max } = device;
  if (!(min >= 1 && min <= preferred && preferred <= max))
    problems.push(
      `state rates: the device announces min ${min}, default ${preferred}, max ${max} Hz (they must be 1 ≤ min ≤ default ≤ max)`,
    );
  if (device.defaultWatchdogMs < WATCHDOG_MIN_MS || device.defaultWatchdogMs > WATCHDOG_MAX_MS)
    problems.push(
      `default_watchdog_ms: the device announces ${device.defaultWatchdogMs} ms (it must be ${WATCHDOG_MIN_MS}–${WATCHDOG_MAX_MS})`,
    );
  return problems;
}

function modeName(bit: number): string {
  return bit === CommandModeBit.POSITION
    ? 'position'
    : bit === CommandModeBit.VELOCITY
      ? 'velocity'
      : bit === CommandModeBit.EFFORT
        ? 'effort'
        : `mode 0x${bit.toString(16)}`;
}

function modeNames(bits: number): string {
  const names = [CommandModeBit.POSITION, CommandModeBit.VELOCITY, CommandModeBit.EFFORT].filter((bit) => (bits & bit) !== 0).map(modeName);
  return names.length > 0 ? names.join(', ') : 'no mode';
}

/**
 * Raw device readings ↔ calibrated joint units, and calibration order ↔ device order. Built once per
 * session from DEVICE_INFO's joint names (which `deviceMismatches` has checked).
 */
export class JointMap {
  /** Joints the device reports (= measured joints of the calibration). */
  readonly deviceJoints: number;
  /** Driven joints: the length of a command. */
  readonly drivenJoints: number;
  /** For each calibrated joint (driven, then passive), its index in the device's arrays; shape (deviceJoints,). */
  private readonly deviceIndex: Int32Array;
  /** Per calibrated joint: offset [rad] and direction (±1); shape (deviceJoints,). */
  private readonly offsetRad: Float64Array;
  private readonly direction: Float64Array;

  constructor(calibration: Calibration, deviceJointNames: readonly string[]) {
    const calibrated = [...calibration.joints, ...calibration.passiveJoints];
    this.deviceJoints = calibrated.length;
    this.drivenJoints = calibration.joints.length;
    this.deviceIndex = Int32Array.from(calibrated, (joint) => {
      const index = deviceJointNames.indexOf(joint.name);
      if (index < 0) throw new RangeError(`the device has no joint '${joint.name}'`);
      return index;
    });
    if (deviceJointNames.length !== calibrated.length)
      throw new RangeError(`the device has ${deviceJointNames.length} joints, the calibration ${calibrated.length}`);
    this.offsetRad = Float64Array.from(calibrated, (joint) => joint.offsetRad);
    this.direction = Float64Array.from(calibrated, (joint) => joint.direction);
  }

  /** Fills the calibrated readings of `out` (positions, velocities, efforts) from a raw JOINT_STATE. */
  toJointState(raw: JointStateMessage, out: JointState): void {
    // Read through the wrong joint order, missing joints would become NaN and extra ones vanish.
    if (raw.positionRad.length !== this.deviceJoints)
      throw new RangeError(`a state with ${raw.positionRad.length} joints for a device of ${this.deviceJoints}`);
    for (let j = 0; j < this.deviceJoints; j++) {
      const d = this.deviceIndex[j];
      const direction = this.direction[j];
      out.positionRad[j] = direction * (raw.positionRad[d] - this.offsetRad[j]);
      out.velocityRadS[j] = direction * raw.velocityRadS[d];
      out.effortNm[j] = direction * raw.effortNm[d];
    }
  }

  /**
   * Calibrated targets of the driven joints, shape (drivenJoints,), → the device's target array,
   * shape (deviceJoints,). Passive joints get a target the device can ignore: their present raw
   * position (position mode) or zero (effort mode), taken from `present`.
   */
  toDeviceTargets(target: ArrayLike<number>, position: boolean, present: JointStateMessage, out: Float32Array): void {
    for (let j = 0; j < this.deviceJoints; j++) {
      const d = this.deviceIndex[j];
      if (j >= this.drivenJoints) {
        out[d] = position ? present.positionRad[d] : 0;
        continue;
      }
      const direction = this.direction[j];
      out[d] = position ? direction * target[j] + this.offsetRad[j] : direction * target[j];
    }
  }
}
