import { readFloat32Blob } from '../store/codec.js';
import type { Db } from '../store/database.js';
import { ReplayError, type LoggedEpisode } from './episode.js';

/** The run a logged episode comes from, as its row in `runs` describes it. */
export interface SourceRun {
  runId: number;
  name: string;
  robot: string;
  task: string;
  algo: string;
  noise: string;
  seed: number;
  /** Measured joints (driven first). */
  jointNames: string[];
  /** Every option of the run (`runs.config`). */
  config: Record<string, unknown>;
  codeVersion: string;
}

/** An episode read from the run store, with what the replay needs to know about its run. */
export interface StoredEpisode extends LoggedEpisode {
  run: SourceRun;
  episode: number;
  evaluation: boolean;
  termination: string | null;
  /** Sum of the logged rewards (`episodes.return`). */
  loggedReturn: number | null;
  /** [obsDim] the logged observation of step 0: tells whether a task was rebuilt with the same goal. */
  firstObs: Float32Array;
}

interface RunRow {
  id: number;
  name: string;
  robot: string;
  task: string;
  algo: string;
  noise: string;
  seed: number;
  joint_names: string;
  config: string;
  calibration: string;
  code_version: string;
}

interface EpisodeRow {
  evaluation: number;
  termination: string | null;
  return: number | null;
  continuity_cost: number | null;
}

interface StepRow {
  step: number;
  position: Buffer;
  velocity: Buffer;
  command: Buffer;
  reward: number | null;
}

/** Reads one run's row; throws a `ReplayError` naming the runs that exist when it is not there. */
function readSourceRun(db: Db, runId: number): SourceRun & { calibrationSnapshot: Record<string, unknown> } {
  const row = db
    .prepare(`SELECT id, name, robot, task, algo, noise, seed, joint_names, config, calibration, code_version FROM runs WHERE id = ?`)
    .get(runId) as RunRow | undefined;
  if (!row) {
    const range = db.prepare(`SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n FROM runs`).get() as {
      first: number | null;
      last: number | null;
      n: number;
    };
    throw new ReplayError(`no run ${runId} in ${db.name} (${range.n === 0 ? 'it has no runs' : `runs ${range.first} to ${range.last}`})`);
  }
  return {
    runId: row.id,
    name: row.name,
    robot: row.robot,
    task: row.task,
    algo: row.algo,
    noise: row.noise,
    seed: row.seed,
    jointNames: JSON.parse(row.joint_names) as string[],
    config: JSON.parse(row.config) as Record<string, unknown>,
    codeVersion: row.code_version,
    calibrationSnapshot: JSON.parse(row.calibration) as Record<string, unknown>,
  };
}

/** Reads episode `episode` of run `runId` with all its steps, in order. */
export function readStoredEpisode(db: Db, runId: number, episode: number): StoredEpisode {
  const { calibrationSnapshot, ...run } = readSourceRun(db, runId);
  const episodeRow = db
    .prepare(`SELECT evaluation, termination, return, continuity_cost FROM episodes WHERE run_id = ? AND episode = ?`)
    .get(runId, episode) as EpisodeRow | undefined;
  if (!episodeRow) {
    const count = (db.prepare(`SELECT COUNT(*) AS n FROM episodes WHERE run_id = ?`).get(runId) as { n: number }).n;
    throw new ReplayError(`run ${runId} has no episode ${episode} (it has ${count} episodes, numbered from 0)`);
  }
  const rows = db
    .prepare(`SELECT step, position, velocity, command, reward FROM steps WHERE run_id = ? AND episode = ? ORDER BY step`)
    .all(runId, episode) as StepRow[];
  if (rows.length === 0) throw new ReplayError(`episode ${episode} of run ${runId} has no steps in the store`);
  rows.forEach((row, t) => {
    if (row.step !== t) throw new ReplayError(`episode ${episode} of run ${runId}: step ${t} is missing from the store`);
  });
  const firstObs = db.prepare(`SELECT obs FROM steps WHERE run_id = ? AND episode = ? AND step = 0`).get(runId, episode) as { obs: Buffer };
  const controlHz = calibrationSnapshot['controlHz'];
  const commandMode = calibrationSnapshot['commandMode'];
  if (typeof controlHz !== 'number' || (commandMode !== 'position' && commandMode !== 'effort')) {
    throw new ReplayError(`run ${runId}: its calibration snapshot has no controlHz or commandMode`);
  }
  return {
    run,
    episode,
    evaluation: episodeRow.evaluation === 1,
    termination: episodeRow.termination,
    loggedReturn: episodeRow.return,
    firstObs: readFloat32Blob(firstObs.obs),
    robot: run.robot,
    controlHz,
    commandMode: commandMode,
    jointNames: run.jointNames,
    positionRad: rows.map((row) => Float64Array.from(readFloat32Blob(row.position))),
    velocityRadS: rows.map((row) => Float64Array.from(readFloat32Blob(row.velocity))),
    command: rows.map((row) => Float64Array.from(readFloat32Blob(row.command))),
    reward: rows.map((row) => row.reward),
    continuityCost: episodeRow.continuity_cost,
  };
}
