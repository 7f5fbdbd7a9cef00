import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContinuityCostAccumulator, continuityCost } from '../../src/metrics/continuity.js';
import { highFrequencyShare, meanSquaredJerk } from '../../src/metrics/smoothness.js';

describe('continuity cost (gSDE paper definition)', () => {
  test('hand-computed: one joint over [-1, 1]', () => {
    // Changes 0.5, -1.0, 0 over a range of 2: c = 0.0625, 0.25, 0 → mean 0.104166..., ×100
    const cost = continuityCost([[0], [0.5], [-0.5], [-0.5]], [-1], [1]);
    assert.ok(Math.abs(cost - (100 * (0.0625 + 0.25 + 0)) / 3) < 1e-12, `got ${cost}`);
  });

  test('hand-computed: two joints with different ranges average over joints', () => {
    // joint 0 range 2 (change 1 → 0.25), joint 1 range 10 (change 5 → 0.25, change 0 → 0)
    const accumulator = new ContinuityCostAccumulator([-1, 0], [1, 10]);
    accumulator.add([0, 0]);
    accumulator.add([1, 5]);
    accumulator.add([1, 5]);
    // steps: c1 = (0.25 + 0.25)/2 = 0.25, c2 = 0 → mean 0.125 → 12.5
    assert.equal(accumulator.cost(), 12.5);
    assert.deepEqual(accumulator.costPerJoint(), [12.5, 12.5]);
  });

  test('constant action costs 0, full-range jumps every step cost 100', () => {
    assert.equal(continuityCost([[0.3], [0.3], [0.3]], [-1], [1]), 0);
    assert.equal(continuityCost([[-1], [1], [-1], [1]], [-1], [1]), 100);
  });

  test('a single step has no cost (NaN), and reset starts a new episode', () => {
    const accumulator = new ContinuityCostAccumulator([-1], [1]);
    accumulator.add([0]);
    assert.ok(Number.isNaN(accumulator.cost()));
    accumulator.add([1]);
    assert.equal(accumulator.cost(), 25);
    accumulator.reset();
    accumulator.add([-1]);
    assert.ok(Number.isNaN(accumulator.cost()), 'the first step after reset has no predecessor');
  });

  test('rejects an empty range', () => {
    assert.throws(() => new ContinuityCostAccumulator([1], [1]), /range of dimension 0 must be positive/);
  });
});

describe('smoothness measures', () => {
  test('mean squared jerk of a cubic equals its constant third derivative squared', () => {
    // c(t) = t^3 with dt = 0.1: third difference = 6 dt^3 → jerk 6 exactly.
    const dt = 0.1;
    const commands = Array.from({ length: 10 }, (_, i) => [(i * dt) ** 3]);
    assert.ok(Math.abs(meanSquaredJerk(commands, dt) - 36) < 1e-6);
    const line = Array.from({ length: 10 }, (_, i) => [2 * i]);
    assert.ok(Math.abs(meanSquaredJerk(line, dt)) < 1e-9, 'a ramp has no jerk');
    assert.ok(Number.isNaN(meanSquaredJerk([[0], [1], [2]], dt)));
  });

  test('high-frequency share: slow sine ≈ 0, fast sine ≈ 1, alternating = 1', () => {
    const hz = 50;
    const slow = Array.from({ length: 100 }, (_, t) => [Math.sin((2 * Math.PI * 1 * t) / hz)]);
    const fast = Array.from({ length: 100 }, (_, t) => [Math.sin((2 * Math.PI * 20 * t) / hz)]);
    const alternating = Array.from({ length: 100 }, (_, t) => [t % 2 === 0 ? 1 : -1]);
    assert.ok(highFrequencyShare(slow, hz, 5) < 1e-9);
    assert.ok(highFrequencyShare(fast, hz, 5) > 1 - 1e-9);
    assert.ok(Math.abs(highFrequencyShare(alternating, hz, 5) - 1) < 1e-12);
    assert.ok(Number.isNaN(highFrequencyShare([[1], [1], [1], [1]], hz, 5)), 'no energy: undefined share');
  });

  test('high-frequency share of two equal-power sines is one half', () => {
    const hz = 50;
    const mixed = Array.from({ length: 200 }, (_, t) => [Math.sin((2 * Math.PI * 2 * t) / hz) + Math.sin((2 * Math.PI * 15 * t) / hz)]);
    assert.ok(Math.abs(highFrequencyShare(mixed, hz, 5) - 0.5) < 1e-9);
  });
});
