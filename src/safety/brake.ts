/**
 * The discrete motion model of one joint's command, and its brake.
 *
 * Commands are sent every `h` seconds. The filter bounds the backward finite differences of the
 * applied command sequence q[t]:
 *
 *     v[t] = (q[t] - q[t-1]) / h      |v| <= V
 *     a[t] = (v[t] - v[t-1]) / h      |a| <= A
 *     j[t] = (a[t] - a[t-1]) / h      |j| <= J
 *
 * so one tick is `a' = a + h j`, `v' = v + h a'`, `q' = q + h v'` and the filter picks `a'` inside
 * `[a - u, a + u]` with `u = h J` (the change of acceleration a tick may make).
 *
 * The brake is a state feedback `a' = brakeAcceleration(v, a)`: the greedy discrete stop that brings
 * `(v, a)` to exactly `(0, 0)` as early as the jerk and acceleration limits allow, without ever
 * reversing the velocity. Because it is a feedback law, the motion it produces from the state one
 * brake tick later is the tail of the motion it produces now; `stop()` computes that motion in
 * closed form (displacement at rest and the extreme displacements on the way). A state from which
 * the brake stays inside the position range and velocity range is therefore followed by another
 * such state when the brake is applied: that is the invariant the filter keeps (see README.md).
 *
 * Names used below (all for one joint, in the joint's units):
 * - `ramp velocity` R(x), x >= 0: how much velocity is still gained after this tick when an
 *   acceleration of magnitude x is brought to zero at the full jerk: `h * sum_{k>=1} max(x - k u, 0)`.
 * - F(x) = h x + R(x): the same, this tick included. F is continuous, piecewise linear, increasing.
 * - `zeroed velocity` w(v, a) = v + sign(a) R(|a|): the velocity the joint ends with when its
 *   acceleration is zeroed as fast as possible. The brake reverses w's sign never; |w| <= V is the
 *   velocity part of the invariant.
 */
export class BrakeModel {
  /** Control period h [s]. */
  readonly periodS: number;
  readonly maxVelocityRadS: number;
  readonly maxAccelerationRadS2: number;
  readonly maxJerkRadS3: number;
  /** u = h J: the largest change of acceleration in one tick [rad/s²]. */
  readonly jerkStepRadS2: number;
  /** An upper bound on the duration of any brake from a state inside the limits: 2 A / J + V / A + 2 h [s]. */
  readonly maxStopTimeS: number;

  /** Results of the last `stop()`: displacement at rest, and the largest and smallest displacement on the way [rad]. */
  stopTotalRad = 0;
  stopMaxRad = 0;
  stopMinRad = 0;

  constructor(periodS: number, maxVelocityRadS: number, maxAccelerationRadS2: number, maxJerkRadS3: number) {
    this.periodS = periodS;
    this.maxVelocityRadS = maxVelocityRadS;
    this.maxAccelerationRadS2 = maxAccelerationRadS2;
    this.maxJerkRadS3 = maxJerkRadS3;
    this.jerkStepRadS2 = periodS * maxJerkRadS3;
    this.maxStopTimeS = (2 * maxAccelerationRadS2) / maxJerkRadS3 + maxVelocityRadS / maxAccelerationRadS2 + 2 * periodS;
  }

  /** R(x): velocity still gained after this tick while an acceleration of magnitude `x` >= 0 ramps to zero. */
  rampVelocity(x: number): number {
    if (!(x > 0)) return 0;
    const u = this.jerkStepRadS2;
    // m = number of ticks k >= 1 with k u < x. Off by one at a piece boundary gives the same value
    // (R is continuous), so rounding in the division is harmless.
    const m = Math.ceil(x / u) - 1;
    if (m <= 0) return 0;
    const r = this.periodS * (m * x - (u * m * (m + 1)) / 2);
    return r > 0 ? r : 0;
  }

  /**
   * The inverse of F (odd extension for y < 0): the acceleration x whose full ramp to zero, this tick
   * included, changes the velocity by `y`.
   */
  signedRampAcceleration(y: number): number {
    return y >= 0 ? this.rampAcceleration(y) : -this.rampAcceleration(-y);
  }

  /** w(v, a): the velocity once the acceleration has been brought to zero at full jerk. */
  zeroedVelocity(velocityRadS: number, accelerationRadS2: number): number {
    return accelerationRadS2 >= 0
      ? velocityRadS + this.rampVelocity(accelerationRadS2)
      : velocityRadS - this.rampVelocity(-accelerationRadS2);
  }

