import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCalibration } from '../../src/calibration/load.js';
import type { Calibration, JointLimits } from '../../src/calibration/types.js';
import { SafetyFilter } from '../../src/safety/filter.js';
import { Reason, SafetyStatus, describeReasons } from '../../src/safety/reasons.js';
import { SafetyError, safetySpecFromCalibration, type SafetySpec } from '../../src/safety/spec.js';
import { LimitChecker, perfectReading, positionSpec } from './helpers.js';

const LIMITS: JointLimits = {
  minPositionRad: -1,
  maxPositionRad: 1,
  softMarginRad: 0.1,
  maxVelocityRadS: 2,
  maxAccelerationRadS2: 10,
  maxJerkRadS3: 100,
  maxEffortNm: null,
};

function twoJointFilter(maxLeadRad: number | null = null): SafetyFilter {
  const filter = new SafetyFilter({ ...positionSpec(100, [LIMITS, LIMITS], maxLeadRad), maxReadingAgeUs: 25_000 });
  filter.reset([0, 0]);
  return filter;
}

function effortSpec(): SafetySpec {
  const limits: JointLimits = { ...LIMITS, maxEffortNm: 2 };
  return {
    controlHz: 100,
    commandMode: 'effort',
    maxReadingAgeUs: 25_000,
    // Slew 20 N·m/s: 0.2 N·m per tick.
    joints: [{ name: 'e0', limits, maxLeadRad: null, maxEffortRateNmS: 20 }],
  };
}

/** Drives a filter towards `target` on every joint for `ticks` ticks with a perfect reading. */
function drive(filter: SafetyFilter, target: number, ticks: number): void {
  const raw = new Float64Array(filter.jointCount).fill(target);
  const reading = perfectReading(filter.jointCount);
  for (let t = 0; t < ticks; t++) {
    reading.positionRad.set(filter.output.applied);
    filter.step(raw, reading);
  }
}

