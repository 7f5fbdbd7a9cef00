import type { JointLimits } from '../calibration/types.js';
import type { Rng } from '../util/rng.js';
import { PositionAxis } from './axis.js';
import { BrakeModel } from './brake.js';
import type { SafetyFilter } from './filter.js';
import { SafetyError, validateSafetySpec, type SafetySpec } from './spec.js';
import { ROUNDING_EPS, positionScale } from './tolerance.js';

/** Relative margin beyond which a state counts as clearly outside the scaled limits. */
const COARSE_SLACK = 1e-6;

/**
 * How far past its calibrated range a joint may read and still be homed, from the range's end.
 * `calibrate` records each range 0.02 rad inside the stops the operator reached, so a robot left
 * resting on a stop (torque cut by a watchdog, an e-stop, a power loss) reads that much past its end,
 * plus the stop's give and backlash (in a twin, MuJoCo's soft joint limit). 0.04 rad is 26 counts of
 * a 4096-count encoder: the first homing command moves the joint by at most that much. Farther out,
 * the robot was moved or the calibration is wrong: homing refuses.
 */
export const AT_STOP_TOLERANCE_RAD = 0.04;

/**
 * Where homing starts from for a robot read at `positionRad`: a joint up to `AT_STOP_TOLERANCE_RAD`
 * past an end of its range starts at that end; any other reading is kept as it is (and a reading
 * farther out is refused by `HomingTrajectory.start`).
 */
export function homingStart(
  positionRad: Float64Array,
  limits: readonly Pick<JointLimits, 'minPositionRad' | 'maxPositionRad'>[],
): Float64Array {
  const start = Float64Array.from(positionRad.subarray(0, limits.length));
  limits.forEach(({ minPositionRad: low, maxPositionRad: high }, j) => {
    if (low !== null && start[j] < low && start[j] >= low - AT_STOP_TOLERANCE_RAD) start[j] = low;
    if (high !== null && start[j] > high && start[j] <= high + AT_STOP_TOLERANCE_RAD) start[j] = high;
  });
  return start;
}

export interface HomingOptions {
  /** Fraction in (0, 1] of each joint's velocity, acceleration and jerk limit the move may use; default 1. */
  limitScale?: number;
}

/**
 * A jerk-limited move of every joint from the present command to a target pose, stepped one control
 * tick at a time, for resets between episodes (position mode).
 *
 * It re-plans every tick from the command state of the filter the commands go through (online, as
 * Ruckig does), so it can never drift from what was actually sent. Per joint: a command still in
 * motion first brakes to rest under the full limits; then it moves to its target under the scaled
 * limits with the same rule as `SafetyFilter` (the brake lands exactly on the target). Joints move
 * independently and arrive at different ticks. Each command respects every limit with margin to
 * stop, so the filter passes it unchanged; should the filter ever adjust one, the next tick re-plans
 * from what was actually sent (and brakes first if that left the scaled limits).
 *
 * Use: `start(filter, target)`, then `while (!homing.next(out)) { filter.step(out, reading); send }`.
 * `next` returns true, without a command to send, once the filter's command rests exactly (bit for
 * bit) on the target of every joint.
 */
export class HomingTrajectory {
  private readonly fullModels: readonly BrakeModel[];
  private readonly movingAxes: readonly PositionAxis[];
  /** Target per joint [rad], shape (joints,). */
  private readonly target: Float64Array;
  /** Per joint: 1 while the command still brakes under the full limits, 0 once it moves under the scaled ones. */
  private readonly braking: Uint8Array;
  private readonly softLow: Float64Array;
  private readonly softHigh: Float64Array;
  private filter: SafetyFilter | null = null;
  private tickCount = 0;

  constructor(
    readonly spec: SafetySpec,
    options: HomingOptions = {},
  ) {
    validateSafetySpec(spec);
    if (spec.commandMode !== 'position') throw new SafetyError('HomingTrajectory', "needs commandMode 'position'");
    const scale = options.limitScale ?? 1;
    if (!(scale > 0 && scale <= 1)) throw new SafetyError('limitScale', `= ${scale}: must be in (0, 1]`);
    const h = 1 / spec.controlHz;
    const n = spec.joints.length;
    this.target = new Float64Array(n);
    this.braking = new Uint8Array(n);
    this.softLow = new Float64Array(n);
    this.softHigh = new Float64Array(n);
    const full: BrakeModel[] = [];
    const moving: PositionAxis[] = [];
    spec.joints.forEach(({ limits }, i) => {
      const low = limits.minPositionRad!;
      const high = limits.maxPositionRad!;
      this.softLow[i] = low + limits.softMarginRad;
      this.softHigh[i] = high - limits.softMarginRad;
      full.push(new BrakeModel(h, limits.maxVelocityRadS, limits.maxAccelerationRadS2, limits.maxJerkRadS3));
      const scaled = new BrakeModel(h, scale * limits.maxVelocityRadS, scale * limits.maxAccelerationRadS2, scale * limits.maxJerkRadS3);
      moving.push(new PositionAxis(scaled, low, high, false));
    });
    this.fullModels = full;
    this.movingAxes = moving;
  }

