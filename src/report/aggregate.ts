import { parseCellKey } from '../sweep/cells.js';
import { formatOptionValue, type OptionKey } from '../sweep/grid.js';
import { flagName, TRAIN_OPTIONS } from '../training/config.js';
import type { ReturnSource, RunFigures } from './data.js';
import {
  iqm,
  mean,
  median,
  MIN_RUNS_FOR_CI,
  NOT_ESTIMATED,
  sampleStd,
  stratifiedBootstrapCi,
  type BootstrapOptions,
  type Interval,
} from './stats.js';

/** One figure over the seeds of a configuration. */
export interface MetricSummary {
  /** Runs (seeds) with a finite value. */
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  std: number;
  /** Interquartile mean. */
  iqm: number;
  /** Percentile bootstrap confidence interval of the IQM; NaN bounds (not estimated) below `MIN_RUNS_FOR_CI` runs. */
  ci: Interval;
}

/** A configuration of a sweep (a cell without its seed), aggregated over its seeds. */
export interface ConfigurationSummary {
  sweep: string;
  robot: string;
  task: string;
  /** The configuration key, e.g. `noise=param;interval=-1` ('' = the sweep's base). */
  configuration: string;
  /** Short human name: `param k=ep adaptive`. */
  label: string;
  /** Value of every option that varies in the sweep (flag → value as the grid writes it). */
  axes: Record<string, string>;
  noise: string;
  /** Sampling interval k in steps that the runs used (a share of the episode resolved); -1 = once per episode. */
  interval: number;
  /** `--interval` as written: k, -1, or a share of the episode such as `episode/8`. */
  intervalSetting: string;
  /** Steps of a full episode of the task. */
  episodeSteps: number;
  seeds: number[];
  returnSource: string;
  finalReturn: MetricSummary;
  rawContinuity: MetricSummary;
  appliedContinuity: MetricSummary;
  interventionsPct: MetricSummary;
  /** Mean training return over the budget (area under the training-return curve / steps). */
  trainingReturnArea: MetricSummary;
  /**
   * The last evaluation round's return minus the one before (the gain over the last evaluation period,
   * a fifth of the study's budgets): near 0 when the run had plateaued; NaN below two rounds.
   */
  lastRoundGain: MetricSummary;
  /** Training steps until the return first reached the sweep's threshold; n counts the runs that reached it. */
  stepsToThreshold: MetricSummary;
  /** The sweep's threshold: the median final return of all its runs (`sweepThreshold`). */
  threshold: number;
  meanSquaredJerk: MetricSummary;
  highFrequencyShare: MetricSummary;
  /** Mean |exploratory − deterministic action|: smoothness is compared at equal exploration size. */
  meanAbsNoise: MetricSummary;
  /** Each seed's final return, training return area and raw continuity cost, for contrasts over matched seeds. */
  bySeed: { finalReturn: Map<number, number>; trainingReturnArea: Map<number, number>; rawContinuity: Map<number, number> };
  /** Training steps per run (the largest, if runs differ). */
  stepsPerRun: number;
  /** Wall-clock seconds of all its runs together (≈ CPU seconds: a run uses one core). */
  runSeconds: number;
}

export function summarise(values: readonly number[], bootstrap: BootstrapOptions): MetricSummary {
  const finite = values.filter((value) => Number.isFinite(value));
  return {
    n: finite.length,
    mean: mean(finite),
    std: sampleStd(finite),
    iqm: iqm(finite),
    ci: finite.length >= MIN_RUNS_FOR_CI ? stratifiedBootstrapCi([finite], iqm, bootstrap) : NOT_ESTIMATED,
  };
}

/** Options (flags) that vary between the configurations of these runs, in the option table's order. */
export function varyingOptions(runs: readonly RunFigures[]): string[] {
  const named = new Set(runs.flatMap((run) => parseCellKey(run.configuration).map(([flag]) => flag)));
  return (Object.keys(TRAIN_OPTIONS) as OptionKey[]).map(flagName).filter((flag) => named.has(flag));
}

