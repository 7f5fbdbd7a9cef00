import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JointLimits } from '../../src/calibration/types.js';
import { SafetyFilter } from '../../src/safety/filter.js';
import { AT_STOP_TOLERANCE_RAD, HomingTrajectory, drawPoseInBox, homingStart } from '../../src/safety/homing.js';
import { SafetyStatus } from '../../src/safety/reasons.js';
import { SafetyError } from '../../src/safety/spec.js';
import { LimitChecker, RawStream, Rng, STREAM_KINDS, arbitraryPositionSpec, fcParams, perfectReading, positionSpec } from './helpers.js';

/**
 * Runs a homing of `filter`'s command through `filter` until `next` reports arrival; returns the
 * applied commands, the statuses seen and the largest gap between a homing command and the applied one.
 */
function home(
  filter: SafetyFilter,
  homing: HomingTrajectory,
  target: readonly number[],
  maxTicks: number,
): { commands: Float64Array[]; statuses: Set<number>; maxGapRad: number } {
  homing.start(filter, target);
  const out = new Float64Array(filter.jointCount);
  const reading = perfectReading(filter.jointCount);
  const commands: Float64Array[] = [];
  const statuses = new Set<number>();
  let maxGapRad = 0;
  while (!homing.next(out)) {
    assert.ok(homing.ticks <= maxTicks, `not done after ${maxTicks} ticks`);
    reading.positionRad.set(filter.output.applied);
    statuses.add(filter.step(out, reading));
    for (let i = 0; i < out.length; i++) maxGapRad = Math.max(maxGapRad, Math.abs(out[i] - filter.output.applied[i]));
    commands.push(Float64Array.from(filter.output.applied));
  }
  assert.deepEqual([...out], target, 'next() reports arrival with the target');
  return { commands, statuses, maxGapRad };
}

