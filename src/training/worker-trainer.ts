import { Worker } from 'node:worker_threads';
import { ParameterNoise, type ExplorationStrategy } from '../rl/exploration/index.js';
import type { UpdateStats } from '../rl/learner/index.js';
import { ActorForward } from '../rl/policy/actor.js';
import type { Transition } from '../rl/replay-buffer.js';
import type { Trainer, TrainerSnapshot } from './trainer.js';
import type { FromWorker, ToWorker, TransitionChunk, WorkerInit } from './worker-protocol.js';
import { settledWithin } from '../util/bounded.js';

/** Transitions are handed to the worker in chunks of this many (or at every episode end). */
const CHUNK_ROWS = 32;

/**
 * The learner in a `worker_threads` worker (see learner-worker.ts): the control tick only copies its
 * transition into a chunk buffer (posted every `CHUNK_ROWS` transitions) and, between ticks, swaps in
 * the newest actor weights the worker has sent. Training never runs on the tick's thread, so the
 * tick's latency does not depend on the network size.
 *
 * Not bit-reproducible: when weights arrive depends on timing. Use the inline trainer for exact
 * simulation experiments.
 */
export class WorkerTrainer implements Trainer {
  readonly kind = 'worker' as const;
  readonly description: string;
  private readonly worker: Worker;
  private readonly actor: ActorForward;
  private readonly obsDim: number;
  private readonly actionDim: number;
  private chunk: TransitionChunk;
  private pendingWeights: ActorForward['weights'] | null = null;
  private failure: Error | null = null;
  private nextRequest = 0;
  private readonly waiting = new Map<number, (message: FromWorker) => void>();
  private sentTransitions = 0;
  /** Resolvers of `catchUp` calls, released by an idle weights message covering every sent transition. */
  private catchUpWaiters: (() => void)[] = [];
  updates = 0;
  lastStats: UpdateStats | null = null;

