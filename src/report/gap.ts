import type { Db } from '../store/database.js';
import { flagName, TRAIN_OPTIONS } from '../training/config.js';
import { formatOptionValue } from '../sweep/grid.js';
import { configurationLabel } from './aggregate.js';
import type { RunFigures } from './data.js';
import { corrected } from './contrasts.js';
import { pairedDifferenceTest, type Verdict } from './inference.js';
import { mean, type BootstrapOptions } from './stats.js';
import { ReportError } from './write.js';

/**
 * The robot next to its twin: the same configurations trained on a robot (or an emulated one, over
 * the hardware path) and on the twin, run for run (same configuration, same seed, same options but
 * where the robot is), and the difference robot − twin of each smoothness metric with a bootstrap
 * interval over the seeds, Holm-corrected across the configurations of each metric. Current and
 * temperature exist on the robot only (the twin has no wear model): its values are shown as they are.
 */

/** The metrics compared, robot − twin. */
export const GAP_METRICS = [
  { key: 'rawContinuity', label: 'continuity of raw actions [%]' },
  { key: 'appliedContinuity', label: 'continuity of applied commands [%]' },
  { key: 'meanSquaredJerk', label: 'mean squared jerk' },
] as const satisfies readonly { key: keyof RunFigures; label: string }[];

export type GapMetric = (typeof GAP_METRICS)[number]['key'];

/**
 * Options that say where the robot is and how the run was kept, not what it learned: they may differ
 * within a pair. Every other option must be equal, and so must the learner's placement (`trainer`:
 * a robot's learner runs in a worker; a twin's does too with --realtime) and the action mode.
 */
const WHERE_OR_HOW: ReadonlySet<string> = new Set([
  'sim',
  'realtime',
  'port',
  'baud',
  'mqtt',
  'robot',
  'watchdogMs',
  'reconnectS',
  'learner',
  'db',
  'quiet',
  'resume',
  'backend',
  'weightSyncMs',
  'checkpointEvery',
  'saveReplay',
  'sweep',
  'sweepCell',
]);

/** A stored option as compared: the task by its description, others by their formatted value. */
function compared(options: Readonly<Record<string, unknown>>, key: string): string {
  const value = options[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value) : formatOptionValue(value);
}

/** The options on which two runs of a pair differ, as `--steps 3000 (robot) vs 5000 (twin)`. */
export function pairMismatches(robot: RunFigures, twin: RunFigures): string[] {
  const keys = [...Object.keys(TRAIN_OPTIONS).filter((key) => !WHERE_OR_HOW.has(key)), 'trainer', 'actionMode'];
  const out = keys
    .filter((key) => compared(robot.options, key) !== compared(twin.options, key))
    .map(
      (key) =>
        `${key === 'trainer' ? 'learner placement' : `--${flagName(key)}`} ${compared(robot.options, key)} (robot) vs ${compared(twin.options, key)} (twin)`,
    );
  if (robot.robot !== twin.robot) out.unshift(`robot ${robot.robot} (robot) vs ${twin.robot} (twin)`);
  return out;
}

/** The runs of one configuration on both sides, matched by seed. */
export interface ConfigurationPair {
  configuration: string;
  label: string;
  /** Matched runs in ascending seed order. */
  pairs: { seed: number; robot: RunFigures; twin: RunFigures }[];
  /** Seeds that ran on one side only. */
  robotOnly: number[];
  twinOnly: number[];
}

/**
 * Pairs the robot sweep's runs with the twin sweep's, by configuration and seed. Configurations on
 * one side only are left out (`unpaired`). A pair whose options differ beyond where the robot is
 * is refused: its difference would not be the robot's.
 */
export function pairSweeps(robot: readonly RunFigures[], twin: readonly RunFigures[]): { pairs: ConfigurationPair[]; unpaired: string[] } {
  const bySide = (runs: readonly RunFigures[]): Map<string, Map<number, RunFigures>> => {
    const out = new Map<string, Map<number, RunFigures>>();
    for (const run of runs) {
      const seeds = out.get(run.configuration) ?? new Map<number, RunFigures>();
      seeds.set(run.seed, run);
      out.set(run.configuration, seeds);
    }
    return out;
  };
  const robotRuns = bySide(robot);
  const twinRuns = bySide(twin);
  const pairs: ConfigurationPair[] = [];
  for (const [configuration, robotSeeds] of robotRuns) {
    const twinSeeds = twinRuns.get(configuration);
    if (!twinSeeds) continue;
    const seeds = [...robotSeeds.keys()].filter((seed) => twinSeeds.has(seed)).sort((a, b) => a - b);
    const matched = seeds.map((seed) => ({ seed, robot: robotSeeds.get(seed)!, twin: twinSeeds.get(seed)! }));
    for (const pair of matched) {
      const mismatches = pairMismatches(pair.robot, pair.twin);
      if (mismatches.length > 0)
        throw new ReportError(
          `runs ${pair.robot.runId} (${pair.robot.sweep}) and ${pair.twin.runId} (${pair.twin.sweep}) of ${pair.robot.cell} do not compare like with like: ${mismatches.join('; ')}. Run the twin sweep with the robot sweep's flags (and --realtime, so that its learner runs in a worker as on the robot)`,
        );
    }
    if (matched.length === 0) continue;
    pairs.push({
      configuration,
      label: configurationLabel(matched[0].robot),
      pairs: matched,
      robotOnly: [...robotSeeds.keys()].filter((seed) => !twinSeeds.has(seed)).sort((a, b) => a - b),
      twinOnly: [...twinSeeds.keys()].filter((seed) => !robotSeeds.has(seed)).sort((a, b) => a - b),
    });
  }
  const paired = new Set(pairs.map((pair) => pair.configuration));
  const unpaired = [...new Set([...robotRuns.keys(), ...twinRuns.keys()])].filter((configuration) => !paired.has(configuration));
  return { pairs, unpaired };
}

