import type { Calibration } from '../calibration/types.js';
import { ActionMap } from '../control/action-map.js';
import { createJointState } from '../core/joint-state.js';
import { existsSync } from 'node:fs';
import { createTask } from '../tasks/index.js';
import { loadTaskModule, taskModuleSha256 } from '../tasks/module.js';
import type { Task } from '../tasks/task.js';
import { runStreams } from '../training/streams.js';
import type { Rng } from '../util/rng.js';
import { ReplayError } from './episode.js';
import type { StoredEpisode } from './store.js';

/**
 * The task of a logged episode, rebuilt so that its next `beginEpisode(taskRng)` draws the goal that
 * episode had. A training run draws every episode's goal from the task stream of `runStreams(seed)`,
 * one `beginEpisode` per episode, evaluations included: replaying the draws of the
 * earlier episodes brings a fresh generator to the same point. A resumed run restarted its
 * generator from a checkpoint, so its goals cannot be rebuilt this way; `observesLikeLog` tells
 * whether the rebuild worked.
 *
 * `episodeSteps` is the replay's length (the logged episode's), so that a closed-loop replay stops
 * where the log does. A run that trained with a task module (`--task ./x.mjs`) gets that module
 * again, refused if it is gone or changed since; the caller closes the task.
 */
export async function rebuildTask(
  calibration: Calibration,
  stored: StoredEpisode,
  episodeSteps: number,
): Promise<{ task: Task; taskRng: Rng }> {
  const module = storedTaskModule(stored.run.config);
  const task = module
    ? await loadRecordedModule(module, calibration, episodeSteps, stored.run.runId)
    : createTask(stored.run.task, calibration, episodeSteps);
  const taskRng = runStreams(stored.run.seed).task;
  for (let e = 0; e < stored.episode; e++) task.beginEpisode(taskRng);
  return { task, taskRng };
}

/**
 * After the episode's `beginEpisode`: true when the task observes the logged initial state as the
 * run did (same goal), to float32 precision. Position mode sees "previous command = current pose"
 * in the first observation, effort mode a zero previous action, as the control loop does.
 */
export function observesLikeLog(task: Task, calibration: Calibration, stored: StoredEpisode): boolean {
  if (stored.firstObs.length !== task.obsDim) return false;
  const state = createJointState(stored.jointNames.length);
  state.positionRad.set(stored.positionRad[0]);
  state.velocityRadS.set(stored.velocityRadS[0]);
  const previousAction = new Float32Array(calibration.joints.length);
  if (calibration.commandMode === 'position') new ActionMap(calibration).toAction(state.positionRad, previousAction);
  const obs = new Float32Array(task.obsDim);
  task.observe(state, previousAction, obs);
  return obs.every((value, i) => Math.abs(value - stored.firstObs[i]) <= 1e-4 * Math.max(1, Math.abs(value)));
}

interface RecordedModule {
  path: string;
  /** Absent in runs stored before modules were digested. */
  sha256: string | null;
}

/** The task module a run recorded in its config (`task: { module, moduleSha256 }`), or null for a built-in task. */
function storedTaskModule(config: Readonly<Record<string, unknown>>): RecordedModule | null {
  const task = config['task'];
  if (task === null || typeof task !== 'object') return null;
  const { module, moduleSha256 } = task as { module?: unknown; moduleSha256?: unknown };
  if (typeof module !== 'string') return null;
  return { path: module, sha256: typeof moduleSha256 === 'string' ? moduleSha256 : null };
}

async function loadRecordedModule(module: RecordedModule, calibration: Calibration, episodeSteps: number, runId: number): Promise<Task> {
  if (!existsSync(module.path)) {
    throw new ReplayError(
      `run ${runId} trained with the task module ${module.path}, which is not there any more: put it back to replay the run`,
    );
  }
  const now = taskModuleSha256(module.path);
  if (module.sha256 !== null && now !== module.sha256) {
    throw new ReplayError(
      `the task module ${module.path} changed since run ${runId} trained with it (sha256 ${module.sha256.slice(0, 12)}… then, ` +
        `${now.slice(0, 12)}… now): its goals and rewards would not be the run's; restore that version to replay the run`,
    );
  }
  return loadTaskModule(module.path, calibration, { episodeSteps });
}
