import { measuredJointNames } from '../calibration/load.js';
import type { Calibration } from '../calibration/types.js';
import { ControlLoop, type ControlLoopParts } from '../control/loop.js';
import { CalibratedSafetyStage } from '../control/safety-stage.js';
import type { OperatorEStop } from '../core/operator-estop.js';
import type { Robot } from '../core/robot.js';
import { openDatabase, type Db } from '../store/database.js';
import { StoreError } from '../store/errors.js';
import { DEFAULT_RECORDER_OPTIONS, RunRecorder, type RecorderOptions } from '../store/recorder.js';
import type { RunInfo, RunStatus } from '../store/run-info.js';
import type { Task } from '../tasks/task.js';
import { settledWithin } from '../util/bounded.js';
import { codeVersion } from '../util/version.js';
import type { TrainConfig } from './config.js';
import { connectRobot } from './connect.js';
import { EpisodeRunner, type RobotPhase } from './episodes.js';
import type { RunStreams } from './streams.js';

/**
 * The longest one step of a failed run's shutdown may take [ms] (stopping the robot, closing its
 * session, closing the learner): above the session's own bounds (ACK wait, transport close).
 */
export const SHUTDOWN_STEP_LIMIT_MS = 10_000;

export interface RunIo {
  /** Progress and status lines (stdout). */
  log: (line: string) => void;
  /** Told the run's id once its row exists (the control socket reports it). */
  onRunStarted?: (runId: number) => void;
  /** Told what the robot is doing whenever that changes (the control socket reports it). */
  onPhase?: (phase: RobotPhase) => void;
  /** Handed the robot once it is connected (the dashboard bench reads a device robot's tick latency per window). */
  onRobot?: (robot: Robot) => void;
}

export interface RobotRunSetup {
  config: TrainConfig;
  calibration: Calibration;
  task: Task;
  streams: RunStreams;
  io: RunIo;
  stop: AbortSignal;
  operatorEStop: OperatorEStop;
  /** What the run's row says beyond the robot, task and exploration every run on a robot records. */
  run: Pick<RunInfo, 'name' | 'sweep' | 'config' | 'policyCheckpoint'>;
  recorderOptions?: Partial<RecorderOptions>;
  /** The line that announces the run, once its id is known. */
  announce: (runId: number) => string;
  /** What acts and where its transitions go; the calibration's safety stage and the run's recorder are added here. */
  loop: Pick<ControlLoopParts, 'policy' | 'exploration' | 'onTransition' | 'evaluationStochastic' | 'actionMode'>;
}

/** What the episodes of a run are driven with. */
export interface RobotRun {
  robot: Robot;
  recorder: RunRecorder;
  loop: ControlLoop;
  runner: EpisodeRunner;
}

export interface RobotRunEnd<T> {
  runId: number;
  status: Exclude<RunStatus, 'running' | 'crashed'>;
  reason: string | null;
  value: T;
}

/**
 * The frame every run on a robot shares, training or only acting: the twin is built before the run
 * exists (a bad twin is a usage error with nothing started); the run's row is opened; a hardware
 * robot connects once the run can record its events; the control loop goes through the
 * calibration's safety stage. `episodes` drives the episodes; then the robot is stopped, `beforeFinish`
 * runs (a final checkpoint), and the row is closed 'finished', or 'interrupted' when `stop` aborted.
 * If anything fails, the robot is stopped first, the episode under way ends 'aborted', the error is
 * recorded as a 'fault' event and the row as 'failed', and the error propagates. The robot and the
 * database are closed however the run ends, each step of the shutdown bounded.
 */
export async function runOnRobot<T>(
  setup: RobotRunSetup,
  episodes: (run: RobotRun) => Promise<T>,
  beforeFinish: () => Promise<void> = async () => {},
): Promise<RobotRunEnd<T>> {
  const { config, calibration, streams, io, stop, operatorEStop } = setup;
  let db: Db | null = null;
  let robot: Robot | null = null;
  try {
    if (config.sim !== null)
      robot = await connectRobot(config, calibration, { seed: streams.twin.nextUint32(), log: io.log, signal: stop });
    db = openDatabase(config.db, { check: true });
    const recorder = await RunRecorder.open(
      db,
      {
        ...setup.run,
        source: config.sim ? 'sim' : 'hardware',
        robot: calibration.robot,
        task: setup.task.name,
        algo: config.algo,
        noise: config.noise,
        noiseInterval: config.interval,
        seed: config.seed,
        jointNames: measuredJointNames(calibration),
        calibration: { ...calibration, sourcePath: undefined },
        codeVersion: codeVersion(),
      },
      setup.recorderOptions,
    );
    io.onRunStarted?.(recorder.runId);
    io.log(setup.announce(recorder.runId));
    robot ??= await connectRobot(config, calibration, {
      seed: streams.twin.nextUint32(),
      log: io.log,
      signal: stop,
      event: (kind, detail) => recorder.event(kind, detail),
      operatorEStop,
    });
    io.onRobot?.(robot);
    const loop = new ControlLoop({
      ...setup.loop,
      calibration,
      task: setup.task,
      safety: new CalibratedSafetyStage(calibration),
      recorder,
      taskRng: streams.task,
    });
    const runner = new EpisodeRunner(loop, robot, recorder, io.log, stop, operatorEStop, io.onPhase);
    try {
      const value = await episodes({ robot, recorder, loop, runner });
      const status = stop.aborted ? 'interrupted' : 'finished';
      const reason = stop.aborted ? `stopped by ${String(stop.reason ?? 'request')}` : null;
      await robot.stop(reason ?? 'run finished');
      await beforeFinish();
      await recorder.finish(status, reason);
      return { runId: recorder.runId, status, reason, value };
    } catch (error) {
      const reason = (error as Error).message;
      await settledWithin(Promise.resolve(robot.stop(reason)), SHUTDOWN_STEP_LIMIT_MS);
      if (loop.inEpisode) bestEffort(() => loop.endEpisode('aborted', reason));
      bestEffort(() => recorder.event('fault', reason, loop.episodeIndex));
      if (error instanceof StoreError && recorder.stepsPending > 0) {
        io.log(
          `the robot is stopped; storing the ${recorder.stepsPending} step rows still queued ` +
            `(waiting up to ${DEFAULT_RECORDER_OPTIONS.finishLockWaitMs / 1000} s if another process holds the database locked)`,
        );
      }
      await recorder.finish('failed', reason).catch(() => undefined);
      throw error;
    }
  } finally {
    // A link or broker that stopped answering must not keep the run from ending.
    await settledWithin(Promise.resolve(robot?.close()), SHUTDOWN_STEP_LIMIT_MS);
    if (db) bestEffort(() => db?.close());
  }
}

function bestEffort(action: () => unknown): void {
  try {
    action();
  } catch {
    // Already failing: the first error is the one reported.
  }
}
