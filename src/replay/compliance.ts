import type { Calibration } from '../calibration/types.js';
import { safetySpecFromCalibration } from '../safety/index.js';

/**
 * How close a command sequence came to the safety limits of each driven joint: the largest
 * |value| / limit over the episode, so 1 means "at the limit" and above 1 a violation. Null where a
 * measure does not apply to the command mode.
 */
export interface JointCompliance {
  joint: string;
  /** Position mode: max |c − centre| / half the hard range (≤ 1: inside the hard range). */
  position: number | null;
  /** Position mode: first, second and third differences of the commands at the control period, over their limits. */
  velocity: number | null;
  acceleration: number | null;
  jerk: number | null;
  /** Effort mode: max |u| / maxEffortNm. */
  effort: number | null;
  /** Effort mode: max |Δu| / period over the slew limit maxEffortNm / effortRiseTimeS; null without a slew limit. */
  effortRate: number | null;
}

/**
 * Safety-limit compliance of `commands` [steps][driven joints] applied from a robot at rest.
 * Position mode: the sequence starts at `initialPositionRad` [driven joints] with zero velocity and
 * acceleration (the safety layer's reset state), so the first command's differences count too.
 * Effort mode: the effort before the first command is 0 (the safety layer's reset).
 */
export function commandCompliance(
  calibration: Calibration,
  initialPositionRad: ArrayLike<number>,
  commands: readonly ArrayLike<number>[],
): JointCompliance[] {
  const spec = safetySpecFromCalibration(calibration);
  const h = 1 / calibration.controlHz;
  return calibration.joints.map((joint, j) => {
    const { limits } = joint;
    const result: JointCompliance = {
      joint: joint.name,
      position: null,
      velocity: null,
      acceleration: null,
      jerk: null,
      effort: null,
      effortRate: null,
    };
    if (calibration.commandMode === 'position') {
      const rest = initialPositionRad[j];
      // Three copies of the rest position: a history at rest, as the safety layer's reset leaves it.
      const series = [rest, rest, rest, ...commands.map((command) => command[j])];
      const centre = 0.5 * (limits.minPositionRad! + limits.maxPositionRad!);
      const halfRange = 0.5 * (limits.maxPositionRad! - limits.minPositionRad!);
      let position = 0;
      let velocity = 0;
      let acceleration = 0;
      let jerk = 0;
      for (let t = 3; t < series.length; t++) {
        const c0 = series[t];
        const c1 = series[t - 1];
        const c2 = series[t - 2];
        const c3 = series[t - 3];
        position = Math.max(position, Math.abs(c0 - centre) / halfRange);
        velocity = Math.max(velocity, Math.abs(c0 - c1) / h);
        acceleration = Math.max(acceleration, Math.abs(c0 - 2 * c1 + c2) / (h * h));
        jerk = Math.max(jerk, Math.abs(c0 - 3 * c1 + 3 * c2 - c3) / (h * h * h));
      }
      result.position = position;
      result.velocity = velocity / limits.maxVelocityRadS;
      result.acceleration = acceleration / limits.maxAccelerationRadS2;
      result.jerk = jerk / limits.maxJerkRadS3;
    } else {
      const maxRate = spec.joints[j].maxEffortRateNmS;
      let effort = 0;
      let rate = 0;
      let previous = 0;
      for (const command of commands) {
        const u = command[j];
        effort = Math.max(effort, Math.abs(u));
        rate = Math.max(rate, Math.abs(u - previous) / h);
        previous = u;
      }
      result.effort = effort / limits.maxEffortNm!;
      result.effortRate = Number.isFinite(maxRate) ? rate / maxRate : null;
    }
    return result;
  });
}

/**
 * Ratios up to 1 + this count as within the limits: commands are stored as float32, whose rounding
 * (relative 6e-8) adds up to 8 × 6e-8 × |c| / h³ to a third difference, 1.5e-4 of a 1000 rad/s³
 * jerk limit for |c| = 2.5 rad at 50 Hz.
 */
export const COMPLIANCE_SLACK = 1e-3;

/** The largest ratio of a joint's compliance: above 1 (+ `COMPLIANCE_SLACK`) means some limit was broken. */
export function worstRatio(compliance: JointCompliance): number {
  const ratios = [
    compliance.position,
    compliance.velocity,
    compliance.acceleration,
    compliance.jerk,
    compliance.effort,
    compliance.effortRate,
  ];
  return Math.max(...ratios.map((ratio) => ratio ?? 0));
}
