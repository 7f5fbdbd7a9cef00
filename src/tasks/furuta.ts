import type { Calibration } from '../calibration/types.js';
import type { JointState } from '../core/joint-state.js';
import type { Rng } from '../util/rng.js';
import type { EpisodeStart } from '../core/robot.js';
import type { Task } from './task.js';
import { UsageError } from '../util/errors.js';

/**
 * Swing-up and balance on a rotary inverted pendulum (the `furuta` twin, or the real QUBE-class
 * robot behind the same calibration): one driven arm joint in effort mode, one passive pendulum
 * joint whose angle α is 0 upright and π hanging down.
 *
 * Observation (6 values, each within about [-1, 1]): [cos θ, sin θ, cos α, sin α, θ' / θ'_max,
 * α' / 20 rad/s], θ the arm angle, θ'_max its velocity limit; 20 rad/s is about the pendulum's top
 * speed (falling from upright, ω = √(4 m g l / J) ≈ 21 rad/s on the QUBE).
 *
 * Reward of a step, from the state it reached and the applied torque u:
 *
 *     r = ((1 + cos α) / 2) · (1 − 0.5 min(1, (θ / θ_soft)²)) · (1 − 0.1 (u / u_max)²)
 *
 * in [0, 1]: 1 upright with the arm centred and no effort; 0 hanging down. θ_soft is the distance
 * from 0 to the nearer end of the arm's soft range. Being non-negative, the reward never makes an early end attractive.
 *
 * Episodes start at the home pose with the pendulum hanging (α = π + U(−0.05, 0.05), at rest: the
 * small offset varies the first swings) and last `episodeSteps` (500 = 5 s at 100 Hz). They end
 * early (terminated) when the arm leaves its hard range: on the QUBE that is the cable's limit.
 */
export class FurutaSwingUpTask implements Task {
  readonly name = 'furuta';
  readonly obsDim = 6;
  readonly episodeSteps: number;
  /** Scale of the pendulum's velocity in the observation [rad/s]. */
  readonly pendulumVelocityScaleRadS = 20;
  private readonly homeRad: number;
  private readonly inverseMaxArmVelocity: number;
  private readonly inverseSoftLimit: number;
  private readonly inverseMaxEffort: number;
  /** Hard range of the arm [rad]; infinite for an arm without one. */
  private readonly armLowRad: number;
  private readonly armHighRad: number;
  private readonly startJitterRad = 0.05;

  constructor(calibration: Calibration, episodeSteps = 500) {
    if (calibration.commandMode !== 'effort' || calibration.joints.length !== 1 || calibration.passiveJoints.length !== 1) {
      throw new UsageError(
        `the furuta task needs one driven joint in effort mode and one passive pendulum joint; '${calibration.robot}' has ` +
          `${calibration.joints.length} driven (${calibration.commandMode}) and ${calibration.passiveJoints.length} passive`,
      );
    }
    const arm = calibration.joints[0];
    const { limits } = arm;
    this.episodeSteps = episodeSteps;
    this.homeRad = arm.homeRad;
    this.inverseMaxArmVelocity = 1 / limits.maxVelocityRadS;
    this.inverseMaxEffort = 1 / limits.maxEffortNm!;
    this.armLowRad = limits.minPositionRad ?? Number.NEGATIVE_INFINITY;
    this.armHighRad = limits.maxPositionRad ?? Number.POSITIVE_INFINITY;
    // The nearer end of the soft range seen from 0; without a range, a half turn.
    const softLimit =
      limits.maxPositionRad === null || limits.minPositionRad === null
        ? Math.PI
        : Math.min(limits.maxPositionRad - limits.softMarginRad, -(limits.minPositionRad + limits.softMarginRad));
    this.inverseSoftLimit = 1 / softLimit;
  }

  beginEpisode(rng: Rng): EpisodeStart {
    return {
      positionRad: Float64Array.of(this.homeRad, Math.PI + rng.uniformIn(-this.startJitterRad, this.startJitterRad)),
      velocityRadS: null,
    };
  }

  observe(state: JointState, _previousAction: Float32Array, out: Float32Array): void {
    const arm = state.positionRad[0];
    const pendulum = state.positionRad[1];
    out[0] = Math.cos(arm);
    out[1] = Math.sin(arm);
    out[2] = Math.cos(pendulum);
    out[3] = Math.sin(pendulum);
    out[4] = state.velocityRadS[0] * this.inverseMaxArmVelocity;
    out[5] = state.velocityRadS[1] / this.pendulumVelocityScaleRadS;
  }

  reward(_previous: JointState, command: Float64Array, next: JointState): number {
    const upright = 0.5 * (1 + Math.cos(next.positionRad[1]));
    const arm = next.positionRad[0] * this.inverseSoftLimit;
    const effort = command[0] * this.inverseMaxEffort;
    return upright * (1 - 0.5 * Math.min(1, arm * arm)) * (1 - 0.1 * Math.min(1, effort * effort));
  }

  isTerminal(state: JointState): boolean {
    const arm = state.positionRad[0];
    return arm < this.armLowRad || arm > this.armHighRad;
  }

  describe(): Record<string, number | string> {
    return {
      task: this.name,
      episodeSteps: this.episodeSteps,
      pendulumVelocityScaleRadS: this.pendulumVelocityScaleRadS,
      startJitterRad: this.startJitterRad,
    };
  }
}
