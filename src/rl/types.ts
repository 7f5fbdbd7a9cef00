/**
 * Shapes shared by the learner (tfjs, may run in a worker thread) and the control tick (plain
 * JavaScript). Observations are float32 vectors of length `obsDim`; actions are normalised to
 * [-1, 1] per dimension inside `rl/`: one function outside maps them to joint units (style rule 4).
 */

/** What the policy network outputs in its last layer. */
export type ActorHead =
  /** SAC: mean and state-dependent log std of a tanh-squashed Gaussian. */
  | 'gaussian'
  /** SAC with gSDE: mean, plus a learned log std matrix over the latent features (no state-dependent log std). */
  | 'gsde'
  /** TD3: a deterministic tanh action. */
  | 'deterministic';

export interface GsdeOptions {
  /** Initial value of every entry of log σ (SB3 default for SAC: -3). */
  logStdInit: number;
  /** One σ per (latent feature, action) pair (true, SB3 default) or one per latent feature. */
  fullStd: boolean;
  /** σ = exp(x) for x <= 0 and log1p(x) + 1 above, to keep σ from exploding. */
  useExpln: boolean;
}

export interface ActorSpec {
  obsDim: number;
  actionDim: number;
  /** Widths of the hidden layers, e.g. [256, 256]. ReLU after each (after layer norm when enabled). */
  hidden: number[];
  /** Layer normalisation after every hidden linear layer (gain and bias learned, never perturbed by parameter noise). */
  layerNorm: boolean;
  head: ActorHead;
  /** Only when head is 'gsde'. */
  gsde: GsdeOptions | null;
}

/** One dense layer: `y = x · kernel + bias`, kernel row-major of shape [inputs, outputs]. */
export interface DenseWeights {
  /** [inputs * outputs], row-major: kernel[i * outputs + o]. */
  kernel: Float32Array;
  /** [outputs] */
  bias: Float32Array;
  inputs: number;
  outputs: number;
}

export interface LayerNormWeights {
  /** [width] */
  gain: Float32Array;
  /** [width] */
  bias: Float32Array;
}

/**
 * A copy of the actor's parameters, as the learner hands them to the control tick. Plain typed
 * arrays, so that they cross a worker boundary (transferable) and feed a JavaScript forward pass.
 */
export interface ActorWeights {
  spec: ActorSpec;
  /** Hidden layers, in order. */
  hidden: DenseWeights[];
  /** One per hidden layer when `spec.layerNorm`, else empty. */
  layerNorms: LayerNormWeights[];
  /** Latent (last hidden) -> pre-tanh mean. */
  mean: DenseWeights;
  /** 'gaussian' head only: latent -> log std (clamped to [-20, 2] as in SB3). */
  logStd: DenseWeights | null;
  /** 'gsde' head only: log σ, [latentDim * actionDim] when fullStd, else [latentDim]. */
  gsdeLogStd: Float32Array | null;
  /** Version counter of the learner's weights (number of gradient steps taken). */
  updates: number;
}

/** A minibatch sampled from the replay buffer. Row-major, `batchSize` rows. */
export interface Batch {
  batchSize: number;
  /** [batchSize * obsDim] */
  obs: Float32Array;
  /** [batchSize * actionDim], in [-1, 1] */
  action: Float32Array;
  /** [batchSize] */
  reward: Float32Array;
  /** [batchSize * obsDim]: the true next observation, also at truncation. */
  nextObs: Float32Array;
  /** [batchSize]: 1 when the episode terminated (no bootstrap), 0 otherwise (timeouts are not terminations). */
  terminated: Float32Array;
}

/**
 * Numeric constants of the policy's semantics, shared by the learner and the control tick so that
 * both compute the same function (values as in stable-baselines3 / PyTorch).
 */
export const POLICY_CONSTANTS = {
  /** The 'gaussian' head's log std is clamped to [LOG_STD_MIN, LOG_STD_MAX] (SB3 SAC). */
  logStdMin: -20,
  logStdMax: 2,
  /** The 'gsde' head's pre-tanh mean is clipped to ±gsdeMeanClip (SB3 SAC `clip_mean`). */
  gsdeMeanClip: 2,
  /** Added to the gSDE variance Σ_i z_i² σ_ij² before the square root (SB3 `epsilon`); also the `expln` offset. */
  gsdeEpsilon: 1e-6,
  /** Inside log(1 − tanh(u)² + ε), the tanh log-probability correction (SB3 `TanhBijector`). */
  tanhEpsilon: 1e-6,
  /** Layer normalisation: (z − mean) / sqrt(var + ε), biased variance over the layer (PyTorch default ε). */
  layerNormEpsilon: 1e-5,
} as const;
