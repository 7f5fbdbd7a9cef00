import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BrakeModel } from '../../src/safety/brake.js';
import { SafetyFilter } from '../../src/safety/filter.js';
import { SafetyStatus } from '../../src/safety/reasons.js';
import type { SafetySpec } from '../../src/safety/spec.js';
import { Rng, arbitraryPositionSpec, fcParams } from './helpers.js';

/** How the in-limit stream picks its next acceleration inside its (shrunk) box. */
const STYLES = ['uniform', 'extremes', 'smooth'] as const;
type Style = (typeof STYLES)[number];

/**
 * A stream inside every limit with margin to stop: built on limits shrunk to `shrink` of the real
 * ones, with its own brake kept inside the soft range; when a random move would break that, it
 * brakes instead. Returns the targets tick by tick, each of shape (joints,).
 */
function inLimitStream(
  spec: SafetySpec,
  seed: number,
  ticks: number,
  start: readonly number[],
  style: Style,
  shrink: number,
): Float64Array[] {
  const rng = new Rng(seed);
  const h = 1 / spec.controlHz;
  const n = spec.joints.length;
  const models = spec.joints.map(
    ({ limits: l }) => new BrakeModel(h, shrink * l.maxVelocityRadS, shrink * l.maxAccelerationRadS2, shrink * l.maxJerkRadS3),
  );
  const q = Float64Array.from(start);
  const v = new Float64Array(n);
  const a = new Float64Array(n);
  const bounds = new Float64Array(2);
  const out: Float64Array[] = [];
  for (let t = 0; t < ticks; t++) {
    const row = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const { limits: l } = spec.joints[i];
      const m = models[i];
      const margin = 1e-6 * (l.maxPositionRad! - l.minPositionRad!);
      const low = l.minPositionRad! + l.softMarginRad + margin;
      const high = l.maxPositionRad! - l.softMarginRad - margin;
      m.velocityViableAccelerations(v[i], bounds);
      const lo = Math.max(a[i] - m.jerkStepRadS2, -m.maxAccelerationRadS2, bounds[0]);
      const hi = Math.min(a[i] + m.jerkStepRadS2, m.maxAccelerationRadS2, bounds[1]);
      let next =
        style === 'uniform'
          ? rng.uniformIn(lo, hi)
          : style === 'extremes'
            ? rng.uniform() < 0.5
              ? lo
              : hi
            : Math.min(hi, Math.max(lo, a[i] + 0.1 * rng.normal() * m.jerkStepRadS2));
      let nv = v[i] + h * next;
      m.stop(nv, next);
      if (!(lo <= hi) || q[i] + h * nv + m.stopMaxRad > high || q[i] + h * nv + m.stopMinRad < low) {
        next = m.brakeAcceleration(v[i], a[i]);
        nv = v[i] + h * next;
      }
      a[i] = next;
      v[i] = nv;
      q[i] = q[i] + h * nv;
      row[i] = q[i];
    }
    out.push(row);
  }
  return out;
}

describe('SafetyFilter passthrough (properties)', () => {
  test('a stream inside every limit, with margin to stop, passes bit for bit', () => {
    fc.assert(
      fc.property(
        arbitraryPositionSpec(3),
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.integer({ min: 10, max: 1500 }),
        fc.constantFrom(...STYLES),
        fc.constantFrom(0.999, 0.9, 0.5),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (spec, seed, ticks, style, shrink, startFraction, withLead) => {
          const start = spec.joints.map(({ limits: l }) => {
            const low = l.minPositionRad! + l.softMarginRad;
            return low + startFraction * (l.maxPositionRad! - l.softMarginRad - low);
          });
          const h = 1 / spec.controlHz;
          // A lead bound the stream never reaches: three ticks at full speed (the reading lags one tick).
          const filterSpec: SafetySpec = withLead
            ? { ...spec, joints: spec.joints.map((j) => ({ ...j, maxLeadRad: 3 * h * j.limits.maxVelocityRadS })) }
            : spec;
          const filter = new SafetyFilter(filterSpec);
          filter.reset(start);
          const n = spec.joints.length;
          const reading = { positionRad: Float64Array.from(start), velocityRadS: new Float64Array(n), ageUs: 0 };
          const stream = inLimitStream(spec, seed, ticks, start, style, shrink);
          stream.forEach((raw, t) => {
            const status = filter.step(raw, reading);
            for (let i = 0; i < n; i++) {
              assert.equal(filter.output.applied[i], raw[i], `tick ${t} joint ${i}: changed (reasons ${filter.output.reasons[i]})`);
              assert.equal(filter.output.interventionAbs[i], 0);
            }
            assert.equal(status, SafetyStatus.passed);
            reading.positionRad.set(filter.output.applied);
          });
        },
      ),
      fcParams(1000),
    );
  });
});
