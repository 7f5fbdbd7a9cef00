import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  holmCorrection,
  improvementTest,
  pairedDifferences,
  pairedDifferenceTest,
  probabilityOfImprovement,
  type Test,
} from '../../src/report/inference.js';
import { mean, percentileInterval, stratifiedBootstrapDistribution } from '../../src/report/stats.js';
import { Rng } from '../../src/util/rng.js';

const FC_SEED = Number(process.env['FC_SEED'] ?? 20211206);
const FC_RUNS = Number(process.env['FC_RUNS'] ?? 100);
const BOOT = { reps: 1000, seed: 5 };

const bySeed = (values: readonly number[], offset = 0): Map<number, number> => new Map(values.map((value, seed) => [seed + offset, value]));

describe('probability of improvement (rliable: Mann–Whitney U over pairs, ties count half)', () => {
  test('hand-computed cases', () => {
    // x = (3, 5), y = (1, 3, 5): pairs 3>1 → 1, 3=3 → ½, 3<5 → 0, 5>1 → 1, 5>3 → 1, 5=5 → ½: 4 of 6.
    assert.equal(probabilityOfImprovement([[3, 5]], [[1, 3, 5]]), 4 / 6);
    // All ties: ½.
    assert.equal(probabilityOfImprovement([[2, 2]], [[2]]), 0.5);
    // Two tasks, averaged: task 1 x always higher (1), task 2 x never (0) → ½.
    assert.equal(probabilityOfImprovement([[10], [0]], [[1], [1]]), 0.5);
  });

  test('property: P(X > Y) + P(Y > X) = 1, within [0, 1]', () => {
    const scores = fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(scores, scores, (x, y) => {
        const forward = probabilityOfImprovement([x], [y]);
        assert.ok(forward >= 0 && forward <= 1);
        assert.ok(Math.abs(forward + probabilityOfImprovement([y], [x]) - 1) < 1e-12);
      }),
      { seed: FC_SEED, numRuns: FC_RUNS },
    );
  });

  test('a task without runs gives NaN; groups over different tasks are refused', () => {
    assert.ok(Number.isNaN(probabilityOfImprovement([[]], [[1]])));
    assert.throws(() => probabilityOfImprovement([[1]], [[1], [2]]), RangeError);
  });
});

describe('paired differences over matched seeds', () => {
  test('hand-computed: only the seeds both have, in seed order', () => {
    const x = new Map([
      [2, 6],
      [0, 5],
      [1, 7],
      [7, 100], // y has no seed 7
    ]);
    const y = new Map([
      [0, 4],
      [1, 7],
      [2, 3],
      [3, 9], // x has no seed 3
    ]);
    // Seed 0: 5 − 4 = 1; seed 1: 7 − 7 = 0; seed 2: 6 − 3 = 3.
    assert.deepEqual(pairedDifferences(x, y), [1, 0, 3]);
    assert.deepEqual(pairedDifferences(new Map([[0, Number.NaN]]), new Map([[0, 1]])), []);
  });

  test('fewer than 10 matched seeds: not estimated', () => {
    assert.equal(pairedDifferenceTest(bySeed([1, 2, 3, 4, 5, 6, 7, 8, 9]), bySeed([0, 0, 0, 0, 0, 0, 0, 0, 0]), BOOT), null);
    // Ten seeds each, but shifted by 5: only 5 match.
    assert.equal(pairedDifferenceTest(bySeed(Array(10).fill(1)), bySeed(Array(10).fill(0), 5), BOOT), null);
  });

  test('a constant difference of 2: the estimate and every resample are 2', () => {
    const x = bySeed([3, 9, -4, 12, 0, 5, 7, 1, 8, 2]);
    const y = bySeed([1, 7, -6, 10, -2, 3, 5, -1, 6, 0]);
    const tested = pairedDifferenceTest(x, y, BOOT)!;
    assert.equal(tested.estimate, 2);
    assert.equal(tested.distribution[0], 2);
    assert.equal(tested.distribution[tested.distribution.length - 1], 2);
  });

  test('pairing removes the seed-to-seed spread that an unpaired comparison carries', () => {
    // A large per-seed effect shared by both configurations, a small true difference of 1.
    const rng = new Rng(11);
    const seedEffect = Array.from({ length: 12 }, () => 50 * rng.normal());
    const x = bySeed(seedEffect.map((effect) => effect + 1 + 0.3 * rng.normal()));
    const y = bySeed(seedEffect.map((effect) => effect + 0.3 * rng.normal()));
    const [verdict] = holmCorrection([pairedDifferenceTest(x, y, BOOT)!], 0.05);
    assert.ok(verdict.established && verdict.interval.low > 0, JSON.stringify(verdict));
    // Unpaired, the same data tell nothing: P(X > Y) stays near ½ and its interval includes it.
    const [unpaired] = holmCorrection([improvementTest([[...x.values()]], [[...y.values()]], BOOT)!], 0.05);
    assert.ok(!unpaired.established, JSON.stringify(unpaired));
  });
});