  /** Commands produced since `start`. */
  get ticks(): number {
    return this.tickCount;
  }

  /**
   * Starts a move of `filter`'s command (the filter the commands will go through) to `targetRad`,
   * shape (joints,), which must lie inside each joint's soft position range. Tells the filter that a
   * new target stream starts, so that it follows this one exactly.
   */
  start(filter: SafetyFilter, targetRad: ArrayLike<number>): void {
    const n = this.target.length;
    if (filter.jointCount !== n || filter.spec.commandMode !== 'position')
      throw new SafetyError('filter', `must be a position-mode filter of ${n} joints`);
    if (targetRad.length !== n) throw new SafetyError('targetRad', `has ${targetRad.length} values for ${n} joints`);
    for (let i = 0; i < n; i++) {
      const target = targetRad[i];
      if (!(target >= this.softLow[i] && target <= this.softHigh[i])) {
        const name = this.spec.joints[i].name;
        throw new SafetyError(
          `targetRad[${i}] (${name})`,
          `= ${target}: must lie inside the soft range [${this.softLow[i]}, ${this.softHigh[i]}]`,
        );
      }
      this.target[i] = target;
      this.braking[i] = 1;
    }
    filter.forgetTargetMotion();
    this.filter = filter;
    this.tickCount = 0;
  }

  /**
   * Writes the next position command per joint into `outRad`, shape (joints,), planned from the
   * filter's present command state. Returns true when every joint already rests exactly on its
   * target (then `outRad` holds the target and nothing needs sending).
   */
  next(outRad: Float64Array): boolean {
    const filter = this.filter;
    if (filter === null) throw new SafetyError('next', 'called before start');
    const state = filter.commandState;
    const h = 1 / this.spec.controlHz;
    let arrived = true;
    for (let i = 0; i < this.target.length; i++) {
      const q = state.positionRad[i];
      const v = state.velocityRadS[i];
      const a = state.accelerationRadS2[i];
      const atRest = v === 0 && a === 0;
      if (this.braking[i] === 1 && atRest) this.braking[i] = 0;
      // Should the filter ever have taken the command outside the scaled limits, brake again first.
      else if (!atRest && this.outsideScaledLimits(i, q, v, a)) this.braking[i] = 1;
      if (this.braking[i] === 1) {
        const next = this.fullModels[i].brakeAcceleration(v, a);
        outRad[i] = q + h * (v + h * next);
        arrived = false;
      } else if (atRest && q === this.target[i]) {
        outRad[i] = q;
      } else {
        const axis = this.movingAxes[i];
        axis.copyState(q, v, a);
        axis.track(this.target[i], this.target[i]);
        outRad[i] = axis.positionRad;
        arrived = false;
      }
    }
    if (!arrived) this.tickCount++;
    return arrived;
  }

  /**
   * True when the command's state lies clearly outside the scaled limits (beyond rounding: the
   * filter keeps differences recomputed from rounded positions), as after the filter adjusted a command.
   */
  private outsideScaledLimits(i: number, q: number, velocityRadS: number, accelerationRadS2: number): boolean {
    const model = this.movingAxes[i].model;
    const h = model.periodS;
    const rounding = ROUNDING_EPS * Number.EPSILON * positionScale(q, 0);
    const accelerationSlack = COARSE_SLACK * model.maxAccelerationRadS2 + rounding / (h * h);
    const velocitySlack = COARSE_SLACK * model.maxVelocityRadS + rounding / h + (rounding * model.maxStopTimeS) / (h * h);
    return (
      Math.abs(accelerationRadS2) > model.maxAccelerationRadS2 + accelerationSlack ||
      Math.abs(model.zeroedVelocity(velocityRadS, accelerationRadS2)) > model.maxVelocityRadS + velocitySlack
    );
  }
}

/**
 * Draws a start pose uniformly inside the box [lowRad, highRad] (shapes (joints,)), which must lie
 * inside every joint's soft position range; writes it into `outRad`.
 */
export function drawPoseInBox(
  rng: Rng,
  lowRad: ArrayLike<number>,
  highRad: ArrayLike<number>,
  spec: SafetySpec,
  outRad: Float64Array,
): void {
  const n = spec.joints.length;
  if (lowRad.length !== n || highRad.length !== n || outRad.length !== n) {
    throw new SafetyError('drawPoseInBox', `needs boxes and output of ${n} joints`);
  }
  for (let i = 0; i < n; i++) {
    const { name, limits } = spec.joints[i];
    const softLow = (limits.minPositionRad ?? Number.NEGATIVE_INFINITY) + limits.softMarginRad;
    const softHigh = (limits.maxPositionRad ?? Number.POSITIVE_INFINITY) - limits.softMarginRad;
    const low = lowRad[i];
    const high = highRad[i];
    if (!(low <= high && low >= softLow && high <= softHigh && Number.isFinite(low) && Number.isFinite(high))) {
      throw new SafetyError(
        `box[${i}] (${name})`,
        `= [${low}, ${high}]: must be a finite interval inside the soft range [${softLow}, ${softHigh}]`,
      );
    }
    outRad[i] = rng.uniformIn(low, high);
  }
}
