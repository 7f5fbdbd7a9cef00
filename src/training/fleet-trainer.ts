import { createLearner, type LearnerConfig, type UpdateStats } from '../rl/learner/index.js';
import { ActorForward } from '../rl/policy/actor.js';
import type { Transition } from '../rl/replay-buffer.js';
import type { ActorWeights } from '../rl/types.js';
import { MqttBytesClient } from '../transport/mqtt-bytes.js';
import { UsageError } from '../util/errors.js';
import { decodeWeights, encodeTransitionBatch, fleetTopics, type TransitionBatch } from './fleet-wire.js';
import type { Trainer, TrainerSnapshot } from './trainer.js';

/** Transitions per batch on the wire (or fewer, at every episode end). */
const BATCH_ROWS = 32;

export interface FleetTrainerOptions {
  url: string;
  fleet: string;
  /** The robot's name in the fleet: names its transitions topic and its MQTT session. */
  robot: string;
  /** Batches published but not yet acknowledged by the broker, at most. */
  bufferBatches: number;
  log: (line: string) => void;
}

/**
 * A fleet robot's trainer (docs/fleet.md): the learner is another process. The tick only copies its
 * transition into a batch; full batches are published (QoS 1, numbered) without waiting; the newest
 * weights the learner published are swapped in between ticks. Nothing here waits on the network: a
 * learner that is slow, away or restarting leaves the robot acting with its last weights, and batches
 * beyond `bufferBatches` unacknowledged ones are dropped, counted and said.
 */
export class FleetTrainer implements Trainer {
  readonly kind = 'fleet' as const;
  readonly description: string;
  readonly lastStats: UpdateStats | null = null;
  private readonly actor: ActorForward;
  private pending: ActorWeights | null = null;
  private batch: TransitionBatch;
  private seq = 0;
  private inFlight = 0;
  private dropped = 0;
  private sent = 0;
  private refusedWeights = false;

  private constructor(
    private readonly options: FleetTrainerOptions,
    private readonly client: MqttBytesClient,
    initial: ActorWeights,
  ) {
    this.actor = new ActorForward(initial);
    this.description = `fleet ${options.fleet} on ${client.description}`;
    this.batch = this.emptyBatch();
  }

  /** Connects to the learner's broker; acts with a freshly initialised actor of `learner` until the learner's weights arrive. */
  static async start(options: FleetTrainerOptions, learner: LearnerConfig): Promise<FleetTrainer> {
    const local = await createLearner(learner);
    const initial = local.actorWeights();
    local.dispose();
    let trainer: FleetTrainer | null = null;
    const early: Uint8Array[] = [];
    const client = await MqttBytesClient.connect(
      { url: options.url, clientId: `robo-train-robot-${options.fleet}-${options.robot}`, sessionExpiryS: 3600 },
      (_topic, payload) => (trainer ? trainer.receive(payload) : early.push(payload)),
    );
    trainer = new FleetTrainer(options, client, initial);
    for (const payload of early) trainer.receive(payload);
    await client.subscribe(fleetTopics(options.fleet).weights);
    return trainer;
  }

  /** The policy for the next tick; the newest weights received are swapped in here, between ticks. */
  get policy(): ActorForward {
    if (this.pending) {
      this.actor.setWeights(this.pending);
      this.pending = null;
    }
    return this.actor;
  }

  /** The version of the weights the robot acts with (the learner's updates when it published them). */
  get updates(): number {
    return this.pending?.updates ?? this.actor.weights.updates;
  }

  get collected(): number {
    return this.sent + this.batch.count;
  }

  onTransition(transition: Transition): void {
    const { batch } = this;
    const row = batch.count;
    batch.obs.set(transition.obs, row * batch.obsDim);
    batch.action.set(transition.action, row * batch.actionDim);
    batch.reward[row] = transition.reward;
    batch.nextObs.set(transition.nextObs, row * batch.obsDim);
    batch.terminated[row] = transition.terminated ? 1 : 0;
    batch.count++;
    if (batch.count === BATCH_ROWS) this.flush(0);
  }

  onEpisodeEnd(): void {
    this.flush(1);
  }

  /** Never waits: the fleet's learner trains at its own pace. */
  async catchUp(): Promise<void> {}

  snapshot(): Promise<TrainerSnapshot> {
    return Promise.reject(
      new UsageError(`a fleet robot has no learner to checkpoint: the learner of fleet ${this.options.fleet} keeps them`),
    );
  }

  restore(): Promise<void> {
    return Promise.reject(new UsageError('--resume does not apply with --fleet: the fleet learner keeps the checkpoints'));
  }

  async close(): Promise<void> {
    this.flush(0);
    await this.client.close();
  }

  private receive(payload: Uint8Array): void {
    let weights: ActorWeights;
    try {
      weights = decodeWeights(payload);
    } catch (error) {
      this.options.log(`warning: fleet weights refused, acting on with version ${this.updates}: ${(error as Error).message}`);
      return;
    }
    const mine = this.actor.spec;
    const theirs = weights.spec;
    if (JSON.stringify(theirs) !== JSON.stringify(mine)) {
      if (!this.refusedWeights)
        this.options.log(
          `warning: fleet ${this.options.fleet} publishes an actor of ${theirs.obsDim} observations, ${theirs.actionDim} actions, ` +
            `hidden ${theirs.hidden.join(',')} (${theirs.head}); this robot's is ${mine.obsDim}, ${mine.actionDim}, ${mine.hidden.join(',')} ` +
            `(${mine.head}): give it the learner's --algo and --hidden`,
        );
      this.refusedWeights = true;
      return;
    }
    this.pending = weights;
  }

  private flush(episodeEnds: number): void {
    const full = this.batch;
    if (full.count === 0) return;
    const { count, obsDim, actionDim } = full;
    const batch: TransitionBatch = {
      ...full,
      episodeEnds,
      weightsVersion: this.updates,
      seq: this.seq++,
      obs: full.obs.subarray(0, count * obsDim),
      action: full.action.subarray(0, count * actionDim),
      reward: full.reward.subarray(0, count),
      nextObs: full.nextObs.subarray(0, count * obsDim),
      terminated: full.terminated.subarray(0, count),
    };
    this.sent += count;
    this.batch = this.emptyBatch();
    if (this.inFlight >= this.options.bufferBatches) {
      // Numbered all the same: the learner sees the gap.
      if (this.dropped === 0 || this.dropped % 100 === 0)
        this.options.log(
          `warning: the fleet broker has not acknowledged ${this.inFlight} batches: dropping transitions (${this.dropped + 1} batches so far; every step is still in the robot's database)`,
        );
      this.dropped++;
      return;
    }
    this.inFlight++;
    this.client
      .publish(fleetTopics(this.options.fleet).transitions(this.options.robot), encodeTransitionBatch(batch), false)
      .catch((error: unknown) => this.options.log(`warning: batch ${batch.seq} not sent: ${(error as Error).message}`))
      .finally(() => this.inFlight--);
  }

  private emptyBatch(): TransitionBatch {
    const { obsDim, actionDim } = this.actor.spec;
    return {
      robot: this.options.robot,
      seq: 0,
      weightsVersion: 0,
      count: 0,
      obsDim,
      actionDim,
      obs: new Float32Array(BATCH_ROWS * obsDim),
      action: new Float32Array(BATCH_ROWS * actionDim),
      reward: new Float32Array(BATCH_ROWS),
      nextObs: new Float32Array(BATCH_ROWS * obsDim),
      terminated: new Float32Array(BATCH_ROWS),
      episodeEnds: 0,
    };
  }
}
