import { loadCalibration } from '../calibration/load.js';
import type { Calibration } from '../calibration/types.js';
import { resolveActionMode } from '../control/action-map.js';
import type { EpisodeResult } from '../control/loop.js';
import { OperatorEStop } from '../core/operator-estop.js';
import { createExploration, ParameterNoise, type ExplorationStrategy } from '../rl/exploration/index.js';
import {
  createLearner,
  describeShapes,
  initBackend,
  resolveLearnerConfig,
  type BackendInfo,
  type LearnerConfig,
} from '../rl/learner/index.js';
import { validateSchedule, type TrainingSchedule } from '../rl/schedule.js';
import { ReplayBuffer } from '../rl/replay-buffer.js';
import { totalmem } from 'node:os';
import type { RunStatus } from '../store/run-info.js';
import { loadTask } from '../tasks/index.js';
import type { Task } from '../tasks/task.js';
import type { Rng } from '../util/rng.js';
import { CheckpointError, checkpointFolder, readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { storableConfig, type TrainConfig } from './config.js';
import { describeInterval, resolveInterval } from './interval.js';
import { formatEvaluation, formatProgress } from './progress.js';
import { runStreams, type RunStreams } from './streams.js';
import { InlineTrainer, type Trainer } from './trainer.js';
import { WorkerTrainer } from './worker-trainer.js';
import { FleetTrainer } from './fleet-trainer.js';
import { UsageError } from '../util/errors.js';
import { settledWithin } from '../util/bounded.js';
import { runOnRobot, SHUTDOWN_STEP_LIMIT_MS, type RunIo } from './robot-run.js';

export interface TrainResult {
  runId: number;
  status: Exclude<RunStatus, 'running' | 'crashed'>;
  reason: string | null;
  totalSteps: number;
  episodes: EpisodeResult[];
  checkpointPath: string | null;
  backend: BackendInfo;
}

/**
 * A training run from start to end: load the robot's calibration and task, start the learner, the
 * store and the robot, then run episodes (with evaluations and checkpoints) until `--steps` is
 * reached or `stop` is aborted (SIGINT/SIGTERM). A stop ends the current episode as 'interrupted',
 * flushes the store and writes a final checkpoint. Errors are recorded on the run ('failed', with the
 * message) before they propagate; the robot is stopped first.
 */
export async function runTraining(
  config: TrainConfig,
  io: RunIo,
  stop: AbortSignal,
  operatorEStop = new OperatorEStop(),
): Promise<TrainResult> {
  const resumed: Checkpoint | null = config.resume ? readCheckpoint(config.resume) : null;
  const calibration = loadCalibration(robotName(config));
  const task = await loadTask(config.task, calibration, config.episodeSteps ?? undefined);
  // A task module may hold a connection (an MQTT subscription for its reward): released however the run ends.
  try {
    return await trainWithTask(config, io, stop, operatorEStop, resumed, calibration, task);
  } finally {
    await closeTask(task, io);
  }
}

async function trainWithTask(
  config: TrainConfig,
  io: RunIo,
  stop: AbortSignal,
  operatorEStop: OperatorEStop,
  resumed: Checkpoint | null,
  calibration: Calibration,
  task: Task,
): Promise<TrainResult> {
  const actionMode = resolveActionMode(config.action, calibration);
  const schedule = validateSchedule({
    trainEvery: config.trainEvery,
    gradientSteps: config.gradientSteps,
    learningStarts: config.learningStarts,
    batchSize: config.batchSize,
  });
  const backend = await initBackend(config.backend);
  io.log(`backend: ${describeBackend(backend)}`);

  // The strategies count k in control steps: a share of the episode becomes steps of this task's episode.
  const interval = resolveInterval(config.interval, task.episodeSteps);
  const streams = runStreams(config.seed);
  const learnerConfig = learnerConfigFor(config, task, calibration, streams.exploration.fork().nextUint32());
  const exploration = createExploration(
    { ...config, interval },
    {
      rng: streams.exploration,
      actionDim: calibration.joints.length,
      episodeSteps: task.episodeSteps,
      controlPeriodS: 1 / calibration.controlHz,
      head: learnerConfig.actor.head,
    },
  );
  refuseOversizedBuffer(config.bufferSize, task.obsDim, calibration.joints.length);
  const trainerKind =
    config.fleet !== null ? 'fleet' : config.learner === 'auto' ? (config.sim && !config.realtime ? 'inline' : 'worker') : config.learner;
  const trainer = await startTrainer(trainerKind, config, learnerConfig, exploration, schedule, streams.replay, {
    robot: config.robot ?? calibration.robot,
    log: io.log,
  });
  try {
    const progress = { totalSteps: 0, episodes: 0 };
    if (resumed) {
      const theirs = describeShapes(resumed.learner.config);
      const mine = describeShapes(learnerConfig);
      if (theirs !== mine) {
        throw new CheckpointError(
          `${config.resume} holds a learner of other shapes (${theirs}) than these options make (${mine}): ` +
            "resume without --hidden, --algo, --noise, --layer-norm or --task (the checkpoint's own are used), or give the same",
        );
      }
      await trainer.restore({ learner: resumed.learner, replay: resumed.replay, collected: resumed.meta.collected });
      exploration.setState(resumed.meta.exploration);
      for (const [name, state] of Object.entries(resumed.meta.rngs)) streams[name as keyof RunStreams]?.setState(state);
      progress.totalSteps = resumed.meta.totalSteps;
      progress.episodes = resumed.meta.episodes;
      io.log(
        `resumed from ${config.resume}: ${resumed.meta.updates} updates, ${progress.totalSteps} steps${resumed.replay ? `, ${resumed.replay.reward.length} transitions` : ', empty replay buffer'}`,
      );
    }

    let checkpointPath: string | null = null;
    let saveCheckpoint = async (): Promise<void> => {};
    const episodes: EpisodeResult[] = [];
    const end = await runOnRobot(
      {
        config,
        calibration,
        task,
        streams,
        io,
        stop,
        operatorEStop,
        run: {
          name: runName(config, calibration, interval),
          sweep: config.sweep,
          noiseInterval: interval,
          config: {
            ...storableConfig(config),
            actionMode,
            task: task.describe(),
            exploration: exploration.describe(),
            backend,
            trainer: trainerKind,
          },
        },
        recorderOptions: {
          onBackpressure: (queued, limit) =>
            io.log(`warning: the run database is falling behind: ${queued} step rows wait to be written (the run stops at ${limit})`),
        },
        announce: (runId) =>
          `run ${runId} → ${config.db}  (${calibration.robot}, ${task.name}, ${config.algo}, noise ${config.noise} ${describeInterval(config.interval, interval)}, seed ${config.seed}, learner ${trainer.description})`,
        loop: {
          policy: trainer,
          exploration,
          onTransition: (transition) => trainer.onTransition(transition),
          evaluationStochastic: config.evalStochastic,
          actionMode,
        },
      },
      async ({ robot, recorder, loop, runner }) => {
        saveCheckpoint = async () => {
          // A fleet robot has no learner of its own: the fleet's learner checkpoints.
          if (trainer.kind === 'fleet') return;
          const snapshot = await trainer.snapshot(config.saveReplay);
          checkpointPath = writeCheckpoint(checkpointFolder(config.db, recorder.runId), {
            meta: {
              format: 1,
              runId: recorder.runId,
              createdAt: new Date().toISOString(),
              config: storableConfig(config),
              collected: snapshot.collected,
              updates: snapshot.learner.updates,
              episodes: progress.episodes,
              totalSteps: progress.totalSteps,
              exploration: exploration.getState(),
              rngs: Object.fromEntries((Object.entries(streams) as [string, Rng][]).map(([name, rng]) => [name, rng.getState()])),
            },
            learner: snapshot.learner,
            replay: snapshot.replay,
          });
          recorder.event('checkpoint', checkpointPath, loop.episodeIndex);
        };

        const startedMs = performance.now();
        let stepsThisProcess = 0;
        const report = (episode: EpisodeResult): void => {
          episodes.push(episode);
          if (config.quiet) return;
          io.log(
            formatProgress(episode, {
              totalSteps: progress.totalSteps,
              stepsPerSecond: stepsThisProcess / ((performance.now() - startedMs) / 1000),
              learning: { updates: trainer.updates, updateToData: trainer.collected > 0 ? trainer.updates / trainer.collected : 0 },
            }),
          );
        };
        const budgetLeft = (): boolean => config.steps === null || progress.totalSteps < config.steps;
        const countStep = (): void => {
          progress.totalSteps++;
          stepsThisProcess++;
        };
        while (budgetLeft() && !stop.aborted) {
          await runner.waitWhileEStopped();
          if (stop.aborted) break;
          const episode = await runner.run(false, budgetLeft, countStep);
          progress.episodes++;
          await trainer.onEpisodeEnd();
          // The twin can wait for the learner to catch up with the schedule; a real robot cannot.
          if (robot.source === 'sim') await trainer.catchUp();
          report(episode);
          if (stop.aborted) break;
          // The step budget's last episode is always followed by a round too, also when the budget cut
          // it short (episodes that end early or are aborted shift where the budget falls): a run's
          // final return is that of its final policy, however its episodes fell against the period.
          if (config.evalEvery > 0 && (progress.episodes % config.evalEvery === 0 || !budgetLeft())) {
            const round: EpisodeResult[] = [];
            for (let e = 0; e < config.evalEpisodes && !stop.aborted && !operatorEStop.latched; e++) {
              const evaluation = await runner.run(
                true,
                () => true,
                () => {},
              );
              report(evaluation);
              if (evaluation.termination !== 'aborted' && evaluation.termination !== 'interrupted') round.push(evaluation);
            }
            if (round.length > 0 && !config.quiet) io.log(formatEvaluation(round, progress.totalSteps));
          }
          if (config.checkpointEvery > 0 && progress.episodes % config.checkpointEvery === 0) await saveCheckpoint();
        }
      },
      () => saveCheckpoint(),
    );
    const { runId, status, reason } = end;
    return { runId, status, reason, totalSteps: progress.totalSteps, episodes, checkpointPath, backend };
  } finally {
    await settledWithin(trainer.close(), SHUTDOWN_STEP_LIMIT_MS);
  }
}

/** The learner's configuration for a run: the task's shapes and the run's options. */
function learnerConfigFor(config: TrainConfig, task: Task, calibration: Calibration, seed: number): LearnerConfig {
  return resolveLearnerConfig({
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
    seed,
  });
}

/** The learner beside the loop (inline) or in its own thread (worker); see docs/exploration.md. */
async function startTrainer(
  kind: 'inline' | 'worker' | 'fleet',
  config: TrainConfig,
  learnerConfig: LearnerConfig,
  exploration: ExplorationStrategy,
  schedule: TrainingSchedule,
  replayRng: Rng,
  fleetRobot: { robot: string; log: (line: string) => void },
): Promise<Trainer> {
  if (kind === 'fleet')
    return FleetTrainer.start(
      {
        url: config.learnerMqtt!,
        fleet: config.fleet!,
        robot: fleetRobot.robot,
        bufferBatches: config.fleetBufferBatches,
        log: fleetRobot.log,
      },
      learnerConfig,
    );
  if (kind === 'inline') return new InlineTrainer(await createLearner(learnerConfig), exploration, schedule, replayRng, config.bufferSize);
  return WorkerTrainer.start(
    {
      learner: learnerConfig,
      backend: config.backend,
      schedule,
      bufferSize: config.bufferSize,
      seed: replayRng.nextUint32(),
      adaptEvery: exploration instanceof ParameterNoise ? exploration.adaptEvery : null,
      weightSyncMs: config.weightSyncMs,
    },
    exploration,
  );
}

/** A replay buffer must fit in memory with room for the rest: half of the machine's memory at most. */
function refuseOversizedBuffer(capacity: number, obsDim: number, actionDim: number): void {
  const bytes = ReplayBuffer.bytesFor(capacity, obsDim, actionDim);
  if (bytes > totalmem() / 2) {
    const gb = (value: number): string => `${(value / 2 ** 30).toFixed(1)} GiB`;
    throw new UsageError(
      `--buffer-size ${capacity} needs ${gb(bytes)} for transitions of ${obsDim} observations and ${actionDim} actions, ` +
        `more than half of this machine's ${gb(totalmem())}: lower --buffer-size`,
    );
  }
}

function robotName(config: TrainConfig): string {
  if (config.sim) return config.sim;
  if (config.robot) return config.robot;
  throw new UsageError('--port and --mqtt need --robot NAME (the calibration of the robot behind them)');
}

/** `furuta-sac-gsde25-s0-20261205T073200`: the interval in steps (a share's '/' has no place in a name). */
function runName(config: TrainConfig, calibration: Calibration, k: number): string {
  const interval = k === -1 ? 'ep' : String(k);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `${calibration.robot}-${config.algo}-${config.noise}${interval}-s${config.seed}-${stamp}`;
}

/** `wasm (SIMD, 1 thread), tfjs 4.22.0 — tfjs-node not used: ...` */
function describeBackend(backend: BackendInfo): string {
  const detail =
    backend.name === 'wasm' ? ` (${backend.simd ? 'SIMD' : 'no SIMD'}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'})` : '';
  return `${backend.name === 'tensorflow' ? 'tfjs-node (native TensorFlow)' : backend.name}${detail}, tfjs ${backend.tfjsVersion}${backend.note ? `; ${backend.note}` : ''}`;
}

async function closeTask(task: Task, io: RunIo): Promise<void> {
  try {
    await task.close?.();
  } catch (error) {
    // The run has its outcome already; a task that cannot let go is worth a line, not a failed run.
    io.log(`warning: ${(error as Error).message}`);
  }
}
