import { loadCalibration } from '../calibration/load.js';
import { resolveActionMode } from '../control/action-map.js';
import type { EpisodeResult } from '../control/loop.js';
import { OperatorEStop } from '../core/operator-estop.js';
import { createExploration } from '../rl/exploration/index.js';
import { ActorForward } from '../rl/policy/actor.js';
import type { RunStatus } from '../store/run-info.js';
import { loadTask } from '../tasks/index.js';
import { UsageError } from '../util/errors.js';
import { readCheckpointActor } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { formatProgress } from './progress.js';
import { runOnRobot, type RunIo } from './robot-run.js';
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
  io: RunIo,
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
  const streams = runStreams(config.seed);
  const exploration = createExploration(config, {
    rng: streams.exploration,
    actionDim: spec.actionDim,
    episodeSteps: task.episodeSteps,
    head: spec.head,
    controlPeriodS: 1 / calibration.controlHz,
  });
  // The actor acts in the action mode it was trained in (the checkpoint's options carry `action`).
  const actionMode = resolveActionMode(config.action, calibration);
  const policy = { policy: new ActorForward(weights) };
  const interval = config.interval === -1 ? 'ep' : String(config.interval);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const episodes: EpisodeResult[] = [];
  let totalSteps = 0;
  try {
    const { runId, status, reason } = await runOnRobot(
      {
        config,
        calibration,
        task,
        streams,
        io,
        stop,
        operatorEStop,
        run: {
          name: `${calibration.robot}-run-${config.algo}-${config.noise}${interval}-s${config.seed}-${stamp}`,
          sweep: null,
          config: {
            ...config,
            actionMode,
            task: task.describe(),
            exploration: exploration.describe(),
            checkpoint: checkpointPath,
            episodes: options.episodes,
          },
          policyCheckpoint: checkpointPath,
        },
        announce: (runId) =>
          `run ${runId} → ${config.db}  (${calibration.robot}, ${task.name}, the ${config.algo} actor of ${checkpointPath} after ${weights.updates} updates, no learning, noise ${config.noise}, seed ${config.seed})`,
        // No learner: the transitions are recorded as steps, and go nowhere else.
        loop: { policy, exploration, onTransition: () => {}, actionMode },
      },
      async ({ runner }) => {
        const startedMs = performance.now();
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
      },
    );
    return { runId, status, reason, totalSteps, episodes };
  } finally {
    await Promise.resolve(task.close?.()).catch(() => undefined);
  }
}