/** Configurations in the order of their first run; each sweep apart. */
export function summariseConfigurations(runs: readonly RunFigures[], bootstrap: BootstrapOptions): ConfigurationSummary[] {
  const groups = new Map<string, RunFigures[]>();
  for (const run of runs) {
    const id = `${run.sweep}\u0000${run.configuration}`;
    groups.set(id, [...(groups.get(id) ?? []), run]);
  }
  const axesBySweep = new Map<string, string[]>();
  const thresholds = new Map<string, number>();
  for (const sweep of new Set(runs.map((run) => run.sweep))) {
    axesBySweep.set(sweep, varyingOptions(runs.filter((run) => run.sweep === sweep)));
    thresholds.set(sweep, sweepThreshold(runs.filter((run) => run.sweep === sweep)));
  }
  return [...groups.values()].map((group) => {
    const first = group[0];
    const axes = Object.fromEntries(axesBySweep.get(first.sweep)!.map((flag) => [flag, optionValue(first, flag)]));
    /** One figure of every run of the configuration, summarised with its bootstrap interval. */
    const over = (figure: (run: RunFigures) => number) => summarise(group.map(figure), bootstrap);
    return {
      sweep: first.sweep,
      robot: first.robot,
      task: first.task,
      configuration: first.configuration,
      label: configurationLabel(first),
      axes,
      noise: String(first.options['noise']),
      interval: first.intervalSteps,
      intervalSetting: formatOptionValue(first.options['interval']),
      episodeSteps: first.episodeSteps,
      seeds: group.map((run) => run.seed).sort((a, b) => a - b),
      returnSource: describeReturnSource(group),
      finalReturn: over((run) => run.finalReturn),
      rawContinuity: over((run) => run.rawContinuity),
      appliedContinuity: over((run) => run.appliedContinuity),
      interventionsPct: over((run) => run.interventionsPct),
      trainingReturnArea: over((run) => run.trainingReturnArea),
      lastRoundGain: over(lastRoundGain),
      stepsToThreshold: over((run) => stepsToThreshold(run, thresholds.get(first.sweep)!)),
      threshold: thresholds.get(first.sweep)!,
      meanSquaredJerk: over((run) => run.meanSquaredJerk),
      highFrequencyShare: over((run) => run.highFrequencyShare),
      meanAbsNoise: over((run) => run.meanAbsNoise),
      bySeed: {
        finalReturn: new Map(group.map((run) => [run.seed, run.finalReturn])),
        trainingReturnArea: new Map(group.map((run) => [run.seed, run.trainingReturnArea])),
        rawContinuity: new Map(group.map((run) => [run.seed, run.rawContinuity])),
      },
      stepsPerRun: Math.max(...group.map((run) => run.steps)),
      runSeconds: group.reduce((sum, run) => sum + (Number.isFinite(run.seconds) ? run.seconds : 0), 0),
    };
  });
}

/** The last evaluation round's return minus the one before; NaN when the run evaluated fewer than twice. */
export function lastRoundGain(run: RunFigures): number {
  const rounds = run.evaluations;
  return rounds.length < 2 ? Number.NaN : rounds[rounds.length - 1].return - rounds[rounds.length - 2].return;
}

/** Training episodes the return is averaged over when it is compared with the threshold. */
export const THRESHOLD_WINDOW = 5;

/**
 * The return a sweep's runs are timed to (pre-registered): the median final return over all its runs,
 * so that "steps to threshold" asks how soon a configuration reaches the sweep's typical final result.
 */
export function sweepThreshold(runs: readonly RunFigures[]): number {
  return median(runs.map((run) => run.finalReturn).filter((value) => Number.isFinite(value)));
}

/** Training steps at which the mean return of the last `THRESHOLD_WINDOW` training episodes first reached `threshold`; NaN if never. */
export function stepsToThreshold(run: RunFigures, threshold: number): number {
  let sum = 0;
  for (let i = 0; i < run.curve.length; i++) {
    sum += run.curve[i].return;
    if (i >= THRESHOLD_WINDOW) sum -= run.curve[i - THRESHOLD_WINDOW].return;
    if (sum / Math.min(i + 1, THRESHOLD_WINDOW) >= threshold) return run.curve[i].steps;
  }
  return Number.NaN;
}

/** The value of a flag for a run: from its cell key when the key names it, else from its stored options. */
export function optionValue(run: RunFigures, flag: string): string {
  const named = parseCellKey(run.configuration).find(([name]) => name === flag);
  if (named) return named[1];
  const key = (Object.keys(TRAIN_OPTIONS) as OptionKey[]).find((candidate) => flagName(candidate) === flag);
  return key === undefined ? '' : formatOptionValue(run.options[key]);
}

/**
 * `param k=ep adaptive no-layer-norm param-target=0.2`: the noise, its interval as written (`k=ep/8`
 * for a share of the episode), then the rest of the key.
 */