describe('SafetyFilter (position mode)', () => {
  test('a reachable target passes unchanged', () => {
    const filter = twoJointFilter();
    // From rest, q' = q + h^3 j: 1e-5 rad needs j = 10 rad/s³ <= 100.
    const status = filter.step(Float64Array.of(1e-5, -1e-5), perfectReading(2));
    assert.equal(status, SafetyStatus.passed);
    assert.deepEqual([...filter.output.applied], [1e-5, -1e-5]);
    assert.deepEqual([...filter.output.reasons], [0, 0]);
    assert.equal(filter.output.interventionRms, 0);
  });

  test('a jump is limited by the jerk bound and measured', () => {
    const filter = twoJointFilter();
    const status = filter.step(Float64Array.of(0.5, 0), perfectReading(2));
    assert.equal(status, SafetyStatus.clamped);
    assert.equal(filter.output.reasons[0] & Reason.jerk, Reason.jerk);
    assert.equal(filter.output.reasons[1], 0);
    // One tick from rest: at most h^3 J = 1e-4 rad.
    assert.ok(filter.output.applied[0] > 0 && filter.output.applied[0] <= 1e-4 + 1e-18);
    assert.ok(Math.abs(filter.output.interventionAbs[0] - (0.5 - filter.output.applied[0])) < 1e-15);
    // Action units: the soft range [-0.9, 0.9] has half span 0.9; rms over the two joints.
    const expected = Math.sqrt(((filter.output.interventionAbs[0] / 0.9) ** 2 + 0) / 2);
    assert.ok(Math.abs(filter.output.interventionRms - expected) < 1e-15);
  });

  test('a reachable sine that starts away from the command catches up, then passes unchanged', () => {
    // 0.5 rad at 0.5 Hz: peak 1.57 rad/s, 4.9 rad/s², 15.5 rad/s³, all inside the limits; it starts at
    // full speed while the command rests.
    const filter = twoJointFilter();
    const reading = perfectReading(2);
    const statuses: number[] = [];
    for (let t = 0; t < 400; t++) {
      const x = 0.5 * Math.sin(Math.PI * t * 0.01);
      statuses.push(filter.step(Float64Array.of(x, x), reading));
    }
    assert.equal(statuses[1], SafetyStatus.clamped, 'the second target needs a jump the jerk limit forbids');
    const lastClamped = statuses.lastIndexOf(SafetyStatus.clamped);
    assert.ok(lastClamped > 0 && lastClamped < 150, `last clamped tick ${lastClamped}`);
  });

  test('targets beyond the soft range are clamped into it; beyond the hard range they are flagged too', () => {
    const filter = twoJointFilter();
    drive(filter, 0.95, 300);
    assert.equal(filter.output.applied[0], 0.9, 'rests on the soft limit');
    assert.equal(filter.output.reasons[0], Reason.softPosition);
    drive(filter, 1.5, 1);
    assert.equal(filter.output.reasons[0], Reason.softPosition | Reason.position);
    assert.equal(filter.output.applied[0], 0.9);
    assert.deepEqual(describeReasons(filter.output.reasons[0]), ['softPosition', 'position']);
  });

  test('NaN, ±Infinity and absurd targets hold: no motion from rest, and a moving command brakes to rest', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e30, -3.01]) {
      const filter = twoJointFilter();
      const raw = Float64Array.of(0.3, bad);
      assert.equal(filter.step(raw, perfectReading(2)), SafetyStatus.invalidTarget, `${bad}`);
      assert.deepEqual([...filter.output.applied], [0, 0]);
      assert.deepEqual([...filter.output.reasons], [Reason.invalidTarget, Reason.invalidTarget]);
      assert.deepEqual([...filter.output.interventionAbs], [0, 0]);
    }
    // -2.99 lies within one span (2 rad) of the hard range: clamped, not refused.
    const filter = twoJointFilter();
    assert.equal(filter.step(Float64Array.of(0, -2.99), perfectReading(2)), SafetyStatus.clamped);

    const moving = twoJointFilter();
    const checker = new LimitChecker(LIMITS, 100, 0);
    for (let t = 0; t < 40; t++) {
      drive(moving, 0.8, 1);
      checker.push(moving.output.applied[0]);
    }
    assert.ok(moving.commandState.velocityRadS[0] > 1, 'moving fast');
    const history: number[] = [];
    let ticks = 0;
    while (!(moving.commandState.velocityRadS[0] === 0 && moving.commandState.accelerationRadS2[0] === 0)) {
      assert.equal(moving.step(Float64Array.of(Number.NaN, 0), perfectReading(2)), SafetyStatus.invalidTarget);
      checker.push(moving.output.applied[0]);
      history.push(moving.output.applied[0]);
      ticks++;
      assert.ok(ticks < 200, 'did not come to rest');
    }
    assert.ok(ticks > 5, 'braking takes time: it does not stop dead');
    const rest = moving.output.applied[0];
    for (let t = 0; t < 10; t++) {
      moving.step(Float64Array.of(Number.NaN, 0), perfectReading(2));
      assert.equal(moving.output.applied[0], rest, 'holds bit for bit once at rest');
    }
    checker.assertWithin('braking on invalid targets');
    for (let t = 1; t < history.length; t++) assert.ok(history[t] >= history[t - 1], 'never reverses while braking');
  });

  test('stale, absent and partial readings hold', () => {
    const filter = twoJointFilter();
    const reading = perfectReading(2);
    reading.ageUs = 30_000;
    assert.equal(filter.step(Float64Array.of(0.1, 0.1), reading), SafetyStatus.staleReading);
    assert.equal(filter.output.reasons[0], Reason.staleReading);
    assert.equal(filter.step(Float64Array.of(0.1, 0.1), null), SafetyStatus.staleReading);
    const partial = perfectReading(2);
    partial.positionRad[1] = Number.NaN;
    assert.equal(filter.step(Float64Array.of(0.1, 0.1), partial), SafetyStatus.staleReading);
    assert.equal(filter.output.reasons[0], Reason.missingReading);
    assert.deepEqual([...filter.output.applied], [0, 0]);
    // An explicit hold needs no reading.
    assert.equal(filter.step(null, null), SafetyStatus.held);
  });

  test('the lead bound pulls the target towards the measured position', () => {
    const filter = twoJointFilter(0.05);
    const reading = perfectReading(2);
    for (let t = 0; t < 300; t++) filter.step(Float64Array.of(0.5, 0), reading);
    // The robot has not moved: the command may lead it by 0.05 rad at most.
    assert.equal(filter.output.applied[0], 0.05);
    assert.equal(filter.output.reasons[0], Reason.lead);
    assert.equal(filter.output.reasons[1], 0);
  });

  test('e-stop: immediate, frozen, latched with its reason until cleared; then resumes from rest', () => {
    const filter = twoJointFilter();
    drive(filter, 0.8, 30);
    const frozen = Float64Array.from(filter.output.applied);
    assert.ok(filter.commandState.velocityRadS[0] > 0.5);
    filter.estop('operator pressed the button');
    assert.ok(filter.estopped);
    assert.equal(filter.estopTick, 30);
    filter.estop('second press');
    assert.equal(filter.estopReason, 'operator pressed the button', 'keeps the first reason');
    for (let t = 0; t < 20; t++) {
      assert.equal(filter.step(Float64Array.of(0.8, 0.8), perfectReading(2)), SafetyStatus.estopped);
      assert.deepEqual([...filter.output.applied], [...frozen]);
      assert.equal(filter.output.reasons[0], Reason.estop);
    }
    // A reset does not clear it.
    filter.reset([0.1, 0.1]);
    assert.equal(filter.step(Float64Array.of(0.8, 0.8), perfectReading(2)), SafetyStatus.estopped);
    assert.deepEqual([...filter.output.applied], [0.1, 0.1]);
    filter.clearEStop();
    assert.equal(filter.estopReason, null);
    const checker = new LimitChecker(LIMITS, 100, 0.1);
    for (let t = 0; t < 100; t++) {
      drive(filter, 0.8, 1);
      checker.push(filter.output.applied[0]);
    }
    checker.assertWithin('after clearing');
    assert.ok(filter.output.applied[0] > 0.1);
  });

  test('misuse throws a SafetyError naming the field', () => {
    const unset = new SafetyFilter(positionSpec(100, [LIMITS]));
    assert.throws(() => unset.step(Float64Array.of(0), perfectReading(1)), /before reset/);
    assert.throws(
      () => unset.reset([1.5]),
      (e: unknown) => e instanceof SafetyError && /reset\(positionRad\)\[0\] \(j0\)/.test(e.message) && /hard range/.test(e.message),
    );
    assert.throws(() => unset.reset([Number.NaN]), SafetyError);
    assert.throws(() => unset.reset([0, 0]), /needs 1 positions/);
    assert.throws(
      () => new SafetyFilter(positionSpec(100, [{ ...LIMITS, maxJerkRadS3: 0 }])),
      (e: unknown) => e instanceof SafetyError && e.message === 'joints[0] (j0).limits.maxJerkRadS3 = 0: must be finite and > 0',
    );
    assert.throws(
      () => new SafetyFilter(positionSpec(100, [{ ...LIMITS, minPositionRad: null, maxPositionRad: null }])),
      /required in position mode/,
    );
    assert.throws(
      () => new SafetyFilter(positionSpec(1000, [{ ...LIMITS, maxAccelerationRadS2: 0.001 }])),
      /brake of A\/\(hJ\) \+ V\/\(hA\)/,
    );
    assert.throws(() => new SafetyFilter(positionSpec(100, [{ ...LIMITS, softMarginRad: 1 }])), /more than 2 softMarginRad/);
    assert.throws(() => new SafetyFilter(positionSpec(100, [LIMITS], -0.1)), /maxLeadRad = -0.1/);
  });

  test('why the stopping envelope: clamping jerk, then acceleration, velocity, position crosses the limit', () => {
    const h = 0.01;
    const { maxPositionRad, maxVelocityRadS: vmax, maxAccelerationRadS2: amax, maxJerkRadS3: jmax } = LIMITS;
    // The naive limiter a libfranka-style rate limit would be without look-ahead, pushed at the upper limit.
    let q = 0;
    let v = 0;
    let a = 0;
    let naiveMax = 0;
    for (let t = 0; t < 200; t++) {
      const target = maxPositionRad!;
      let next = ((target - q) / h - v) / h;
      next = Math.min(a + jmax * h, Math.max(a - jmax * h, next));
      next = Math.min(amax, Math.max(-amax, next));
      let nv = Math.min(vmax, Math.max(-vmax, v + h * next));
      let nq = q + h * nv;
      if (nq > maxPositionRad!) {
        nq = maxPositionRad!;
        nv = (nq - q) / h;
      }
      next = (nv - v) / h;
      naiveMax = Math.max(naiveMax, Math.abs(next - a) / h);
      q = nq;
      v = nv;
      a = next;
    }
    assert.ok(naiveMax > 10 * jmax, `the naive limiter had to jerk at ${naiveMax} rad/s³ to stay in range`);
    const filter = new SafetyFilter(positionSpec(100, [{ ...LIMITS, softMarginRad: 0 }]));
    filter.reset([0]);
    const checker = new LimitChecker({ ...LIMITS, softMarginRad: 0 }, 100, 0);
    for (let t = 0; t < 200; t++) {
      filter.step(Float64Array.of(maxPositionRad!), perfectReading(1));
      checker.push(filter.output.applied[0]);
    }
    checker.assertWithin('filter at the limit');
    assert.equal(filter.output.applied[0], maxPositionRad, 'arrives exactly on the limit, at rest');
  });
});

