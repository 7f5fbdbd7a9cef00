import type { Calibration } from '../calibration/types.js';
import type { JointState } from '../core/joint-state.js';
import type { Rng } from '../util/rng.js';
import type { EpisodeStart } from '../core/robot.js';
import type { Task } from './task.js';
import { UsageError } from '../util/errors.js';

/**
 * Gymnasium's Pendulum-v1 task, exactly, on the one-joint `pendulum` twin (θ = 0 upright):
 * - observation [cos θ, sin θ, θ'];
 * - reward −(normalize(θ)² + 0.1 θ'² + 0.001 u²) of the state the step starts from and the applied
 *   torque u (N·m, within ±2), with normalize(θ) wrapping θ into [−π, π);
 * - start θ ~ U(−π, π), θ' ~ U(−1, 1); 200 steps, truncated (never terminated).
 * With these, returns compare one to one with SB3 figures for Pendulum-v1 (−150 to −200 is "solved").
 */
export class PendulumSwingUpTask implements Task {
  readonly name = 'swingup';
  readonly obsDim = 3;
  readonly episodeSteps: number;

  constructor(calibration: Calibration, episodeSteps = 200) {
    if (calibration.commandMode !== 'effort' || calibration.joints.length !== 1) {
      throw new UsageError(
        `the swingup task needs a one-joint robot with effort commands; '${calibration.robot}' has ${calibration.joints.length} joints in ${calibration.commandMode} mode`,
      );
    }
    this.episodeSteps = episodeSteps;
  }

  beginEpisode(rng: Rng): EpisodeStart {
    return {
      positionRad: Float64Array.of(rng.uniformIn(-Math.PI, Math.PI)),
      velocityRadS: Float64Array.of(rng.uniformIn(-1, 1)),
    };
  }

  observe(state: JointState, _previousAction: Float32Array, out: Float32Array): void {
    const angle = state.positionRad[0];
    out[0] = Math.cos(angle);
    out[1] = Math.sin(angle);
    out[2] = state.velocityRadS[0];
  }

  reward(previous: JointState, command: Float64Array): number {
    const angle = normalizeAngle(previous.positionRad[0]);
    const velocity = previous.velocityRadS[0];
    const torque = command[0];
    return -(angle * angle + 0.1 * velocity * velocity + 0.001 * torque * torque);
  }

  isTerminal(): boolean {
    return false;
  }

  describe(): Record<string, number | string> {
    return { task: this.name, episodeSteps: this.episodeSteps };
  }
}

/** θ wrapped into [−π, π), as Gymnasium's `angle_normalize` ((θ + π) mod 2π − π with a floored modulo). */
export function normalizeAngle(angle: number): number {
  const period = 2 * Math.PI;
  const shifted = angle + Math.PI;
  return shifted - period * Math.floor(shifted / period) - Math.PI;
}
