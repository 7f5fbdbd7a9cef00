import { existsSync } from 'node:fs';
import { isTaskModulePath, loadCalibration } from '../calibration/load.js';
import { readDatabase } from '../store/database.js';
import { checkpointsOf } from '../store/queries.js';
import type { TrainConfig } from './config.js';

/**
 * `--resume auto`: the checkpoint a restarted service continues from. It is the newest checkpoint
 * that a learning run of the same robot and algorithm (and the same built-in task; a task module is
 * matched by the robot alone) wrote into `--db`, whose file is still there; null when there is none,
 * and the run starts afresh. A run killed between checkpoints continues from its last one: its
 * step rows stay stored, the learner goes back to the checkpoint's updates.
 */
export function latestCheckpoint(config: TrainConfig): string | null {
  if (!existsSync(config.db)) return null;
  const calibration = loadCalibration(config.sim ?? config.robot ?? '');
  const task = config.task ?? calibration.defaultTask;
  const match = { robot: calibration.robot, algo: config.algo, task: task === null || isTaskModulePath(task) ? null : task };
  const found = readDatabase(config.db, (db) => checkpointsOf(db, match));
  return found.find((checkpoint) => existsSync(checkpoint.path))?.path ?? null;
}
