import type { Calibration } from '../calibration/types.js';
import { copyJointState, createJointState, type JointCommand, type JointState } from '../core/joint-state.js';
import { ContinuityCostAccumulator } from '../metrics/continuity.js';
import { highFrequencyShare, meanSquaredJerk } from '../metrics/smoothness.js';
import { WearAccumulator } from '../metrics/wear.js';
import type { ExplorationStrategy, Policy } from '../rl/exploration/strategy.js';
import { meanAction } from '../rl/exploration/strategy.js';
import type { Transition } from '../rl/replay-buffer.js';
import type { EpisodeStart } from '../core/robot.js';
import { STEP_FLAGS, type EpisodeSummary, type StepSink, type Termination } from '../core/step-sink.js';
import type { Task } from '../tasks/task.js';
import type { Rng } from '../util/rng.js';
import { ActionMap } from './action-map.js';

/**
 * The safety stage as the loop uses it: turns a target in joint units (possibly non-finite) into the
 * command that is sent, and says what it changed. `src/safety/` implements it.
 */
export interface SafetyStage {
  /** Starts an episode from a robot at rest in `state` (after a reset or the homing trajectory). */
  beginEpisode(state: JointState): void;
  /**
   * target [joints] in joint units (possibly non-finite) → commandOut [joints], given the robot's
   * reading (stale when `state.ageUs` is too large, unusable when `state.deviceFault`). Returns
   * `STEP_FLAGS` bits (safetyClipped, nonFiniteAction, estop, staleState).
   */
  apply(target: Float64Array, state: JointState, commandOut: Float64Array): number;
  /** Interventions of the episode so far: steps changed by the layer, and steps per limit name. */
  episodeClips(): { clippedSteps: number; byLimit: Record<string, number> };
}

/** Where the policy for the next tick comes from (the learner refreshes it). */
export interface PolicySource {
  readonly policy: Policy;
}

export interface ControlLoopParts {
  calibration: Calibration;
  task: Task;
  policy: PolicySource;
  exploration: ExplorationStrategy;
  safety: SafetyStage;
  /** Receives every training transition (not those of evaluation episodes). */
  onTransition: (transition: Transition) => void;
  recorder: StepSink | null;
  /** Draws the tasks' goals. */
  taskRng: Rng;
  /** Cut-off of the high-frequency share [Hz]; default a tenth of the control rate. */
  smoothnessCutoffHz?: number;
  /** Evaluation episodes explore like training ones (noise resampled as in training) instead of acting deterministically. */
  evaluationStochastic?: boolean;
}

export interface EpisodeResult extends EpisodeSummary {
  episode: number;
  evaluation: boolean;
}

/**
 * One control tick, and the episode around it: observation → policy + exploration → action map →
 * safety → command, synchronously, with the transition to the learner and the step row to the store.
 *
 * The loop does not know what carries the robot (serial, MQTT, the in-process twin): a driver hands it
 * each state and sends the command it returns. A step's reward is only known at the next state, so
 * each step row is completed and queued one tick later; `endEpisode` writes the last one.
 */
export class ControlLoop {
  readonly actionMap: ActionMap;
  /** Driven joints: the length of actions and commands. */
  private readonly joints: number;
  private readonly obs: Float32Array;
  private readonly previousObs: Float32Array;
  private readonly action: Float32Array;
  private readonly previousAction: Float32Array;
  private readonly noise: Float32Array;
  private readonly target: Float64Array;
  private readonly command: Float64Array;
  /** The applied command as an action in [-1, 1]: part of the observation. */
  private readonly appliedAction: Float32Array;
  /** Continuity of the applied commands (joint units over the soft range) and of the raw actions (over [-1, 1]). */
  private readonly continuity: ContinuityCostAccumulator;
  private readonly rawContinuity: ContinuityCostAccumulator;
  /** What the actuators report of their wear (current, load, temperature, voltage), when they do. */
  private readonly wear: WearAccumulator;
  /**
   * [steps][joints] applied commands of the episode, for the spectral measures: rows allocated once
   * (one episode's worth, grown if an episode runs longer) and overwritten, so a tick allocates nothing.
   */
  private readonly commandRows: Float64Array[];
  private commandCount = 0;
  /** The state the previous step acted on: rewards and step rows need it one tick later. */
  private readonly previousState: JointState;
  private previousFlags = 0;

