import type { Rng } from '../util/rng.js';
import type { Batch } from './types.js';

/** One step of experience, as the control loop hands it over. Arrays are copied in. */
export interface Transition {
  /** [obsDim] */
  obs: Float32Array;
  /** [actionDim], in [-1, 1]: the action the policy chose (the safety layer counts as part of the environment). */
  action: Float32Array;
  reward: number;
  /** [obsDim]: the true next observation, also when the episode was truncated. */
  nextObs: Float32Array;
  /** The episode ended in a terminal state: no bootstrapping from nextObs. */
  terminated: boolean;
  /** The episode was cut by a time limit or an abort: nextObs is still bootstrapped from. */
  truncated: boolean;
}

/**
 * A ring buffer of transitions in preallocated float32 arrays, sampled uniformly. `truncated` is not
 * stored: only `terminated` stops bootstrapping, which is exactly what a time-limit cut needs.
 */
export class ReplayBuffer {
  readonly capacity: number;
  readonly obsDim: number;
  readonly actionDim: number;
  private readonly obs: Float32Array;
  private readonly actions: Float32Array;
  private readonly rewards: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly terminated: Float32Array;
  private cursor = 0;
  private filled = 0;
  /** Transitions ever added (also those since overwritten). */
  added = 0;

  /** Bytes the arrays of a buffer of this shape take (float32 observations, next observations, actions, rewards, flags). */
  static bytesFor(capacity: number, obsDim: number, actionDim: number): number {
    return capacity * (2 * obsDim + actionDim + 2) * Float32Array.BYTES_PER_ELEMENT;
  }

  constructor(capacity: number, obsDim: number, actionDim: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`replay buffer capacity must be a positive integer (got ${capacity})`);
    this.capacity = capacity;
    this.obsDim = obsDim;
    this.actionDim = actionDim;
    this.obs = new Float32Array(capacity * obsDim);
    this.actions = new Float32Array(capacity * actionDim);
    this.rewards = new Float32Array(capacity);
    this.nextObs = new Float32Array(capacity * obsDim);
    this.terminated = new Float32Array(capacity);
  }

  get size(): number {
    return this.filled;
  }

  add(transition: Transition): void {
    const i = this.cursor;
    this.obs.set(transition.obs, i * this.obsDim);
    this.actions.set(transition.action, i * this.actionDim);
    this.rewards[i] = transition.reward;
    this.nextObs.set(transition.nextObs, i * this.obsDim);
    this.terminated[i] = transition.terminated ? 1 : 0;
    this.cursor = (i + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
    this.added++;
  }

  /** A batch of `batchSize` transitions drawn uniformly with replacement, written into `out` when given. */
  sample(batchSize: number, rng: Rng, out: Batch = allocateBatch(batchSize, this.obsDim, this.actionDim)): Batch {
    if (this.filled === 0) throw new Error('cannot sample from an empty replay buffer');
    const { obsDim, actionDim } = this;
    for (let b = 0; b < batchSize; b++) {
      const i = rng.int(this.filled);
      out.obs.set(this.obs.subarray(i * obsDim, (i + 1) * obsDim), b * obsDim);
      out.action.set(this.actions.subarray(i * actionDim, (i + 1) * actionDim), b * actionDim);
      out.reward[b] = this.rewards[i];
      out.nextObs.set(this.nextObs.subarray(i * obsDim, (i + 1) * obsDim), b * obsDim);
      out.terminated[b] = this.terminated[i];
    }
    out.batchSize = batchSize;
    return out;
  }

  /** The stored arrays, for checkpoints: only the filled part, oldest first. */
  snapshot(): ReplaySnapshot {
    const order = (array: Float32Array, width: number): Float32Array => {
      const out = new Float32Array(this.filled * width);
      const start = this.filled < this.capacity ? 0 : this.cursor;
      for (let k = 0; k < this.filled; k++) {
        const i = (start + k) % this.capacity;
        out.set(array.subarray(i * width, (i + 1) * width), k * width);
      }
      return out;
    };
    return {
      obs: order(this.obs, this.obsDim),
      action: order(this.actions, this.actionDim),
      reward: order(this.rewards, 1),
      nextObs: order(this.nextObs, this.obsDim),
      terminated: order(this.terminated, 1),
      added: this.added,
    };
  }

  /** Refills the buffer from a snapshot (keeping the newest `capacity` transitions if it is larger). */
  restore(snapshot: ReplaySnapshot): void {
    const count = snapshot.reward.length;
    const skip = Math.max(0, count - this.capacity);
    this.cursor = 0;
    this.filled = 0;
    for (let k = skip; k < count; k++) {
      const i = this.cursor;
      this.obs.set(snapshot.obs.subarray(k * this.obsDim, (k + 1) * this.obsDim), i * this.obsDim);
      this.actions.set(snapshot.action.subarray(k * this.actionDim, (k + 1) * this.actionDim), i * this.actionDim);
      this.rewards[i] = snapshot.reward[k];
      this.nextObs.set(snapshot.nextObs.subarray(k * this.obsDim, (k + 1) * this.obsDim), i * this.obsDim);
      this.terminated[i] = snapshot.terminated[k];
      this.cursor = (i + 1) % this.capacity;
      this.filled = Math.min(this.filled + 1, this.capacity);
    }
    this.added = snapshot.added;
  }
}

export interface ReplaySnapshot {
  obs: Float32Array;
  action: Float32Array;
  reward: Float32Array;
  nextObs: Float32Array;
  terminated: Float32Array;
  added: number;
}

export function allocateBatch(batchSize: number, obsDim: number, actionDim: number): Batch {
  return {
    batchSize,
    obs: new Float32Array(batchSize * obsDim),
    action: new Float32Array(batchSize * actionDim),
    reward: new Float32Array(batchSize),
    nextObs: new Float32Array(batchSize * obsDim),
    terminated: new Float32Array(batchSize),
  };
}
