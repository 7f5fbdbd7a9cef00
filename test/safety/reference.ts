/**
 * Slow, independent reference implementations for the safety tests: the brake simulated tick by tick
 * with plain loops and bisection (no closed forms), and a checker of the finite differences of an
 * applied command sequence.
 */

export interface AxisLimits {
  periodS: number;
  maxVelocityRadS: number;
  maxAccelerationRadS2: number;
  maxJerkRadS3: number;
}

/** Velocity after ramping the acceleration to zero at full jerk, simulated tick by tick. */
export function referenceZeroedVelocity(limits: AxisLimits, velocityRadS: number, accelerationRadS2: number): number {
  const h = limits.periodS;
  const u = h * limits.maxJerkRadS3;
  let v = velocityRadS;
  let a = accelerationRadS2;
  while (a !== 0) {
    a = a > 0 ? Math.max(a - u, 0) : Math.min(a + u, 0);
    v += h * a;
  }
  return v;
}

/** One brake tick, by the rule: push the acceleration against w as hard as allowed, unless w would change sign; then land w exactly on 0. */
export function referenceBrakeAcceleration(limits: AxisLimits, velocityRadS: number, accelerationRadS2: number): number {
  const sign = referenceZeroedVelocity(limits, velocityRadS, accelerationRadS2) >= 0 ? 1 : -1;
  const v = sign * velocityRadS;
  const a = sign * accelerationRadS2;
  const h = limits.periodS;
  const u = h * limits.maxJerkRadS3;
  const amax = limits.maxAccelerationRadS2;
  const candidate = Math.max(a - u, -amax);
  if (referenceZeroedVelocity(limits, v + h * candidate, candidate) >= 0) return sign * candidate;
  let low = candidate;
  let high = Math.min(a + u, amax);
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (low + high);
    if (referenceZeroedVelocity(limits, v + h * mid, mid) >= 0) high = mid;
    else low = mid;
  }
  return sign * high;
}

export interface ReferenceStop {
  totalRad: number;
  maxRad: number;
  minRad: number;
  ticks: number;
  peakSpeedRadS: number;
  peakAccelerationRadS2: number;
  peakJerkRadS3: number;
}

/** Runs the brake tick by tick until rest (or `maxTicks`), recording displacements and peaks. */
export function referenceStop(limits: AxisLimits, velocityRadS: number, accelerationRadS2: number, maxTicks = 1_000_000): ReferenceStop {
  const h = limits.periodS;
  let v = velocityRadS;
  let a = accelerationRadS2;
  let q = 0;
  let max = 0;
  let min = 0;
  let peakSpeed = Math.abs(v);
  let peakAcc = Math.abs(a);
  let peakJerk = 0;
  let ticks = 0;
  const tinyV = 1e-12 * limits.maxVelocityRadS;
  const tinyA = 1e-9 * limits.maxAccelerationRadS2;
  while (ticks < maxTicks && !(Math.abs(v) <= tinyV && Math.abs(a) <= tinyA)) {
    const next = referenceBrakeAcceleration(limits, v, a);
    peakJerk = Math.max(peakJerk, Math.abs(next - a) / h);
    a = next;
    v += h * a;
    q += h * v;
    max = Math.max(max, q);
    min = Math.min(min, q);
    peakSpeed = Math.max(peakSpeed, Math.abs(v));
    peakAcc = Math.max(peakAcc, Math.abs(a));
    ticks++;
  }
  return {
    totalRad: q,
    maxRad: max,
    minRad: min,
    ticks,
    peakSpeedRadS: peakSpeed,
    peakAccelerationRadS2: peakAcc,
    peakJerkRadS3: peakJerk,
  };
}
