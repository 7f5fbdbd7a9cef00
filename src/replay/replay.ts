import { loadCalibration, measuredJointNames } from '../calibration/load.js';
import type { ActionMode, Calibration } from '../calibration/types.js';
import { ActionMap } from '../control/action-map.js';
import { ControlLoop } from '../control/loop.js';
import { CalibratedSafetyStage } from '../control/safety-stage.js';
import { copyJointState, createJointState, type JointState } from '../core/joint-state.js';
import { ContinuityCostAccumulator } from '../metrics/continuity.js';
import { highFrequencyShare, meanSquaredJerk } from '../metrics/smoothness.js';
import { NoNoise } from '../rl/exploration/none.js';
import { ActorForward } from '../rl/policy/actor.js';
import { SimRobot } from '../sim/sim-robot.js';
import { MujocoTwin } from '../sim/twin.js';
import { openDatabase } from '../store/database.js';
import { STEP_FLAGS, type Termination } from '../core/step-sink.js';
import { WearAccumulator, type WearSummary } from '../metrics/wear.js';
import { RunRecorder } from '../store/recorder.js';
import type { RunInfo } from '../store/run-info.js';
import type { Task } from '../tasks/task.js';
import type { Rng } from '../util/rng.js';
import { codeVersion } from '../util/version.js';
import { checkCompatible, commandContinuity } from './analyse.js';
import { commandCompliance, type JointCompliance } from './compliance.js';
import { checkEpisodeShape, ReplayError } from './episode.js';
import { positionsOf, simulateOpenLoop } from './open-loop.js';
import { loadCheckpointActor } from './policy.js';
import { readStoredEpisode, type StoredEpisode } from './store.js';
import { observesLikeLog, rebuildTask } from './task-context.js';
import { trackingError, type JointTracking } from './tracking.js';

export type ReplayMode = 'open-loop' | 'policy';

export interface ReplayOptions {
  /** The run database; the run's checkpoint folder sits beside it. */
  db: string;
  runId: number;
  episode: number;
  /** Re-run the run's checkpoint closed loop instead of the logged commands. */
  policy: boolean;
}

/** What `robo-train replay` reports (and prints as JSON with `--json`). */
export interface ReplayReport {
  mode: ReplayMode;
  source: {
    runId: number;
    episode: number;
    robot: string;
    task: string;
    steps: number;
    evaluation: boolean;
    termination: string | null;
  };
  /** The run the replay was stored as (source 'replay'). */
  replayRunId: number;
  /** Control steps replayed. */
  steps: number;
  controlHz: number;
  /** Seed of the twin's sensor noise: the source run's seed. */
  twinSeed: number;
  /** The task observes the logged initial state as the run did: the rebuilt goal is the logged one. */
  taskGoalReproduced: boolean;
  /** Policy mode: the checkpoint whose actor acted; null open loop. */
  checkpoint: string | null;
  return: { logged: number | null; replayed: number };
  /** Continuity cost [%] as stored with the episode, recomputed from the logged commands, and of the replayed commands. */
  continuity: { loggedStored: number | null; logged: number; replayed: number };
  /** Per measured joint: simulated against logged positions [rad], steps 1 onwards. */
  tracking: JointTracking[];
  /** Per driven joint: the logged and the replayed command sequences against the safety limits. */
  compliance: { logged: JointCompliance[]; replayed: JointCompliance[] };
}

/**
 * Replays episode `episode` of run `runId` in the twin of its robot (loaded from
 * `calibration/<robot>.json`, not from the run's snapshot, so that a changed twin shows up), from
 * the logged initial state: open loop with the logged applied commands, or closed loop with the
 * run's checkpoint acting deterministically through the same control loop and safety stage. The
 * replay is stored as a new run with source 'replay' whose config names the source run and episode.
 */