export function configurationLabel(run: RunFigures): string {
  const noise = String(run.options['noise']);
  const interval = formatOptionValue(run.options['interval']);
  const parts = [noise];
  if (noise !== 'none') parts.push(`k=${interval === '-1' ? 'ep' : interval.replace(/^episode\//, 'ep/')}`);
  for (const [flag, value] of parseCellKey(run.configuration)) {
    if (flag === 'noise' || flag === 'interval') continue;
    parts.push(value === 'on' ? flag : value === 'off' ? `no-${flag}` : `${flag}=${value}`);
  }
  return parts.join(' ');
}

function describeReturnSource(group: readonly RunFigures[]): string {
  const sources = new Set<ReturnSource>(group.map((run) => run.returnSource));
  if (sources.size > 1) return 'mixed: evaluation where the run evaluated, else last 10 % of training episodes';
  if (sources.has('evaluation')) {
    const episodes = Math.min(...group.map((run) => run.returnEpisodes));
    return `final evaluation (${episodes} episode${episodes === 1 ? '' : 's'})`;
  }
  return 'last 10 % of training episodes';
}

/** One point of an aggregated learning curve. */
export interface CurveSummaryPoint {
  sweep: string;
  configuration: string;
  label: string;
  /** Training episodes binned over steps, or an evaluation round (deterministic policy). */
  kind: 'training' | 'evaluation';
  /** Training steps at the right edge of the bin; for a round, the median over runs of the steps before it. */
  steps: number;
  /** IQM over runs of their mean return in the bin (or their last value before it), or of the round's mean return. */
  iqm: number;
  ci: Interval;
  runs: number;
}

/**
 * Learning curves over seeds. Steps are cut into `bins` equal bins up to the longest run; a run's
 * value in a bin is the mean return of its training episodes that ended there, or its last value
 * before (episodes may end at different steps in different runs). Bins where no run has a value yet
 * are left out.
 */
export function learningCurves(runs: readonly RunFigures[], bins: number, bootstrap: BootstrapOptions): CurveSummaryPoint[] {
  const points: CurveSummaryPoint[] = [];
  const groups = new Map<string, RunFigures[]>();
  for (const run of runs)
    groups.set(`${run.sweep}\u0000${run.configuration}`, [...(groups.get(`${run.sweep}\u0000${run.configuration}`) ?? []), run]);
  for (const group of groups.values()) {
    const maxSteps = Math.max(...group.map((run) => run.steps));
    const width = maxSteps / bins;
    const series = group.map((run) => binned(run, bins, width));
    for (let bin = 0; bin < bins; bin++) {
      const values = series.map((values) => values[bin]).filter((value) => Number.isFinite(value));
      if (values.length === 0) continue;
      points.push({
        sweep: group[0].sweep,
        configuration: group[0].configuration,
        label: configurationLabel(group[0]),
        kind: 'training',
        steps: Math.round((bin + 1) * width),
        iqm: iqm(values),
        ci: values.length >= MIN_RUNS_FOR_CI ? stratifiedBootstrapCi([values], iqm, bootstrap) : NOT_ESTIMATED,
        runs: values.length,
      });
    }
    // Evaluation rounds come at the same episode counts in every run: round r of each run is aggregated as one point.
    const rounds = Math.max(...group.map((run) => run.evaluations.length));
    for (let round = 0; round < rounds; round++) {
      const reached = group.map((run) => run.evaluations[round]).filter((point) => point !== undefined);
      const values = reached.map((point) => point.return);
      points.push({
        sweep: group[0].sweep,
        configuration: group[0].configuration,
        label: configurationLabel(group[0]),
        kind: 'evaluation',
        steps: median(reached.map((point) => point.steps)),
        iqm: iqm(values),
        ci: values.length >= MIN_RUNS_FOR_CI ? stratifiedBootstrapCi([values], iqm, bootstrap) : NOT_ESTIMATED,
        runs: values.length,
      });
    }
  }
  return points;
}

/** A run's returns per bin [bins]: mean of the episodes ending in the bin, carried forward, NaN before the first. */
function binned(run: RunFigures, bins: number, width: number): number[] {
  const out = new Array<number>(bins).fill(Number.NaN);
  let at = 0;
  let last = Number.NaN;
  for (let bin = 0; bin < bins; bin++) {
    const edge = (bin + 1) * width;
    const inBin: number[] = [];
    while (at < run.curve.length && (run.curve[at].steps <= edge || bin === bins - 1)) inBin.push(run.curve[at++].return);
    if (inBin.length > 0) last = mean(inBin);
    out[bin] = last;
  }
  return out;
}
