import type { Calibration } from '../calibration/types.js';
import type { JointState } from '../core/joint-state.js';
import type { Rng } from '../util/rng.js';
import type { EpisodeStart } from '../core/robot.js';
import type { Task } from './task.js';
import { UsageError } from '../util/errors.js';

/**
 * Reach a joint-space goal pose drawn at random for every episode.
 *
 * Observation (4 × joints values, all roughly in [-1, 1]): joint positions normalised to the soft
 * range, joint velocities divided by their limit, the goal normalised like the positions, and the
 * previous applied command as an action.
 * Reward per step: minus the Euclidean distance between position and goal in normalised units
 * (0 at the goal; about -1.4 for two joints at opposite ends of their ranges). Episodes last
 * `episodeSteps` steps (2 s at the reacher's 50 Hz) and never terminate early.
 */
export class ReachTask implements Task {
  readonly name = 'reach';
  readonly obsDim: number;
  readonly episodeSteps: number;
  private readonly center: Float64Array;
  private readonly halfRange: Float64Array;
  private readonly inverseMaxVelocity: Float64Array;
  private readonly goalRad: Float64Array;
  private readonly homeRad: Float64Array;
  /** Goals are drawn inside this fraction of each soft range, so that they stay reachable with margin. */
  private readonly goalFraction = 0.9;

  constructor(calibration: Calibration, episodeSteps = 100) {
    if (calibration.commandMode !== 'position')
      throw new UsageError(`the reach task needs position commands; '${calibration.robot}' uses ${calibration.commandMode}`);
    const joints = calibration.joints;
    this.obsDim = 4 * joints.length;
    this.episodeSteps = episodeSteps;
    this.center = new Float64Array(joints.length);
    this.halfRange = new Float64Array(joints.length);
    this.inverseMaxVelocity = new Float64Array(joints.length);
    this.goalRad = new Float64Array(joints.length);
    this.homeRad = Float64Array.from(joints, (joint) => joint.homeRad);
    joints.forEach((joint, j) => {
      const low = joint.limits.minPositionRad! + joint.limits.softMarginRad;
      const high = joint.limits.maxPositionRad! - joint.limits.softMarginRad;
      this.center[j] = 0.5 * (low + high);
      this.halfRange[j] = 0.5 * (high - low);
      this.inverseMaxVelocity[j] = 1 / joint.limits.maxVelocityRadS;
    });
  }

  beginEpisode(rng: Rng): EpisodeStart {
    for (let j = 0; j < this.goalRad.length; j++) {
      this.goalRad[j] = this.center[j] + this.goalFraction * this.halfRange[j] * rng.uniformIn(-1, 1);
    }
    return { positionRad: this.homeRad.slice(), velocityRadS: null };
  }

  observe(state: JointState, previousAction: Float32Array, out: Float32Array): void {
    const joints = this.goalRad.length;
    for (let j = 0; j < joints; j++) {
      out[j] = (state.positionRad[j] - this.center[j]) / this.halfRange[j];
      out[joints + j] = state.velocityRadS[j] * this.inverseMaxVelocity[j];
      out[2 * joints + j] = (this.goalRad[j] - this.center[j]) / this.halfRange[j];
      out[3 * joints + j] = previousAction[j];
    }
  }

  reward(_previous: JointState, _command: Float64Array, state: JointState): number {
    let sum = 0;
    for (let j = 0; j < this.goalRad.length; j++) {
      const error = (state.positionRad[j] - this.goalRad[j]) / this.halfRange[j];
      sum += error * error;
    }
    return -Math.sqrt(sum);
  }

  isTerminal(): boolean {
    return false;
  }

  describe(): Record<string, number | string> {
    return { task: this.name, episodeSteps: this.episodeSteps, goalFraction: this.goalFraction };
  }
}
