import type { Db } from '../store/database.js';
import { parseCellKey } from '../sweep/cells.js';
import { sweepRuns } from '../sweep/store.js';
import { mean } from './stats.js';

/** Share of the last training episodes that makes the final return of a run that never evaluated. */
export const FINAL_TRAINING_SHARE = 0.1;

/** Where a run's final return comes from (the tables say which). */
export type ReturnSource = 'evaluation' | 'training';

/** One point of a run's learning curve. */
export interface CurvePoint {
  /** Training steps taken when the episode ended. */
  steps: number;
  return: number;
}

/** The figures of one finished run of a sweep that the report aggregates. */
export interface RunFigures {
  sweep: string;
  runId: number;
  /** The cell key (`noise=param;interval=-1;seed=2`). */
  cell: string;
  /** The cell key without the seed ('' = the sweep's base). */
  configuration: string;
  seed: number;
  robot: string;
  task: string;
  /** Steps of a full episode of the task. */
  episodeSteps: number;
  /** The interval k the run resampled at, in control steps (`runs.noise_interval`: a share `episode/N` resolved); -1 once per episode. */
  intervalSteps: number;
  /** The run's stored config (camelCase option names → values). */
  options: Record<string, unknown>;
  /** Training steps the run took (its budget). */
  steps: number;
  /** Wall-clock duration [s]. */
  seconds: number;
  /**
   * Mean return of the final evaluation round (the last block of evaluation episodes) when the run
   * evaluated, else of the last 10 % of its complete training episodes (at least one).
   */
  finalReturn: number;
  returnSource: ReturnSource;
  /** Episodes the final return averages. */
  returnEpisodes: number;
  /** Mean over complete training episodes of the continuity cost of the policy's raw actions [%] (the gSDE paper's measure). */
  rawContinuity: number;
  /** The same of the commands applied after the safety layer [%]. */
  appliedContinuity: number;
  /** Training steps whose command the safety layer changed, over all training steps [%]. */
  interventionsPct: number;
  /** Mean over complete training episodes of the mean squared jerk of the applied commands [(joint units/s³)²]. */
  meanSquaredJerk: number;
  /** The same of the share of command energy above the smoothness cut-off frequency [0, 1]. */
  highFrequencyShare: number;
  /** The same of the mean |exploratory − deterministic action| (action units): how much the run explored. */
  meanAbsNoise: number;
  /**
   * Area under the training-return curve divided by the budget: the mean training return over the
   * steps taken (each episode's return weighted by its steps), what exploring cost while learning.
   */
  trainingReturnArea: number;
  /** Returns of complete training episodes against training steps. */
  curve: CurvePoint[];
  /** Each evaluation round's mean return against the training steps taken before it (the evaluation curve). */
  evaluations: CurvePoint[];
  /** Parameter noise: σ and the action distance d at the end of each training episode (empty for other noise). */
  paramNoise: ParamNoisePoint[];
}

/** Parameter noise's scale and measured action distance at the end of a training episode. */
export interface ParamNoisePoint {
  steps: number;
  std: number;
  /** NaN when σ is fixed (d is measured by the adaptation only). */
  distance: number;
}

/** An ended episode as the report reads it from the `episodes` table. */
export interface EpisodeRow {
  episode: number;
  evaluation: number;
  steps: number;
  return: number | null;
  termination: string | null;
  raw_continuity_cost: number | null;
  continuity_cost: number | null;
  safety_clipped_steps: number;
  mean_squared_jerk: number | null;
  high_freq_share: number | null;
  mean_abs_noise: number | null;
  param_std: number | null;
  param_distance: number | null;
}

/** The finished runs of a sweep, the newest of each cell, in run order. */
export function loadSweepFigures(db: Db, sweep: string): RunFigures[] {
  const episodesOf = db.prepare(
    `SELECT episode, evaluation, steps, return, termination, raw_continuity_cost, continuity_cost, safety_clipped_steps,
            mean_squared_jerk, high_freq_share, mean_abs_noise, param_std, param_distance
     FROM episodes WHERE run_id = ? AND ended_at IS NOT NULL ORDER BY episode`,
  );
  const runOf = db.prepare(`SELECT robot, task, noise_interval FROM runs WHERE id = ?`);
  const newest = new Map<string, ReturnType<typeof sweepRuns>[number]>();
  for (const run of sweepRuns(db, sweep)) if (run.status === 'finished') newest.set(run.cell, run);
  const figures: RunFigures[] = [];
  for (const run of [...newest.values()].sort((a, b) => a.runId - b.runId)) {
    const meta = runOf.get(run.runId) as { robot: string; task: string; noise_interval: number };
    const figure = runFigures(episodesOf.all(run.runId) as EpisodeRow[]);
    if (figure === null) continue;
    const seedPart = parseCellKey(run.cell).find(([flag]) => flag === 'seed');
    const task = run.config['task'] as { episodeSteps?: unknown } | null;
    figures.push({
      sweep,
      runId: run.runId,
      cell: run.cell,
      configuration: configurationOf(run.cell),
      seed: seedPart ? Number(seedPart[1]) : Number(run.config['seed']),
      robot: meta.robot,
      task: meta.task,
      episodeSteps: typeof task?.episodeSteps === 'number' ? task.episodeSteps : Number.NaN,
      intervalSteps: meta.noise_interval,
      options: run.config,
      seconds: run.seconds ?? Number.NaN,
      ...figure,
    });
  }
  return figures;
}

