import type { Calibration } from '../calibration/types.js';
import type { JointState } from '../core/joint-state.js';
import type { EpisodeStart } from '../core/robot.js';
import type { Rng } from '../util/rng.js';

/**
 * A task turns joint readings into observations and rewards, and says where each episode starts.
 * The built-in tasks are pure: no I/O, no clock; the control loop calls them once per tick. A task
 * module (docs/tasks.md) may take its reward from an outside signal, and then says how old it is.
 */
export interface Task {
  readonly name: string;
  /** Length of the observation vector. */
  readonly obsDim: number;
  /** Steps after which an episode is truncated (a time limit, not a terminal state). */
  readonly episodeSteps: number;
  /**
   * Draws the episode's goal and returns where the episode starts. In simulation the twin is put
   * there directly; on hardware the homing trajectory drives the robot to the pose, at rest.
   */
  beginEpisode(rng: Rng): EpisodeStart;
  /**
   * Writes the observation for a state. `previousAction` [joints] is the last applied command
   * expressed as an action in [-1, 1] (part of the robot's state once rate limits apply).
   */
  observe(state: JointState, previousAction: Float32Array, out: Float32Array): void;
  /**
   * Reward of one step: from `previous`, the applied `command` [joints, joint units] led to `next`.
   * (Gymnasium's Pendulum scores the state the step started from, a reacher the one it reached.)
   */
  reward(previous: JointState, command: Float64Array, next: JointState): number;
  /** True when `state` ends the episode for good (no bootstrapping past it). */
  isTerminal(state: JointState): boolean;
  /** Task parameters, stored with the run. */
  describe(): Record<string, number | string>;
  /**
   * Age [s] of the outside signal the last `reward` came from (a camera, a button), stored with the
   * step (`steps.reward_age_s`); null or absent when the reward comes from the joint readings alone.
   */
  rewardAgeS?(): number | null;
  /** Releases what the task holds (an MQTT subscription) at the end of the run. */
  close?(): void | Promise<void>;
}

export type TaskFactory = (calibration: Calibration) => Task;
