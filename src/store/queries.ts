import { liveStatusSql, type Db } from './database.js';

export interface RunFilter {
  source?: string;
  noise?: string;
  robot?: string;
  sweep?: string;
  /** ISO date or datetime: runs started at or after it. */
  since?: string;
  status?: string;
}

export interface RunSummaryRow {
  run: number;
  name: string;
  status: string;
  source: string;
  robot: string;
  task: string;
  algo: string;
  noise: string;
  interval: number;
  seed: number;
  sweep: string | null;
  started_at: string;
  ended_at: string | null;
  episodes: number;
  steps: number;
  mean_return: number | null;
  mean_continuity_cost: number | null;
  mean_raw_continuity_cost: number | null;
  clipped_steps: number;
  /** 0 when a trained policy acted without learning (`robo-train run`). */
  learning: number;
}

/** Runs from the `run_summary` view, oldest first, narrowed by the filter. */
export function listRuns(db: Db, filter: RunFilter = {}): RunSummaryRow[] {
  const clauses: string[] = [];
  const values: string[] = [];
  const equal: [keyof RunFilter, string][] = [
    ['source', 'source'],
    ['noise', 'noise'],
    ['robot', 'robot'],
    ['sweep', 'sweep'],
    ['status', 'status'],
  ];
  // The status is the live one (a run whose process is gone shows as crashed, see liveStatusSql).
  for (const [key, column] of equal) {
    const value = filter[key];
    if (value !== undefined) {
      clauses.push(`${column} = ?`);
      values.push(value);
    }
  }
  if (filter.since !== undefined) {
    clauses.push('started_at >= ?');
    values.push(new Date(filter.since).toISOString());
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return db
    .prepare(
      `SELECT * FROM (SELECT s.run, s.name, ${liveStatusSql('r')} AS status, s.source, s.robot, s.task, s.algo, s.noise, s.interval,
                             s.seed, s.sweep, s.started_at, s.ended_at, s.episodes, s.steps, s.mean_return, s.mean_continuity_cost,
                             s.mean_raw_continuity_cost, s.clipped_steps, r.learning
                      FROM run_summary s JOIN runs r ON r.id = s.run)
       ${where} ORDER BY run`,
    )
    .all(...values) as RunSummaryRow[];
}

/** A run's row, without its config and calibration snapshots; `joint_names` parsed. */
export interface RunRow {
  id: number;
  name: string;
  status: string;
  exit_reason: string | null;
  source: string;
  robot: string;
  task: string;
  algo: string;
  noise: string;
  /** Resolved interval in control steps (-1: once per episode). */
  noise_interval: number;
  /** `--interval` as written in the run's config (k, -1 or `episode/N`); null for a config without it. */
  interval_setting: number | string | null;
  seed: number;
  sweep: string | null;
  started_at: string;
  ended_at: string | null;
  /** Measured joints, driven ones first: position and velocity have one value each, actions and commands one per driven joint. */
  joint_names: string[];
  code_version: string;
  host: string;
  pid: number;
  heartbeat_at: string;
  /** 1 for a training run, 0 when a trained policy acted without learning (`robo-train run`). */
  learning: number;
  /** learning 0: the checkpoint.json whose actor acted. */
  policy_checkpoint: string | null;
}

/** The run a user names on the command line: its id, or its exact name. Null when there is none. */
export function findRun(db: Db, ref: string): RunRow | null {
  const byId = /^\d+$/.test(ref.trim());
  const row = db
    .prepare(
      `SELECT id, name, ${liveStatusSql('runs')} AS status, exit_reason, source, robot, task, algo, noise, noise_interval,
              json_extract(config, '$.interval') AS interval_setting, seed, sweep, started_at, ended_at, joint_names, code_version, host, pid, heartbeat_at, learning, policy_checkpoint
       FROM runs WHERE ${byId ? 'id = ?' : 'name = ?'}`,
    )
    .get(byId ? Number(ref) : ref) as (Omit<RunRow, 'joint_names'> & { joint_names: string }) | undefined;
  return row ? { ...row, joint_names: JSON.parse(row.joint_names) as string[] } : null;
}

/** A run's smoothness and safety figures, as means over its ended training episodes (`run_smoothness`). */
export interface RunSmoothnessRow {
  run: number;
  episodes: number;
  steps: number;
  mean_return: number | null;
  raw_continuity_cost: number | null;
  continuity_cost: number | null;
  mean_squared_jerk: number | null;
  high_freq_share: number | null;
  clipped_share: number | null;
}

/** What `inspect` summarises and `compare` puts side by side. */
export interface RunReport {
  run: RunRow;
  /** Ended training episodes. */
  training: RunSmoothnessRow;
  evaluation: { episodes: number; mean_return: number | null };
  /** Training steps the safety layer changed, in all and per limit (a step can hit several limits). */
  clipped_steps: number;
  interventions: Record<string, number>;
  /** Events per kind (fault, estop, reconnect, checkpoint, store, ...). */
  event_counts: Record<string, number>;
  /** What the actuators measured over the training episodes (`run_wear`); null when the robot reports no telemetry. */
  wear: RunWearRow | null;
}

/** A run's wear and tear as its servos measured it (`run_wear`): means and extremes over training episodes. */
export interface RunWearRow {
  mean_abs_current_a: number | null;
  mean_abs_load: number | null;
  peak_temperature_c: number | null;
  min_voltage_v: number | null;
  energy_j: number | null;
  energy_j_per_step: number | null;
}

export function runReport(db: Db, run: RunRow): RunReport {
  const training = db
    .prepare(
      `SELECT run, episodes, steps, mean_return, raw_continuity_cost, continuity_cost, mean_squared_jerk, high_freq_share, clipped_share
       FROM run_smoothness WHERE run = ?`,
    )
    .get(run.id) as RunSmoothnessRow;
  const evaluation = db
    .prepare(
      `SELECT COUNT(*) AS episodes, AVG(return) AS mean_return FROM episodes WHERE run_id = ? AND evaluation = 1 AND ended_at IS NOT NULL`,
    )
    .get(run.id) as RunReport['evaluation'];
  const clipped = db
    .prepare(
      `SELECT COALESCE(SUM(safety_clipped_steps), 0) AS n FROM episodes WHERE run_id = ? AND evaluation = 0 AND ended_at IS NOT NULL`,
    )
    .get(run.id) as { n: number };
  const byLimit = db
    .prepare(
      `SELECT limit_name AS name, SUM(steps) AS steps FROM interventions WHERE run = ? AND evaluation = 0
       GROUP BY limit_name ORDER BY steps DESC, name`,
    )
    .all(run.id) as { name: string; steps: number }[];
  const events = db.prepare(`SELECT kind, COUNT(*) AS n FROM events WHERE run_id = ? GROUP BY kind ORDER BY kind`).all(run.id) as {
    kind: string;
    n: number;
  }[];
  const wear = db
    .prepare(
      `SELECT mean_abs_current_a, mean_abs_load, peak_temperature_c, min_voltage_v, energy_j, energy_j_per_step FROM run_wear WHERE run = ?`,
    )
    .get(run.id) as RunWearRow;
  const measured = Object.values(wear).some((value) => value !== null);
  return {
    run,
    training,
    evaluation,
    wear: measured ? wear : null,
    clipped_steps: clipped.n,
    interventions: Object.fromEntries(byLimit.map((row) => [row.name, row.steps])),
    event_counts: Object.fromEntries(events.map((row) => [row.kind, row.n])),
  };
}

export interface EpisodeRow {
  episode: number;
  evaluation: number;
  started_at: string;
  ended_at: string | null;
  steps: number;
  return: number | null;
  termination: string | null;
  reason: string | null;
  raw_continuity_cost: number | null;
  continuity_cost: number | null;
  /** [driven joints] */
  continuity_per_joint: (number | null)[] | null;
  mean_squared_jerk: number | null;
  high_freq_share: number | null;
  safety_clipped_steps: number;
  /** Limit name → steps clipped by it. */
  safety_clips: Record<string, number> | null;
  seconds: number | null;
}

/** A run's episodes in order, JSON columns parsed. */
export function runEpisodes(db: Db, runId: number): EpisodeRow[] {
  const rows = db
    .prepare(
      `SELECT episode, evaluation, started_at, ended_at, steps, return, termination, reason, raw_continuity_cost, continuity_cost,
              continuity_per_joint, mean_squared_jerk, high_freq_share, safety_clipped_steps, safety_clips, seconds
       FROM episodes WHERE run_id = ? ORDER BY episode`,
    )
    .all(runId) as (Omit<EpisodeRow, 'continuity_per_joint' | 'safety_clips'> & {
    continuity_per_joint: string | null;
    safety_clips: string | null;
  })[];
  return rows.map((row) => ({
    ...row,
    continuity_per_joint: row.continuity_per_joint === null ? null : (JSON.parse(row.continuity_per_joint) as (number | null)[]),
    safety_clips: row.safety_clips === null ? null : (JSON.parse(row.safety_clips) as Record<string, number>),
  }));
}

export interface EventRow {
  at: string;
  episode: number | null;
  step: number | null;
  kind: string;
  detail: string;
}

/** A run's events, oldest first. */
export function runEvents(db: Db, runId: number): EventRow[] {
  return db.prepare(`SELECT at, episode, step, kind, detail FROM events WHERE run_id = ? ORDER BY id`).all(runId) as EventRow[];
}

export interface CheckpointRow {
  runId: number;
  /** checkpoint.json, as the run recorded it. */
  path: string;
  at: string;
}

/**
 * The checkpoints that learning runs of `robot` with `algo` (and `task`, when given) wrote, newest
 * first: what `--resume auto` continues from.
 */
export function checkpointsOf(db: Db, match: { robot: string; algo: string; task: string | null }): CheckpointRow[] {
  return db
    .prepare(
      `SELECT e.run_id AS runId, e.detail AS path, e.at AS at FROM events e JOIN runs r ON r.id = e.run_id
       WHERE e.kind = 'checkpoint' AND r.learning = 1 AND r.robot = ? AND r.algo = ? AND (? IS NULL OR r.task = ?)
       ORDER BY e.id DESC`,
    )
    .all(match.robot, match.algo, match.task, match.task) as CheckpointRow[];
}
