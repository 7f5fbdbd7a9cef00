import { loadCalibration, measuredJointNames } from '../calibration/load.js';
import type { Calibration } from '../calibration/types.js';
import { ControlLoop, type EpisodeResult } from '../control/loop.js';
import type { Robot } from '../control/robot.js';
import { connectRobot } from '../device/connect.js';
import { RobotLinkError } from '../device/errors.js';
import { CalibratedSafetyStage } from '../control/safety-stage.js';
import { createExploration, ParameterNoise } from '../rl/exploration/index.js';
import { createLearner, initBackend, resolveLearnerConfig, type BackendInfo } from '../rl/learner/index.js';
import { validateSchedule } from '../rl/schedule.js';
import { openDatabase, type Db } from '../store/database.js';
import { RunRecorder, type RunStatus } from '../store/recorder.js';
import { createTask } from '../tasks/index.js';
import { Rng } from '../util/rng.js';
import { codeVersion } from '../util/version.js';
import { checkpointFolder, readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { formatProgress } from './progress.js';
import { InlineTrainer, type Trainer } from './trainer.js';
import { WorkerTrainer } from './worker-trainer.js';

export interface TrainIo {
  /** Progress and status lines (stdout). */
  log(line: string): void;
}

export interface TrainResult {
  runId: number;
  status: Exclude<RunStatus, 'running' | 'crashed'>;
  reason: string | null;
  totalSteps: number;
  episodes: EpisodeResult[];
  checkpointPath: string | null;
  backend: BackendInfo;
}

/** How often the runner lets timers and signal handlers run while simulating [ms]. */
const YIELD_EVERY_MS = 50;

/**
 * A training run from start to end: load the robot's calibration and task, start the learner and the
 * store, then run episodes (with evaluations and checkpoints) until `--steps` is reached or `stop` is
 * aborted (SIGINT/SIGTERM). A stop ends the current episode as 'interrupted', flushes the store and
 * writes a final checkpoint. Errors are recorded on the run ('failed', with the message) before they
 * propagate.
 */
export async function runTraining(config: TrainConfig, io: TrainIo, stop: AbortSignal): Promise<TrainResult> {
  const resumed: Checkpoint | null = config.resume ? readCheckpoint(config.resume) : null;
  const calibration = loadCalibration(robotName(config));
  const task = createTask(config.task, calibration, config.episodeSteps ?? undefined);
  const schedule = validateSchedule({
    trainEvery: config.trainEvery,
    gradientSteps: config.gradientSteps,
    learningStarts: config.learningStarts,
    batchSize: config.batchSize,
  });
  const backend = await initBackend(config.backend);
  io.log(`backend: ${describeBackend(backend)}`);

  const root = new Rng(config.seed);
  const rngs = { task: root.fork(), exploration: root.fork(), replay: root.fork(), twin: root.fork() };
  const learnerConfig = resolveLearnerConfig({
    algo: config.algo,
    obsDim: task.obsDim,
    actionDim: calibration.joints.length,
    actorHidden: config.hidden,
    layerNorm: config.layerNorm,
    gsde: config.noise === 'gsde' ? { logStdInit: config.gsdeLogStdInit, fullStd: config.gsdeFullStd, useExpln: config.gsdeExpln } : false,
    learningRate: config.learningRate,
    gamma: config.gamma,
    tau: config.tau,
    sac: { entCoef: config.entCoef, targetEntropy: config.targetEntropy },
    td3: { policyDelay: config.policyDelay, targetPolicyNoise: config.targetPolicyNoise, targetNoiseClip: config.targetNoiseClip },
    seed: rngs.exploration.fork().nextUint32(),
  });
  const exploration = createExploration(config, {
    rng: rngs.exploration,
    actionDim: calibration.joints.length,
    episodeSteps: task.episodeSteps,
    head: learnerConfig.actor.head,
  });
  const trainerKind = config.learner === 'auto' ? (config.sim ? 'inline' : 'worker') : config.learner;
  const trainer: Trainer =
    trainerKind === 'inline'
      ? new InlineTrainer(await createLearner(learnerConfig), exploration, schedule, rngs.replay, config.bufferSize)
      : await WorkerTrainer.start(
          {
            learner: learnerConfig,
            backend: config.backend,
            schedule,
            bufferSize: config.bufferSize,
            seed: rngs.replay.nextUint32(),
            adaptEvery: exploration instanceof ParameterNoise ? exploration.adaptEvery : null,
            weightSyncMs: config.weightSyncMs,
          },
          exploration,
        );
  let totalSteps = 0;
  let episodesDone = 0;
  if (resumed) {
    await trainer.restore({ learner: resumed.learner, replay: resumed.replay, collected: resumed.meta.collected });
    exploration.setState(resumed.meta.exploration);
    for (const [name, state] of Object.entries(resumed.meta.rngs)) rngs[name as keyof typeof rngs]?.setState(state);
    totalSteps = resumed.meta.totalSteps;
    episodesDone = resumed.meta.episodes;
    io.log(`resumed from ${config.resume}: ${resumed.meta.updates} updates, ${totalSteps} steps${resumed.replay ? `, ${resumed.replay.reward.length} transitions` : ', empty replay buffer'}`);
  }

  const db = openDatabase(config.db);
  const recorder = await RunRecorder.open(db, {
    name: runName(config, calibration),
    source: config.sim ? 'sim' : 'hardware',
    robot: calibration.robot,
    task: task.name,
    algo: config.algo,
    noise: config.noise,
    noiseInterval: config.interval,
    seed: config.seed,
    sweep: config.sweep,
    jointNames: measuredJointNames(calibration),
    config: { ...config, task: task.describe(), exploration: exploration.describe(), backend, trainer: trainerKind },
    calibration: { ...calibration, sourcePath: undefined },
    codeVersion: codeVersion(),
  }, { onBackpressure: (queued, limit) => io.log(`warning: the run database is falling behind: ${queued} step rows wait to be written (the run stops at ${limit})`) });
  io.log(`run ${recorder.runId} → ${config.db}  (${calibration.robot}, ${task.name}, ${config.algo}, noise ${config.noise} every ${config.interval === -1 ? 'episode' : `${config.interval} steps`}, seed ${config.seed})`);

  const robot: Robot = await connectRobot(config, calibration, { seed: rngs.twin.nextUint32(), log: io.log, signal: stop, event: (kind, detail) => recorder.event(kind, detail) });
  const safety = new CalibratedSafetyStage(calibration);
  const loop = new ControlLoop({
    calibration,
    task,
    policy: trainer,
    exploration,
    safety,
    onTransition: (transition) => trainer.onTransition(transition),
    recorder,
    taskRng: rngs.task,
    evaluationStochastic: config.evalStochastic,
  });

  const episodes: EpisodeResult[] = [];
  const startedMs = performance.now();
  let stepsThisProcess = 0;
  let status: TrainResult['status'] = 'finished';
  let reason: string | null = null;
  let checkpointPath: string | null = null;
  const saveCheckpoint = async (): Promise<string> => {
    const snapshot = await trainer.snapshot(config.saveReplay);
    return writeCheckpoint(checkpointFolder(config.db, recorder.runId), {
      meta: {
        format: 1,
        runId: recorder.runId,
        createdAt: new Date().toISOString(),
        config,
        collected: snapshot.collected,
        updates: snapshot.learner.updates,
        episodes: episodesDone,
        totalSteps,
        exploration: exploration.getState(),
        rngs: Object.fromEntries(Object.entries(rngs).map(([name, rng]) => [name, rng.getState()])),
      },
      learner: snapshot.learner,
      replay: snapshot.replay,
    });
  };

  const report = (episode: EpisodeResult): void => {
    episodes.push(episode);
    if (config.quiet) return;
    const seconds = (performance.now() - startedMs) / 1000;
    io.log(
      formatProgress(episode, {
        totalSteps,
        stepsPerSecond: stepsThisProcess / seconds,
        updates: trainer.updates,
        updateToData: trainer.collected > 0 ? trainer.updates / trainer.collected : 0,
      }),
    );
  };

  /**
   * A robot fault (lost link, watchdog, device fault) ends the episode as 'aborted' with its reason,
   * puts the robot in its safe state, and lets the run go on: the next `startEpisode` waits for the
   * robot to come back (or fails the run after `--reconnect-s`). Fatal faults end the run.
   */
  const episodeOrAbort = async (evaluation: boolean, budget: () => boolean, onStep: () => void): Promise<EpisodeResult> => {
    try {
      return await runEpisode(loop, robot, evaluation, stop, budget, onStep);
    } catch (error) {
      if (!(error instanceof RobotLinkError) || (error.fatal && !stop.aborted) || !loop.inEpisode) throw error;
      const episode = loop.endEpisode(stop.aborted ? 'interrupted' : 'aborted', error.message);
      if (!stop.aborted) {
        recorder.event(error.kind, error.message, episode.episode);
        io.log(`episode ${episode.episode} aborted (${error.kind}): ${error.message}; waiting for the robot`);
      }
      await Promise.resolve(robot.stop(error.message)).catch(() => undefined);
      return episode;
    }
  };

  try {
    const budgetLeft = (): boolean => config.steps === null || totalSteps < config.steps;
    while (budgetLeft() && !stop.aborted) {
      const episode = await episodeOrAbort(false, budgetLeft, () => {
        totalSteps++;
        stepsThisProcess++;
      });
      episodesDone++;
      await trainer.onEpisodeEnd();
      if (robot.source === 'sim') await trainer.catchUp();
      report(episode);
      if (episode.termination === 'interrupted') break;
      if (config.evalEvery > 0 && episodesDone % config.evalEvery === 0) {
        for (let e = 0; e < config.evalEpisodes && !stop.aborted; e++) report(await episodeOrAbort(true, () => true, () => {}));
      }
      if (config.checkpointEvery > 0 && episodesDone % config.checkpointEvery === 0) {
        checkpointPath = await saveCheckpoint();
        recorder.event('checkpoint', checkpointPath, loop.episodeIndex);
      }
    }
    if (stop.aborted) {
      status = 'interrupted';
      reason = `stopped by ${String(stop.reason ?? 'request')}`;
    }
    await robot.stop(reason ?? 'run finished');
    checkpointPath = await saveCheckpoint();
    recorder.event('checkpoint', checkpointPath, loop.episodeIndex);
    await recorder.finish(status, reason);
  } catch (error) {
    status = 'failed';
    reason = (error as Error).message;
    await Promise.resolve(robot.stop(reason)).catch(() => undefined);
    if (loop.inEpisode) safeEnd(() => loop.endEpisode('aborted', reason));
    safeEnd(() => recorder.event('fault', reason ?? 'unknown error', loop.episodeIndex));
    await recorder.finish('failed', reason).catch(() => undefined);
    throw error;
  } finally {
    await robot.close();
    await trainer.close();
    closeQuietly(db);
  }
  return { runId: recorder.runId, status, reason, totalSteps, episodes, checkpointPath, backend };
}

/**
 * Runs one episode. The tick itself is synchronous; the runner awaits the robot (a device session
 * answers asynchronously) and yields to the event loop every `YIELD_EVERY_MS` so that signals and
 * timers are served while a fast simulation runs.
 */
async function runEpisode(
  loop: ControlLoop,
  robot: Robot,
  evaluation: boolean,
  stop: AbortSignal,
  budgetLeft: () => boolean,
  onStep: () => void,
): Promise<EpisodeResult> {
  const start = loop.beginEpisode(evaluation);
  let state = await robot.startEpisode(start);
  loop.robotReady(state);
  let lastYield = performance.now();
  for (;;) {
    if (stop.aborted) return loop.interruptAt(state, `stopped by ${String(stop.reason ?? 'request')}`);
    // The step budget ends the run, not the task: the episode is cut like a time limit.
    if (!evaluation && !budgetLeft() && !loop.atTimeLimit) return loop.interruptAt(state, 'step budget (--steps) reached');
    const command = loop.tick(state);
    if (command === null) return loop.endEpisode();
    if (!evaluation) onStep();
    state = await robot.step(command);
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
}

function robotName(config: TrainConfig): string {
  if (config.sim) return config.sim;
  if (config.robot) return config.robot;
  throw new Error('--port and --mqtt need --robot NAME (the calibration of the robot behind them)');
}

function runName(config: TrainConfig, calibration: Calibration): string {
  const interval = config.interval === -1 ? 'ep' : String(config.interval);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${calibration.robot}-${config.algo}-${config.noise}${interval}-s${config.seed}-${stamp}`;
}

function describeBackend(backend: BackendInfo): string {
  return JSON.stringify(backend);
}

function safeEnd(action: () => unknown): void {
  try {
    action();
  } catch {
    // Already failing: the first error is the one reported.
  }
}

function closeQuietly(db: Db): void {
  try {
    db.close();
  } catch {
    // Nothing left to protect.
  }
}

