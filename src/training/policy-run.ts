import { loadCalibration, measuredJointNames } from '../calibration/load.js';
import { resolveActionMode } from '../control/action-map.js';
import { ControlLoop, type EpisodeResult } from '../control/loop.js';
import { CalibratedSafetyStage } from '../control/safety-stage.js';
import { OperatorEStop } from '../core/operator-estop.js';
import type { Robot } from '../core/robot.js';
import { createExploration } from '../rl/exploration/index.js';
import { ActorForward } from '../rl/policy/actor.js';
import { openDatabase, type Db } from '../store/database.js';
import { RunRecorder } from '../store/recorder.js';
import type { RunStatus } from '../store/run-info.js';
import { loadTask } from '../tasks/index.js';
import { UsageError } from '../util/errors.js';
import { codeVersion } from '../util/version.js';
import { readCheckpointActor } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { resolveInterval } from './interval.js';
import { connectRobot } from './connect.js';
import { EpisodeRunner, type RobotPhase } from './episodes.js';
import { formatProgress } from './progress.js';
import { runStreams } from './streams.js';

export interface PolicyRunOptions {
  /** checkpoint.json (or its folder) whose actor acts. */
  checkpoint: string;
  /** Episodes to run; null: until stopped. */
  episodes: number | null;
}

export interface PolicyRunResult {
  runId: number;
  status: Exclude<RunStatus, 'running' | 'crashed'>;
  reason: string | null;
  totalSteps: number;
  episodes: EpisodeResult[];
}

/**
 * A trained actor drives the robot with no learner: deterministic (`--noise none`, tanh(μ(s))) or
 * with an exploration strategy for collecting data. Everything else is a training run's: the
 * calibration's safety stage, the watchdog and reconnection of the hardware session, the operator's
 * e-stop, and the store, where the run is recorded with `learning` 0 and the checkpoint it came
 * from. `config` is resolved from the checkpoint's own options (task, algorithm) and the flags.
 */
export async function runPolicy(
  config: TrainConfig,
  options: PolicyRunOptions,
  io: { log: (line: string) => void; onRunStarted?: (runId: number) => void; onPhase?: (phase: RobotPhase) => void },
  stop: AbortSignal,
  operatorEStop = new OperatorEStop(),
): Promise<PolicyRunResult> {
  const { weights, path: checkpointPath } = readCheckpointActor(options.checkpoint);
  const calibration = loadCalibration(config.sim ?? config.robot ?? '');
  const task = await loadTask(config.task, calibration, config.episodeSteps ?? undefined);
  const { spec } = weights;
  if (spec.obsDim !== task.obsDim || spec.actionDim !== calibration.joints.length) {
    throw new UsageError(
      `the actor of ${checkpointPath} maps ${spec.obsDim} observations to ${spec.actionDim} actions, but task ${task.name} on ` +
        `${calibration.robot} has ${task.obsDim} observations and ${calibration.joints.length} joints: run it on the robot and task it was trained for`,
    );
  }
  const interval = resolveInterval(config.interval, task.episodeSteps);
  const streams = runStreams(config.seed);
  const exploration = createExploration({ ...config, interval }, {
    rng: streams.exploration,
    actionDim: spec.actionDim,
    episodeSteps: task.episodeSteps,
    head: spec.head,
    controlPeriodS: 1 / calibration.controlHz,
  });
  // The actor acts in the action mode it was trained in (the checkpoint's options carry `action`).
  const actionMode = resolveActionMode(config.action, calibration);
  const policy = { policy: new ActorForward(weights) };
  let db: Db | null = null;
  let robot: Robot | null = null;
  try {
    if (config.sim !== null)
      robot = await connectRobot(config, calibration, { seed: streams.twin.nextUint32(), log: io.log, signal: stop });
    db = openDatabase(config.db, { check: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
    const recorder = await RunRecorder.open(db, {
      name: `${calibration.robot}-run-${config.algo}-${config.noise}${interval === -1 ? 'ep' : interval}-s${config.seed}-${stamp}`,
      source: config.sim ? 'sim' : 'hardware',
      robot: calibration.robot,
      task: task.name,
      algo: config.algo,
      noise: config.noise,
      noiseInterval: interval,
      seed: config.seed,
      sweep: null,
      jointNames: measuredJointNames(calibration),
      config: {
        ...config,
        actionMode,
        task: task.describe(),
        exploration: exploration.describe(),
        checkpoint: checkpointPath,
        episodes: options.episodes,
      },
      calibration: { ...calibration, sourcePath: undefined },
      codeVersion: codeVersion(),
      policyCheckpoint: checkpointPath,
    });
    io.onRunStarted?.(recorder.runId);
    io.log(
      `run ${recorder.runId} → ${config.db}  (${calibration.robot}, ${task.name}, the ${config.algo} actor of ${checkpointPath} after ${weights.updates} updates, no learning, noise ${config.noise}, seed ${config.seed})`,
    );
    robot ??= await connectRobot(config, calibration, {
      seed: streams.twin.nextUint32(),
      log: io.log,
      signal: stop,
      event: (kind, detail) => recorder.event(kind, detail),
      operatorEStop,
    });
    const loop = new ControlLoop({
      calibration,
      task,
      policy,
      exploration,
      safety: new CalibratedSafetyStage(calibration),
      // No learner: the transitions are recorded as steps, and go nowhere else.
      onTransition: () => {},
      recorder,
      taskRng: streams.task,
      actionMode,
    });
    const runner = new EpisodeRunner(loop, robot, recorder, io.log, stop, operatorEStop, io.onPhase);
    const episodes: EpisodeResult[] = [];
    let totalSteps = 0;
    const startedMs = performance.now();
    try {
      while ((options.episodes === null || episodes.length < options.episodes) && !stop.aborted) {
        await runner.waitWhileEStopped();
        if (stop.aborted) break;
        const episode = await runner.run(
          false,
          () => true,
          () => totalSteps++,
        );
        episodes.push(episode);
        if (!config.quiet) {
          io.log(
            formatProgress(episode, {
              totalSteps,
              stepsPerSecond: totalSteps / ((performance.now() - startedMs) / 1000),
              learning: null,
            }),
          );
        }
        if (episode.termination === 'interrupted') break;
      }
      const status: PolicyRunResult['status'] = stop.aborted ? 'interrupted' : 'finished';
      const reason = stop.aborted ? `stopped by ${String(stop.reason ?? 'request')}` : null;
      await robot.stop(reason ?? 'run finished');
      await recorder.finish(status, reason);
      return { runId: recorder.runId, status, reason, totalSteps, episodes };
    } catch (error) {
      const reason = (error as Error).message;
      await Promise.resolve(robot.stop(reason)).catch(() => undefined);
      if (loop.inEpisode) bestEffort(() => loop.endEpisode('aborted', reason));
      bestEffort(() => recorder.event('fault', reason, loop.episodeIndex));
      await recorder.finish('failed', reason).catch(() => undefined);
      throw error;
    }
  } finally {
    await Promise.resolve(robot?.close()).catch(() => undefined);
    await Promise.resolve(task.close?.()).catch(() => undefined);
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
