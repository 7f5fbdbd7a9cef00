import type { MjModel } from 'mujoco-js';
import type { Calibration } from '../calibration/types.js';

const MJ_GAIN_FIXED = 0;
const MJ_BIAS_NONE = 0;
const MJ_BIAS_AFFINE = 1;
/** Rounding allowed when numbers of the calibration and of the MJCF are compared. */
const TOLERANCE = 1e-9;

/**
 * Where a twin's MJCF disagrees with the calibration it simulates; empty when they agree. A twin that
 * disagrees would simulate another robot than the one the safety layer protects:
 *
 * - each driven joint's actuator takes the command in joint units (gear 1): a position servo
 *   (`<position>`) in position mode, a torque motor (`<motor>`) in effort mode;
 * - a limited MJCF joint reaches the whole hard position range of the calibration;
 * - a position servo's ctrlrange, when limited, holds the hard range (every command the safety layer
 *   may apply is applied as it is);
 * - the actuator's force limit is the calibration's maxEffortNm: a position servo's forcerange is
 *   ±maxEffortNm when the calibration sets one, an effort motor's ctrlrange (when limited) is
 *   ±maxEffortNm.
 *
 * `jointIds` and `actuatorIds` [calibration.joints.length] are the MJCF joint and actuator of each
 * driven joint.
 */
export function twinDisagreements(
  calibration: Calibration,
  model: MjModel,
  jointIds: ArrayLike<number>,
  actuatorIds: ArrayLike<number>,
): string[] {
  const problems: string[] = [];
  const jointLimited = model.jnt_limited as Uint8Array;
  const jointRange = model.jnt_range as Float64Array;
  const gear = model.actuator_gear as Float64Array;
  const gainType = model.actuator_gaintype as Int32Array;
  const biasType = model.actuator_biastype as Int32Array;
  const gainPrm = model.actuator_gainprm as Float64Array;
  const biasPrm = model.actuator_biasprm as Float64Array;
  const ctrlLimited = model.actuator_ctrllimited as Uint8Array;
  const ctrlRange = model.actuator_ctrlrange as Float64Array;
  const forceLimited = model.actuator_forcelimited as Uint8Array;
  const forceRange = model.actuator_forcerange as Float64Array;
  const position = calibration.commandMode === 'position';
  calibration.joints.forEach((joint, i) => {
    const j = jointIds[i];
    const a = actuatorIds[i];
    const { minPositionRad: min, maxPositionRad: max, maxEffortNm } = joint.limits;
    const at = `joint '${joint.name}'`;
    if (gear[6 * a] !== 1) problems.push(`${at}: actuator gear ${gear[6 * a]}, the twin needs 1 (commands in joint units)`);
    const isServo = gainType[a] === MJ_GAIN_FIXED && biasType[a] === MJ_BIAS_AFFINE && biasPrm[10 * a + 1] === -gainPrm[10 * a];
    const isMotor = gainType[a] === MJ_GAIN_FIXED && biasType[a] === MJ_BIAS_NONE && gainPrm[10 * a] === 1;
    if (position && !isServo) problems.push(`${at}: commandMode "position" needs a <position> servo, the MJCF has another actuator`);
    if (!position && !isMotor) problems.push(`${at}: commandMode "effort" needs a <motor> with gain 1, the MJCF has another actuator`);
    if (min !== null && max !== null) {
      const low = jointRange[2 * j];
      const high = jointRange[2 * j + 1];
      if (jointLimited[j] && (min < low - TOLERANCE || max > high + TOLERANCE)) {
        problems.push(`${at}: hard range [${min}, ${max}] reaches beyond the MJCF joint range [${low}, ${high}]`);
      }
      const ctrlLow = ctrlRange[2 * a];
      const ctrlHigh = ctrlRange[2 * a + 1];
      if (position && ctrlLimited[a] && (min < ctrlLow - TOLERANCE || max > ctrlHigh + TOLERANCE)) {
        problems.push(`${at}: hard range [${min}, ${max}] reaches beyond the servo's ctrlrange [${ctrlLow}, ${ctrlHigh}]`);
      }
    }
    if (maxEffortNm !== null) {
      const limited = position ? forceLimited[a] : ctrlLimited[a];
      const range = position ? forceRange : ctrlRange;
      const [low, high] = [range[2 * a], range[2 * a + 1]];
      const agrees = Math.abs(low + maxEffortNm) <= TOLERANCE * maxEffortNm && Math.abs(high - maxEffortNm) <= TOLERANCE * maxEffortNm;
      if (position && !limited) problems.push(`${at}: maxEffortNm ${maxEffortNm}, but the servo's force is not limited in the MJCF`);
      else if (limited && !agrees)
        problems.push(`${at}: maxEffortNm ${maxEffortNm}, but the MJCF limits the actuator to [${low}, ${high}] N·m`);
    }
  });
  return problems;
}