describe('percentile bootstrap: hand-computed distribution', () => {
  test('two runs 0 and 1: resample means 0, ½, 1 with probabilities ¼, ½, ¼', () => {
    const distribution = stratifiedBootstrapDistribution([[0, 1]], (strata) => mean(strata[0]), { reps: 4000, seed: 3 });
    const share = (value: number): number => distribution.filter((estimate) => estimate === value).length / distribution.length;
    // 4000 draws: the standard error of a share near ¼ is 0.007; allow 4 of them.
    assert.ok(Math.abs(share(0) - 0.25) < 0.03 && Math.abs(share(0.5) - 0.5) < 0.03 && Math.abs(share(1) - 0.25) < 0.03);
    // The 2.5 % and 97.5 % quantiles fall inside the ¼ masses at 0 and 1.
    assert.deepEqual(percentileInterval(distribution, 0.95), { low: 0, high: 1 });
    // A 40 % interval (30 % to 70 %) lies inside the ½ mass.
    assert.deepEqual(percentileInterval(distribution, 0.4), { low: 0.5, high: 0.5 });
  });

  test('reproducible: the same seed gives the same distribution', () => {
    const x = [[1, 4, 2, 8, 5, 7, 3, 9, 6, 0]];
    const y = [[2, 3, 1, 6, 4, 5, 0, 7, 2, 1]];
    assert.deepEqual(improvementTest(x, y, BOOT), improvementTest(x, y, BOOT));
    assert.notDeepEqual(improvementTest(x, y, BOOT)!.distribution, improvementTest(x, y, { ...BOOT, seed: 6 })!.distribution);
  });
});

describe('P(X > Y) with its stratified independent bootstrap', () => {
  test('x always above y: P = 1 in every resample, established against ½', () => {
    const tested = improvementTest([Array(10).fill(1)], [Array(10).fill(0)], BOOT)!;
    assert.equal(tested.estimate, 1);
    const [verdict] = holmCorrection([tested], 0.05);
    assert.deepEqual(verdict.interval, { low: 1, high: 1 });
    assert.ok(verdict.established);
  });

  test('identical groups: P = ½ and no difference established', () => {
    const scores = [5, 1, 4, 2, 3, 9, 8, 7, 6, 0];
    const [verdict] = holmCorrection([improvementTest([scores], [scores], BOOT)!], 0.05);
    assert.equal(verdict.estimate, 0.5);
    assert.ok(!verdict.established && verdict.interval.low < 0.5 && verdict.interval.high > 0.5);
  });

  test('fewer than 10 runs in a group: not estimated', () => {
    assert.equal(improvementTest([[1, 2, 3]], [Array(10).fill(0)], BOOT), null);
  });
});

describe("Holm's step-down correction on intervals", () => {
  // Bootstrap distributions written out, so that every quantile can be computed by hand
  // (numpy's linear interpolation at position q × (n − 1) in the sorted estimates).
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
  const test_ = (distribution: number[]): Test => ({ estimate: mean(distribution), distribution, nullValue: 0 });
  // A: 1 … 100, all above 0: excludes 0 at any coverage.
  const a = test_(range(1, 100));
  // B: −2, −1, 1, 2, …, 98 (100 values). At coverage 1 − 0.05/2 the low quantile sits at q = 0.0125,
  // position 1.2375: −1 + 0.2375 × (1 − (−1)) = −0.525 < 0 → includes 0. At 1 − 0.05/1: q = 0.025,
  // position 2.475: 1 + 0.475 × (2 − 1) = 1.475 > 0 → excludes 0.
  const b = test_([-2, -1, ...range(1, 98)]);
  // C: −50 … 49, centred on 0: never excludes it.
  const c = test_(range(-50, 100));

  test('two tests: A is established in the first round (97.5 %), B in the second (95 %)', () => {
    const [va, vb] = holmCorrection([a, b], 0.05);
    assert.ok(va.established && vb.established);
    assert.equal(va.confidence, 0.975);
    assert.equal(vb.confidence, 0.95);
    assert.ok(Math.abs(vb.interval.low - 1.475) < 1e-12, String(vb.interval.low));
    // Bonferroni (every test at 97.5 %) would not establish B: its interval then reaches −0.525.
    assert.ok(Math.abs(percentileInterval(b.distribution, 0.975).low - -0.525) < 1e-12);
  });

  test('three tests: A in round one (1 − 0.05/3), then a round that establishes nothing closes B and C at 97.5 %', () => {
    const [va, vb, vc] = holmCorrection([a, b, c], 0.05);
    assert.ok(va.established);
    assert.ok(Math.abs(va.confidence - (1 - 0.05 / 3)) < 1e-12);
    assert.ok(!vb.established && !vc.established);
    assert.equal(vb.confidence, 0.975);
    assert.equal(vc.confidence, 0.975);
    assert.ok(Math.abs(vb.interval.low - -0.525) < 1e-12);
    // "No difference established" is exactly "the interval shown includes the null value".
    for (const verdict of [vb, vc]) assert.ok(verdict.interval.low <= 0 && verdict.interval.high >= 0);
  });

  test('order of the tests does not change their verdicts', () => {
    const forward = holmCorrection([a, b, c], 0.05);
    const backward = holmCorrection([c, b, a], 0.05).reverse();
    assert.deepEqual(forward, backward);
  });

  test('property: an established interval excludes the null value, every other includes it; coverage ≥ 1 − alpha', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 6 }),
        (distributions) => {
          const tests = distributions.map((values) => test_([...values].sort((x, y) => x - y)));
          for (const verdict of holmCorrection(tests, 0.05)) {
            const includes = verdict.interval.low <= 0 && verdict.interval.high >= 0;
            assert.equal(verdict.established, !includes);
            assert.ok(verdict.confidence >= 0.95 - 1e-12);
          }
        },
      ),
      { seed: FC_SEED, numRuns: FC_RUNS },
    );
  });
});
