import { BrakeModel } from './brake.js';
import { Reason } from './reasons.js';
import { POSITION_SLACK, ROUNDING_EPS, positionScale } from './tolerance.js';

/** Iteration cap of the one-dimensional searches; each halves the bracket at least every other step. */
const MAX_SEARCH_STEPS = 60;
/** Searches stop when the bracket on the next acceleration is this fraction of (A + u) wide. */
const SEARCH_RESOLUTION = 1e-12;

/**
 * The command trajectory of one position-controlled joint and the rule that picks its next command.
 *
 * State: the last applied command q [rad] and its backward differences v [rad/s], a [rad/s²].
 * Every tick picks the next acceleration a' and commits `v' = v + h a'`, `q' = q + h v'`, except
 * when the target is followed exactly, where q' is the target itself (bit for bit). v and a are
 * kept as chosen rather than recomputed from the rounded positions: recomputing would feed noise
 * of order ulp(q) / h² into a, which the stopping distance amplifies.
 *
 * Invariant (exact arithmetic): |a| <= A, |w(v, a)| <= V, and the brake from (v, a) keeps q inside
 * [min, max]. `BrakeModel.brakeAcceleration` keeps it, so a next command always exists; `track` only
 * ever picks a' among the values that keep it too.
 */
export class PositionAxis {
  positionRad = 0;
  velocityRadS = 0;
  accelerationRadS2 = 0;

  private readonly bounds = new Float64Array(2);

  /**
   * `acceptsRounding`: whether `follow` allows targets whose differences, recomputed from rounded
   * positions, pass a limit by rounding (true for targets from outside, as in `SafetyFilter`; false
   * where the axis generates its own sequence, so that the allowance is not spent twice).
   */
  constructor(
    readonly model: BrakeModel,
    readonly minPositionRad: number,
    readonly maxPositionRad: number,
    readonly acceptsRounding: boolean,
  ) {}

  /** Puts the command at rest at `positionRad`. */
  resetAt(positionRad: number): void {
    this.positionRad = positionRad;
    this.velocityRadS = 0;
    this.accelerationRadS2 = 0;
  }

  /** Copies another axis's command state. */
  copyState(positionRad: number, velocityRadS: number, accelerationRadS2: number): void {
    this.positionRad = positionRad;
    this.velocityRadS = velocityRadS;
    this.accelerationRadS2 = accelerationRadS2;
  }

  /** One tick of the brake: slows down as fast as the limits allow; at rest it holds q bit for bit. */
  brake(): void {
    this.advance(this.model.brakeAcceleration(this.velocityRadS, this.accelerationRadS2));
  }

  /** E-stop: the command stops where it is (v = a = 0), breaking the acceleration and jerk bounds on purpose. */
  freeze(): void {
    this.velocityRadS = 0;
    this.accelerationRadS2 = 0;
  }

  /**
   * One tick towards `targetRad`: `follow` it exactly if allowed, else `approach` it. `targetStopRad`
   * is where the target itself would come to rest (the target, when it is at rest), or NaN when its
   * motion is unknown. Returns the `Reason` bits that kept the command from following exactly.
   */
  track(targetRad: number, targetStopRad: number): number {
    const reasons = this.follow(targetRad, targetStopRad);
    return reasons === 0 ? 0 : reasons | this.approach(targetRad, targetStopRad);
  }

