/**
 * Continuity cost before and after the filter (position mode).
 *
 * The claim "the continuity cost after the filter is never above the one before it" is false for
 * arbitrary streams: a filter that follows a reachable stream once it has caught up must, while
 * catching up, take uneven steps covering the same distance, and uneven steps cost more
 * (Cauchy–Schwarz). The tests below check what is true instead: (1) a bound that holds for every
 * stream, cost_after <= 100 * mean_j (min(V_j h, hardSpan_j) / softSpan_j)^2, from the velocity limit;
 * hence (2) cost_after <= cost_before whenever cost_before is above that bound, which is the case
 * for the noisy policies the issue means; (3) known streams where the cost rises, so that the
 * limitation stays visible; and (4) equality for streams already inside the limits (passthrough,
 * in filter-passthrough.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JointLimits } from '../../src/calibration/types.js';
import { SafetyFilter } from '../../src/safety/filter.js';
import type { SafetySpec } from '../../src/safety/spec.js';
import { LimitChecker, RawStream, Rng, arbitraryPositionSpec, continuityCost, fcParams, perfectReading, positionSpec } from './helpers.js';

function softRanges(spec: SafetySpec): { low: number[]; high: number[] } {
  return {
    low: spec.joints.map(({ limits: l }) => l.minPositionRad! + l.softMarginRad),
    high: spec.joints.map(({ limits: l }) => l.maxPositionRad! - l.softMarginRad),
  };
}

/** Runs `raw` (each of shape (joints,)) through a fresh filter at rest at `start`; returns the applied commands. */
function filterStream(spec: SafetySpec, start: readonly number[], raw: readonly Float64Array[]): Float64Array[] {
  const filter = new SafetyFilter(spec);
  filter.reset(start);
  const reading = perfectReading(spec.joints.length);
  return raw.map((targets) => {
    filter.step(targets, reading);
    return Float64Array.from(filter.output.applied);
  });
}

/** The bound every filtered stream obeys: each step moves at most min(V h, hard span) per joint. */
function velocityBound(spec: SafetySpec): number {
  const h = 1 / spec.controlHz;
  const { low, high } = softRanges(spec);
  let sum = 0;
  spec.joints.forEach(({ limits: l }, j) => {
    const step = Math.min(l.maxVelocityRadS * h, l.maxPositionRad! - l.minPositionRad!);
    sum += (step / (high[j] - low[j])) ** 2;
  });
  return (100 * sum) / spec.joints.length;
}

describe('continuity cost before and after the filter', () => {
  test('property: for every stream, cost after <= 100 mean_j (min(V h, hard span) / soft span)^2', () => {
    fc.assert(
      fc.property(
        arbitraryPositionSpec(3),
        fc.constantFrom('uniform', 'bangBang', 'alternating', 'randomWalk', 'square', 'smooth', 'absurd', 'nonFinite'),
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 2, max: 800 }),
        (spec, kind, seed, ticks) => {
          const stream = new RawStream(kind, spec, new Rng(seed));
          const raw = Array.from({ length: ticks }, (_, t) => {
            const row = new Float64Array(spec.joints.length);
            stream.fill(t, row);
            return row;
          });
          const start = spec.joints.map(({ limits: l }) => (l.minPositionRad! + l.maxPositionRad!) / 2);
          const applied = filterStream(spec, start, raw);
          const { low, high } = softRanges(spec);
          const after = continuityCost(applied, low, high);
          assert.ok(after <= velocityBound(spec) * (1 + 1e-9), `${kind}: after ${after} > bound ${velocityBound(spec)}`);
        },
      ),
      fcParams(1000),
    );
  });

  test('property: the noisiest policy (uniform actions every tick) — zero violations, and cost after < cost before', () => {
    // Realistic joints: none can cross its soft range in fewer than 10 ticks (V h <= soft span / 10).
    fc.assert(
      fc.property(
        arbitraryPositionSpec(6),
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 100, max: 600 }),
        (drawn, seed, ticks) => {
          const h = 1 / drawn.controlHz;
          const limits: JointLimits[] = drawn.joints.map(({ limits: l }) => {
            const soft = l.maxPositionRad! - l.minPositionRad! - 2 * l.softMarginRad;
            const v = Math.min(l.maxVelocityRadS, soft / (10 * h));
            return { ...l, maxVelocityRadS: v, maxAccelerationRadS2: Math.max(l.maxAccelerationRadS2, v / (1000 * h)) };
          });
          const spec = positionSpec(
            drawn.controlHz,
            limits.map((l) => ({ ...l, maxJerkRadS3: Math.max(l.maxJerkRadS3, l.maxAccelerationRadS2 / (1000 * h)) })),
          );
          const rng = new Rng(seed);
          const { low, high } = softRanges(spec);
          // Actions uniform in [-1, 1], mapped linearly onto the soft range, as the action map does.
          const raw = Array.from({ length: ticks }, () =>
            Float64Array.from(spec.joints, (_, j) => low[j] + ((rng.uniformIn(-1, 1) + 1) / 2) * (high[j] - low[j])),
          );
          const start = spec.joints.map((_, j) => (low[j] + high[j]) / 2);
          const applied = filterStream(spec, start, raw);
          spec.joints.forEach(({ limits: l }, j) => {
            const checker = new LimitChecker(l, spec.controlHz, start[j]);
            applied.forEach((row) => checker.push(row[j]));
            checker.assertWithin(`joint ${j}`);
          });
          const before = continuityCost(raw, low, high);
          const after = continuityCost(applied, low, high);
          assert.ok(after < before, `after ${after} >= before ${before}`);
        },
      ),
      fcParams(400),
    );
  });

  describe('known streams where the cost after the filter is higher (the general claim is false)', () => {
    const limits: JointLimits = {
      minPositionRad: -1,
      maxPositionRad: 1,
      softMarginRad: 0.1,
      maxVelocityRadS: 2,
      maxAccelerationRadS2: 10,
      maxJerkRadS3: 100,
      maxEffortNm: null,
    };
    const spec = positionSpec(100, [limits]);
    const low = [-0.9];
    const high = [0.9];

    test('a constant target away from the start: 0 before, > 0 after (the command has to travel)', () => {
      const raw = Array.from({ length: 200 }, () => Float64Array.of(0.3));
      const applied = filterStream(spec, [0], raw);
      assert.equal(continuityCost(raw, low, high), 0);
      assert.ok(continuityCost(applied, low, high) > 4e-4);
      assert.equal(applied[199][0], 0.3, 'arrives exactly');
    });

    test('a reachable ramp that starts moving at once: catching up costs more than the ramp', () => {
      const raw = Array.from({ length: 400 }, (_, t) => Float64Array.of(Math.min(-0.5 + 0.005 * t, 0.8)));
      const applied = filterStream(spec, [-0.5], raw);
      const before = continuityCost(raw, low, high);
      const after = continuityCost(applied, low, high);
      assert.ok(after > before * 1.02, `after ${after}, before ${before}`);
      // It does catch up: the end of the ramp and the hold after it pass unchanged.
      for (let t = 300; t < 400; t++) assert.equal(applied[t][0], raw[t][0]);
    });
  });
});