/** `noise=param;interval=-1;seed=2` → `noise=param;interval=-1`. */
export function configurationOf(cell: string): string {
  return parseCellKey(cell)
    .filter(([flag]) => flag !== 'seed')
    .map(([flag, value]) => `${flag}=${value}`)
    .join(';');
}

const COMPLETE = new Set(['truncated', 'terminated']);

/**
 * A run's figures from its ended episodes (ordered by episode). Null when it has no complete
 * training episode. Interrupted or aborted episodes count for steps and interventions only.
 */
export function runFigures(
  episodes: readonly EpisodeRow[],
): Pick<
  RunFigures,
  | 'steps'
  | 'finalReturn'
  | 'returnSource'
  | 'returnEpisodes'
  | 'rawContinuity'
  | 'appliedContinuity'
  | 'interventionsPct'
  | 'meanSquaredJerk'
  | 'highFrequencyShare'
  | 'meanAbsNoise'
  | 'trainingReturnArea'
  | 'curve'
  | 'evaluations'
  | 'paramNoise'
> | null {
  const training = episodes.filter((episode) => episode.evaluation === 0);
  const complete = training.filter((episode) => COMPLETE.has(episode.termination ?? '') && episode.return !== null);
  if (complete.length === 0) return null;
  const steps = training.reduce((sum, episode) => sum + episode.steps, 0);
  const clipped = training.reduce((sum, episode) => sum + episode.safety_clipped_steps, 0);
  let stepsSoFar = 0;
  const curve: CurvePoint[] = [];
  const paramNoise: ParamNoisePoint[] = [];
  // Evaluation rounds: runs of consecutive evaluation episodes, each at the training steps taken before it.
  const rounds: { steps: number; returns: number[] }[] = [];
  let inRound = false;
  for (const episode of episodes) {
    const ended = COMPLETE.has(episode.termination ?? '') && episode.return !== null;
    if (episode.evaluation !== 0) {
      if (!inRound) rounds.push({ steps: stepsSoFar, returns: [] });
      inRound = true;
      if (ended) rounds.at(-1)!.returns.push(episode.return!);
      continue;
    }
    inRound = false;
    stepsSoFar += episode.steps;
    if (ended) curve.push({ steps: stepsSoFar, return: episode.return! });
    if (episode.param_std !== null)
      paramNoise.push({ steps: stepsSoFar, std: episode.param_std, distance: episode.param_distance ?? Number.NaN });
  }
  const evaluated = rounds.filter((round) => round.returns.length > 0);
  const evaluations = evaluated.map((round) => ({ steps: round.steps, return: mean(round.returns) }));
  const lastShare = complete.slice(complete.length - Math.max(1, Math.ceil(FINAL_TRAINING_SHARE * complete.length)));
  const finalEpisodes = evaluated.length > 0 ? evaluated.at(-1)!.returns : lastShare.map((episode) => episode.return!);
  const completeSteps = complete.reduce((sum, episode) => sum + episode.steps, 0);
  const finite = (values: (number | null)[]): number[] =>
    values.filter((value): value is number => value !== null && Number.isFinite(value));
  return {
    steps,
    finalReturn: mean(finalEpisodes),
    returnSource: evaluated.length > 0 ? 'evaluation' : 'training',
    returnEpisodes: finalEpisodes.length,
    rawContinuity: mean(finite(complete.map((episode) => episode.raw_continuity_cost))),
    appliedContinuity: mean(finite(complete.map((episode) => episode.continuity_cost))),
    interventionsPct: steps > 0 ? (100 * clipped) / steps : Number.NaN,
    meanSquaredJerk: mean(finite(complete.map((episode) => episode.mean_squared_jerk))),
    highFrequencyShare: mean(finite(complete.map((episode) => episode.high_freq_share))),
    meanAbsNoise: mean(finite(complete.map((episode) => episode.mean_abs_noise))),
    // Episodes of one task may end early (terminated): weighting by steps makes this the area under return-per-step.
    trainingReturnArea: complete.reduce((sum, episode) => sum + episode.return! * episode.steps, 0) / completeSteps,
    curve,
    evaluations,
    paramNoise,
  };
}
