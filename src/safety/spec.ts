import type { Calibration, CommandMode, JointLimits } from '../calibration/types.js';
import { UsageError } from '../util/errors.js';

/** A safety configuration or call that cannot be used; the message names the field, the joint, the value and the rule. */
export class SafetyError extends UsageError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

/** What the safety layer needs to know about one joint. */
export interface JointSafetySpec {
  name: string;
  /** From the calibration file, unchanged. */
  limits: JointLimits;
  /** Largest distance a position target may lie from the measured position [rad]; `null`: no bound. */
  maxLeadRad: number | null;
  /** Effort mode: largest change of the effort command per second [N·m/s]. Unused in position mode. */
  maxEffortRateNmS: number;
}

export interface SafetySpec {
  /** Control rate [Hz]: one command per period h = 1 / controlHz. */
  controlHz: number;
  commandMode: CommandMode;
  joints: readonly JointSafetySpec[];
  /** A reading older than this is stale and makes the tick hold [µs]. */
  maxReadingAgeUs: number;
}

export interface SafetyOptions {
  /** How far a position target may lead the measured position [rad]: one value for every joint, or one per joint; `null` = no bound (default). */
  maxLeadRad?: number | null | readonly (number | null)[];
  /** Largest reading age before the tick holds [µs]; default 2.5 control periods. */
  maxReadingAgeUs?: number;
  /** Effort mode: time the slew limit takes to bring the effort from 0 to maxEffortNm [s]; 0 = no slew limit; default 0.05. */
  effortRiseTimeS?: number;
}

/**
 * Longest brake, in ticks, the closed forms are validated for: (A / (h J)) + (V / (h A)). Beyond it
 * the sums of cubes in `BrakeModel.stop` lose digits; see README.md "Valid input ranges".
 */
export const MAX_BRAKE_TICKS = 100_000;

export const DEFAULT_EFFORT_RISE_TIME_S = 0.05;
export const DEFAULT_READING_AGE_PERIODS = 2.5;

/** Builds the safety spec of a calibrated robot: the calibration's `safety` section, overridden by `options`. */
export function safetySpecFromCalibration(calibration: Calibration, options: SafetyOptions = {}): SafetySpec {
  const periodUs = 1e6 / calibration.controlHz;
  const riseS = options.effortRiseTimeS ?? calibration.safety.effortRiseTimeS ?? DEFAULT_EFFORT_RISE_TIME_S;
  if (!(riseS >= 0)) throw new SafetyError('effortRiseTimeS', `= ${riseS}: must be >= 0 (0 = no slew limit)`);
  const lead = options.maxLeadRad !== undefined ? options.maxLeadRad : calibration.safety.maxLeadRad;
  if (Array.isArray(lead) && lead.length !== calibration.joints.length) {
    throw new SafetyError('maxLeadRad', `lists ${lead.length} values for ${calibration.joints.length} joints`);
  }
  const spec: SafetySpec = {
    controlHz: calibration.controlHz,
    commandMode: calibration.commandMode,
    maxReadingAgeUs: options.maxReadingAgeUs ?? DEFAULT_READING_AGE_PERIODS * periodUs,
    joints: calibration.joints.map((joint, i) => ({
      name: joint.name,
      limits: joint.limits,
      maxLeadRad: typeof lead === 'number' || lead === null ? lead : (lead[i] ?? null),
      maxEffortRateNmS: joint.limits.maxEffortNm === null || riseS === 0 ? Number.POSITIVE_INFINITY : joint.limits.maxEffortNm / riseS,
    })),
  };
  validateSafetySpec(spec);
  return spec;
}

/** Throws a `SafetyError` naming the first field that breaks a rule; returns normally when the spec is usable. */
export function validateSafetySpec(spec: SafetySpec): void {
  if (!(Number.isFinite(spec.controlHz) && spec.controlHz > 0)) fail('controlHz', spec.controlHz, 'must be finite and > 0');
  if (spec.commandMode !== 'position' && spec.commandMode !== 'effort')
    fail('commandMode', spec.commandMode, "must be 'position' or 'effort'");
  if (!(spec.maxReadingAgeUs >= 0)) fail('maxReadingAgeUs', spec.maxReadingAgeUs, 'must be >= 0 (Infinity disables the age check)');
  if (spec.joints.length === 0) throw new SafetyError('joints', 'must list at least one joint');
  const h = 1 / spec.controlHz;
  spec.joints.forEach((joint, i) => {
    const at = `joints[${i}] (${joint.name})`;
    const limits = joint.limits;
    positive(`${at}.limits.maxVelocityRadS`, limits.maxVelocityRadS);
    positive(`${at}.limits.maxAccelerationRadS2`, limits.maxAccelerationRadS2);
    positive(`${at}.limits.maxJerkRadS3`, limits.maxJerkRadS3);
    if (!(Number.isFinite(limits.softMarginRad) && limits.softMarginRad >= 0)) {
      fail(`${at}.limits.softMarginRad`, limits.softMarginRad, 'must be finite and >= 0');
    }
    if ((limits.minPositionRad === null) !== (limits.maxPositionRad === null)) {
      fail(`${at}.limits.minPositionRad`, limits.minPositionRad, 'and maxPositionRad must both be numbers or both null');
    }
    if (limits.minPositionRad !== null && limits.maxPositionRad !== null) {
      finite(`${at}.limits.minPositionRad`, limits.minPositionRad);
      finite(`${at}.limits.maxPositionRad`, limits.maxPositionRad);
      if (!(limits.maxPositionRad - limits.minPositionRad > 2 * limits.softMarginRad)) {
        fail(
          `${at}.limits.maxPositionRad`,
          limits.maxPositionRad,
          `must exceed minPositionRad (${limits.minPositionRad}) by more than 2 softMarginRad (${limits.softMarginRad})`,
        );
      }
    }
    if (joint.maxLeadRad !== null) positive(`${at}.maxLeadRad`, joint.maxLeadRad);
    if (spec.commandMode === 'position') {
      if (limits.minPositionRad === null) fail(`${at}.limits.minPositionRad`, null, 'is required in position mode');
      const brakeTicks =
        limits.maxAccelerationRadS2 / (h * limits.maxJerkRadS3) + limits.maxVelocityRadS / (h * limits.maxAccelerationRadS2);
      if (!(brakeTicks <= MAX_BRAKE_TICKS)) {
        fail(
          `${at}.limits`,
          brakeTicks,
          `give a brake of A/(hJ) + V/(hA) = ${brakeTicks} ticks; the closed forms are validated up to ${MAX_BRAKE_TICKS}`,
        );
      }
    } else {
      if (limits.maxEffortNm === null) fail(`${at}.limits.maxEffortNm`, null, 'is required in effort mode');
      positive(`${at}.limits.maxEffortNm`, limits.maxEffortNm);
      if (!(joint.maxEffortRateNmS > 0)) fail(`${at}.maxEffortRateNmS`, joint.maxEffortRateNmS, 'must be > 0');
    }
  });
}

function fail(field: string, value: unknown, rule: string): never {
  throw new SafetyError(field, `= ${String(value)}: ${rule}`);
}

function positive(field: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) fail(field, value, 'must be finite and > 0');
}

function finite(field: string, value: number): void {
  if (!Number.isFinite(value)) fail(field, value, 'must be finite');
}
