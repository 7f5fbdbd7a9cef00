import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { spearman } from '../../src/report/compare.js';
import { iqm, mean, paretoFront, quantile, sampleStd, stratifiedBootstrapCi, trimmedMean } from '../../src/report/stats.js';
import { Rng } from '../../src/util/rng.js';

const FC_SEED = Number(process.env['FC_SEED'] ?? 20211206);
const FC_RUNS = Number(process.env['FC_RUNS'] ?? 200);

describe('mean and standard deviation', () => {
  test('known answers', () => {
    assert.equal(mean([2, 4, 9]), 5);
    // Sample std of 2, 4, 4, 4, 5, 5, 7, 9: squares sum to 32, over n − 1 = 7.
    assert.ok(Math.abs(sampleStd([2, 4, 4, 4, 5, 5, 7, 9]) - Math.sqrt(32 / 7)) < 1e-12);
    assert.equal(sampleStd([3]), 0);
    assert.ok(Number.isNaN(mean([])));
  });
});

describe('interquartile mean (rliable: scipy.stats.trim_mean with 25 %)', () => {
  test('n divisible by 4: the middle half', () => {
    // 8 runs: cut 2 from each end, mean of 3, 4, 5, 6.
    assert.equal(iqm([8, 1, 7, 2, 6, 3, 5, 4]), 4.5);
    assert.equal(iqm([10, -100, 20, 1000]), 15);
  });

  test('fractional trimming: floor(0.25 n) from each end, never an interpolated share', () => {
    // n = 6: 0.25 × 6 = 1.5 → cut 1 from each end: mean(2, 4, 8, 16) = 7.5 (interpolating would give 7.0).
    assert.equal(iqm([16, 1, 100, 4, 2, 8]), 7.5);
    // n = 5: cut 1 → mean(2, 3, 4) = 3.
    assert.equal(iqm([5, 1, 4, 2, 3]), 3);
    // n = 3: 0.75 → nothing cut: the plain mean, outlier included.
    assert.equal(iqm([1, 2, 30]), 11);
    // n = 7: 1.75 → cut 1: mean(2, 3, 4, 5, 6) = 4.
    assert.equal(iqm([7, 6, 5, 4, 3, 2, -50]), 4);
  });

  test('trimmedMean rejects proportions outside [0, 0.5)', () => {
    assert.throws(() => trimmedMean([1, 2], 0.5), RangeError);
    assert.equal(trimmedMean([1, 2, 3, 4, 100], 0), 22);
  });

  test('property: within [min, max], independent of order, equal to the value for constant scores', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }), (values) => {
        const value = iqm(values);
        assert.ok(value >= Math.min(...values) - 1e-9 && value <= Math.max(...values) + 1e-9);
        assert.ok(Math.abs(iqm([...values].reverse()) - value) <= 1e-9 * Math.max(1, Math.abs(value)));
        assert.ok(Math.abs(iqm(values.map(() => values[0])) - values[0]) <= 1e-9 * Math.max(1, Math.abs(values[0])));
      }),
      { seed: FC_SEED, numRuns: FC_RUNS },
    );
  });
});

describe('quantile (numpy linear interpolation)', () => {
  test('known answers', () => {
    assert.equal(quantile([4, 1, 3, 2], 0.25), 1.75);
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([10], 0.975), 10);
    assert.equal(quantile([1, 2, 3, 4, 5], 1), 5);
  });
});

describe('stratified percentile bootstrap', () => {
  test('reproducible: the same seed gives the same interval, another seed another one', () => {
    const scores = [3.1, 4.7, 2.2, 5.9, 4.4, 3.8, 6.1, 2.9];
    const a = stratifiedBootstrapCi([scores], iqm, { reps: 500, confidence: 0.95, seed: 7 });
    const b = stratifiedBootstrapCi([scores], iqm, { reps: 500, confidence: 0.95, seed: 7 });
    const c = stratifiedBootstrapCi([scores], iqm, { reps: 500, confidence: 0.95, seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.low < iqm(scores) && iqm(scores) < a.high);
  });

  test('each stratum keeps its run count in every resample', () => {
    // Stratum A is all 0, stratum B all 1: the mean of any stratified resample is exactly |B| / total.
    const interval = stratifiedBootstrapCi(
      [
        [0, 0, 0],
        [1, 1, 1, 1, 1],
      ],
      mean,
      { reps: 300, confidence: 0.95, seed: 1 },
    );
    assert.equal(interval.low, 5 / 8);
    assert.equal(interval.high, 5 / 8);
  });

  test('covers the true mean in most of many synthetic trials', () => {
    const rng = new Rng(42);
    const trials = 200;
    const trueMean = 5;
    let covered = 0;
    for (let trial = 0; trial < trials; trial++) {
      const scores = Array.from({ length: 10 }, () => trueMean + 2 * rng.normal());
      const interval = stratifiedBootstrapCi([scores], iqm, { reps: 400, confidence: 0.95, seed: trial });
      if (interval.low <= trueMean && trueMean <= interval.high) covered++;
    }
    // Nominal 95 %; the percentile bootstrap undercovers a little with 10 runs. 200 trials: ± 3 % (1σ).
    assert.ok(covered / trials >= 0.85, `coverage ${covered / trials}`);
    assert.ok(covered / trials <= 0.995, `coverage ${covered / trials}: the interval is too wide to mean anything`);
  });

  test('no scores: NaN bounds', () => {
    const interval = stratifiedBootstrapCi([[]], iqm);
    assert.ok(Number.isNaN(interval.low) && Number.isNaN(interval.high));
  });
});

describe('Pareto front (lower x, higher y)', () => {
  test('known answer', () => {
    const points = [
      { x: 1, y: 1 }, // front: cheapest
      { x: 2, y: 3 }, // front
      { x: 3, y: 2 }, // dominated by (2, 3)
      { x: 4, y: 5 }, // front
      { x: 4, y: 4 }, // dominated by (4, 5)
      { x: Number.NaN, y: 9 }, // never on it
    ];
    assert.deepEqual(paretoFront(points), [0, 1, 3]);
  });
});

describe('Spearman rank correlation', () => {
  test('known answers', () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // Ranks (1, 2, 3) against (1, 3, 2): d² = 0 + 1 + 1 → 1 − 6·2 / (3·8) = 0.5.
    assert.ok(Math.abs(spearman([1, 2, 3], [5, 9, 7]) - 0.5) < 1e-12);
    assert.ok(Number.isNaN(spearman([1, 2], [2, 1])));
  });
});
