import { sleep, systemClock, type Clock } from '../core/clock.js';
import type { JointCommand, JointState } from '../core/joint-state.js';
import type { EpisodeStart, Robot } from '../core/robot.js';
import type { SimRobot } from './sim-robot.js';

/**
 * The twin kept at its control rate in wall time, as a robot is (`--sim NAME --realtime`): each step
 * answers one control period after the previous one, instead of as fast as the CPU allows. What it
 * learns is the same; what changes is the pace the rest of the system sees, which matters where
 * something else runs beside the robot at its own pace: a fleet's learner, a dashboard, an operator.
 *
 * A step that starts late (a busy machine, a stopped process) is not made up by a burst of short
 * periods: the schedule restarts from it, as a robot's clock runs on while its host is away.
 */
export class RealTimeRobot implements Robot {
  readonly source = 'sim' as const;
  private readonly periodMs: number;
  /** When the state of the step under way is due [ms on `clock`]. */
  private dueMs = 0;

  constructor(
    private readonly twin: SimRobot,
    controlHz: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.periodMs = 1000 / controlHz;
  }

  startEpisode(start: EpisodeStart): JointState {
    this.dueMs = this.clock.nowMs();
    return this.twin.startEpisode(start);
  }

  async step(command: JointCommand): Promise<JointState> {
    const now = this.clock.nowMs();
    this.dueMs = now - this.dueMs > this.periodMs ? now + this.periodMs : this.dueMs + this.periodMs;
    const state = this.twin.step(command);
    // At most one period: a stop waits for it rather than abandon a step half done.
    await sleep(this.clock, this.dueMs - this.clock.nowMs());
    return state;
  }

  stop(): void {
    this.twin.stop();
  }

  close(): void {
    this.twin.close();
  }
}
