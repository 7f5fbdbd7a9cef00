import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SafetyFilter } from '../../src/safety/filter.js';
import { Reason, SafetyStatus } from '../../src/safety/reasons.js';
import type { SafetySpec } from '../../src/safety/spec.js';
import { LimitChecker, RawStream, Rng, STREAM_KINDS, arbitraryPositionSpec, fcParams, tolerances, type StreamKind } from './helpers.js';
import { referenceStop, referenceZeroedVelocity } from './reference.js';

interface Scenario {
  spec: SafetySpec;
  kind: StreamKind;
  seed: number;
  ticks: number;
  /** Probability per tick of a stale reading, of a missing joint reading, of an explicit hold. */
  staleRate: number;
  missingRate: number;
  holdRate: number;
  /** Lead bound as a fraction of each joint's span (null: none). */
  leadFraction: number | null;
  /** E-stop latched at this tick and cleared this many ticks later (null: none). */
  estopAt: number | null;
  estopFor: number;
  /** Start position as a fraction of the hard range. */
  startFraction: number;
}

const arbitraryScenario: fc.Arbitrary<Scenario> = fc.record({
  spec: arbitraryPositionSpec(3),
  kind: fc.constantFrom(...STREAM_KINDS),
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  ticks: fc.integer({ min: 50, max: 1200 }),
  staleRate: fc.constantFrom(0, 0, 0.02, 0.2),
  missingRate: fc.constantFrom(0, 0, 0.02),
  holdRate: fc.constantFrom(0, 0, 0.05),
  leadFraction: fc.constantFrom(null, null, 0.01, 0.2),
  estopAt: fc.option(fc.integer({ min: 0, max: 600 }), { nil: null }),
  estopFor: fc.integer({ min: 0, max: 50 }),
  startFraction: fc.constantFrom(0, 1, 0.5, 0.01, 0.99, 0.3),
});

/**
 * Runs a scenario and checks, on every tick: finite outputs; every limit within tolerance (the
 * acceleration of the first tick after `estop()` and the jerk of the first two excepted); a frozen command while
 * e-stopped; no motion from rest on a hold; and, on a few sampled ticks, the invariant by the
 * independent reference: |a| <= A, |w| <= V and a brake that stays inside the hard range.
 */
function runScenario(s: Scenario): void {
  const spec = s.spec;
  const n = spec.joints.length;
  const hz = spec.controlHz;
  const rng = new Rng(s.seed);
  const withLead: SafetySpec = {
    ...spec,
    joints: spec.joints.map((j) => ({
      ...j,
      maxLeadRad: s.leadFraction === null ? null : s.leadFraction * (j.limits.maxPositionRad! - j.limits.minPositionRad!),
    })),
    maxReadingAgeUs: 1000,
  };
  const filter = new SafetyFilter(withLead);
  const start = spec.joints.map(({ limits: l }) => l.minPositionRad! + s.startFraction * (l.maxPositionRad! - l.minPositionRad!));
  filter.reset(start);
  const checkers = spec.joints.map((j, i) => new LimitChecker(j.limits, hz, start[i]));
  const stream = new RawStream(s.kind, spec, rng);
  const raw = new Float64Array(n);
  const reading = { positionRad: new Float64Array(start), velocityRadS: new Float64Array(n), ageUs: 0 };
  const previous = new Float64Array(start);
  const sampleTicks = new Set([rng.int(s.ticks), rng.int(s.ticks), s.ticks - 1]);
  let exemptUntil = -1;

  for (let t = 0; t < s.ticks; t++) {
    if (s.estopAt === t) {
      filter.estop('test');
      exemptUntil = t;
    }
    if (s.estopAt !== null && t === s.estopAt + s.estopFor && filter.estopped) filter.clearEStop();
    stream.fill(t, raw);
    reading.ageUs = rng.uniform() < s.staleRate ? 5000 : 0;
    for (let i = 0; i < n; i++) {
      // The robot lags one tick behind the command, with a little noise; sometimes a joint's reading is lost.
      reading.positionRad[i] = rng.uniform() < s.missingRate ? Number.NaN : previous[i] + rng.normal() * 1e-4;
    }
    const wasAtRest =
      [...filter.commandState.velocityRadS].every((v) => v === 0) && [...filter.commandState.accelerationRadS2].every((a) => a === 0);
    const status = filter.step(rng.uniform() < s.holdRate ? null : raw, reading);
    const out = filter.output;
    for (let i = 0; i < n; i++) {
      const q = out.applied[i];
      assert.ok(Number.isFinite(q), `non-finite command ${q} at tick ${t}`);
      assert.ok(Number.isFinite(out.interventionAbs[i]), 'non-finite intervention');
      if (status === SafetyStatus.estopped) assert.equal(q, previous[i], `moved while e-stopped at tick ${t}`);
      if (status < 0 || status === SafetyStatus.held) {
        if (wasAtRest) assert.equal(q, previous[i], `a hold moved a command at rest at tick ${t}`);
      }
      checkers[i].push(q, t <= exemptUntil, t <= exemptUntil + 1);
      previous[i] = q;
    }
    assert.ok(Number.isFinite(out.interventionRms));
    if (sampleTicks.has(t)) checkInvariant(filter, spec, t);
  }
  checkers.forEach((c, i) => c.assertWithin(`${s.kind} joint ${i}`));
}