  /**
   * The next acceleration of the brake from (v, a). The result lies in [a - u, a + u] ∩ [-A, A]
   * and keeps w between 0 and its present value (so |v| and |w| never grow past max(|v|, |w|)).
   */
  brakeAcceleration(velocityRadS: number, accelerationRadS2: number): number {
    if (this.zeroedVelocity(velocityRadS, accelerationRadS2) >= 0) return this.brakeUp(velocityRadS, accelerationRadS2);
    return -this.brakeUp(-velocityRadS, -accelerationRadS2);
  }

  /**
   * Fills `stopTotalRad`, `stopMaxRad` (>= 0) and `stopMinRad` (<= 0): the displacement of the
   * command, from its present position, at rest and at its extremes while the brake runs from (v, a).
   */
  stop(velocityRadS: number, accelerationRadS2: number): void {
    if (this.zeroedVelocity(velocityRadS, accelerationRadS2) >= 0) {
      this.stopUp(velocityRadS, accelerationRadS2);
      this.stopMaxRad = this.stopTotalRad > 0 ? this.stopTotalRad : 0;
    } else {
      this.stopUp(-velocityRadS, -accelerationRadS2);
      const total = -this.stopTotalRad;
      this.stopTotalRad = total;
      this.stopMaxRad = -this.stopMinRad;
      this.stopMinRad = total < 0 ? total : 0;
    }
  }

  /**
   * Bounds on the next acceleration a' from the velocity limit: |w(v + h a', a')| <= V, which also
   * gives |v'| <= V. Writes [lower, upper] into `out[0]`, `out[1]`.
   */
  velocityViableAccelerations(velocityRadS: number, out: Float64Array): void {
    const v = this.maxVelocityRadS;
    out[0] = this.signedRampAcceleration(-v - velocityRadS);
    out[1] = this.signedRampAcceleration(v - velocityRadS);
  }

  /** F^-1(y) for y >= 0. */
  private rampAcceleration(y: number): number {
    if (!(y > 0)) return 0;
    const h = this.periodS;
    const u = this.jerkStepRadS2;
    // On the piece x in [m u, (m+1) u], F(x) = h ((m+1) x - u m (m+1) / 2) and F(m u) = h u m (m+1) / 2.
    const z = (2 * y) / (h * u);
    let m = Math.floor((Math.sqrt(1 + 4 * z) - 1) / 2);
    while (m > 0 && m * (m + 1) > z) m--;
    while ((m + 1) * (m + 2) < z) m++;
    return y / (h * (m + 1)) + (u * m) / 2;
  }

  /** The brake step when w(v, a) >= 0: push the acceleration down, unless that would make w negative. */
  private brakeUp(v: number, a: number): number {
    const h = this.periodS;
    const u = this.jerkStepRadS2;
    const amax = this.maxAccelerationRadS2;
    const candidate = a - u > -amax ? a - u : -amax;
    if (this.zeroedVelocity(v + h * candidate, candidate) >= 0) return candidate;
    // Transition onto the final ramp: the acceleration that makes w exactly zero.
    const onRamp = -this.signedRampAcceleration(v);
    const upper = a + u < amax ? a + u : amax;
    return onRamp < candidate ? candidate : onRamp > upper ? upper : onRamp;
  }

