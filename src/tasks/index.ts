import type { Calibration } from '../calibration/types.js';
import { FurutaSwingUpTask } from './furuta.js';
import { PendulumSwingUpTask } from './pendulum.js';
import { ReachTask } from './reach.js';
import type { Task } from './task.js';
import { UsageError } from '../util/errors.js';

/** Tasks by name; `--task` picks one, otherwise the robot's default. */
const tasks: Record<string, (calibration: Calibration, episodeSteps?: number) => Task> = {
  reach: (calibration, episodeSteps) => new ReachTask(calibration, episodeSteps),
  swingup: (calibration, episodeSteps) => new PendulumSwingUpTask(calibration, episodeSteps),
  furuta: (calibration, episodeSteps) => new FurutaSwingUpTask(calibration, episodeSteps),
};

export const TASK_NAMES = Object.keys(tasks);

export function createTask(name: string, calibration: Calibration, episodeSteps?: number): Task {
  const factory = tasks[name];
  if (!factory) throw new UsageError(`unknown task '${name}'; known tasks: ${TASK_NAMES.join(', ')}`);
  return factory(calibration, episodeSteps);
}