describe('SafetyFilter (effort mode)', () => {
  const reading = { positionRad: new Float64Array(1), velocityRadS: new Float64Array(1), ageUs: 0 };

  test('clamps to ±maxEffortNm and rises at the slew rate', () => {
    const filter = new SafetyFilter(effortSpec());
    const applied: number[] = [];
    for (let t = 0; t < 15; t++) {
      filter.step(Float64Array.of(5), reading);
      applied.push(filter.output.applied[0]);
    }
    assert.ok(Math.abs(applied[0] - 0.2) < 1e-15);
    assert.equal(filter.output.reasons[0], Reason.effort);
    assert.ok(Math.abs(applied[4] - 1) < 1e-12);
    assert.equal(applied[14], 2);
    filter.step(Float64Array.of(5), reading);
    assert.equal(filter.output.reasons[0], Reason.effort);
    filter.step(Float64Array.of(-2), reading);
    assert.equal(filter.output.reasons[0], Reason.effortRate);
    assert.ok(Math.abs(filter.output.applied[0] - 1.8) < 1e-12);
  });

  test('NaN, a stale reading and the e-stop drop the effort to zero at once', () => {
    const filter = new SafetyFilter(effortSpec());
    for (let t = 0; t < 20; t++) filter.step(Float64Array.of(1.5), reading);
    assert.equal(filter.output.applied[0], 1.5);
    assert.equal(filter.step(Float64Array.of(Number.NaN), reading), SafetyStatus.invalidTarget);
    assert.equal(filter.output.applied[0], 0);
    for (let t = 0; t < 20; t++) filter.step(Float64Array.of(1.5), reading);
    assert.equal(filter.step(Float64Array.of(1.5), { ...reading, ageUs: 1e6 }), SafetyStatus.staleReading);
    assert.equal(filter.output.applied[0], 0);
    assert.equal(filter.step(Float64Array.of(1.5), { ...reading, velocityRadS: Float64Array.of(Number.NaN) }), SafetyStatus.staleReading);
    filter.estop('signal SIGUSR1');
    assert.equal(filter.step(Float64Array.of(1.5), reading), SafetyStatus.estopped);
    assert.equal(filter.output.applied[0], 0);
    assert.equal(filter.step(Float64Array.of(7), reading), SafetyStatus.estopped, 'absurd input changes nothing while e-stopped');
  });

  test('cuts an effort that pushes beyond the soft range or past the velocity limit', () => {
    const filter = new SafetyFilter(effortSpec());
    for (let t = 0; t < 20; t++) filter.step(Float64Array.of(1), reading);
    filter.step(Float64Array.of(1), { ...reading, positionRad: Float64Array.of(0.95) });
    assert.equal(filter.output.applied[0], 0);
    assert.equal(filter.output.reasons[0], Reason.softPosition);
    filter.step(Float64Array.of(-1), { ...reading, positionRad: Float64Array.of(0.95) });
    assert.ok(Math.abs(filter.output.applied[0] + 0.2) < 1e-15, 'pulling back in is allowed, slew-limited');
    for (let t = 0; t < 20; t++) filter.step(Float64Array.of(1), reading);
    filter.step(Float64Array.of(1), { ...reading, velocityRadS: Float64Array.of(2.5) });
    assert.equal(filter.output.applied[0], 0);
    assert.equal(filter.output.reasons[0], Reason.velocity);
  });
});

