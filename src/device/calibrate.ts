/**
 * Builds a calibration file from what an operator did with the robot (torque off): the raw range each
 * joint was moved through and the raw pose they called home. Pure; `src/cli/calibrate.ts` talks to
 * the operator and the device.
 *
 * The joint angle is `direction * (raw - offsetRad)`. The home pose is given the template's `homeRad`
 * (0 without a template), which fixes the offset: `offsetRad = rawHome - direction * homeRad`. The
 * hard position range is the recorded range in joint angles, `insetRad` inside each end (the ends are
 * the mechanical stops the operator felt). Everything the operator cannot show by hand (velocity,
 * acceleration, jerk and effort limits, the control rate, the command mode, the twin, the servo bus and
 * each joint's servo) comes from the template, or from conservative defaults for a robot seen for the
 * first time.
 */
import type { Calibration, CommandMode } from '../calibration/types.js';
import { UsageError } from '../util/errors.js';

/** What was recorded for one joint, in raw device units [rad]. */
export interface JointRecording {
  name: string;
  minRaw: number;
  maxRaw: number;
  homeRaw: number;
}

export interface CalibrationInputs {
  robot: string;
  /** Every joint the device reports, in its order. */
  joints: JointRecording[];
  /** The device's default state rate [Hz]: the control rate without a template. */
  defaultStateRateHz: number;
  /** Command modes the device accepts. */
  supportsPosition: boolean;
  supportsEffort: boolean;
  /** A calibration of the same kind of robot: limits, rate, mode, twin, passive joints. */
  template: Calibration | null;
  /** The template twin's MJCF, relative to the folder of the file to be written (computed by the caller). */
  twinMjcf: string | null;
  /** Distance kept inside the recorded range [rad]; default 0.02. */
  insetRad?: number;
  description?: string;
}

/** Limits for a robot without a template: slow and gentle until someone measures better ones. */
export const FIRST_CALIBRATION_LIMITS = { maxVelocityRadS: 1, maxAccelerationRadS2: 10, maxJerkRadS3: 200, softMarginRad: 0.1 } as const;

/** The JSON object of `calibration/<robot>.json` (validate it with `parseCalibration` before writing). */
export function buildCalibrationJson(inputs: CalibrationInputs): Record<string, unknown> {
  const { template } = inputs;
  const inset = inputs.insetRad ?? 0.02;
  const commandMode: CommandMode = template?.commandMode ?? (inputs.supportsPosition ? 'position' : 'effort');
  if (commandMode === 'effort' && !template) {
    throw new UsageError('an effort-driven robot needs a template (--from NAME) that states its effort limits');
  }
  const passiveNames = new Set(template?.passiveJoints.map((joint) => joint.name) ?? []);
  const round = (value: number): number => Math.round(value * 1e4) / 1e4;
  const joints = inputs.joints
    .filter((joint) => !passiveNames.has(joint.name))
    .map((recording) => {
      const known = template?.joints.find((joint) => joint.name === recording.name);
      const direction = known?.direction ?? 1;
      const homeRad = known?.homeRad ?? 0;
      const offsetRad = recording.homeRaw - direction * homeRad;
      const ends = [direction * (recording.minRaw - offsetRad), direction * (recording.maxRaw - offsetRad)].sort((a, b) => a - b);
      const limits = known?.limits;
      return {
        name: recording.name,
        offsetRad: round(offsetRad),
        direction,
        homeRad,
        limits: {
          minPositionRad: round(ends[0] + inset),
          maxPositionRad: round(ends[1] - inset),
          softMarginRad: limits?.softMarginRad ?? FIRST_CALIBRATION_LIMITS.softMarginRad,
          maxVelocityRadS: limits?.maxVelocityRadS ?? FIRST_CALIBRATION_LIMITS.maxVelocityRadS,
          maxAccelerationRadS2: limits?.maxAccelerationRadS2 ?? FIRST_CALIBRATION_LIMITS.maxAccelerationRadS2,
          maxJerkRadS3: limits?.maxJerkRadS3 ?? FIRST_CALIBRATION_LIMITS.maxJerkRadS3,
          maxEffortNm: limits?.maxEffortNm ?? null,
        },
        // A bus robot keeps its servo ids and models: the operator's moves cannot show them.
        ...(known?.servo ? { servo: { ...known.servo } } : {}),
      };
    });
  const passiveJoints = inputs.joints
    .filter((joint) => passiveNames.has(joint.name))
    .map((recording) => {
      const direction = template!.passiveJoints.find((joint) => joint.name === recording.name)!.direction;
      return { name: recording.name, offsetRad: round(recording.homeRaw), direction };
    });
  const json: Record<string, unknown> = {
    schemaVersion: 1,
    robot: inputs.robot,
    description: inputs.description ?? template?.description ?? `${inputs.robot}, calibrated with robo-train calibrate`,
    controlHz: template?.controlHz ?? inputs.defaultStateRateHz,
    commandMode,
    joints,
  };
  if (passiveJoints.length > 0) json.passiveJoints = passiveJoints;
  if (template?.defaultTask) json.defaultTask = template.defaultTask;
  if (template) json.safety = { ...template.safety };
  if (template?.bus) json.bus = { ...template.bus };
  if (template?.twin && inputs.twinMjcf) {
    const { realism, velocityClampRadS } = template.twin;
    json.twin = { mjcf: inputs.twinMjcf, realism: { ...realism }, ...(velocityClampRadS === null ? {} : { velocityClampRadS }) };
  }
  return json;
}
