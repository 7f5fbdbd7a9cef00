/**
 * The simulated firmware's own joint limits (PROTOCOL.md § 10.5), independent of the host's safety
 * layer: the second, last-resort layer. Raw device units, device joint order. Pure.
 */
import type { Calibration } from '../calibration/types.js';

export interface FirmwareJointLimits {
  /** Hard position range in raw device units [rad]; null for a continuous joint. */
  minPositionRad: number | null;
  maxPositionRad: number | null;
  maxVelocityRadS: number;
  /** null: the actuator limits its effort itself. */
  maxEffortNm: number | null;
}

/** How far beyond a hard limit a joint may be pushed before the firmware latches POSITION_LIMIT [rad]. */
export const POSITION_FAULT_MARGIN_RAD = 0.08;

/** The calibration's hard limits, turned into raw device units (offset and direction applied). */
export function firmwareLimitsFromCalibration(calibration: Calibration): FirmwareJointLimits[] {
  return calibration.joints.map((joint) => {
    const { minPositionRad, maxPositionRad, maxVelocityRadS, maxEffortNm } = joint.limits;
    if (minPositionRad === null || maxPositionRad === null)
      return { minPositionRad: null, maxPositionRad: null, maxVelocityRadS, maxEffortNm };
    const a = joint.direction * minPositionRad + joint.offsetRad;
    const b = joint.direction * maxPositionRad + joint.offsetRad;
    return { minPositionRad: Math.min(a, b), maxPositionRad: Math.max(a, b), maxVelocityRadS, maxEffortNm };
  });
}

/**
 * Clamps a position target into the joint's range, and moves the applied target toward it no faster
 * than the joint's maximum velocity over one period. Returns the new applied target and whether the
 * limits changed the request.
 */
export function limitPositionTarget(
  limits: FirmwareJointLimits,
  requestedRad: number,
  appliedRad: number,
  periodS: number,
): { targetRad: number; clamped: boolean } {
  let target = requestedRad;
  let clamped = false;
  if (limits.minPositionRad !== null && target < limits.minPositionRad) {
    target = limits.minPositionRad;
    clamped = true;
  } else if (limits.maxPositionRad !== null && target > limits.maxPositionRad) {
    target = limits.maxPositionRad;
    clamped = true;
  }
  // Following no faster than the joint may move leaves the target as sent: not a clamp (PROTOCOL.md § 10.5).
  const maxStep = limits.maxVelocityRadS * periodS;
  if (target > appliedRad + maxStep) target = appliedRad + maxStep;
  else if (target < appliedRad - maxStep) target = appliedRad - maxStep;
  return { targetRad: target, clamped };
}

/** Clamps an effort to ± the joint's maximum. */
export function limitEffort(limits: FirmwareJointLimits, requestedNm: number): { effortNm: number; clamped: boolean } {
  const max = limits.maxEffortNm;
  if (max === null || Math.abs(requestedNm) <= max) return { effortNm: requestedNm, clamped: false };
  return { effortNm: Math.sign(requestedNm) * max, clamped: true };
}

/** -1 below the range, +1 above it, 0 inside (raw position [rad]). */
export function limitSide(limits: FirmwareJointLimits, positionRad: number): -1 | 0 | 1 {
  if (limits.minPositionRad !== null && positionRad <= limits.minPositionRad) return -1;
  if (limits.maxPositionRad !== null && positionRad >= limits.maxPositionRad) return 1;
  return 0;
}
