import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BrakeModel } from '../../src/safety/brake.js';
import { CONTROL_RATES_HZ, arbitraryJointLimits, fcParams } from './helpers.js';
import { referenceBrakeAcceleration, referenceStop, referenceZeroedVelocity, type AxisLimits } from './reference.js';

/** A joint's limits, plus a state (v, a) with |a| <= A and |w(v, a)| <= V, exact zeros and edges included. */
const arbitraryState = fc.constantFrom(...CONTROL_RATES_HZ).chain((hz) =>
  fc.record({
    hz: fc.constant(hz),
    limits: arbitraryJointLimits(hz),
    velocityFraction: fc.oneof(fc.double({ min: -1, max: 1, noNaN: true }), fc.constantFrom(-1, 0, 1)),
    accelerationFraction: fc.oneof(fc.double({ min: -1, max: 1, noNaN: true }), fc.constantFrom(-1, 0, 1)),
  }),
);

function modelOf(
  hz: number,
  l: { maxVelocityRadS: number; maxAccelerationRadS2: number; maxJerkRadS3: number },
): { model: BrakeModel; axis: AxisLimits } {
  const axis = {
    periodS: 1 / hz,
    maxVelocityRadS: l.maxVelocityRadS,
    maxAccelerationRadS2: l.maxAccelerationRadS2,
    maxJerkRadS3: l.maxJerkRadS3,
  };
  return { model: new BrakeModel(axis.periodS, axis.maxVelocityRadS, axis.maxAccelerationRadS2, axis.maxJerkRadS3), axis };
}

/** Scales v so that the state satisfies |w| <= V (the brake's domain); returns null when no such v exists for this a. */
function viableState(model: BrakeModel, vFraction: number, aFraction: number): { v: number; a: number } | null {
  const a = aFraction * model.maxAccelerationRadS2;
  const shift = model.zeroedVelocity(0, a);
  const v = -shift + vFraction * model.maxVelocityRadS;
  if (Math.abs(model.zeroedVelocity(v, a)) > model.maxVelocityRadS || Math.abs(v) > model.maxVelocityRadS) return null;
  return { v, a };
}