  /**
   * Makes `targetRad` the next command if that respects every limit, keeps the brake inside the
   * range and, when the target's motion is known, leaves the command's stopping point between the
   * target and `targetStopRad` (arriving with speed to spare would overshoot the target). Returns 0
   * when it did; otherwise the `Reason` bits that forbade it, and the state is unchanged.
   */
  follow(targetRad: number, targetStopRad: number): number {
    const model = this.model;
    const h = model.periodS;
    const u = model.jerkStepRadS2;
    const amax = model.maxAccelerationRadS2;
    const q = this.positionRad;
    const a = this.accelerationRadS2;
    // The brake step is always admissible (the invariant): a target that is exactly that step, as a
    // homing trajectory's braking phase sends, is taken as is, without recomputing its differences.
    const brake = model.brakeAcceleration(this.velocityRadS, a);
    if (targetRad === q + h * (this.velocityRadS + h * brake)) {
      this.advance(brake);
      return 0;
    }
    model.velocityViableAccelerations(this.velocityRadS, this.bounds);
    const exactVelocity = (targetRad - q) / h;
    const exactAcceleration = (exactVelocity - this.velocityRadS) / h;
    // A target sequence that runs exactly at a limit gives differences a few ulps of q / h² beyond it
    // once recomputed from rounded positions; that much is accepted (README: tolerances).
    const qScale = this.acceptsRounding ? positionScale(q, targetRad) : 0;
    const slack = (ROUNDING_EPS * Number.EPSILON * qScale) / (h * h);
    let reasons = 0;
    if (exactAcceleration < a - u - slack || exactAcceleration > a + u + slack) reasons |= Reason.jerk;
    if (exactAcceleration < -amax - slack || exactAcceleration > amax + slack) reasons |= Reason.acceleration;
    if (exactAcceleration < this.bounds[0] - slack || exactAcceleration > this.bounds[1] + slack) reasons |= Reason.velocity;
    if (reasons !== 0) return reasons;
    // The target's differences, recomputed from positions, differ from the state that produced them by rounding.
    const positionSlack = POSITION_SLACK * qScale;
    if (this.rangeExcess(targetRad, exactVelocity, exactAcceleration) > positionSlack) return Reason.braking;
    if (targetStopRad === targetStopRad) {
      // The two stopping points come from states that differ by rounding (recomputed from positions
      // or integrated), which the brake's duration t amplifies: allow eps Q ((t/h)² + t/h) for it.
      const stopTicks = model.maxStopTimeS / h;
      const stopSlack = positionSlack + ROUNDING_EPS * Number.EPSILON * qScale * (stopTicks * stopTicks + stopTicks);
      const stop = targetRad + model.stopTotalRad;
      const low = targetRad < targetStopRad ? targetRad : targetStopRad;
      const high = targetRad < targetStopRad ? targetStopRad : targetRad;
      if (stop < low - stopSlack || stop > high + stopSlack) return Reason.braking;
    }
    this.positionRad = targetRad;
    this.velocityRadS = exactVelocity;
    this.accelerationRadS2 = exactAcceleration;
    return 0;
  }

  /**
   * One tick that does not follow the target exactly: inside the limits, the a' after which the
   * brake would come to rest at `targetStopRad` (or at the target when that is NaN), lowered further
   * if the brake would leave the range. Returns `Reason.braking` if the range lowered it, else 0.
   */
  approach(targetRad: number, targetStopRad: number): number {
    const model = this.model;
    const h = model.periodS;
    const u = model.jerkStepRadS2;
    const amax = model.maxAccelerationRadS2;
    const q = this.positionRad;
    const v = this.velocityRadS;
    const a = this.accelerationRadS2;
    model.velocityViableAccelerations(v, this.bounds);
    const brake = model.brakeAcceleration(v, a);
    let low = a - u > -amax ? a - u : -amax;
    let high = a + u < amax ? a + u : amax;
    if (this.bounds[0] > low) low = this.bounds[0];
    if (this.bounds[1] < high) high = this.bounds[1];
    // In exact arithmetic the brake lies inside [low, high]; widening guards against rounding.
    if (!(low <= brake)) low = brake;
    if (!(high >= brake)) high = brake;

    let next = this.aim(targetStopRad === targetStopRad ? targetStopRad : targetRad, low, high);
    const nextVelocity = v + h * next;
    let reasons = 0;
    if (this.rangeExcess(q + h * nextVelocity, nextVelocity, next) > 0) {
      next = this.rangeBoundary(brake, next);
      reasons = Reason.braking;
    }
    this.advance(next);
    return reasons;
  }