/** A robot run's wear over its complete training episodes: mean |current| [A] and the mean of the episodes' peak temperatures [°C]. */
export interface RunWear {
  currentA: number;
  temperatureC: number;
}

/** Wear of each run that reported it (NaN where a quantity is missing). */
export function loadRunWear(db: Db, runIds: readonly number[]): Map<number, RunWear> {
  const query = db.prepare(
    `SELECT AVG(mean_abs_current_a) AS current, AVG(peak_temperature_c) AS temperature FROM episodes
     WHERE run_id = ? AND evaluation = 0 AND ended_at IS NOT NULL AND termination IN ('truncated', 'terminated')`,
  );
  const out = new Map<number, RunWear>();
  for (const runId of runIds) {
    const row = query.get(runId) as { current: number | null; temperature: number | null };
    out.set(runId, { currentA: row.current ?? Number.NaN, temperatureC: row.temperature ?? Number.NaN });
  }
  return out;
}

/** One configuration on one metric. */
export interface GapRow {
  configuration: string;
  label: string;
  metric: GapMetric;
  pairs: number;
  robotMean: number;
  twinMean: number;
  /** Mean paired difference robot − twin, Holm-corrected across the configurations of the metric; null below MIN_RUNS_FOR_CI pairs. */
  difference: Verdict | null;
}

/** The robot's wear in one configuration: means over its paired runs (NaN when it reported none). */
export interface WearRow {
  configuration: string;
  label: string;
  runs: number;
  currentA: number;
  temperatureC: number;
}

export interface GapAnalysis {
  rows: GapRow[];
  wear: WearRow[];
}

/**
 * Per metric, the paired difference robot − twin of every configuration; the configurations of one
 * metric form Holm's family at family-wise error rate 1 − `bootstrap.confidence`. Test i of a
 * family resamples with seed `bootstrap.seed + i` (reproducible).
 */
export function gapAnalysis(
  pairs: readonly ConfigurationPair[],
  wear: ReadonlyMap<number, RunWear>,
  bootstrap: BootstrapOptions,
): GapAnalysis {
  const alpha = 1 - bootstrap.confidence;
  const rows: GapRow[] = [];
  for (const { key } of GAP_METRICS) {
    const series = (pair: ConfigurationPair, side: 'robot' | 'twin'): Map<number, number> =>
      new Map(pair.pairs.map((matched) => [matched.seed, matched[side][key]]));
    const tests = pairs.map((pair, i) =>
      pairedDifferenceTest(series(pair, 'robot'), series(pair, 'twin'), { reps: bootstrap.reps, seed: bootstrap.seed + i }),
    );
    const verdicts = corrected(tests, alpha);
    pairs.forEach((pair, i) => {
      const finite = pair.pairs.filter((matched) => Number.isFinite(matched.robot[key]) && Number.isFinite(matched.twin[key]));
      rows.push({
        configuration: pair.configuration,
        label: pair.label,
        metric: key,
        pairs: finite.length,
        robotMean: mean(finite.map((matched) => matched.robot[key])),
        twinMean: mean(finite.map((matched) => matched.twin[key])),
        difference: verdicts[i],
      });
    });
  }
  const wearRows = pairs.map((pair) => {
    const runs = pair.pairs.map((matched) => wear.get(matched.robot.runId)).filter((run): run is RunWear => run !== undefined);
    const finiteMean = (values: number[]): number => mean(values.filter((value) => Number.isFinite(value)));
    return {
      configuration: pair.configuration,
      label: pair.label,
      runs: runs.filter((run) => Number.isFinite(run.currentA) || Number.isFinite(run.temperatureC)).length,
      currentA: finiteMean(runs.map((run) => run.currentA)),
      temperatureC: finiteMean(runs.map((run) => run.temperatureC)),
    };
  });
  return { rows, wear: wearRows };
}