  /**
   * Closed form of the brake from (v, a) with w(v, a) >= 0. The brake runs: ticks k = 1..K with
   * a_k = max(a - k u, -A) (K the last tick after which w is still >= 0), one transition tick onto
   * the final ramp (acceleration -x with F(x) = v_K), then the ramp a = -x + i u up to zero, which
   * ends with v = 0 exactly. The velocity is negative at most at the start (v < 0 with a > 0);
   * afterwards it stays >= 0, so the minimum displacement is that first dip and the maximum the end.
   */
  private stopUp(v: number, a: number): void {
    const h = this.periodS;
    const u = this.jerkStepRadS2;
    const amax = this.maxAccelerationRadS2;

    let dip = 0;
    if (v < 0 && a > 0) {
      // Leading ticks with v_k < 0: v_k = v + h (k a - u k (k+1) / 2) while a - k u > 0.
      const b = 2 * a - u;
      const disc = b * b - (8 * u * -v) / h;
      let n = disc > 0 ? Math.ceil((-4 * v) / h / (b + Math.sqrt(disc))) - 1 : Math.floor(b / (2 * u));
      const nMax = Math.ceil(a / u);
      if (n < 0) n = 0;
      if (n > nMax) n = nMax;
      while (n > 0 && v + h * (n * a - (u * n * (n + 1)) / 2) >= 0) n--;
      while (n < nMax && v + h * ((n + 1) * a - (u * (n + 1) * (n + 2)) / 2) < 0) n++;
      dip = h * (n * v + h * ((a * n * (n + 1)) / 2 - (u * n * (n + 1) * (n + 2)) / 6));
      if (dip > 0) dip = 0;
    }

    // Ticks before a_k reaches -A, and ticks with a_k > 0 (during which w keeps its value).
    const rampTicks = a + amax > 0 ? Math.max(0, Math.ceil((a + amax) / u) - 1) : 0;
    const positiveTicks = a > 0 ? Math.min(rampTicks, Math.max(0, Math.ceil(a / u) - 1)) : 0;

    // K: the last tick k >= positiveTicks with w_k >= 0 (w_k is non-increasing once a_k <= 0).
    const vAtRampEnd = v + h * (rampTicks * a - (u * rampTicks * (rampTicks + 1)) / 2);
    let lo = positiveTicks;
    let hi = rampTicks + Math.ceil((vAtRampEnd > 0 ? vAtRampEnd : 0) / (h * amax)) + 1;
    while (this.zeroedAfter(v, a, hi, rampTicks) >= 0) hi = 2 * hi + 1;
    let guess = this.transitionEstimate(v, a, h);
    if (guess < lo) guess = lo;
    if (guess > hi - 1) guess = hi - 1;
    // From the guess, gallop towards the boundary (doubling steps), then bisect.
    let step = 1;
    if (guess > lo && this.zeroedAfter(v, a, guess, rampTicks) < 0) {
      hi = guess;
      while (hi - step > lo) {
        if (this.zeroedAfter(v, a, hi - step, rampTicks) < 0) {
          hi -= step;
          step *= 2;
        } else {
          lo = hi - step;
          break;
        }
      }
    } else {
      lo = guess;
      while (lo + step < hi) {
        if (this.zeroedAfter(v, a, lo + step, rampTicks) >= 0) {
          lo += step;
          step *= 2;
        } else {
          hi = lo + step;
          break;
        }
      }
    }
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.zeroedAfter(v, a, mid, rampTicks) >= 0) lo = mid;
      else hi = mid;
    }
    const k = lo;

    // Sum of v_k for k = 1..K, from S_k = sum_{i<=k} a_i.
    const k1 = k < rampTicks ? k : rampTicks;
    const k2 = k - k1;
    const s1 = k1 * a - (u * k1 * (k1 + 1)) / 2;
    const sumS = (a * k1 * (k1 + 1)) / 2 - (u * k1 * (k1 + 1) * (k1 + 2)) / 6 + k2 * s1 - (amax * k2 * (k2 + 1)) / 2;
    const vK = v + h * (s1 - amax * k2);
    const before = h * (k * v + h * sumS);

    // Transition and final ramp: x with F(x) = v_K; after it v = R(x), then the ramp's own sum.
    const x = this.rampAcceleration(vK > 0 ? vK : 0);
    const m = x > u ? Math.ceil(x / u) - 1 : 0;
    const rampSum = h * h * ((x * m * (m - 1)) / 2 - (u * m * (m + 1) * (m - 1)) / 3);
    const total = before + h * (vK - h * x) + (rampSum > 0 ? rampSum : 0);
    this.stopTotalRad = total;
    this.stopMinRad = dip < total ? dip : total < 0 ? total : 0;
  }

  /** w after k brake ticks of the first phase (a_i = max(a - i u, -A)), in closed form. */
  private zeroedAfter(v: number, a: number, k: number, rampTicks: number): number {
    const h = this.periodS;
    const u = this.jerkStepRadS2;
    const amax = this.maxAccelerationRadS2;
    const k1 = k < rampTicks ? k : rampTicks;
    const vk = v + h * (k1 * a - (u * k1 * (k1 + 1)) / 2 - amax * (k - k1));
    const ak = k <= rampTicks ? a - k * u : -amax;
    return this.zeroedVelocity(vk, ak);
  }

  /** Continuous-time estimate of the tick at which the brake leaves its first phase (a starting guess only). */
  private transitionEstimate(v: number, a: number, h: number): number {
    const jmax = this.maxJerkRadS3;
    const amax = this.maxAccelerationRadS2;
    const peakSq = jmax * v + (a * a) / 2;
    if (!(peakSq > 0)) return 0;
    const peak = Math.sqrt(peakSq);
    let t: number;
    if (peak <= amax) {
      t = (a + peak) / jmax;
    } else {
      const hold = (v + (a * a - 2 * amax * amax) / (2 * jmax)) / amax;
      t = (a + amax) / jmax + (hold > 0 ? hold : 0);
    }
    const k = Math.floor(t / h);
    return k > 0 && k < 1e15 ? k : 0;
  }
}
