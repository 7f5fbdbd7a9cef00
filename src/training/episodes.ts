import type { ControlLoop, EpisodeResult } from '../control/loop.js';
import type { Robot } from '../core/robot.js';
import { RobotLinkError } from '../device/errors.js';
import type { OperatorEStop } from '../core/operator-estop.js';
import type { RunRecorder } from '../store/recorder.js';

/**
 * What the robot of a run is doing, as the operator sees it (the dashboard): brought to an episode's
 * start (`homing`: the homing move on hardware, the twin's reset), stepping (`running`), or waiting
 * for a robot whose link was lost to answer again (`link lost`). The operator's e-stop is reported
 * beside it.
 */
export type RobotPhase = 'homing' | 'running' | 'link lost';

/**
 * How often the runner lets timers, signal handlers and the control socket (`robo-train estop`) run
 * while a fast simulation steps [ms]: it bounds how late an operator's e-stop is seen. One turn of
 * the event loop costs tens of microseconds.
 */
const YIELD_EVERY_MS = 10;

/**
 * Runs episodes on a robot through the control loop: the robot is brought to the episode's start,
 * then each state is answered by one tick until the task, the step budget or a stop request ends the
 * episode.
 *
 * A robot fault (lost link, watchdog, device fault) ends the episode as 'aborted' with its reason,
 * records an event of the fault's kind and puts the robot in its safe state; the run goes on, and the
 * next `startEpisode` waits for the robot to come back (or fails after `--reconnect-s`). Fatal faults
 * (version mismatch, e-stop set on the robot, ...) propagate and end the run.
 *
 * The operator's e-stop ends the episode at once as 'aborted' (no further command is sent) and puts
 * the robot in its safe state; `waitWhileEStopped` then holds the run until the operator clears it.
 */
export class EpisodeRunner {
  /**
   * When the runner last let the event loop turn [performance.now() ms]. Kept across episodes: a twin's
   * episode can take less than `YIELD_EVERY_MS`, and signals and the control socket must still be
   * served while it trains.
   */
  private lastYieldMs = performance.now();
  /** An episode ended on a lost link: until the robot is back, the run waits for it. */
  private linkLost = false;

  constructor(
    private readonly loop: ControlLoop,
    private readonly robot: Robot,
    private readonly recorder: RunRecorder,
    private readonly log: (line: string) => void,
    private readonly stop: AbortSignal,
    private readonly operatorEStop: OperatorEStop,
    /** What goes on once the operator clears an e-stop, as the log says it: `training`, or a policy run's `the policy run`. */
    private readonly activity: string,
    private readonly onPhase: (phase: RobotPhase) => void = () => {},
  ) {}

  /**
   * Before an episode: while the operator's e-stop is latched, record it, say how to clear it and
   * wait (a stop request ends the wait). Recorded again as `estop_clear` when released.
   */
  async waitWhileEStopped(): Promise<void> {
    const reason = this.operatorEStop.reason;
    if (reason === null) return;
    this.log(`e-stopped (${reason}): the robot is held; clear with \`robo-train estop --clear\` or SIGUSR2 to process ${process.pid}`);
    await this.operatorEStop.waitForClear(this.stop);
    if (!this.operatorEStop.latched) {
      this.recorder.event('estop_clear', `cleared by the operator (was: ${reason})`);
      this.log(`e-stop cleared: ${this.activity} continues with a new episode`);
    }
  }

  /**
   * One episode. `budgetLeft` says whether another training step may be taken (the run's `--steps`);
   * `onStep` counts each one. Evaluation episodes ignore the budget and are not counted.
   */
  async run(evaluation: boolean, budgetLeft: () => boolean, onStep: () => void): Promise<EpisodeResult> {
    try {
      return await this.steps(evaluation, budgetLeft, onStep);
    } catch (error) {
      const { loop, stop } = this;
      if (!(error instanceof RobotLinkError) || (error.fatal && !stop.aborted) || !loop.inEpisode) throw error;
      const episode = loop.endEpisode(stop.aborted ? 'interrupted' : 'aborted', error.message);
      this.linkLost = true;
      this.onPhase('link lost');
      if (!stop.aborted) {
        this.recorder.event(error.kind, error.message, episode.episode);
        this.log(`episode ${episode.episode} aborted (${error.kind}): ${error.message}; waiting for the robot`);
      }
      await Promise.resolve(this.robot.stop(error.message)).catch(() => undefined);
      return episode;
    }
  }

  /**
   * The tick itself is synchronous; the runner awaits the robot (a device session answers
   * asynchronously, the twin at once); with the twin it yields to the event loop every `YIELD_EVERY_MS`.
   */
  private async steps(evaluation: boolean, budgetLeft: () => boolean, onStep: () => void): Promise<EpisodeResult> {
    const { loop, robot, stop } = this;
    this.onPhase(this.linkLost ? 'link lost' : 'homing');
    // The episode begins with a robot that answered: a failed handshake is the run's failure, not an episode's.
    await robot.prepare?.();
    const start = loop.beginEpisode(evaluation);
    if (this.linkLost) {
      this.linkLost = false;
      this.onPhase('homing');
    }
    let state = await robot.startEpisode(start);
    loop.robotReady(state);
    this.onPhase('running');
    for (;;) {
      if (stop.aborted) return loop.interruptAt(state, `stopped by ${String(stop.reason ?? 'request')}`);
      if (this.operatorEStop.latched) return this.eStopped();
      // The step budget ends the run, not the task: the episode is cut like a time limit.
      if (!evaluation && !budgetLeft() && !loop.atTimeLimit) return loop.interruptAt(state, 'step budget (--steps) reached');
      const command = loop.tick(state);
      if (command === null) return loop.endEpisode();
      if (!evaluation) onStep();
      const next = robot.step(command);
      if (next instanceof Promise) {
        // A device's state arrives as I/O: the event loop runs while we wait, and the next tick
        // starts as soon as the state is in (no extra turn between them).
        state = await next;
      } else {
        state = next;
        if (performance.now() - this.lastYieldMs > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          this.lastYieldMs = performance.now();
        }
      }
    }
  }

  /** The operator's e-stop fired during the episode: end it here, safe state, event. */
  private async eStopped(): Promise<EpisodeResult> {
    const reason = `e-stop by the operator (${this.operatorEStop.reason})`;
    const episode = this.loop.endEpisode('aborted', reason);
    this.recorder.event('operator_estop', reason, episode.episode);
    await this.robot.stop(reason);
    return episode;
  }
}
