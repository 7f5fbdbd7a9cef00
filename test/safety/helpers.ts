/**
 * Shared pieces of the safety tests: fast-check settings from the environment, arbitrary limits,
 * raw target streams, a finite-difference limit checker and the continuity cost.
 */
import fc from 'fast-check';
import type { JointLimits } from '../../src/calibration/types.js';
import type { SafetySpec } from '../../src/safety/spec.js';
import { Rng } from '../../src/util/rng.js';

/** fast-check parameters: `FC_SEED` (default 20240605) and `FC_RUNS` (default per property), so a failure can be replayed. */
export function fcParams(defaultRuns: number): { seed: number; numRuns: number } {
  const seed = Number(process.env.FC_SEED ?? 20240605);
  const runs = process.env.FC_RUNS === undefined ? defaultRuns : Number(process.env.FC_RUNS);
  return { seed, numRuns: runs };
}

/** Machine epsilon of doubles. */
const EPS = 2.220446049250313e-16;

export const CONTROL_RATES_HZ = [50, 100, 200, 500, 1000] as const;

/** Arbitrary position-mode limits for one joint at control rate `hz`, with brakes short enough for the tick-by-tick reference. */
export function arbitraryJointLimits(hz: number): fc.Arbitrary<JointLimits> {
  const h = 1 / hz;
  return fc
    .record({
      minPositionRad: fc.double({ min: -3, max: 1, noNaN: true }),
      spanRad: fc.double({ min: 0.02, max: 4, noNaN: true }),
      marginFraction: fc.constantFrom(0, 0.05, 0.2, 0.45),
      logV: fc.double({ min: -3, max: 2.5, noNaN: true }),
      logA: fc.double({ min: -2, max: 5, noNaN: true }),
      logJ: fc.double({ min: -1, max: 9, noNaN: true }),
    })
    .map(({ minPositionRad, spanRad, marginFraction, logV, logA, logJ }) => {
      const v = Math.exp(logV);
      // Keep the brake under ~2000 ticks (A / (hJ) and V / (hA) each <= 1000) so the references stay fast.
      const a = Math.max(Math.exp(logA), v / (1000 * h));
      const j = Math.max(Math.exp(logJ), a / (1000 * h));
      return {
        minPositionRad,
        maxPositionRad: minPositionRad + spanRad,
        softMarginRad: spanRad * marginFraction,
        maxVelocityRadS: v,
        maxAccelerationRadS2: a,
        maxJerkRadS3: j,
        maxEffortNm: null,
      };
    });
}

/** An arbitrary position-mode spec with 1..maxJoints joints. */
export function arbitraryPositionSpec(maxJoints: number): fc.Arbitrary<SafetySpec> {
  return fc
    .constantFrom(...CONTROL_RATES_HZ)
    .chain((hz) => fc.array(arbitraryJointLimits(hz), { minLength: 1, maxLength: maxJoints }).map((limits) => positionSpec(hz, limits)));
}

export function positionSpec(hz: number, limits: readonly JointLimits[], maxLeadRad: number | null = null): SafetySpec {
  return {
    controlHz: hz,
    commandMode: 'position',
    maxReadingAgeUs: Number.POSITIVE_INFINITY,
    joints: limits.map((l, i) => ({ name: `j${i}`, limits: l, maxLeadRad, maxEffortRateNmS: Number.POSITIVE_INFINITY })),
  };
}

