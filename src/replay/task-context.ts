import type { Calibration } from '../calibration/types.js';
import { ActionMap } from '../control/action-map.js';
import { createJointState } from '../core/joint-state.js';
import { createTask } from '../tasks/index.js';
import type { Task } from '../tasks/task.js';
import { runStreams } from '../training/streams.js';
import type { Rng } from '../util/rng.js';
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
 * where the log does.
 */
export function rebuildTask(calibration: Calibration, stored: StoredEpisode, episodeSteps: number): { task: Task; taskRng: Rng } {
  const task = createTask(stored.run.task, calibration, episodeSteps);
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