  private constructor(
    worker: Worker,
    init: WorkerInit,
    ready: Extract<FromWorker, { type: 'ready' }>,
    private readonly exploration: ExplorationStrategy,
  ) {
    this.worker = worker;
    this.description = `worker (${ready.priority})`;
    this.obsDim = init.learner.actor.obsDim;
    this.actionDim = init.learner.actor.actionDim;
    this.actor = new ActorForward(ready.weights);
    this.chunk = this.emptyChunk();
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (error) => (this.failure = error));
    worker.on('exit', (code) => {
      if (code !== 0 && !this.failure) this.failure = new Error(`the learner worker exited with code ${code}`);
    });
  }

  /** Starts the worker and waits until its learner exists (its initial weights are the policy). */
  static async start(init: WorkerInit, exploration: ExplorationStrategy): Promise<WorkerTrainer> {
    const worker = new Worker(new URL('./learner-worker.js', import.meta.url), { workerData: init });
    const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        if (message.type === 'ready') resolve(message);
        else if (message.type === 'error') reject(workerError(message));
      };
      worker.once('message', onMessage);
      worker.once('error', reject);
    });
    return new WorkerTrainer(worker, init, ready, exploration);
  }

  /** The policy for the next tick; newest weights are swapped in here, between ticks. */
  get policy(): ActorForward {
    if (this.pendingWeights) {
      this.actor.setWeights(this.pendingWeights);
      this.pendingWeights = null;
    }
    return this.actor;
  }

  get collected(): number {
    return this.sentTransitions + this.chunk.count;
  }

  onTransition(transition: Transition): void {
    this.throwIfFailed();
    const { chunk, obsDim, actionDim } = this;
    const row = chunk.count;
    chunk.obs.set(transition.obs, row * obsDim);
    chunk.action.set(transition.action, row * actionDim);
    chunk.reward[row] = transition.reward;
    chunk.nextObs.set(transition.nextObs, row * obsDim);
    chunk.terminated[row] = transition.terminated ? 1 : 0;
    chunk.count++;
    if (chunk.count === CHUNK_ROWS) this.flushChunk(0);
  }

  onEpisodeEnd(): void {
    this.throwIfFailed();
    this.flushChunk(1);
  }

  async catchUp(): Promise<void> {
    this.throwIfFailed();
    this.flushChunk(0);
    if (this.sentTransitions === 0) return;
    await new Promise<void>((release) => this.catchUpWaiters.push(release));
    this.throwIfFailed();
  }

  async snapshot(withReplay: boolean): Promise<TrainerSnapshot> {
    this.flushChunk(0);
    const reply = await this.request((id) => ({ type: 'snapshot', id, withReplay }));
    if (reply.type !== 'snapshot') throw new Error(`learner worker answered ${reply.type} to a snapshot request`);
    return { learner: reply.learner, replay: reply.replay, collected: reply.collected };
  }

  async restore(snapshot: TrainerSnapshot): Promise<void> {
    const reply = await this.request((id) => ({
      type: 'restore',
      id,
      learner: snapshot.learner,
      replay: snapshot.replay,
      collected: snapshot.collected,
    }));
    if (reply.type !== 'restored') throw new Error(`learner worker answered ${reply.type} to a restore request`);
    this.actor.setWeights(reply.weights);
    this.pendingWeights = null;
    this.sentTransitions = snapshot.collected;
    this.updates = snapshot.learner.updates;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.send({ type: 'close' });
    if (await settledWithin(exited, 2000)) return;
    await settledWithin(this.worker.terminate(), 2000);
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'weights':
        this.pendingWeights = message.weights;
        this.updates = message.updates;
        this.lastStats = message.stats;
        if (message.idle && message.collected === this.sentTransitions) {
          for (const release of this.catchUpWaiters) release();
          this.catchUpWaiters = [];
        }
        break;
      case 'adapt':
        if (this.exploration instanceof ParameterNoise) this.exploration.adapt(this.policy, message.obs, message.count);
        break;
      case 'snapshot':
      case 'restored':
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
        break;
      case 'error':
        this.failure = workerError(message);
        for (const resolve of this.waiting.values()) resolve(message);
        this.waiting.clear();
        for (const release of this.catchUpWaiters) release();
        this.catchUpWaiters = [];
        break;
      case 'ready':
        break;
    }
  }

  private request(build: (id: number) => ToWorker): Promise<FromWorker> {
    this.throwIfFailed();
    const id = this.nextRequest++;
    const reply = new Promise<FromWorker>((resolve) => this.waiting.set(id, resolve));
    this.send(build(id));
    return reply.then((message) => {
      if (message.type === 'error') throw workerError(message);
      return message;
    });
  }

  private flushChunk(episodeEnds: number): void {
    if (this.chunk.count === 0 && episodeEnds === 0) return;
    const chunk = this.chunk;
    chunk.episodeEnds = episodeEnds;
    this.sentTransitions += chunk.count;
    this.chunk = this.emptyChunk();
    this.send({ type: 'transitions', chunk }, [
      chunk.obs.buffer,
      chunk.action.buffer,
      chunk.reward.buffer,
      chunk.nextObs.buffer,
      chunk.terminated.buffer,
    ] as ArrayBuffer[]);
  }

  private send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private emptyChunk(): TransitionChunk {
    return {
      count: 0,
      obs: new Float32Array(CHUNK_ROWS * this.obsDim),
      action: new Float32Array(CHUNK_ROWS * this.actionDim),
      reward: new Float32Array(CHUNK_ROWS),
      nextObs: new Float32Array(CHUNK_ROWS * this.obsDim),
      terminated: new Float32Array(CHUNK_ROWS),
      episodeEnds: 0,
    };
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

/** An error raised in the worker, rebuilt with its name (e.g. LearnerDivergedError) and message. */
function workerError(message: { name: string; message: string }): Error {
  const error = new Error(`learner: ${message.message}`);
  error.name = message.name;
  return error;
}