describe('HomingTrajectory', () => {
  test('known answer, worked by hand: h = 1 s, V = 3, A = 2, J = 1, from 0 to 15', () => {
    // Accelerate: a = 1 (v 1), 1.5 (v 2.5, F(1.5) = 2 absorbs the last 0.5 below V), 0.5 (v 3); cruise at 3
    // while the stopping point (2.5 ahead) stays at or before 15; then brake a = -1 (v 2), follow
    // exactly onto 15 (v 0.5, a -1.5), then v 0 and a 0.
    const limits: JointLimits = {
      minPositionRad: -1,
      maxPositionRad: 20,
      softMarginRad: 0.5,
      maxVelocityRadS: 3,
      maxAccelerationRadS2: 2,
      maxJerkRadS3: 1,
      maxEffortNm: null,
    };
    const spec = positionSpec(1, [limits]);
    const filter = new SafetyFilter(spec);
    filter.reset([0]);
    const { commands, statuses } = home(filter, new HomingTrajectory(spec), [15], 100);
    assert.deepEqual(
      commands.map((c) => c[0]),
      [1, 3.5, 6.5, 9.5, 12.5, 14.5, 15, 15, 15],
    );
    assert.deepEqual([...statuses], [SafetyStatus.passed]);
    assert.ok(filter.commandState.velocityRadS[0] === 0 && filter.commandState.accelerationRadS2[0] === 0, 'at rest');
  });

  test('known answer, exact binary fractions: h = 1/128 s, V = 1, A = 8, jerk unbounded in effect, from 0 to 1', () => {
    // v rises by hA = 1/16 per tick: 16 ticks to V covering (1/2048) (1 + ... + 16) = 0.06640625; the
    // brake from V covers (1/2048) (15 + ... + 1) = 0.05859375; so 112 ticks of cruise (0.875) fill the
    // metre; then one more tick brings a from -8 to 0: 16 + 112 + 16 + 1 = 145 ticks.
    const limits: JointLimits = {
      minPositionRad: -0.5,
      maxPositionRad: 1.5,
      softMarginRad: 0.25,
      maxVelocityRadS: 1,
      maxAccelerationRadS2: 8,
      maxJerkRadS3: 1e6,
      maxEffortNm: null,
    };
    const spec = positionSpec(128, [limits]);
    const filter = new SafetyFilter(spec);
    filter.reset([0]);
    const homing = new HomingTrajectory(spec);
    const { commands, statuses } = home(filter, homing, [1], 1000);
    assert.equal(homing.ticks, 145);
    assert.equal(commands[15][0], 0.06640625);
    assert.equal(commands[127][0], 0.94140625);
    assert.equal(commands[143][0], 1);
    assert.equal(commands[144][0], 1);
    let peak = 0;
    for (let t = 1; t < commands.length; t++) peak = Math.max(peak, (commands[t][0] - commands[t - 1][0]) * 128);
    assert.equal(peak, 1);
    assert.deepEqual([...statuses], [SafetyStatus.passed]);
  });

  test('from a command in motion it brakes first, and a limit scale slows the move', () => {
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
    const durations: number[] = [];
    for (const limitScale of [1, 0.25]) {
      const filter = new SafetyFilter(spec);
      filter.reset([-0.5]);
      const reading = perfectReading(1);
      for (let t = 0; t < 40; t++) filter.step(Float64Array.of(0.8), reading);
      assert.ok(filter.commandState.velocityRadS[0] > 1.5);
      const homing = new HomingTrajectory(spec, { limitScale });
      const { commands, statuses } = home(filter, homing, [-0.5], 5000);
      assert.deepEqual([...statuses], [SafetyStatus.passed]);
      assert.equal(commands.at(-1)![0], -0.5);
      // After the brake, the scaled move never exceeds the scaled velocity limit.
      const speeds = commands.slice(1).map((c, t) => Math.abs(c[0] - commands[t][0]) * 100);
      const firstRest = speeds.indexOf(0);
      assert.ok(firstRest > 0);
      assert.ok(Math.max(...speeds.slice(firstRest)) <= limitScale * 2 * (1 + 1e-9));
      durations.push(homing.ticks);
    }
    assert.ok(durations[1] > 2 * durations[0], `${durations}`);
  });

  test('property: through the filter unchanged, inside every limit, ending at rest exactly on the target', () => {
    fc.assert(
      fc.property(
        arbitraryPositionSpec(3),
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.constantFrom(...STREAM_KINDS),
        fc.integer({ min: 0, max: 300 }),
        fc.constantFrom(1, 0.5, 0.1),
        (spec, seed, kind, warmup, limitScale) => {
          const rng = new Rng(seed);
          const filter = new SafetyFilter(spec);
          const start = spec.joints.map(({ limits: l }) => rng.uniformIn(l.minPositionRad!, l.maxPositionRad!));
          filter.reset(start);
          const checkers = spec.joints.map((j, i) => new LimitChecker(j.limits, spec.controlHz, start[i]));
          const stream = new RawStream(kind, spec, rng);
          const raw = new Float64Array(spec.joints.length);
          const reading = perfectReading(spec.joints.length);
          for (let t = 0; t < warmup; t++) {
            stream.fill(t, raw);
            filter.step(raw, reading);
            checkers.forEach((c, i) => c.push(filter.output.applied[i]));
          }
          const target = spec.joints.map(({ limits: l }) =>
            rng.uniformIn(l.minPositionRad! + l.softMarginRad, l.maxPositionRad! - l.softMarginRad),
          );
          const h = 1 / spec.controlHz;
          // A generous bound on the duration: a brake, then a move across the range, at the scaled limits.
          const bound = spec.joints.reduce((worst, { limits: l }) => {
            const v = limitScale * l.maxVelocityRadS;
            const a = limitScale * l.maxAccelerationRadS2;
            const j = limitScale * l.maxJerkRadS3;
            const ticks = 4 * (a / (h * j) + v / (h * a) + 2) + (l.maxPositionRad! - l.minPositionRad!) / (h * v);
            return Math.max(worst, ticks);
          }, 0);
          const { commands, statuses, maxGapRad } = home(
            filter,
            new HomingTrajectory(spec, { limitScale }),
            target,
            Math.ceil(2 * bound) + 50,
          );
          assert.equal(maxGapRad, 0, 'the filter changed a homing command');
          assert.ok([...statuses].every((s) => s === SafetyStatus.passed));
          commands.forEach((c) => checkers.forEach((checker, i) => checker.push(c[i])));
          checkers.forEach((checker, i) => checker.assertWithin(`homing joint ${i}`));
          assert.deepEqual([...commands.at(-1)!], target);
          assert.ok(filter.commandState.velocityRadS.every((v) => v === 0));
          assert.ok(filter.commandState.accelerationRadS2.every((a) => a === 0));
        },
      ),
      fcParams(600),
    );
  });

  test('misuse throws a SafetyError', () => {
    const limits: JointLimits = {
      minPositionRad: -1,
      maxPositionRad: 1,
      softMarginRad: 0.1,
      maxVelocityRadS: 2,
      maxAccelerationRadS2: 10,
      maxJerkRadS3: 100,
      maxEffortNm: 1,
    };
    const spec = positionSpec(100, [limits]);
    const homing = new HomingTrajectory(spec);
    assert.throws(() => homing.next(new Float64Array(1)), /before start/);
    const filter = new SafetyFilter(spec);
    filter.reset([0]);
    assert.throws(
      () => homing.start(filter, [0.95]),
      (e: unknown) => e instanceof SafetyError && /targetRad\[0\] \(j0\) = 0.95/.test(e.message),
    );
    assert.throws(() => homing.start(filter, [0, 0]), /has 2 values for 1 joints/);
    const twoJoints = new SafetyFilter(positionSpec(100, [limits, limits]));
    assert.throws(() => homing.start(twoJoints, [0]), /position-mode filter of 1 joints/);
    assert.throws(() => new HomingTrajectory(spec, { limitScale: 0 }), /limitScale = 0/);
    assert.throws(() => new HomingTrajectory({ ...spec, commandMode: 'effort' }), /needs commandMode 'position'/);
  });
});

