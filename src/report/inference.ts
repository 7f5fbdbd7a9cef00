import {
  mean,
  MIN_RUNS_FOR_CI,
  percentileInterval,
  stratifiedBootstrapDistribution,
  stratifiedIndependentBootstrapDistribution,
  type BootstrapOptions,
  type Interval,
} from './stats.js';

/**
 * Statistics that carry claims: how two configurations compare, with intervals corrected for the
 * number of comparisons asked of the same question. Definitions follow `rliable` (Agarwal et al.,
 * "Deep RL at the Edge of the Statistical Precipice", NeurIPS 2021) where it has them; the paired
 * difference and the Holm correction are the textbook ones (Holm, Scand. J. Statist. 1979).
 */

/**
 * Probability of improvement P(X > Y) of `rliable.metrics.probability_of_improvement`: per task, the
 * Mann–Whitney U statistic over all pairs of runs (x_i > y_j counts 1, a tie counts 1/2) divided by
 * the number of pairs; then the mean over tasks. `x`, `y` [tasks][runs]; NaN when a task has no run.
 */
export function probabilityOfImprovement(x: readonly (readonly number[])[], y: readonly (readonly number[])[]): number {
  if (x.length !== y.length || x.length === 0) throw new RangeError(`both groups need the same tasks (got ${x.length} and ${y.length})`);
  let sum = 0;
  for (let task = 0; task < x.length; task++) {
    const xs = x[task];
    const ys = y[task];
    if (xs.length === 0 || ys.length === 0) return Number.NaN;
    let wins = 0;
    for (const a of xs) for (const b of ys) wins += a > b ? 1 : a === b ? 0.5 : 0;
    sum += wins / (xs.length * ys.length);
  }
  return sum / x.length;
}

/**
 * Differences x_s − y_s over the seeds s that both runs have, in ascending seed order: runs with the
 * same seed share the task's initial states and every other draw that does not depend on the
 * configuration, so the pairing removes that part of the seed-to-seed spread. Seeds without a finite
 * value on both sides are left out.
 */
export function pairedDifferences(x: ReadonlyMap<number, number>, y: ReadonlyMap<number, number>): number[] {
  return [...x.keys()]
    .filter((seed) => y.has(seed) && Number.isFinite(x.get(seed)) && Number.isFinite(y.get(seed)))
    .sort((a, b) => a - b)
    .map((seed) => x.get(seed)! - y.get(seed)!);
}

/** One claim to be tested: its point estimate, its bootstrap distribution and the value that means "no difference". */
export interface Test {
  estimate: number;
  /** Bootstrap estimates [reps], sorted ascending. */
  distribution: readonly number[];
  /** 0 for a difference, 0.5 for a probability of improvement. */
  nullValue: number;
}

/** The test of the mean paired difference x − y over matched seeds, by the bootstrap over seeds; null below `MIN_RUNS_FOR_CI` pairs. */
export function pairedDifferenceTest(
  x: ReadonlyMap<number, number>,
  y: ReadonlyMap<number, number>,
  bootstrap: Pick<BootstrapOptions, 'reps' | 'seed'>,
): Test | null {
  const differences = pairedDifferences(x, y);
  if (differences.length < MIN_RUNS_FOR_CI) return null;
  return {
    estimate: mean(differences),
    distribution: stratifiedBootstrapDistribution([differences], (strata) => mean(strata[0]), bootstrap),
    nullValue: 0,
  };
}

/**
 * The test of P(X > Y) with `rliable`'s stratified independent bootstrap (the runs of X and of Y are
 * resampled apart: they need not share seeds); null when a group has fewer than `MIN_RUNS_FOR_CI` runs.
 * `x`, `y` [tasks][runs].
 */
export function improvementTest(
  x: readonly (readonly number[])[],
  y: readonly (readonly number[])[],
  bootstrap: Pick<BootstrapOptions, 'reps' | 'seed'>,
): Test | null {
  const runs = (strata: readonly (readonly number[])[]): number => strata.reduce((sum, stratum) => sum + stratum.length, 0);
  if (runs(x) < MIN_RUNS_FOR_CI || runs(y) < MIN_RUNS_FOR_CI) return null;
  return {
    estimate: probabilityOfImprovement(x, y),
    distribution: stratifiedIndependentBootstrapDistribution(x, y, probabilityOfImprovement, bootstrap),
    nullValue: 0.5,
  };
}

/** A test's outcome after the correction. */
export interface Verdict {
  estimate: number;
  /** Percentile interval at `confidence`. */
  interval: Interval;
  /** Coverage the interval was computed at, after the correction (e.g. 0.975 for the first of two). */
  confidence: number;
  /** True when the interval excludes the null value: a difference is established. */
  established: boolean;
}

/**
 * Holm's step-down correction (Holm 1979) of a family of tests at family-wise error rate `alpha`,
 * stated with intervals instead of p-values. Round after round, with r tests still open, each open
 * test's percentile interval is computed at coverage 1 − alpha / r; those whose interval excludes the
 * null value are established (at that coverage) and leave the family; when a round establishes none,
 * the remaining tests are reported at that round's coverage, all including their null value: "no
 * difference established". A test rejected in a round with r open has its bootstrap p-value below
 * alpha / r, which is the rule of Holm's procedure, so the family-wise error rate stays at alpha while
 * each interval shown is the one its verdict rests on. The first round is Bonferroni's (alpha / m).
 *
 * `tests` [m] → verdicts [m] in the same order.
 */
export function holmCorrection(tests: readonly Test[], alpha: number): Verdict[] {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1) (got ${alpha})`);
  const verdicts = new Array<Verdict>(tests.length);
  let open = tests.map((_, index) => index);
  while (open.length > 0) {
    const confidence = 1 - alpha / open.length;
    const intervals = new Map(open.map((index) => [index, percentileInterval(tests[index].distribution, confidence)]));
    const excludes = (index: number): boolean => {
      const { low, high } = intervals.get(index)!;
      return low > tests[index].nullValue || high < tests[index].nullValue;
    };
    const established = open.filter(excludes);
    const closing = established.length > 0 ? established : open;
    for (const index of closing) {
      verdicts[index] = {
        estimate: tests[index].estimate,
        interval: intervals.get(index)!,
        confidence,
        established: established.length > 0,
      };
    }
    open = established.length > 0 ? open.filter((index) => !established.includes(index)) : [];
  }
  return verdicts;
}
