import { Rng } from '../util/rng.js';

/**
 * Aggregate statistics over runs, as careful RL papers report them (Agarwal et al., "Deep RL at the
 * Edge of the Statistical Precipice", NeurIPS 2021, and its `rliable` library). Pure functions: the
 * bootstrap takes its seed as an argument, so that a report is reproducible.
 */

/** Arithmetic mean of `values` [n]; NaN when empty. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Sample standard deviation (n − 1 in the denominator) of `values` [n]; 0 for one value, NaN when empty. */
export function sampleStd(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  if (values.length === 1) return 0;
  const centre = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - centre) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * Mean after cutting `proportion` of the sorted values from each end, as `scipy.stats.trim_mean` does
 * (which `rliable` calls): the number cut from each end is floor(proportion × n), so a fractional
 * count trims less, never more (n = 6 at 25 %: one value from each end, the mean of the middle four).
 * `values` [n]; NaN when empty.
 */
export function trimmedMean(values: readonly number[], proportion: number): number {
  if (!(proportion >= 0 && proportion < 0.5)) throw new RangeError(`trim proportion must be in [0, 0.5) (got ${proportion})`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(proportion * sorted.length);
  return mean(sorted.slice(cut, sorted.length - cut));
}

/** Interquartile mean: the mean of the middle 50 % of the scores (`rliable.metrics.aggregate_iqm`). `values` [n]. */
export function iqm(values: readonly number[]): number {
  return trimmedMean(values, 0.25);
}

/**
 * The q-quantile of `values` [n] with linear interpolation between order statistics (numpy's default,
 * which the percentile bootstrap of `rliable` uses): position q × (n − 1) in the sorted values.
 */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1] (got ${q})`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Bootstrap replications. */
  reps: number;
  /** Coverage of the interval, e.g. 0.95. */
  confidence: number;
  /** Seed of the resampling. */
  seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { reps: 2000, confidence: 0.95, seed: 0 };

/**
 * Fewest runs for which a report states a bootstrap confidence interval. Below it the percentile
 * bootstrap cannot reach its nominal coverage (with 3 runs the 95 % interval of the IQM is the
 * [min, max] of the runs, which covers the mean about 75 % of the time), so the tables say "not
 * estimated" instead of printing a range that looks like a 95 % CI.
 */
export const MIN_RUNS_FOR_CI = 10;

/** An interval whose bounds are NaN: not estimated. */
export const NOT_ESTIMATED: Interval = { low: Number.NaN, high: Number.NaN };

function checkBootstrap(options: BootstrapOptions): void {
  if (!(Number.isInteger(options.reps) && options.reps >= 1))
    throw new RangeError(`bootstrap reps must be a positive whole number (got ${options.reps})`);
  if (!(options.confidence > 0 && options.confidence < 1)) throw new RangeError(`confidence must be in (0, 1) (got ${options.confidence})`);
}

/** Resamples, with replacement, each stratum on its own, keeping its size: `strata` [tasks][runs] → the same shape. */
function resampleStrata(strata: readonly (readonly number[])[], rng: Rng): number[][] {
  return strata.map((stratum) => Array.from({ length: stratum.length }, () => stratum[rng.int(stratum.length)]));
}

/**
 * The bootstrap distribution of `statistic` by the stratified bootstrap of `rliable`
 * (`StratifiedBootstrap`): each replication resamples, with replacement, the runs of every stratum
 * (task) on its own, keeping each stratum's run count, then applies `statistic` to the resampled
 * strata. `strata` [tasks][runs]; returns the `reps` estimates, sorted ascending.
 */
export function stratifiedBootstrapDistribution(
  strata: readonly (readonly number[])[],
  statistic: (strata: readonly (readonly number[])[]) => number,
  options: Pick<BootstrapOptions, 'reps' | 'seed'>,
): number[] {
  checkBootstrap({ ...options, confidence: 0.5 });
  const rng = new Rng(options.seed);
  const estimates = Array.from({ length: options.reps }, () => statistic(resampleStrata(strata, rng)));
  return estimates.sort((a, b) => a - b);
}

/**
 * The same for a statistic of two groups, resampled independently of each other, stratum by stratum
 * (`rliable`'s `StratifiedIndependentBootstrap`, which its probability of improvement uses).
 * `x`, `y` [tasks][runs] with the same tasks; returns the `reps` estimates, sorted ascending.
 */
export function stratifiedIndependentBootstrapDistribution(
  x: readonly (readonly number[])[],
  y: readonly (readonly number[])[],
  statistic: (x: readonly (readonly number[])[], y: readonly (readonly number[])[]) => number,
  options: Pick<BootstrapOptions, 'reps' | 'seed'>,
): number[] {
  checkBootstrap({ ...options, confidence: 0.5 });
  if (x.length !== y.length) throw new RangeError(`both groups need the same tasks (got ${x.length} and ${y.length})`);
  const rng = new Rng(options.seed);
  const estimates = Array.from({ length: options.reps }, () => statistic(resampleStrata(x, rng), resampleStrata(y, rng)));
  return estimates.sort((a, b) => a - b);
}

/** Percentile interval of a bootstrap distribution `estimates` [reps] at coverage `confidence`: its (1 − c)/2 and (1 + c)/2 quantiles. */
export function percentileInterval(estimates: readonly number[], confidence: number): Interval {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1) (got ${confidence})`);
  if (estimates.length === 0) return NOT_ESTIMATED;
  const tail = (1 - confidence) / 2;
  return { low: quantile(estimates, tail), high: quantile(estimates, 1 - tail) };
}

/**
 * Percentile confidence interval of `statistic` over all scores of the strata together, by the
 * stratified bootstrap (`rliable`'s `get_interval_estimates`). With one stratum it is the plain
 * bootstrap over runs. `strata` [tasks][runs of that task]. NaN bounds when there are no scores.
 */
export function stratifiedBootstrapCi(
  strata: readonly (readonly number[])[],
  statistic: (scores: readonly number[]) => number,
  options: BootstrapOptions = DEFAULT_BOOTSTRAP,
): Interval {
  checkBootstrap(options);
  if (strata.every((stratum) => stratum.length === 0)) return NOT_ESTIMATED;
  return percentileInterval(
    stratifiedBootstrapDistribution(strata, (resampled) => statistic(resampled.flat()), options),
    options.confidence,
  );
}

/** A point to rank by two objectives: `x` to minimise (e.g. continuity cost), `y` to maximise (return). */
export interface ParetoPoint {
  x: number;
  y: number;
}

/**
 * Indices of the points on the Pareto front: no other point has x ≤ and y ≥ with one of them strict.
 * Points with a NaN coordinate are never on it. `points` [n] → indices in ascending x.
 */
export function paretoFront(points: readonly ParetoPoint[]): number[] {
  const order = points
    .map((point, index) => ({ ...point, index }))
    .filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y))
    // Lowest cost first; among equal costs the best return first, so that it shadows the others.
    .sort((a, b) => a.x - b.x || b.y - a.y);
  const front: number[] = [];
  let bestY = Number.NEGATIVE_INFINITY;
  for (const point of order) {
    if (point.y > bestY) {
      front.push(point.index);
      bestY = point.y;
    }
  }
  return front;
}
