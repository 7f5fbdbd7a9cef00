import type { Calibration } from '../calibration/types.js';
import { FurutaSwingUpTask } from './furuta.js';
import { PendulumSwingUpTask } from './pendulum.js';
import { ReachTask } from './reach.js';
import type { Task } from './task.js';
import { UsageError } from '../util/errors.js';
import { isTaskModulePath } from '../calibration/load.js';
import { loadTaskModule } from './module.js';

/** Built-in tasks by name; `--task` picks one, otherwise the robot's `defaultTask`. */
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

/**
 * The task of a run: `spec` is a built-in task's name or a task module's path (docs/tasks.md); null
 * takes the calibration's `defaultTask`.
 */
export async function loadTask(spec: string | null, calibration: Calibration, episodeSteps?: number): Promise<Task> {
  const chosen = spec ?? calibration.defaultTask;
  if (chosen === null) {
    throw new UsageError(
      `say which task to train: --task NAME (${TASK_NAMES.join(', ')}) or --task ./my-task.mjs, or name one as "defaultTask" in ${calibration.sourcePath}`,
    );
  }
  if (isTaskModulePath(chosen)) return loadTaskModule(chosen, calibration, episodeSteps === undefined ? {} : { episodeSteps });
  try {
    return createTask(chosen, calibration, episodeSteps);
  } catch (error) {
    // A --task that does not fit the robot: say which one does.
    const fallback = calibration.defaultTask;
    if (!(error instanceof UsageError) || spec === null || fallback === null || fallback === spec) throw error;
    throw new UsageError(`${error.message}; '${calibration.robot}' trains '${fallback}' when --task is left out`, { cause: error });
  }
}
