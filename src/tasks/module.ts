import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Calibration } from '../calibration/types.js';
import type { JointState } from '../core/joint-state.js';
import type { EpisodeStart } from '../core/robot.js';
import { RoboTrainError, RunFailedError, UsageError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { Task } from './task.js';

/** A task module that cannot be used as it is (missing file, syntax error, a method missing): exit 2. */
export class TaskModuleUsageError extends UsageError {}

/** A task module's method that threw or returned something unusable during a run: exit 1. */
export class TaskModuleFailedError extends RunFailedError {}

/** What a task module's default export is given besides the robot (docs/tasks.md). */
export interface TaskModuleOptions {
  /** `--episode-steps`, when given. */
  episodeSteps?: number;
}

/** Largest observation a task module may declare: far above any robot's, it keeps a typo from allocating gigabytes. */
const MAX_OBS_DIM = 65_536;

/**
 * Loads `--task ./file.mjs`: its default export is called with the robot's calibration and the options
 * and returns (or resolves to) an object with the members of `Task` (docs/tasks.md). The object is
 * checked once here and every call to it is checked at run time, so that a mistake in a user's module
 * ends in one line naming the module and the method instead of a NaN deep in the learner.
 */
export async function loadTaskModule(path: string, calibration: Calibration, options: TaskModuleOptions): Promise<Task> {
  const file = resolve(path);
  if (!existsSync(file)) throw new TaskModuleUsageError(`task module ${file} does not exist`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new TaskModuleUsageError(`task module ${file} cannot be loaded: ${oneLine(error)}`);
  }
  const factory = module['default'];
  if (typeof factory !== 'function') {
    throw new TaskModuleUsageError(
      `task module ${file} must export a default function (robot, options) => task; its default export is ${typeof factory}`,
    );
  }
  let created: unknown;
  try {
    created = await (factory as (robot: Calibration, options: TaskModuleOptions) => unknown)(calibration, { ...options });
  } catch (error) {
    if (error instanceof RoboTrainError) throw error;
    throw new TaskModuleUsageError(`task module ${file}: its default export threw: ${oneLine(error)}`);
  }
  return new ModuleTask(file, checkShape(file, created), calibration);
}

/** The members a task module's object must have, as read from it. */
interface UserTask {
  name: string;
  obsDim: number;
  episodeSteps: number;
  beginEpisode(rng: Rng): unknown;
  observe(state: JointState, previousAction: Float32Array, out: Float32Array): unknown;
  reward(previous: JointState, command: Float64Array, next: JointState): unknown;
  isTerminal(state: JointState): unknown;
  describe?(): unknown;
  rewardAgeS?(): unknown;
  close?(): unknown;
}

const REQUIRED_METHODS = ['beginEpisode', 'observe', 'reward', 'isTerminal'] as const;
const OPTIONAL_METHODS = ['describe', 'rewardAgeS', 'close'] as const;

function checkShape(file: string, created: unknown): UserTask {
  const fail = (problem: string): never => {
    throw new TaskModuleUsageError(`task module ${file}: ${problem} (see docs/tasks.md)`);
  };
  if (created === null || typeof created !== 'object')
    return fail(`its default export returned ${describeValue(created)}, not a task object`);
  const task = created as Record<string, unknown>;
  if (typeof task['name'] !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(task['name']))
    fail(`name must be 1 to 64 letters, digits, '_', '.' or '-' (got ${describeValue(task['name'])})`);
  for (const field of ['obsDim', 'episodeSteps']) {
    const value = task[field];
    if (!(Number.isInteger(value) && (value as number) >= 1 && (field !== 'obsDim' || (value as number) <= MAX_OBS_DIM)))
      fail(`${field} must be a whole number from 1${field === 'obsDim' ? ` to ${MAX_OBS_DIM}` : ''} (got ${describeValue(value)})`);
  }
  for (const method of REQUIRED_METHODS) {
    if (typeof task[method] !== 'function') fail(`${method}() is missing: a task implements ${REQUIRED_METHODS.join(', ')}`);
  }
  for (const method of OPTIONAL_METHODS) {
    if (task[method] !== undefined && typeof task[method] !== 'function') fail(`${method} must be a method when given`);
  }
  return created as UserTask;
}

/** A user's task behind the `Task` interface, every call checked. */
class ModuleTask implements Task {
  readonly name: string;
  readonly obsDim: number;
  readonly episodeSteps: number;
  private readonly measuredJoints: number;

  constructor(
    private readonly file: string,
    private readonly user: UserTask,
    calibration: Calibration,
  ) {
    this.name = user.name;
    this.obsDim = user.obsDim;
    this.episodeSteps = user.episodeSteps;
    this.measuredJoints = calibration.joints.length + calibration.passiveJoints.length;
  }

  beginEpisode(rng: Rng): EpisodeStart {
    const start = this.call('beginEpisode', () => this.user.beginEpisode(rng));
    if (start === null || typeof start !== 'object')
      this.fail('beginEpisode', `returned ${describeValue(start)}, not { positionRad, velocityRadS }`);
    const { positionRad, velocityRadS } = start as Record<string, unknown>;
    return {
      positionRad: this.jointVector('beginEpisode', 'positionRad', positionRad),
      velocityRadS:
        velocityRadS === null || velocityRadS === undefined ? null : this.jointVector('beginEpisode', 'velocityRadS', velocityRadS),
    };
  }

  observe(state: JointState, previousAction: Float32Array, out: Float32Array): void {
    this.call('observe', () => this.user.observe(state, previousAction, out));
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i])) this.fail('observe', `wrote ${out[i]} to out[${i}]: observations must be finite numbers`);
    }
  }

  reward(previous: JointState, command: Float64Array, next: JointState): number {
    const reward = this.call('reward', () => this.user.reward(previous, command, next));
    if (typeof reward !== 'number' || !Number.isFinite(reward))
      this.fail('reward', `returned ${describeValue(reward)}, not a finite number`);
    return reward;
  }

  isTerminal(state: JointState): boolean {
    const terminal = this.call('isTerminal', () => this.user.isTerminal(state));
    if (typeof terminal !== 'boolean') this.fail('isTerminal', `returned ${describeValue(terminal)}, not true or false`);
    return terminal;
  }

  rewardAgeS(): number | null {
    if (!this.user.rewardAgeS) return null;
    const age = this.call('rewardAgeS', () => this.user.rewardAgeS!());
    if (age === null) return null;
    if (typeof age !== 'number' || !(age >= 0))
      this.fail('rewardAgeS', `returned ${describeValue(age)}, not a number of seconds >= 0 or null`);
    return age;
  }

  describe(): Record<string, number | string> {
    const own = this.user.describe ? this.call('describe', () => this.user.describe!()) : {};
    if (own === null || typeof own !== 'object') this.fail('describe', `returned ${describeValue(own)}, not an object`);
    const out: Record<string, number | string> = {};
    for (const [key, value] of Object.entries(own as Record<string, unknown>)) {
      if (typeof value !== 'number' && typeof value !== 'string')
        this.fail('describe', `gave ${key} = ${describeValue(value)}: values are numbers or strings`);
      out[key] = value;
    }
    // The module's path goes with the run, so that `robo-train config RUN` names it again.
    return { ...out, task: this.name, module: this.file };
  }

  async close(): Promise<void> {
    if (!this.user.close) return;
    try {
      await this.user.close();
    } catch (error) {
      throw new TaskModuleFailedError(`task module ${this.file}: close() threw: ${oneLine(error)}`);
    }
  }

  private call<T>(method: string, action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw new TaskModuleFailedError(`task module ${this.file}: ${method}() threw: ${oneLine(error)}`);
    }
  }

  private fail(method: string, problem: string): never {
    throw new TaskModuleFailedError(`task module ${this.file}: ${method}() ${problem}`);
  }

  private jointVector(method: string, field: string, value: unknown): Float64Array {
    const values = ArrayBuffer.isView(value) || Array.isArray(value) ? Array.from(value as ArrayLike<number>) : null;
    if (values === null || values.length !== this.measuredJoints || !values.every(Number.isFinite)) {
      this.fail(
        method,
        `returned ${field} ${describeValue(value)}: it must list one finite number per measured joint (${this.measuredJoints})`,
      );
    }
    return Float64Array.from(values);
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `'${value.slice(0, 60)}'`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'function' ? 'a function' : `a${ArrayBuffer.isView(value) ? ' typed array' : 'n object'}`;
}