describe('drawPoseInBox', () => {
  const limits: JointLimits = {
    minPositionRad: -1,
    maxPositionRad: 1,
    softMarginRad: 0.1,
    maxVelocityRadS: 2,
    maxAccelerationRadS2: 10,
    maxJerkRadS3: 100,
    maxEffortNm: null,
  };
  const spec = positionSpec(100, [limits, limits]);

  test('draws inside the box, reproducibly from the seed', () => {
    const a = new Float64Array(2);
    const b = new Float64Array(2);
    const rngA = new Rng(7);
    const rngB = new Rng(7);
    for (let k = 0; k < 1000; k++) {
      drawPoseInBox(rngA, [-0.5, 0.2], [0.5, 0.3], spec, a);
      drawPoseInBox(rngB, [-0.5, 0.2], [0.5, 0.3], spec, b);
      assert.deepEqual(a, b);
      assert.ok(a[0] >= -0.5 && a[0] < 0.5 && a[1] >= 0.2 && a[1] < 0.3);
    }
  });

  test('rejects a box outside the soft range', () => {
    const out = new Float64Array(2);
    assert.throws(() => drawPoseInBox(new Rng(1), [-0.95, 0], [0, 0], spec, out), /box\[0\] \(j0\) = \[-0.95, 0\]/);
    assert.throws(() => drawPoseInBox(new Rng(1), [0, 0.5], [0, 0.4], spec, out), /box\[1\]/);
  });
});

describe('homingStart', () => {
  const limits = [
    { minPositionRad: -1, maxPositionRad: 1 },
    { minPositionRad: null, maxPositionRad: null },
  ];

  test('a joint resting on a stop, up to the tolerance past its range, starts at the end of the range', () => {
    const start = homingStart(Float64Array.of(1 + AT_STOP_TOLERANCE_RAD, 7), limits);
    assert.deepEqual([...start], [1, 7], 'past the high end: at the high end; an unbounded joint as read');
    assert.deepEqual([...homingStart(Float64Array.of(-1 - AT_STOP_TOLERANCE_RAD / 2, 0), limits)], [-1, 0]);
    assert.deepEqual([...homingStart(Float64Array.of(0.3, 0), limits)], [0.3, 0], 'inside the range: as read');
  });

  test('farther past is kept as read, and homing from there is refused', () => {
    const reading = Float64Array.of(1 + 2 * AT_STOP_TOLERANCE_RAD);
    const start = homingStart(reading, limits.slice(0, 1));
    assert.deepEqual([...start], [...reading]);
    const spec = positionSpec(100, [
      {
        minPositionRad: -1,
        maxPositionRad: 1,
        softMarginRad: 0.1,
        maxVelocityRadS: 2,
        maxAccelerationRadS2: 10,
        maxJerkRadS3: 100,
        maxEffortNm: 1,
      },
    ]);
    const filter = new SafetyFilter(spec);
    assert.throws(() => {
      filter.reset(start);
      new HomingTrajectory(spec).start(filter, [0]);
    }, SafetyError);
  });

  test('reads only the calibrated joints of a longer reading, and never changes the reading', () => {
    const reading = Float64Array.of(1.01, 0, 5);
    const start = homingStart(reading, limits);
    assert.equal(start.length, 2);
    assert.deepEqual([...reading], [1.01, 0, 5]);
  });
});
