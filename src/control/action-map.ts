import type { ActionMode, Calibration } from '../calibration/types.js';
import { BrakeModel } from '../safety/brake.js';
import { UsageError } from '../util/errors.js';

/** Delta mode keeps its accelerations this fraction of (A + u) inside the admissible window, so that rounding in the safety layer's recomputed differences never reads as a clip. */
const WINDOW_MARGIN = 1e-9;
/** Bisection steps that find how close to the end of the soft range delta mode may drive a joint (halves (A + u) down to ~1e-9 of it). */
const BOUNDARY_SEARCH_STEPS = 32;

/**
 * The single place where normalised actions in [-1, 1] become joint units (style rule 4).
 *
 * Position mode: -1 and +1 are the ends of each joint's soft range (hard limits minus the soft
 * margin). Effort mode: ±maxEffortNm. The mapping is affine and invertible, so that applied commands
 * can be expressed as actions again (for the continuity cost, the observation and the store).
 *
 * Action modes (`toTarget`): `absolute` targets are that mapping of the action. `delta` actions are
 * velocity references, action × the joint's velocity limit: the target is the next step of the
 * command towards that velocity as fast as the acceleration and jerk limits allow (the largest
 * velocity change the safety layer admits in one tick), kept where the command can still brake to
 * rest inside the soft range. Each action thus moves the target by at most velocity limit × period,
 * and the safety layer is left with outliers (a hold, a start outside the soft range) rather than
 * shaping every step. Moving the target by action × velocity limit × period directly would ask for
 * any velocity change in one tick: with exploration noise on every step, the jerk, acceleration and
 * velocity limits (which bound the velocity reached once the acceleration is ramped down) then
 * changed nearly every command.
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
  /** [joints] delta mode: each joint's limits as the safety layer's brake model holds them. */
  private readonly models: readonly BrakeModel[];
  /** [joints] delta mode: the command before the last one [rad] and the last command's velocity [rad/s] (backward differences). */
  private readonly previousCommand: Float64Array;
  private readonly previousVelocity: Float64Array;
  private readonly periodS: number;
  private readonly bounds = new Float64Array(2);

  constructor(
    calibration: Calibration,
    readonly mode: ActionMode = 'absolute',
  ) {
    const joints = calibration.joints;
    if (mode === 'delta' && calibration.commandMode !== 'position')
      throw new Error(`delta actions need position commands (${calibration.robot})`);
    this.low = new Float64Array(joints.length);
    this.high = new Float64Array(joints.length);
    this.periodS = 1 / calibration.controlHz;
    this.maxStep = Float64Array.from(joints, (joint) => joint.limits.maxVelocityRadS * this.periodS);
    this.models = joints.map(
      ({ limits }) => new BrakeModel(this.periodS, limits.maxVelocityRadS, limits.maxAccelerationRadS2, limits.maxJerkRadS3),
    );
    this.previousCommand = new Float64Array(joints.length).fill(Number.NaN);
    this.previousVelocity = new Float64Array(joints.length);
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

  /** A new episode: the command rests at `positionRad` [joints] (the safety layer's reset pose). */
  beginEpisode(positionRad: ArrayLike<number>): void {
    for (let j = 0; j < this.previousCommand.length; j++) this.previousCommand[j] = positionRad[j];
    this.previousVelocity.fill(0);
  }

  /**
   * The target of `action` [joints] in [-1, 1] in this map's mode; `lastCommand` [joints] is the
   * command applied at the previous tick (the start pose before the first; delta mode needs
   * `beginEpisode` first). Non-finite actions stay non-finite: the safety layer decides.
   */
  toTarget(action: ArrayLike<number>, lastCommand: ArrayLike<number>, out: Float64Array): void {
    if (this.mode === 'absolute') {
      this.toJoint(action, out);
      return;
    }
    const h = this.periodS;
    for (let j = 0; j < out.length; j++) {
      const q = lastCommand[j];
      // The command's own motion, as the safety layer differences it (at rest before the first `beginEpisode`).
      const previous = this.previousCommand[j];
      const v = previous === previous ? (q - previous) / h : 0;
      const a = previous === previous ? (v - this.previousVelocity[j]) / h : 0;
      this.previousCommand[j] = q;
      this.previousVelocity[j] = v;
      const next = this.nextAcceleration(j, action[j] * this.models[j].maxVelocityRadS, q, v, a);
      out[j] = q + h * (v + h * next);
    }
  }

  /**
   * Delta mode: the acceleration for the next tick that brings the velocity, once the acceleration is
   * ramped down, to `referenceRadS`, inside the jerk, acceleration and velocity limits; the brake's
   * own step when that would carry the command past the soft range. NaN for a non-finite reference.
   */
  private nextAcceleration(j: number, referenceRadS: number, q: number, v: number, a: number): number {
    if (!Number.isFinite(referenceRadS)) return Number.NaN;
    const model = this.models[j];
    const u = model.jerkStepRadS2;
    const amax = model.maxAccelerationRadS2;
    const margin = WINDOW_MARGIN * (amax + u);
    model.velocityViableAccelerations(v, this.bounds);
    const low = Math.max(a - u, -amax, this.bounds[0]) + margin;
    const high = Math.min(a + u, amax, this.bounds[1]) - margin;
    const wanted = model.signedRampAcceleration(referenceRadS - v);
    let next = low > high ? model.brakeAcceleration(v, a) : wanted < low ? low : wanted > high ? high : wanted;
    if (!this.leavesSoftRange(j, q, v, next)) return next;
    // Near the end of the range: the acceleration closest to the wanted one between it and the brake's step that still stops inside.
    let safe = model.brakeAcceleration(v, a);
    for (let step = 0; step < BOUNDARY_SEARCH_STEPS; step++) {
      const middle = 0.5 * (safe + next);
      if (this.leavesSoftRange(j, q, v, middle)) next = middle;
      else safe = middle;
    }
    return safe;
  }

  /** Whether the brake, after a next acceleration `next` from (q, v), would carry joint j's command past its soft range. */
  private leavesSoftRange(j: number, q: number, v: number, next: number): boolean {
    const model = this.models[j];
    const nextVelocity = v + this.periodS * next;
    model.stop(nextVelocity, next);
    const nextPosition = q + this.periodS * nextVelocity;
    return nextPosition + model.stopMaxRad > this.high[j] || nextPosition + model.stopMinRad < this.low[j];
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