  private episode = -1;
  private evaluation = false;
  private stepInEpisode = 0;
  private episodeReturn = 0;
  private episodeStartedMs = 0;
  private running = false;
  /** A command was sent and its outcome (the next state) has not been scored yet. */
  private awaitingOutcome = false;
  /** How the episode ended, once `tick` has returned null. */
  private finishReason: Termination = 'truncated';
  private readonly commandOut: JointCommand;

  constructor(private readonly parts: ControlLoopParts) {
    const { calibration, task } = parts;
    this.joints = calibration.joints.length;
    this.actionMap = new ActionMap(calibration);
    this.obs = new Float32Array(task.obsDim);
    this.previousObs = new Float32Array(task.obsDim);
    this.action = new Float32Array(this.joints);
    this.previousAction = new Float32Array(this.joints);
    this.noise = new Float32Array(this.joints);
    this.target = new Float64Array(this.joints);
    this.command = new Float64Array(this.joints);
    this.appliedAction = new Float32Array(this.joints);
    this.previousState = createJointState(calibration.joints.length + calibration.passiveJoints.length);
    this.continuity = new ContinuityCostAccumulator(this.actionMap.low, this.actionMap.high);
    this.rawContinuity = new ContinuityCostAccumulator(new Float64Array(this.joints).fill(-1), new Float64Array(this.joints).fill(1));
    this.wear = new WearAccumulator(1 / calibration.controlHz);
    this.commandOut = { mode: calibration.commandMode, target: this.command, answersSeq: 0 };
    this.commandRows = Array.from({ length: task.episodeSteps }, () => new Float64Array(this.joints));
  }

  /** Episodes started so far (the index of the current one, once started). */
  get episodeIndex(): number {
    return this.episode;
  }

  get inEpisode(): boolean {
    return this.running;
  }

  get stepsInEpisode(): number {
    return this.stepInEpisode;
  }

  /** The episode has taken all its steps: the next tick ends it by the task's time limit. */
  get atTimeLimit(): boolean {
    return this.stepInEpisode >= this.parts.task.episodeSteps;
  }

  /**
   * Starts an episode: draws the task's goal and returns the pose the robot must be brought to
   * (teleported in simulation, driven by the homing trajectory on hardware) before the first tick.
   */
  beginEpisode(evaluation = false): EpisodeStart {
    this.episode++;
    this.evaluation = evaluation;
    this.stepInEpisode = 0;
    this.episodeReturn = 0;
    this.awaitingOutcome = false;
    this.episodeStartedMs = performance.now();
    this.continuity.reset();
    this.rawContinuity.reset();
    this.wear.reset();
    this.commandCount = 0;
    this.parts.exploration.reset();
    this.parts.recorder?.beginEpisode(this.episode, evaluation);
    this.running = true;
    return this.parts.task.beginEpisode(this.parts.taskRng);
  }

  /**
   * The robot is at the episode's start pose: the safety layer takes it as its rest state and the
   * first observation sees "previous command = current pose".
   */
  robotReady(state: JointState): void {
    this.parts.safety.beginEpisode(state);
    if (this.parts.calibration.commandMode === 'position') this.actionMap.toAction(state.positionRad, this.appliedAction);
    else this.appliedAction.fill(0);
  }

  /**
   * One control tick. Returns the command to send, or null when `state` ends the episode (time limit
   * or terminal state); the caller then calls `endEpisode`.
   */
  tick(state: JointState): JointCommand | null {
    if (this.stepInEpisode > 0) {
      const { terminated, truncated } = this.completeWith(state, false);
      if (terminated || truncated) {
        this.finishReason = terminated ? 'terminated' : 'truncated';
        return null;
      }
    } else {
      this.parts.task.observe(state, this.appliedAction, this.obs);
    }

    const policy = this.parts.policy.policy;
    if (this.evaluation && !this.parts.evaluationStochastic) {
      meanAction(policy.forward(this.obs), this.action);
      this.noise.fill(0);
    } else {
      this.parts.exploration.act(policy, this.obs, this.action, this.noise);
    }
    this.actionMap.toJoint(this.action, this.target);
    const flags = this.parts.safety.apply(this.target, state, this.command);

    this.continuity.add(this.command);
    this.rawContinuity.add(this.action);
    if (state.telemetry) this.wear.add(state.telemetry);
    if (this.commandCount === this.commandRows.length) this.commandRows.push(new Float64Array(this.joints));
    this.commandRows[this.commandCount++].set(this.command);
    if (this.parts.calibration.commandMode === 'position') this.actionMap.toAction(this.command, this.appliedAction);
    else this.appliedAction.fill(0);

    this.previousObs.set(this.obs);
    this.previousAction.set(this.action);
    copyJointState(state, this.previousState);
    this.previousFlags = flags;
    this.stepInEpisode++;
    this.awaitingOutcome = true;
    this.commandOut.answersSeq = state.seq;
    return this.commandOut;
  }