function checkInvariant(filter: SafetyFilter, spec: SafetySpec, t: number): void {
  const hz = spec.controlHz;
  spec.joints.forEach(({ limits: l }, i) => {
    const tol = tolerances(l, hz);
    const q = filter.commandState.positionRad[i];
    const v = filter.commandState.velocityRadS[i];
    const a = filter.commandState.accelerationRadS2[i];
    const axis = {
      periodS: 1 / hz,
      maxVelocityRadS: l.maxVelocityRadS,
      maxAccelerationRadS2: l.maxAccelerationRadS2,
      maxJerkRadS3: l.maxJerkRadS3,
    };
    assert.ok(Math.abs(a) <= l.maxAccelerationRadS2 + tol.acceleration, `tick ${t}: |a| = ${a} above A`);
    assert.ok(Math.abs(referenceZeroedVelocity(axis, v, a)) <= l.maxVelocityRadS + tol.velocity, `tick ${t}: |w| above V`);
    const stop = referenceStop(axis, v, a);
    assert.ok(
      q + stop.maxRad <= l.maxPositionRad! + tol.position,
      `tick ${t}: brake from (${q}, ${v}, ${a}) passes max by ${q + stop.maxRad - l.maxPositionRad!}`,
    );
    assert.ok(q + stop.minRad >= l.minPositionRad! - tol.position, `tick ${t}: brake passes min by ${l.minPositionRad! - q - stop.minRad}`);
  });
}

describe('SafetyFilter limits (properties)', () => {
  test('every applied sequence respects every limit, stays finite, freezes on e-stop and keeps the invariant', () => {
    fc.assert(fc.property(arbitraryScenario, runScenario), fcParams(400));
  });

  test('effort mode: |effort| <= max, slew-limited except cuts to zero, zero on NaN, stale or e-stop, always finite', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ maxEffortNm: fc.double({ min: 0.01, max: 100, noNaN: true }), riseS: fc.constantFrom(0, 0.01, 0.05, 0.5) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.constantFrom(50, 100, 1000),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (joints, hz, seed) => {
          const rng = new Rng(seed);
          const spec: SafetySpec = {
            controlHz: hz,
            commandMode: 'effort',
            maxReadingAgeUs: 1000,
            joints: joints.map(({ maxEffortNm, riseS }, i) => ({
              name: `e${i}`,
              limits: {
                minPositionRad: -1,
                maxPositionRad: 1,
                softMarginRad: 0.1,
                maxVelocityRadS: 2,
                maxAccelerationRadS2: 10,
                maxJerkRadS3: 100,
                maxEffortNm,
              },
              maxLeadRad: null,
              maxEffortRateNmS: riseS === 0 ? Number.POSITIVE_INFINITY : maxEffortNm / riseS,
            })),
          };
          const filter = new SafetyFilter(spec);
          const n = joints.length;
          const raw = new Float64Array(n);
          const reading = { positionRad: new Float64Array(n), velocityRadS: new Float64Array(n), ageUs: 0 };
          const previous = new Float64Array(n);
          const estopAt = rng.int(400);
          for (let t = 0; t < 400; t++) {
            if (t === estopAt) filter.estop('test');
            if (t === estopAt + 20) filter.clearEStop();
            for (let i = 0; i < n; i++) {
              const max = joints[i].maxEffortNm;
              const x = rng.uniform();
              raw[i] = x < 0.05 ? Number.NaN : x < 0.08 ? 1e30 : rng.uniformIn(-2 * max, 2 * max);
              reading.positionRad[i] = rng.uniformIn(-1.1, 1.1);
              reading.velocityRadS[i] = rng.uniformIn(-2.5, 2.5);
            }
            reading.ageUs = rng.uniform() < 0.03 ? 5000 : 0;
            const status = filter.step(raw, reading);
            for (let i = 0; i < n; i++) {
              const tau = filter.output.applied[i];
              const max = joints[i].maxEffortNm;
              assert.ok(Number.isFinite(tau) && Math.abs(tau) <= max, `effort ${tau} beyond ${max}`);
              if (status < 0) assert.equal(tau, 0, 'a refused tick must drop the effort to zero');
              const cut = status < 0 || (filter.output.reasons[i] & (Reason.softPosition | Reason.velocity)) !== 0;
              const step = spec.joints[i].maxEffortRateNmS / hz;
              if (!cut) assert.ok(Math.abs(tau - previous[i]) <= step * (1 + 1e-12), `slew ${tau - previous[i]} > ${step}`);
              else assert.equal(tau, 0);
              previous[i] = tau;
            }
          }
        },
      ),
      fcParams(300),
    );
  });

  for (const kind of ['bangBang', 'alternating', 'square'] as const) {
    test(`adversarial ${kind} streams from a start on a hard limit`, () => {
      fc.assert(
        fc.property(
          arbitraryPositionSpec(2),
          fc.integer({ min: 0, max: 0x7fffffff }),
          fc.constantFrom(0, 1),
          (spec, seed, startFraction) => {
            runScenario({
              spec,
              kind,
              seed,
              ticks: 600,
              staleRate: 0,
              missingRate: 0,
              holdRate: 0,
              leadFraction: null,
              estopAt: null,
              estopFor: 0,
              startFraction,
            });
          },
        ),
        fcParams(150),
      );
    });
  }
});