export async function replayEpisode(options: ReplayOptions): Promise<ReplayReport> {
  const db = openDatabase(options.db, { check: true });
  let task: Task | undefined;
  try {
    const stored = readStoredEpisode(db, options.runId, options.episode);
    checkEpisodeShape(stored, `run ${options.runId} episode ${options.episode}`);
    const calibration = loadCalibration(stored.robot);
    checkCompatible(calibration, stored);
    const steps = stored.command.length;
    // A task module may hold a connection (its reward's MQTT subscription): closed however the replay ends.
    const rebuilt = await rebuildTask(calibration, stored, steps);
    task = rebuilt.task;
    const { taskRng } = rebuilt;
    const actor = options.policy ? await loadCheckpointActor(options.db, options.runId) : null;
    if (actor && (actor.weights.spec.obsDim !== task.obsDim || actor.weights.spec.actionDim !== calibration.joints.length)) {
      throw new ReplayError(
        `the checkpoint's actor maps ${actor.weights.spec.obsDim} observations to ${actor.weights.spec.actionDim} actions; task '${task.name}' on '${calibration.robot}' needs ${task.obsDim} to ${calibration.joints.length}`,
      );
    }
    const mode: ReplayMode = actor ? 'policy' : 'open-loop';
    const twinSeed = stored.run.seed;
    const recorder = await RunRecorder.open(
      db,
      replayRunInfo(calibration, stored, task, mode, twinSeed, options.db, actor?.checkpointPath ?? null),
    );
    try {
      const outcome = actor
        ? await closedLoop(calibration, stored, task, taskRng, recorder, new ActorForward(actor.weights), twinSeed)
        : await openLoop(calibration, stored, task, taskRng, recorder, twinSeed);
      await recorder.finish('finished', null);
      const loggedCompliance = commandCompliance(calibration, stored.positionRad[0], stored.command);
      return {
        mode,
        source: {
          runId: stored.run.runId,
          episode: stored.episode,
          robot: stored.robot,
          task: stored.run.task,
          steps,
          evaluation: stored.evaluation,
          termination: stored.termination,
        },
        replayRunId: recorder.runId,
        steps: outcome.commands.length,
        controlHz: calibration.controlHz,
        twinSeed,
        taskGoalReproduced: outcome.goalReproduced,
        checkpoint: actor?.checkpointPath ?? null,
        return: { logged: stored.loggedReturn, replayed: outcome.return },
        continuity: {
          loggedStored: stored.continuityCost,
          logged: commandContinuity(calibration, stored.command),
          replayed: commandContinuity(calibration, outcome.commands),
        },
        tracking: trackingError(stored.jointNames, positionsOf(outcome.states), stored.positionRad),
        compliance: {
          logged: loggedCompliance,
          replayed: actor ? commandCompliance(calibration, outcome.states[0].positionRad, outcome.commands) : loggedCompliance,
        },
      };
    } catch (error) {
      // The replay's own failure is the one to report; a store error on top of it would hide it.
      await recorder.finish('failed', (error as Error).message).catch(() => undefined);
      throw error;
    }
  } finally {
    try {
      await task?.close?.();
    } finally {
      db.close();
    }
  }
}

/** What one replay produced: readings ([steps + 1], step 0 after the reset), applied commands [steps], return. */
interface ReplayOutcome {
  states: JointState[];
  commands: Float64Array[];
  return: number;
  goalReproduced: boolean;
}

function replayRunInfo(
  calibration: Calibration,
  stored: StoredEpisode,
  task: Task,
  mode: ReplayMode,
  twinSeed: number,
  dbPath: string,
  checkpoint: string | null,
): RunInfo {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  return {
    name: `replay-${mode}-r${stored.run.runId}e${stored.episode}-${stamp}`,
    source: 'replay',
    robot: calibration.robot,
    task: task.name,
    algo: mode === 'policy' ? stored.run.algo : 'open-loop',
    noise: 'none',
    noiseInterval: -1,
    seed: twinSeed,
    sweep: null,
    jointNames: measuredJointNames(calibration),
    config: {
      replayOf: { runId: stored.run.runId, episode: stored.episode, runName: stored.run.name, db: dbPath },
      mode,
      twinSeed,
      checkpoint,
      task: task.describe(),
    },
    calibration: { ...calibration, sourcePath: undefined },
    codeVersion: codeVersion(),
  };
}

/**
 * The logged commands, open loop, recorded step by step as the control loop would: the reading each
 * command answered, the task's observation and reward, the command as an action, no noise.
 */
