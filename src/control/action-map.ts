import type { Calibration } from '../calibration/types.js';

/**
 * The single place where normalised actions in [-1, 1] become joint units (style rule 4).
 *
 * Position mode: -1 and +1 are the ends of each joint's soft range (hard limits minus the soft
 * margin). Effort mode: ±maxEffortNm. The mapping is affine and invertible, so that applied commands
 * can be expressed as actions again (for the continuity cost and the store).
 */
export class ActionMap {
  /** [joints], joint units. */
  readonly low: Float64Array;
  /** [joints], joint units. */
  readonly high: Float64Array;

  constructor(calibration: Calibration) {
    const joints = calibration.joints;
    this.low = new Float64Array(joints.length);
    this.high = new Float64Array(joints.length);
    joints.forEach((joint, j) => {
      const { limits } = joint;
      if (calibration.commandMode === 'position') {
        // The loader guarantees a finite range in position mode.
        this.low[j] = limits.minPositionRad! + limits.softMarginRad;
        this.high[j] = limits.maxPositionRad! - limits.softMarginRad;
      } else {
        this.low[j] = -limits.maxEffortNm!;
        this.high[j] = limits.maxEffortNm!;
      }
    });
  }

  /** action [joints] in [-1, 1] → joint units. Non-finite actions stay non-finite: the safety layer decides. */
  toJoint(action: ArrayLike<number>, out: Float64Array): void {
    for (let j = 0; j < out.length; j++) {
      out[j] = this.low[j] + 0.5 * (action[j] + 1) * (this.high[j] - this.low[j]);
    }
  }

  /** joint units [joints] → action in [-1, 1] (outside it when the value is outside the range). */
  toAction(value: ArrayLike<number>, out: Float32Array | Float64Array): void {
    for (let j = 0; j < out.length; j++) {
      out[j] = (2 * (value[j] - this.low[j])) / (this.high[j] - this.low[j]) - 1;
    }
  }
}