export const STREAM_KINDS = ['uniform', 'bangBang', 'alternating', 'randomWalk', 'nonFinite', 'absurd', 'square', 'smooth'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

/**
 * Fills `out` with the raw targets of tick `t` for stream `kind` (deterministic given `rng`). Targets
 * range over the hard range widened by half its width on each side, so both clamps are exercised.
 */
export class RawStream {
  private readonly walk: Float64Array;
  private readonly phase: Float64Array;

  constructor(
    readonly kind: StreamKind,
    private readonly spec: SafetySpec,
    private readonly rng: Rng,
  ) {
    const n = spec.joints.length;
    this.walk = new Float64Array(n);
    this.phase = new Float64Array(n);
    spec.joints.forEach(({ limits }, i) => {
      this.walk[i] = (limits.minPositionRad! + limits.maxPositionRad!) / 2;
      this.phase[i] = rng.uniformIn(0, 2 * Math.PI);
    });
  }

  fill(t: number, out: Float64Array): void {
    const rng = this.rng;
    for (let i = 0; i < out.length; i++) {
      const { minPositionRad, maxPositionRad } = this.spec.joints[i].limits;
      const span = maxPositionRad! - minPositionRad!;
      const low = minPositionRad! - span / 2;
      const high = maxPositionRad! + span / 2;
      let x: number;
      switch (this.kind) {
        case 'uniform':
          x = rng.uniformIn(low, high);
          break;
        case 'bangBang':
          x = rng.uniform() < 0.5 ? low : high;
          break;
        case 'alternating':
          x = t % 2 === 0 ? low : high;
          break;
        case 'randomWalk':
          this.walk[i] = Math.min(high, Math.max(low, this.walk[i] + rng.normal() * span * 0.02));
          x = this.walk[i];
          break;
        case 'nonFinite':
          x =
            rng.uniform() < 0.15 ? [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][rng.int(3)] : rng.uniformIn(low, high);
          break;
        case 'absurd':
          x = rng.uniform() < 0.15 ? (rng.uniform() < 0.5 ? 1e30 : -1e30) : rng.uniformIn(low, high);
          break;
        case 'square':
          x = Math.floor(t / (5 + i * 7)) % 2 === 0 ? low : high;
          break;
        case 'smooth':
          x = (minPositionRad! + maxPositionRad!) / 2 + 0.6 * span * Math.sin(this.phase[i] + (t * (i + 1)) / 40);
          break;
      }
      out[i] = x;
    }
  }
}

/** Largest excess of the finite differences of an applied sequence over the limits, in units of the stated tolerance. */
export interface LimitExcess {
  /** Worst (value - limit) / tolerance over ticks; <= 0 when every limit held exactly, <= 1 when within tolerance. */
  position: number;
  velocity: number;
  acceleration: number;
  jerk: number;
}

/**
 * Stated tolerances (README.md, "Numerical tolerances"), with Q = max(1, |min|, |max|):
 * position 1e-9 Q; velocity 1e-9 V + 8 eps Q / h; acceleration 1e-9 A + 16 eps Q / h²; jerk 1e-9 J + 32 eps Q / h³.
 */
export function tolerances(limits: JointLimits, hz: number): { position: number; velocity: number; acceleration: number; jerk: number } {
  const h = 1 / hz;
  const q = Math.max(1, Math.abs(limits.minPositionRad ?? 0), Math.abs(limits.maxPositionRad ?? 0));
  return {
    position: 1e-9 * q,
    velocity: 1e-9 * limits.maxVelocityRadS + (8 * EPS * q) / h,
    acceleration: 1e-9 * limits.maxAccelerationRadS2 + (16 * EPS * q) / (h * h),
    jerk: 1e-9 * limits.maxJerkRadS3 + (32 * EPS * q) / (h * h * h),
  };
}

/**
 * Checks an applied position sequence against one joint's limits from its backward differences,
 * the history before the first tick being the start position at rest. `exempt(t)` skips the
 * acceleration/jerk checks of a tick (the ticks right after an e-stop).
 */
export class LimitChecker {
  readonly excess: LimitExcess = { position: -Infinity, velocity: -Infinity, acceleration: -Infinity, jerk: -Infinity };
  private q1: number;
  private q2: number;
  private q3: number;
  private readonly tol: ReturnType<typeof tolerances>;
  private readonly h: number;

  constructor(
    private readonly limits: JointLimits,
    hz: number,
    startRad: number,
  ) {
    this.q1 = startRad;
    this.q2 = startRad;
    this.q3 = startRad;
    this.tol = tolerances(limits, hz);
    this.h = 1 / hz;
  }

  push(q: number, skipAcceleration = false, skipJerk = false): void {
    const h = this.h;
    const l = this.limits;
    const v = (q - this.q1) / h;
    const v1 = (this.q1 - this.q2) / h;
    const v2 = (this.q2 - this.q3) / h;
    const a = (v - v1) / h;
    const a1 = (v1 - v2) / h;
    const j = (a - a1) / h;
    const e = this.excess;
    const posExcess = Number.isFinite(q) ? Math.max(q - l.maxPositionRad!, l.minPositionRad! - q) : Infinity;
    e.position = Math.max(e.position, posExcess / this.tol.position);
    e.velocity = Math.max(e.velocity, (Math.abs(v) - l.maxVelocityRadS) / this.tol.velocity);
    if (!skipAcceleration) e.acceleration = Math.max(e.acceleration, (Math.abs(a) - l.maxAccelerationRadS2) / this.tol.acceleration);
    if (!skipJerk) e.jerk = Math.max(e.jerk, (Math.abs(j) - l.maxJerkRadS3) / this.tol.jerk);
    this.q3 = this.q2;
    this.q2 = this.q1;
    this.q1 = q;
  }

  /** Throws with the worst excess when some limit was broken by more than its tolerance. */
  assertWithin(label: string): void {
    const e = this.excess;
    if (!(e.position <= 1 && e.velocity <= 1 && e.acceleration <= 1 && e.jerk <= 1)) {
      throw new Error(
        `${label}: limit broken beyond tolerance (excess in tolerance units) ${JSON.stringify(e)} for ${JSON.stringify(this.limits)}`,
      );
    }
  }
}

/**
 * Continuity cost of an episode [%]: 100 * mean over steps t >= 1 of mean over joints of
 * ((a_t - a_{t-1}) / (high - low))^2, with actions a in joint units and [low, high] each joint's range.
 * `actions` holds the steps in order, each of shape (joints,).
 */
export function continuityCost(actions: readonly Float64Array[], low: ArrayLike<number>, high: ArrayLike<number>): number {
  if (actions.length < 2) return 0;
  let sum = 0;
  for (let t = 1; t < actions.length; t++) {
    const a = actions[t];
    const b = actions[t - 1];
    let step = 0;
    for (let j = 0; j < a.length; j++) {
      const d = (a[j] - b[j]) / (high[j] - low[j]);
      step += d * d;
    }
    sum += step / a.length;
  }
  return (100 * sum) / (actions.length - 1);
}

/** A reading that reports the command itself, fresh: the robot tracks perfectly. */
export function perfectReading(jointCount: number): { positionRad: Float64Array; velocityRadS: Float64Array; ageUs: number } {
  return { positionRad: new Float64Array(jointCount), velocityRadS: new Float64Array(jointCount), ageUs: 0 };
}

export { Rng };