describe('safetySpecFromCalibration', () => {
  // Through the loader, so that the test keeps up with fields the calibration format gains.
  const calibration: Calibration = parseCalibration(
    {
      schemaVersion: 1,
      robot: 'arm',
      description: 'two joints',
      controlHz: 200,
      commandMode: 'position',
      joints: [
        { name: 'shoulder', offsetRad: 0, direction: 1, homeRad: 0, limits: LIMITS },
        { name: 'elbow', offsetRad: 0, direction: -1, homeRad: 0, limits: { ...LIMITS, maxEffortNm: 4 } },
      ],
      safety: { maxLeadRad: null, effortRiseTimeS: 0.05 },
    },
    '/dev/null',
  );

  test('defaults: no lead bound, reading age 2.5 periods, effort rise 50 ms', () => {
    const spec = safetySpecFromCalibration(calibration);
    assert.equal(spec.maxReadingAgeUs, 12_500);
    assert.equal(spec.joints[0].maxLeadRad, null);
    assert.equal(spec.joints[0].maxEffortRateNmS, Number.POSITIVE_INFINITY);
    assert.equal(spec.joints[1].maxEffortRateNmS, 80);
    assert.equal(spec.joints[1].limits, calibration.joints[1].limits);
  });

  test("the calibration's safety section gives the defaults; 0 s rise time means no slew limit", () => {
    const spec = safetySpecFromCalibration({ ...calibration, safety: { maxLeadRad: 0.4, effortRiseTimeS: 0 } });
    assert.deepEqual(
      spec.joints.map((j) => j.maxLeadRad),
      [0.4, 0.4],
    );
    assert.equal(spec.joints[1].maxEffortRateNmS, Number.POSITIVE_INFINITY);
    assert.equal(
      safetySpecFromCalibration({ ...calibration, safety: { maxLeadRad: 0.4, effortRiseTimeS: 0 } }, { maxLeadRad: null }).joints[0]
        .maxLeadRad,
      null,
    );
    assert.throws(() => safetySpecFromCalibration(calibration, { effortRiseTimeS: -1 }), /must be >= 0/);
  });

  test('options: one lead for all, or one per joint', () => {
    assert.deepEqual(
      safetySpecFromCalibration(calibration, { maxLeadRad: 0.2 }).joints.map((j) => j.maxLeadRad),
      [0.2, 0.2],
    );
    assert.deepEqual(
      safetySpecFromCalibration(calibration, { maxLeadRad: [null, 0.3] }).joints.map((j) => j.maxLeadRad),
      [null, 0.3],
    );
    assert.throws(() => safetySpecFromCalibration(calibration, { maxLeadRad: [0.1] }), /lists 1 values for 2 joints/);
    const filter = SafetyFilter.fromCalibration(calibration, { maxReadingAgeUs: 1 });
    assert.equal(filter.spec.maxReadingAgeUs, 1);
  });
});
