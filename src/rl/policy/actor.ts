/**
 * The actor's forward pass in plain JavaScript, for the control tick: no tfjs, no allocation per
 * call. It computes what every exploration strategy needs from the network: the pre-tanh mean, the
 * log std of the 'gaussian' head, and the latent features (last hidden layer) that gSDE multiplies
 * by its exploration matrix. The learner's networks compute the same function (tested to float32
 * tolerance against the tfjs actor).
 */
import { POLICY_CONSTANTS, type ActorSpec, type ActorWeights, type DenseWeights } from '../types.js';

/** What one forward pass yields. The arrays are owned by the {@link ActorForward} and overwritten by its next call. */
export interface ActorOutput {
  /**
   * [actionDim] the pre-tanh mean. 'gsde' head: clipped to ±2 (SB3 `clip_mean`);
   * 'deterministic' head (TD3): the action is tanh(mean).
   */
  readonly mean: Float32Array;
  /** [actionDim] 'gaussian' head only: log std, clamped to [-20, 2]; null for the other heads. */
  readonly logStd: Float32Array | null;
  /** [latentDim] the last hidden layer after its ReLU. */
  readonly latent: Float32Array;
}

/** The same for `count` observations, row-major. */
export interface ActorBatchOutput {
  count: number;
  /** [count, actionDim] */
  mean: Float32Array;
  /** [count, actionDim] or null */
  logStd: Float32Array | null;
  /** [count, latentDim] */
  latent: Float32Array;
}

export class ActorForward {
  private current: ActorWeights;
  /** Activations of each hidden layer, float64 so that accumulation adds no rounding of its own. */
  private readonly activations: Float64Array[];
  private readonly input: Float64Array;
  private readonly head: Float64Array;
  private readonly output: { mean: Float32Array; logStd: Float32Array | null; latent: Float32Array };
  private batch: ActorBatchOutput | null = null;

  constructor(weights: ActorWeights) {
    checkWeights(weights);
    this.current = weights;
    const { spec } = weights;
    this.input = new Float64Array(spec.obsDim);
    this.activations = spec.hidden.map((width) => new Float64Array(width));
    this.head = new Float64Array(weights.mean.outputs + (weights.logStd?.outputs ?? 0));
    this.output = {
      mean: new Float32Array(spec.actionDim),
      logStd: spec.head === 'gaussian' ? new Float32Array(spec.actionDim) : null,
      latent: new Float32Array(spec.hidden[spec.hidden.length - 1]),
    };
  }

  get spec(): ActorSpec {
    return this.current.spec;
  }

  get weights(): ActorWeights {
    return this.current;
  }

  /** Swaps in new weights of the same architecture (the learner's latest copy); no allocation. */
  setWeights(weights: ActorWeights): void {
    checkWeights(weights);
    if (!sameArchitecture(weights.spec, this.current.spec)) {
      throw new Error(`ActorForward.setWeights: architecture changed (${describe(this.current.spec)} → ${describe(weights.spec)})`);
    }
    this.current = weights;
  }

  /** One observation [obsDim] → mean, log std, latent (the returned object and arrays are reused). */
  forward(observation: ArrayLike<number>): ActorOutput {
    const weights = this.current;
    const { spec } = weights;
    if (observation.length !== spec.obsDim)
      throw new Error(`ActorForward.forward: observation has ${observation.length} values, expected ${spec.obsDim}`);
    const input = this.input;
    for (let i = 0; i < spec.obsDim; i++) input[i] = observation[i];
    let x: Float64Array = input;
    for (let l = 0; l < weights.hidden.length; l++) {
      const layer = weights.hidden[l];
      const h = this.activations[l];
      dense(x, layer, h, 0);
      const norm = weights.layerNorms[l];
      if (norm) layerNorm(h, norm.gain, norm.bias);
      for (let o = 0; o < h.length; o++) if (!(h[o] > 0)) h[o] = 0;
      x = h;
    }
    const latent = this.output.latent;
    for (let i = 0; i < latent.length; i++) latent[i] = x[i];
    const head = this.head;
    dense(x, weights.mean, head, 0);
    const mean = this.output.mean;
    const actionDim = spec.actionDim;
    if (spec.head === 'gsde') {
      const clip = POLICY_CONSTANTS.gsdeMeanClip;
      for (let j = 0; j < actionDim; j++) mean[j] = Math.min(clip, Math.max(-clip, head[j]));
    } else {
      for (let j = 0; j < actionDim; j++) mean[j] = head[j];
    }
    const logStd = this.output.logStd;
    if (logStd !== null && weights.logStd !== null) {
      dense(x, weights.logStd, head, actionDim);
      for (let j = 0; j < actionDim; j++) {
        logStd[j] = Math.min(POLICY_CONSTANTS.logStdMax, Math.max(POLICY_CONSTANTS.logStdMin, head[actionDim + j]));
      }
    }
    return this.output;
  }