  /** How far the brake from the state (q', v', a') would leave [min, max]; <= 0 when it stays inside. */
  rangeExcess(positionRad: number, velocityRadS: number, accelerationRadS2: number): number {
    const model = this.model;
    model.stop(velocityRadS, accelerationRadS2);
    const over = positionRad + model.stopMaxRad - this.maxPositionRad;
    const under = this.minPositionRad - (positionRad + model.stopMinRad);
    return over > under ? over : under;
  }

  private advance(nextAcceleration: number): void {
    const nextVelocity = this.velocityRadS + this.model.periodS * nextAcceleration;
    this.positionRad += this.model.periodS * nextVelocity;
    this.velocityRadS = nextVelocity;
    this.accelerationRadS2 = nextAcceleration;
  }
  /** Where the brake comes to rest after a' = `next`, minus `stopAimRad`. */
  private aimError(stopAimRad: number, next: number): number {
    const model = this.model;
    const nextVelocity = this.velocityRadS + model.periodS * next;
    model.stop(nextVelocity, next);
    return this.positionRad + model.periodS * nextVelocity + model.stopTotalRad - stopAimRad;
  }

  /** The a' in [low, high] after which the brake ends at `stopAimRad` (aimError is non-decreasing in a'). */
  private aim(stopAimRad: number, low: number, high: number): number {
    let errLow = this.aimError(stopAimRad, low);
    if (errLow >= 0) return low;
    let errHigh = this.aimError(stopAimRad, high);
    if (errHigh <= 0) return high;
    const resolution = SEARCH_RESOLUTION * (this.model.maxAccelerationRadS2 + this.model.jerkStepRadS2);
    // Illinois variant of regula falsi: the error is continuous and piecewise smooth in a'.
    let side = 0;
    for (let i = 0; i < MAX_SEARCH_STEPS && high - low > resolution; i++) {
      let x = (low * errHigh - high * errLow) / (errHigh - errLow);
      if (!(x > low && x < high)) x = 0.5 * (low + high);
      const err = this.aimError(stopAimRad, x);
      if (err > 0) {
        high = x;
        errHigh = err;
        if (side === -1) errLow *= 0.5;
        side = -1;
      } else if (err < 0) {
        low = x;
        errLow = err;
        if (side === 1) errHigh *= 0.5;
        side = 1;
      } else {
        return x;
      }
    }
    return -errLow < errHigh ? low : high;
  }

  /** Between a' = `safe` (brake inside the range) and a' = `unsafe`, the value closest to `unsafe` that keeps the brake inside. */
  private rangeBoundary(safe: number, unsafe: number): number {
    const h = this.model.periodS;
    const q = this.positionRad;
    const v = this.velocityRadS;
    let excessSafe = this.rangeExcess(q + h * (v + h * safe), v + h * safe, safe);
    if (excessSafe > 0) return safe;
    let excessUnsafe = this.rangeExcess(q + h * (v + h * unsafe), v + h * unsafe, unsafe);
    const resolution = SEARCH_RESOLUTION * (this.model.maxAccelerationRadS2 + this.model.jerkStepRadS2);
    let side = 0;
    for (let i = 0; i < MAX_SEARCH_STEPS && Math.abs(unsafe - safe) > resolution; i++) {
      let x = (safe * excessUnsafe - unsafe * excessSafe) / (excessUnsafe - excessSafe);
      if (!(x > Math.min(safe, unsafe) && x < Math.max(safe, unsafe))) x = 0.5 * (safe + unsafe);
      const excess = this.rangeExcess(q + h * (v + h * x), v + h * x, x);
      if (excess > 0) {
        unsafe = x;
        excessUnsafe = excess;
        if (side === -1) excessSafe *= 0.5;
        side = -1;
      } else {
        safe = x;
        excessSafe = excess;
        if (side === 1) excessUnsafe *= 0.5;
        side = 1;
      }
    }
    return safe;
  }
}