async function openLoop(
  calibration: Calibration,
  stored: StoredEpisode,
  task: Task,
  taskRng: Rng,
  recorder: RunRecorder,
  twinSeed: number,
): Promise<ReplayOutcome> {
  const startedMs = performance.now();
  task.beginEpisode(taskRng);
  const goalReproduced = observesLikeLog(task, calibration, stored);
  const twin = await MujocoTwin.create(calibration, twinSeed);
  let states: JointState[];
  try {
    states = simulateOpenLoop(twin, stored).states;
  } finally {
    twin.dispose();
  }
  const commands = stored.command;
  const actionMap = new ActionMap(calibration);
  const joints = calibration.joints.length;
  const obs = new Float32Array(task.obsDim);
  const previousAction = new Float32Array(joints);
  const action = new Float32Array(joints);
  const noise = new Float32Array(joints);
  const rawContinuity = new ContinuityCostAccumulator(new Float64Array(joints).fill(-1), new Float64Array(joints).fill(1));
  const continuity = new ContinuityCostAccumulator(actionMap.low, actionMap.high);
  if (calibration.commandMode === 'position') actionMap.toAction(states[0].positionRad, previousAction);
  recorder.beginEpisode(0, false);
  let episodeReturn = 0;
  for (let t = 0; t < commands.length; t++) {
    const command = commands[t];
    task.observe(states[t], previousAction, obs);
    actionMap.toAction(command, action);
    // Only the steps the log rewarded (an aborted episode's last step has none).
    const reward = stored.reward[t] === null ? null : task.reward(states[t], command, states[t + 1]);
    if (reward !== null) episodeReturn += reward;
    recorder.step({
      episode: 0,
      step: t,
      deviceTimeS: states[t].deviceTimeS,
      positionRad: states[t].positionRad,
      velocityRadS: states[t].velocityRadS,
      obs,
      rawAction: action,
      noise,
      command,
      reward,
      flags: t === commands.length - 1 ? STEP_FLAGS.episodeEnd : 0,
      telemetry: states[t].telemetry,
    });
    continuity.add(command);
    rawContinuity.add(action);
    if (calibration.commandMode === 'position') previousAction.set(action);
  }
  const dtS = 1 / calibration.controlHz;
  recorder.endEpisode(0, {
    steps: commands.length,
    return: episodeReturn,
    termination: (stored.termination ?? 'truncated') as Termination,
    reason: `open-loop replay of run ${stored.run.runId} episode ${stored.episode}`,
    continuityCost: continuity.cost(),
    continuityPerJoint: continuity.costPerJoint(),
    rawContinuityCost: rawContinuity.cost(),
    meanSquaredJerk: meanSquaredJerk(commands, dtS),
    highFrequencyShare: highFrequencyShare(commands, calibration.controlHz, calibration.controlHz / 10),
    safetyClippedSteps: 0,
    safetyClips: {},
    seconds: (performance.now() - startedMs) / 1000,
    wear: wearOf(states.slice(0, commands.length), dtS),
    // An open-loop replay re-sends logged commands: nothing is explored.
    meanAbsNoise: 0,
    explorationScale: null,
  });
  return { states, commands, return: episodeReturn, goalReproduced };
}

/**
 * The checkpoint's actor, deterministic (the mean action), closed loop through the control loop and
 * its safety stage, from the logged initial state, for as many steps as the log has (or until the
 * task terminates).
 */
async function closedLoop(
  calibration: Calibration,
  stored: StoredEpisode,
  task: Task,
  taskRng: Rng,
  recorder: RunRecorder,
  policy: ActorForward,
  twinSeed: number,
): Promise<ReplayOutcome> {
  const robot = await SimRobot.create(calibration, twinSeed);
  try {
    const loop = new ControlLoop({
      calibration,
      task,
      policy: { policy },
      exploration: new NoNoise(-1),
      safety: new CalibratedSafetyStage(calibration),
      onTransition: () => {},
      recorder,
      taskRng,
      actionMode: storedActionMode(stored),
    });
    loop.beginEpisode(false);
    const goalReproduced = observesLikeLog(task, calibration, stored);
    let state = robot.startEpisode({ positionRad: stored.positionRad[0], velocityRadS: stored.velocityRadS[0] });
    const states: JointState[] = [snapshot(state)];
    const commands: Float64Array[] = [];
    loop.robotReady(state);
    for (;;) {
      const command = loop.tick(state);
      if (command === null) break;
      commands.push(command.target.slice());
      state = robot.step(command);
      states.push(snapshot(state));
    }
    const result = loop.endEpisode();
    return { states, commands, return: result.return, goalReproduced };
  } finally {
    robot.close();
  }
}

function snapshot(state: JointState): JointState {
  const copy = createJointState(state.positionRad.length);
  copyJointState(state, copy);
  return copy;
}

/** The wear the twin's actuators report over the replayed steps (null for a twin without telemetry). */
function wearOf(states: readonly JointState[], periodS: number): WearSummary | null {
  const wear = new WearAccumulator(periodS);
  for (const state of states) if (state.telemetry) wear.add(state.telemetry);
  return wear.summary();
}

/** The action mode the source run acted in: stored with its config; runs from before `--action` acted on absolute targets. */
function storedActionMode(stored: StoredEpisode): ActionMode {
  return stored.run.config['actionMode'] === 'delta' ? 'delta' : 'absolute';
}