  /**
   * Ends the episode at `state` without acting on it: the step budget ran out or a stop was requested.
   * The last step is completed with its reward (a truncation, as for a time limit) and the episode is
   * stored as 'interrupted'.
   */
  interruptAt(state: JointState, reason: string): EpisodeResult {
    if (this.awaitingOutcome) this.completeWith(state, true);
    return this.endEpisode('interrupted', reason);
  }

  /**
   * Ends the episode. After `tick` returned null, `termination` is taken from the task; an abort
   * (fault, e-stop, lost link) passes 'aborted' with its reason: a step whose outcome never arrived is
   * stored without a reward and not given to the learner.
   */
  endEpisode(termination?: Exclude<Termination, 'terminated' | 'truncated'>, reason: string | null = null): EpisodeResult {
    if (!this.running) throw new Error('endEpisode called outside an episode');
    this.running = false;
    const finalTermination = termination ?? this.finishReason;
    if (this.awaitingOutcome) this.queueRow(null, STEP_FLAGS.episodeEnd);
    this.awaitingOutcome = false;
    const clips = this.parts.safety.episodeClips();
    const dtS = 1 / this.parts.calibration.controlHz;
    const commands = this.commandRows.slice(0, this.commandCount);
    const summary: EpisodeResult = {
      episode: this.episode,
      evaluation: this.evaluation,
      steps: this.stepInEpisode,
      return: this.episodeReturn,
      termination: finalTermination,
      reason,
      continuityCost: this.continuity.cost(),
      continuityPerJoint: this.continuity.costPerJoint(),
      rawContinuityCost: this.rawContinuity.cost(),
      meanSquaredJerk: meanSquaredJerk(commands, dtS),
      highFrequencyShare: highFrequencyShare(
        commands,
        this.parts.calibration.controlHz,
        this.parts.smoothnessCutoffHz ?? this.parts.calibration.controlHz / 10,
      ),
      safetyClippedSteps: clips.clippedSteps,
      safetyClips: clips.byLimit,
      seconds: (performance.now() - this.episodeStartedMs) / 1000,
      wear: this.wear.summary(),
    };
    this.parts.recorder?.endEpisode(this.episode, summary);
    return summary;
  }

  /**
   * The outcome of the previous step has arrived in `state`: observe it, score the step, hand the
   * transition to the learner and queue its row. `cut`: the episode ends here for an outside reason.
   */
  private completeWith(state: JointState, cut: boolean): { terminated: boolean; truncated: boolean } {
    const { task } = this.parts;
    task.observe(state, this.appliedAction, this.obs);
    const reward = task.reward(this.previousState, this.commandRows[this.commandCount - 1], state);
    const rewardAgeS = task.rewardAgeS?.() ?? null;
    const terminated = task.isTerminal(state);
    const truncated = !terminated && (cut || this.stepInEpisode >= task.episodeSteps);
    this.episodeReturn += reward;
    this.completePreviousStep(reward, rewardAgeS, terminated, truncated);
    this.awaitingOutcome = false;
    return { terminated, truncated };
  }

  private completePreviousStep(reward: number, rewardAgeS: number | null, terminated: boolean, truncated: boolean): void {
    if (!this.evaluation) {
      this.parts.onTransition({
        obs: this.previousObs,
        action: this.previousAction,
        reward,
        nextObs: this.obs,
        terminated,
        truncated,
      });
    }
    this.queueRow(reward, terminated || truncated ? STEP_FLAGS.episodeEnd : 0, rewardAgeS);
  }

  /** Queues the store row of the previous step, now that its reward is known. */
  private queueRow(reward: number | null, extraFlags: number, rewardAgeS: number | null = null): void {
    const recorder = this.parts.recorder;
    if (!recorder) return;
    const history = this.commandRows[this.commandCount - 1];
    recorder.step({
      episode: this.episode,
      step: this.stepInEpisode - 1,
      deviceTimeS: this.previousState.deviceTimeS,
      positionRad: this.previousState.positionRad,
      velocityRadS: this.previousState.velocityRadS,
      obs: this.previousObs,
      rawAction: this.previousAction,
      noise: this.noise,
      command: history,
      reward,
      rewardAgeS,
      flags: this.previousFlags | extraFlags,
      telemetry: this.previousState.telemetry,
    });
  }
}