  /**
   * `count` observations, row-major [count, obsDim] → row-major outputs of exactly `count` rows (used
   * for the action-space distance of adaptive parameter noise). The storage grows to the largest count
   * seen and is reused; the returned views are overwritten by the next call.
   */
  forwardBatch(observations: Float32Array, count: number): ActorBatchOutput {
    const { spec } = this.current;
    if (observations.length < count * spec.obsDim) {
      throw new Error(`ActorForward.forwardBatch: ${observations.length} values for ${count} observations of ${spec.obsDim}`);
    }
    const latentDim = this.output.latent.length;
    const A = spec.actionDim;
    if (this.batch === null || this.batch.mean.length < count * A) {
      this.batch = {
        count,
        mean: new Float32Array(count * A),
        logStd: spec.head === 'gaussian' ? new Float32Array(count * A) : null,
        latent: new Float32Array(count * latentDim),
      };
    }
    const storage = this.batch;
    for (let n = 0; n < count; n++) {
      const out = this.forward(observations.subarray(n * spec.obsDim, (n + 1) * spec.obsDim));
      storage.mean.set(out.mean, n * A);
      if (storage.logStd !== null && out.logStd !== null) storage.logStd.set(out.logStd, n * A);
      storage.latent.set(out.latent, n * latentDim);
    }
    return {
      count,
      mean: storage.mean.subarray(0, count * A),
      logStd: storage.logStd === null ? null : storage.logStd.subarray(0, count * A),
      latent: storage.latent.subarray(0, count * latentDim),
    };
  }
}

/** out[offset + o] = bias[o] + Σ_i x[i] · kernel[i, o]. Zero inputs (half of a ReLU layer) are skipped. */
function dense(x: Float64Array, layer: DenseWeights, out: Float64Array, offset: number): void {
  const { kernel, bias, inputs, outputs } = layer;
  for (let o = 0; o < outputs; o++) out[offset + o] = bias[o];
  for (let i = 0; i < inputs; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * outputs;
    for (let o = 0; o < outputs; o++) out[offset + o] += xi * kernel[row + o];
  }
}

function layerNorm(h: Float64Array, gain: Float32Array, bias: Float32Array): void {
  const width = h.length;
  let mean = 0;
  for (let o = 0; o < width; o++) mean += h[o];
  mean /= width;
  let variance = 0;
  for (let o = 0; o < width; o++) {
    const d = h[o] - mean;
    variance += d * d;
  }
  variance /= width;
  const inverseStd = 1 / Math.sqrt(variance + POLICY_CONSTANTS.layerNormEpsilon);
  for (let o = 0; o < width; o++) h[o] = (h[o] - mean) * inverseStd * gain[o] + bias[o];
}

function checkWeights(weights: ActorWeights): void {
  const { spec } = weights;
  if (weights.hidden.length !== spec.hidden.length)
    throw new Error(`actor weights: ${weights.hidden.length} hidden layers for spec ${describe(spec)}`);
  if (spec.layerNorm && weights.layerNorms.length !== spec.hidden.length)
    throw new Error('actor weights: layer norm enabled but its weights are missing');
  if ((spec.head === 'gaussian') !== (weights.logStd !== null))
    throw new Error(`actor weights: log std layer must be present exactly for the 'gaussian' head`);
  if ((spec.head === 'gsde') !== (weights.gsdeLogStd !== null))
    throw new Error(`actor weights: gSDE log std must be present exactly for the 'gsde' head`);
}

function sameArchitecture(a: ActorSpec, b: ActorSpec): boolean {
  return describe(a) === describe(b);
}

function describe(spec: ActorSpec): string {
  return `obs ${spec.obsDim} → [${spec.hidden.join(', ')}]${spec.layerNorm ? ' LN' : ''} → ${spec.head} ${spec.actionDim}`;
}