describe('BrakeModel', () => {
  test('R(x) and F^-1 by hand: h = 0.1, J = 10 (u = 1)', () => {
    const model = new BrakeModel(0.1, 10, 100, 10);
    // R(2.5) = h ((2.5 - 1) + (2.5 - 2)) = 0.2; R(1) = 0 (no tick k >= 1 with k u < 1).
    assert.ok(Math.abs(model.rampVelocity(2.5) - 0.2) < 1e-15);
    assert.equal(model.rampVelocity(1), 0);
    assert.equal(model.rampVelocity(0), 0);
    // F(2.5) = 0.25 + 0.2 = 0.45, so F^-1(0.45) = 2.5; F(x) = h x below u.
    assert.ok(Math.abs(model.signedRampAcceleration(0.45) - 2.5) < 1e-14);
    assert.ok(Math.abs(model.signedRampAcceleration(-0.05) + 0.5) < 1e-15);
    // w(v, a): velocity after zeroing a = -2.5 tick by tick: 1 + 0.1 (-1.5 - 0.5) = 0.8.
    assert.ok(Math.abs(model.zeroedVelocity(1, -2.5) - 0.8) < 1e-15);
  });

  test('known answer: stop from (v = 1, a = 0) with h = 0.1, u = 1, A = 2', () => {
    // Brake by the rule, by hand: a = -1 (v 0.9), -2 (v 0.7), -2 (v 0.5), -2 (v 0.3), then the ramp must
    // absorb 0.3: x with F(x) = 0.3 → x = 2 (F(2) = 0.2 + 0.1 = 0.3); a = -2 (v 0.1), -1 (v 0), 0 (v 0).
    // Displacement: 0.1 (0.9 + 0.7 + 0.5 + 0.3 + 0.1 + 0 + 0) = 0.25.
    const model = new BrakeModel(0.1, 5, 2, 10);
    model.stop(1, 0);
    assert.ok(Math.abs(model.stopTotalRad - 0.25) < 1e-14, `total ${model.stopTotalRad}`);
    assert.ok(Math.abs(model.stopMaxRad - 0.25) < 1e-14);
    assert.equal(model.stopMinRad, 0);
    const ref = referenceStop({ periodS: 0.1, maxVelocityRadS: 5, maxAccelerationRadS2: 2, maxJerkRadS3: 10 }, 1, 0);
    assert.equal(ref.ticks, 7);
    assert.ok(Math.abs(ref.totalRad - 0.25) < 1e-14);
  });

  test('the stopping distance with a jerk limit exceeds v²/2A: 0.398 rad instead of 0.2 (v = 2, A = 10, J = 50, 1 kHz)', () => {
    // Continuous time: jerk -J for 0.2 s (v 2 → 1, 1/3 rad), then +J for 0.2 s (v 1 → 0, 1/15 rad): 0.4 rad;
    // the discrete brake stops one tick earlier.
    const model = new BrakeModel(0.001, 2, 10, 50);
    model.stop(2, 0);
    assert.ok(Math.abs(model.stopTotalRad - 0.398) < 1e-12, `${model.stopTotalRad}`);
    assert.equal((2 * 2) / (2 * 10), 0.2);
  });

  test('property: closed-form stop and brake step equal the tick-by-tick reference', () => {
    fc.assert(
      fc.property(arbitraryState, ({ hz, limits, velocityFraction, accelerationFraction }) => {
        const { model, axis } = modelOf(hz, limits);
        const state = viableState(model, velocityFraction, accelerationFraction);
        fc.pre(state !== null);
        const { v, a } = state;
        const ref = referenceStop(axis, v, a);
        model.stop(v, a);
        // Tolerance: relative 1e-9 of the larger of the displacement and the distance V * tick.
        const scale = Math.max(Math.abs(ref.totalRad), Math.abs(ref.maxRad), Math.abs(ref.minRad), limits.maxVelocityRadS / hz) * 1e-9;
        assert.ok(Math.abs(model.stopTotalRad - ref.totalRad) <= scale, `total ${model.stopTotalRad} vs ${ref.totalRad}`);
        assert.ok(Math.abs(model.stopMaxRad - ref.maxRad) <= scale, `max ${model.stopMaxRad} vs ${ref.maxRad}`);
        assert.ok(Math.abs(model.stopMinRad - ref.minRad) <= scale, `min ${model.stopMinRad} vs ${ref.minRad}`);
        const step = model.brakeAcceleration(v, a);
        const refStep = referenceBrakeAcceleration(axis, v, a);
        assert.ok(Math.abs(step - refStep) <= 1e-9 * (limits.maxAccelerationRadS2 + model.jerkStepRadS2), `step ${step} vs ${refStep}`);
        assert.ok(Math.abs(model.zeroedVelocity(v, a) - referenceZeroedVelocity(axis, v, a)) <= 1e-12 * limits.maxVelocityRadS);
      }),
      fcParams(400),
    );
  });

  test('property: the brake respects every limit, never grows |w| and ends exactly at rest', () => {
    fc.assert(
      fc.property(arbitraryState, ({ hz, limits, velocityFraction, accelerationFraction }) => {
        const { model } = modelOf(hz, limits);
        const state = viableState(model, velocityFraction, accelerationFraction);
        fc.pre(state !== null);
        let { v, a } = state;
        const h = 1 / hz;
        const u = model.jerkStepRadS2;
        const w0 = Math.abs(model.zeroedVelocity(v, a));
        const bound = Math.max(Math.abs(v), w0);
        let ticks = 0;
        while (!(v === 0 && a === 0)) {
          const next = model.brakeAcceleration(v, a);
          assert.ok(Math.abs(next - a) <= u * (1 + 1e-12), `jerk ${(next - a) / h}`);
          assert.ok(Math.abs(next) <= limits.maxAccelerationRadS2, `acceleration ${next}`);
          a = next;
          v += h * a;
          // Rounding moves w by a few ulps of V even when it is exactly 0 (on the final ramp).
          const slack = 1e-12 * limits.maxVelocityRadS;
          assert.ok(Math.abs(v) <= bound + slack, `speed ${v} above ${bound}`);
          assert.ok(Math.abs(model.zeroedVelocity(v, a)) <= w0 + slack, 'w grew');
          ticks++;
          assert.ok(ticks < 20_000, `no rest after ${ticks} ticks: (${v}, ${a})`);
        }
      }),
      fcParams(300),
    );
  });

  test('long brakes at the validated extreme: the closed form equals the brake stepped tick by tick', () => {
    // A / (hJ) + V / (hA) close to MAX_BRAKE_TICKS (1e5), integrated with the model's own brake step.
    const cases = [
      { hz: 1000, v: 5, a: 0.1, j: 1000 }, // 5e4 ticks at -A
      { hz: 1000, v: 0.5, a: 5, j: 0.1 }, // 5e4 ticks of ramp
      { hz: 500, v: 3, a: 0.2, j: 0.01 },
    ];
    for (const c of cases) {
      const model = new BrakeModel(1 / c.hz, c.v, c.a, c.j);
      for (const [v0, a0] of [
        [c.v * 0.999, 0],
        [0, c.a],
        [c.v * 0.5, -c.a],
        [-c.v * 0.3, c.a * 0.7],
      ] as const) {
        if (Math.abs(model.zeroedVelocity(v0, a0)) > c.v) continue;
        model.stop(v0, a0);
        const { stopTotalRad, stopMaxRad, stopMinRad } = model;
        let v = v0;
        let a = a0;
        let q = 0;
        let max = 0;
        let min = 0;
        let ticks = 0;
        while (!(v === 0 && a === 0) && ticks < 300_000) {
          a = model.brakeAcceleration(v, a);
          v += a / c.hz;
          q += v / c.hz;
          max = Math.max(max, q);
          min = Math.min(min, q);
          ticks++;
        }
        assert.ok(ticks < 300_000, 'no rest');
        const tol = 1e-9 * Math.max(1, Math.abs(q));
        assert.ok(
          Math.abs(stopTotalRad - q) <= tol,
          `${JSON.stringify(c)} (${v0}, ${a0}): total ${stopTotalRad} vs ${q} after ${ticks} ticks`,
        );
        assert.ok(Math.abs(stopMaxRad - max) <= tol && Math.abs(stopMinRad - min) <= tol, 'extremes');
      }
    }
  });

  test('property: the stop displacement never decreases with velocity or acceleration', () => {
    fc.assert(
      fc.property(
        arbitraryState,
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        ({ hz, limits, velocityFraction, accelerationFraction }, bump) => {
          const { model } = modelOf(hz, limits);
          const state = viableState(model, velocityFraction, accelerationFraction);
          fc.pre(state !== null);
          const { v, a } = state;
          model.stop(v, a);
          const base = model.stopTotalRad;
          const tol = 1e-9 * Math.max(Math.abs(base), limits.maxVelocityRadS / hz);
          model.stop(v + bump * limits.maxVelocityRadS, a);
          assert.ok(model.stopTotalRad >= base - tol, 'decreased with velocity');
          model.stop(v, Math.min(limits.maxAccelerationRadS2, a + bump * limits.maxAccelerationRadS2));
          assert.ok(model.stopTotalRad >= base - tol, 'decreased with acceleration');
        },
      ),
      fcParams(400),
    );
  });
});
