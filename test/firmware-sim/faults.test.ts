import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { parseFaultCommand, parseScheduledFault } from '../../src/firmware-sim/faults.js';
import { HandSweep } from '../../src/firmware-sim/hand.js';
import { firmwareLimitsFromCalibration, limitEffort, limitPositionTarget, limitSide } from '../../src/firmware-sim/limits.js';

describe('fault requests', () => {
  test('scheduled faults: KIND@SECONDS[:AMOUNT], with defaults', () => {
    assert.deepEqual(parseScheduledFault('stall@3:1.5'), { kind: 'stall', amount: 1.5, atS: 3 });
    assert.deepEqual(parseScheduledFault('drop@0.5'), { kind: 'drop', amount: 10, atS: 0.5 });
    assert.deepEqual(parseScheduledFault('reboot-fault@12'), { kind: 'reboot-fault', amount: 0, atS: 12 });
    assert.deepEqual(parseScheduledFault('reset@1'), { kind: 'reset', amount: 0, atS: 1 });
    assert.deepEqual(parseScheduledFault('joints@1'), { kind: 'joints', amount: 1, atS: 1 });
    assert.deepEqual(parseScheduledFault('joints@1:3'), { kind: 'joints', amount: 3, atS: 1 });
    assert.throws(() => parseScheduledFault('stall'), /must look like KIND@SECONDS\[:AMOUNT\]/);
    assert.throws(
      () => parseScheduledFault('melt@3'),
      /unknown fault 'melt' \(kinds: stall, disconnect, garbage, drop, fault, reboot-fault, estop, reset, joints\)/,
    );
  });

  test('commands from stdin: KIND [AMOUNT]', () => {
    assert.deepEqual(parseFaultCommand('  garbage 0.25 '), { kind: 'garbage', amount: 0.25 });
    assert.deepEqual(parseFaultCommand('disconnect'), { kind: 'disconnect', amount: 1 });
    assert.throws(() => parseFaultCommand('stall -1'), /'-1' is not a number >= 0/);
    assert.throws(() => parseFaultCommand('stall 1 2'), /must be KIND \[AMOUNT\]/);
  });
});

describe('last-resort limits', () => {
  const limits = { minPositionRad: -1, maxPositionRad: 1, maxVelocityRadS: 2, maxEffortNm: 0.5 };

  test('position targets: clamped into range (flagged), then rate-limited from the applied target (following at full speed is not a clamp)', () => {
    assert.deepEqual(limitPositionTarget(limits, 0.01, 0, 0.02), { targetRad: 0.01, clamped: false });
    assert.deepEqual(limitPositionTarget(limits, 0.5, 0, 0.02), { targetRad: 0.04, clamped: false });
    assert.deepEqual(limitPositionTarget(limits, 5, 0.99, 0.02), { targetRad: 1, clamped: true });
    assert.deepEqual(limitPositionTarget(limits, -5, -0.99, 0.02), { targetRad: -1, clamped: true });
  });

  test('efforts and limit sides', () => {
    assert.deepEqual(limitEffort(limits, -0.7), { effortNm: -0.5, clamped: true });
    assert.deepEqual(limitEffort({ ...limits, maxEffortNm: null }, 9), { effortNm: 9, clamped: false });
    assert.deepEqual([limitSide(limits, -1), limitSide(limits, 0), limitSide(limits, 1.2)], [-1, 0, 1]);
  });

  test('calibration limits in raw units follow offset and direction', () => {
    const calibration = loadCalibration('sim-reacher');
    calibration.joints[0].offsetRad = 0.5;
    calibration.joints[0].direction = -1;
    const [first] = firmwareLimitsFromCalibration(calibration);
    // joint = -(raw - 0.5) ∈ [-2.6, 2.6]  ⇔  raw ∈ [-2.1, 3.1]
    assert.ok(Math.abs(first.minPositionRad! + 2.1) < 1e-12 && Math.abs(first.maxPositionRad! - 3.1) < 1e-12);
  });
});

describe('the simulated operator', () => {
  test('sweeps each joint from home to both ends and back, then rests at home', () => {
    const calibration = loadCalibration('sim-reacher');
    const hand = new HandSweep(calibration, { periodS: 4, durationS: 6 });
    const out = new Float64Array(2);
    let low = Infinity;
    let high = -Infinity;
    let previous = 0;
    for (let t = 0; t <= 10; t += 0.01) {
      hand.targetAt(t, out);
      low = Math.min(low, out[0]);
      high = Math.max(high, out[0]);
      assert.ok(Math.abs(out[0] - previous) < 0.06, `no jump at ${t.toFixed(2)} s`);
      previous = out[0];
    }
    assert.ok(Math.abs(low + 2.59) < 0.03 && Math.abs(high - 2.59) < 0.03, `swept ${low}..${high}`);
    hand.targetAt(8.5, out);
    assert.deepEqual([...out], [0, 0], 'two whole sweeps (8 s), then home');
    assert.deepEqual([hand.doneAt(7.99), hand.doneAt(8)], [false, true]);
    assert.throws(() => new HandSweep(loadCalibration('pendulum'), { periodS: 1, durationS: 1 }), /position-servo twins only/);
  });
});
