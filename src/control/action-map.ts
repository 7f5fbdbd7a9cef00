import type { ActionMode, Calibration } from '../calibration/types.js';
import { UsageError } from '../util/errors.js';

/**
 * The single place where normalised actions in [-1, 1] become joint units (style rule 4).
 *
 * Position mode: -1 and +1 are the ends of each joint's soft range (hard limits minus the soft
 * margin). Effort mode: ±maxEffortNm. The mapping is affine and invertible, so that applied commands
 * can be expressed as actions again (for the continuity cost, the observation and the store).
 *
 * Action modes (`toTarget`): `absolute` targets are that mapping of the action; `delta` targets are
 * the last applied command plus the action times the joint's velocity limit times the control
 * period, so that no action asks for more speed than the joint may take and the safety layer is left
 * with the acceleration, jerk and range limits (a target that jumps is then an outlier, not the rule).
 */
/** The action mode of `--action` on a robot: `auto` is the calibration's; delta only for position commands. */
export function resolveActionMode(requested: 'auto' | ActionMode, calibration: Calibration): ActionMode {
  const mode = requested === 'auto' ? calibration.actionMode : requested;
  if (mode === 'delta' && calibration.commandMode !== 'position')
    throw new UsageError(`--action delta needs position commands, and ${calibration.robot} takes efforts: use --action absolute`);
  return mode;
}

export class ActionMap {
  /** [joints], joint units. */
  readonly low: Float64Array;
  /** [joints], joint units. */
  readonly high: Float64Array;
  /** [joints] delta mode: the largest move of one action (velocity limit × control period) [rad]. */
  readonly maxStep: Float64Array;

  constructor(
    calibration: Calibration,
    readonly mode: ActionMode = 'absolute',
  ) {
    const joints = calibration.joints;
    if (mode === 'delta' && calibration.commandMode !== 'position')
      throw new Error(`delta actions need position commands (${calibration.robot})`);
    this.low = new Float64Array(joints.length);
    this.high = new Float64Array(joints.length);
    this.maxStep = Float64Array.from(joints, (joint) => joint.limits.maxVelocityRadS / calibration.controlHz);
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

  /**
   * The target of `action` [joints] in [-1, 1] in this map's mode; `lastCommand` [joints] is the
   * command applied at the previous tick (the start pose before the first). Non-finite actions stay
   * non-finite: the safety layer decides.
   */
  toTarget(action: ArrayLike<number>, lastCommand: ArrayLike<number>, out: Float64Array): void {
    if (this.mode === 'absolute') {
      this.toJoint(action, out);
      return;
    }
    for (let j = 0; j < out.length; j++) out[j] = lastCommand[j] + action[j] * this.maxStep[j];
  }

  /** action [joints] in [-1, 1] → joint units over the range. Non-finite actions stay non-finite: the safety layer decides. */
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
