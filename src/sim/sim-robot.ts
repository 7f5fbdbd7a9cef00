import type { Calibration } from '../calibration/types.js';
import type { EpisodeStart, Robot } from '../core/robot.js';
import { createJointState, type JointCommand, type JointState } from '../core/joint-state.js';
import { MujocoTwin } from './twin.js';

/**
 * The MuJoCo twin driven in-process, as fast as the CPU allows: one `step` is one control period of
 * simulated time. Episodes start by teleporting the twin (the simulated robot needs no homing).
 */
export class SimRobot implements Robot {
  readonly source = 'sim' as const;
  private readonly state: JointState;

  private constructor(readonly twin: MujocoTwin) {
    this.state = createJointState(twin.jointCount);
  }

  static async create(calibration: Calibration, seed: number): Promise<SimRobot> {
    return new SimRobot(await MujocoTwin.create(calibration, seed));
  }

  startEpisode(start: EpisodeStart): JointState {
    this.twin.resetTo(start.positionRad, start.velocityRadS ?? undefined);
    this.twin.read(this.state);
    return this.state;
  }

  step(command: JointCommand): JointState {
    this.twin.command(command.target);
    this.twin.advance();
    this.twin.read(this.state);
    return this.state;
  }

  /** Nothing to protect in simulation: the next episode teleports the twin anyway. */
  stop(): void {}

  close(): void {
    this.twin.dispose();
  }
}
