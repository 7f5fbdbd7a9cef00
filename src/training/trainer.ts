import type { PolicySource } from '../control/loop.js';
import { ParameterNoise, type ExplorationStrategy } from '../rl/exploration/index.js';
import type { LearnerState, OffPolicyLearner, UpdateStats } from '../rl/learner/index.js';
import { ActorForward } from '../rl/policy/actor.js';
import { allocateBatch, ReplayBuffer, type ReplaySnapshot, type Transition } from '../rl/replay-buffer.js';
import { ScheduleCounter, type TrainingSchedule } from '../rl/schedule.js';
import type { Batch } from '../rl/types.js';
import type { Rng } from '../util/rng.js';

/** What a checkpoint takes from a trainer. */
export interface TrainerSnapshot {
  learner: LearnerState;
  replay: ReplaySnapshot | null;
  /** Transitions collected. */
  collected: number;
}

/**
 * Where transitions go and where the control tick's policy comes from: the inline trainer (same
 * thread, exact schedule, reproducible), the worker trainer (a `worker_threads` learner that never
 * blocks the tick) and the fleet trainer (the learner is another process, over MQTT).
 */
export interface Trainer extends PolicySource {
  readonly kind: 'inline' | 'worker' | 'fleet';
  /** Where the learner runs, for the run's log: `inline`, or `worker (nice 19)`. */
  readonly description: string;
  /** Gradient steps taken so far. */
  readonly updates: number;
  /** Transitions collected so far. */
  readonly collected: number;
  /** Statistics of the latest gradient step (null before the first). */
  readonly lastStats: UpdateStats | null;
  onTransition(transition: Transition): void;
  onEpisodeEnd(): void | Promise<void>;
  /**
   * Resolves once every gradient step due for the transitions collected so far has been taken and
   * the policy holds the resulting weights. Simulation waits for it between episodes (the twin can
   * wait; a real robot cannot), so that a worker learner trains at the configured ratio there too.
   */
  catchUp(): Promise<void>;
  snapshot(withReplay: boolean): Promise<TrainerSnapshot>;
  restore(snapshot: TrainerSnapshot): Promise<void>;
  close(): Promise<void>;
}

/**
 * Trains in the control loop's own thread, between ticks, exactly when the schedule says: the same
 * sequence of transitions, gradient steps and policy refreshes as SB3, so that a seeded simulation
 * run is reproducible bit for bit. Meant for the in-process twin, which has no deadline (in
 * simulation the robot waits for nobody); hardware runs use the worker trainer.
 */
export class InlineTrainer implements Trainer {
  readonly kind = 'inline' as const;
  readonly description = 'inline';
  readonly buffer: ReplayBuffer;
  private readonly counter: ScheduleCounter;
  private readonly actor: ActorForward;
  private readonly batch: Batch;
  private lastAdaptation = 0;
  lastStats: UpdateStats | null = null;

  constructor(
    private readonly learner: OffPolicyLearner,
    private readonly exploration: ExplorationStrategy,
    readonly schedule: TrainingSchedule,
    private readonly rng: Rng,
    bufferSize: number,
  ) {
    const { obsDim, actionDim } = learner.config.actor;
    this.buffer = new ReplayBuffer(bufferSize, obsDim, actionDim);
    this.counter = new ScheduleCounter(schedule);
    this.actor = new ActorForward(learner.actorWeights());
    this.batch = allocateBatch(schedule.batchSize, obsDim, actionDim);
  }

  get policy(): ActorForward {
    return this.actor;
  }

  get updates(): number {
    return this.learner.updates;
  }

  get collected(): number {
    return this.counter.collected;
  }

  onTransition(transition: Transition): void {
    this.buffer.add(transition);
    this.train(this.counter.onStep());
  }

  onEpisodeEnd(): void {
    this.train(this.counter.onEpisodeEnd());
  }

  /** Always caught up: training happens inside `onTransition` and `onEpisodeEnd`. */
  async catchUp(): Promise<void> {}

  async snapshot(withReplay: boolean): Promise<TrainerSnapshot> {
    return { learner: this.learner.getState(), replay: withReplay ? this.buffer.snapshot() : null, collected: this.counter.collected };
  }

  async restore(snapshot: TrainerSnapshot): Promise<void> {
    this.learner.setState(snapshot.learner);
    if (snapshot.replay) this.buffer.restore(snapshot.replay);
    this.counter.collected = snapshot.collected;
    this.actor.setWeights(this.learner.actorWeights());
  }

  async close(): Promise<void> {
    this.learner.dispose();
  }

  private train(gradientSteps: number): void {
    if (gradientSteps === 0) return;
    for (let g = 0; g < gradientSteps; g++) {
      this.lastStats = this.learner.update(this.buffer.sample(this.schedule.batchSize, this.rng, this.batch));
      this.adaptParameterNoise();
    }
    this.actor.setWeights(this.learner.actorWeights());
  }

  /**
   * Adaptive parameter noise measures its action-space distance on a replay batch every N gradient
   * steps (within a training round too), against the actor as it is at that step.
   */
  private adaptParameterNoise(): void {
    if (!(this.exploration instanceof ParameterNoise)) return;
    const every = this.exploration.adaptEvery;
    if (every === null || this.learner.updates - this.lastAdaptation < every) return;
    this.lastAdaptation = this.learner.updates;
    this.actor.setWeights(this.learner.actorWeights());
    const sample = this.buffer.sample(this.schedule.batchSize, this.rng, this.batch);
    this.exploration.adapt(this.actor, sample.obs, sample.batchSize);
  }
}
