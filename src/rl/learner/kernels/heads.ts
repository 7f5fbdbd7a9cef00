/**
 * SAC's two policy distributions on top of the actor's head output, with hand-written gradients.
 * Both sample by reparameterisation, squash with tanh and compute log π with the tanh correction
 * (SB3's `SquashedDiagGaussianDistribution` and `StateDependentNoiseDistribution(squash_output=True,
 * learn_features=True)`).
 *
 * The Gaussian log-density uses the pre-tanh noise directly rather than SB3's atanh(tanh(u)) round
 * trip: the two are equal in exact arithmetic, with the same gradients, and the direct form does not
 * lose precision where tanh saturates.
 */
import { gsdeSigmaDerivative, gsdeSigmaOf } from '../../policy/gsde.js';
import { POLICY_CONSTANTS, type GsdeOptions } from '../../types.js';
import type { UpdateNoise } from '../noise.js';
import type { MlpPass } from './mlp.js';
import type { Region, WasmKernels } from './wasm.js';

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** Which actor pass: on the next observations (targets, no gradient) or on the current ones. */
export type PassRole = 'next' | 'current';

/** Actions and their log-probabilities, owned by the head and overwritten at the next step. */
export interface SampledActions {
  /** [rows, A] in (-1, 1). */
  readonly action: Float32Array;
  /** [rows] log π(action | s). */
  readonly logProb: Float64Array;
}

/** A SAC policy distribution over the actor's head output (see the two implementations). */
export interface PolicyHead {
  /** Once per gradient step, before sampling: reads this step's draws (and the head's parameters). */
  beginStep(noise: UpdateNoise): void;
  /** Samples the actions of a pass whose forward pass is done. */
  sample(pass: MlpPass, role: PassRole): SampledActions;
  /**
   * For the 'current' pass: from ∂loss/∂action [rows, A] and ∂loss/∂log π (the same for every row),
   * writes ∂loss/∂(head output) into `pass.grads.output` and the head's own parameter gradients.
   */
  backward(pass: MlpPass, gradAction: Float64Array, gradLogProb: number): void;
  /** After the MLP's head backward: adds what else flows into ∂loss/∂latent (gSDE's noise and variance). */
  addLatentGradient(pass: MlpPass): void;
  /** Frees the head's WASM buffers. */
  release(): void;
}

/** log(1 − a² + ε): the tanh correction of one action component a = tanh(u). */
function tanhCorrection(a: number): number {
  return Math.log(1 - a * a + POLICY_CONSTANTS.tanhEpsilon);
}

/** ∂/∂u of −log(1 − tanh(u)² + ε), written with a = tanh(u). */
function tanhCorrectionGradient(a: number): number {
  const oneMinus = 1 - a * a;
  return (2 * a * oneMinus) / (oneMinus + POLICY_CONSTANTS.tanhEpsilon);
}

function requireNoise(values: Float32Array | null, name: string): Float32Array {
  if (values === null) throw new Error(`policy head: update noise lacks ${name}`);
  return values;
}

interface GaussianSample extends SampledActions {
  readonly action: Float32Array;
  readonly logProb: Float64Array;
  /** [rows, A] exp(clamped log std). */
  readonly std: Float64Array;
  /** [rows, A] 1 where the log std clamp passes the gradient. */
  readonly clampOpen: Uint8Array;
  epsilon: Float32Array;
}

/**
 * The 'gaussian' head: output [rows, 2A] holds the mean (columns [0, A)) and the raw log std
 * (columns [A, 2A)), clamped to [-20, 2]; u = mean + exp(log std)·ε with ε ~ N(0, 1) per sample,
 * action = tanh(u).
 */
export class GaussianPolicyHead implements PolicyHead {
  private readonly samples: Record<PassRole, GaussianSample>;

  constructor(
    private readonly kernels: WasmKernels,
    readonly rows: number,
    readonly actionDim: number,
  ) {
    const make = (): GaussianSample => ({
      action: new Float32Array(rows * actionDim),
      logProb: new Float64Array(rows),
      std: new Float64Array(rows * actionDim),
      clampOpen: new Uint8Array(rows * actionDim),
      epsilon: new Float32Array(0),
    });
    this.samples = { next: make(), current: make() };
  }

  beginStep(noise: UpdateNoise): void {
    this.samples.next.epsilon = requireNoise(noise.nextEpsilon, 'nextEpsilon');
    this.samples.current.epsilon = requireNoise(noise.currentEpsilon, 'currentEpsilon');
  }

  sample(pass: MlpPass, role: PassRole): SampledActions {
    const { rows, actionDim: A } = this;
    const sample = this.samples[role];
    const { epsilon } = sample;
    const heap = this.kernels.heap;
    const output = pass.output.offset;
    for (let b = 0; b < rows; b++) {
      let logProb = 0;
      for (let j = 0; j < A; j++) {
        const k = b * A + j;
        const mean = heap[output + b * 2 * A + j];
        const rawLogStd = heap[output + b * 2 * A + A + j];
        const logStd = Math.min(POLICY_CONSTANTS.logStdMax, Math.max(POLICY_CONSTANTS.logStdMin, rawLogStd));
        const std = Math.exp(logStd);
        const e = epsilon[k];
        const a = Math.tanh(mean + std * e);
        sample.action[k] = a;
        sample.std[k] = std;
        // torch.clamp passes the gradient on the closed interval.
        sample.clampOpen[k] = rawLogStd >= POLICY_CONSTANTS.logStdMin && rawLogStd <= POLICY_CONSTANTS.logStdMax ? 1 : 0;
        logProb += -0.5 * e * e - logStd - HALF_LOG_TWO_PI - tanhCorrection(sample.action[k]);
      }
      sample.logProb[b] = logProb;
    }
    return sample;
  }

  backward(pass: MlpPass, gradAction: Float64Array, gradLogProb: number): void {
    const { rows, actionDim: A } = this;
    const sample = this.samples.current;
    const heap = this.kernels.heap;
    const gradOutput = requireGrads(pass).output.offset;
    for (let b = 0; b < rows; b++) {
      for (let j = 0; j < A; j++) {
        const k = b * A + j;
        const a = sample.action[k];
        const du = gradAction[k] * (1 - a * a) + gradLogProb * tanhCorrectionGradient(a);
        heap[gradOutput + b * 2 * A + j] = du;
        const dLogStd = du * sample.std[k] * sample.epsilon[k] - gradLogProb;
        heap[gradOutput + b * 2 * A + A + j] = sample.clampOpen[k] === 1 ? dLogStd : 0;
      }
    }
  }

  addLatentGradient(): void {}

  release(): void {}
}

/** Heap buffers of one gSDE pass: the noise z·E and Σ z²σ² [rows, A], and z² [rows, L]. */
interface GsdePassBuffers extends SampledActions {
  readonly action: Float32Array;
  readonly logProb: Float64Array;
  readonly noise: Region;
  readonly variance: Region;
  readonly latentSquared: Region;
  /** [rows, A] 1 where the mean clip passes the gradient. */
  readonly meanOpen: Uint8Array;
}

/**
 * The 'gsde' head: output [rows, A] is the mean, clipped to ±2; with the latent features z (last hidden
 * layer) [rows, L] and the exploration matrix E = σ ⊙ ε [L, A] drawn once per gradient step and shared
 * by the batch and both passes, u = mean + z·E, action = tanh(u), and the Gaussian variance of
 * component j is Σ_i z_i² σ_ij² + 1e-6. The per-sample products run as WASM matrix products:
 *
 *   forward    noise = z·E, variance = (z ⊙ z)·σ²
 *   backward   ∂z = ∂noise·Eᵀ + 2 z ⊙ (∂variance·σ²ᵀ),  ∂E = zᵀ·∂noise,  ∂σ² = (z ⊙ z)ᵀ·∂variance
 */
export class GsdePolicyHead implements PolicyHead {
  /** σ, ε of this step, [L, A] (float64, JavaScript side). */
  readonly sigma: Float64Array;
  private epsilon: Float32Array = new Float32Array(0);
  /** E and σ², [L, A], and their transposes [A, L]: right operands of the products. */
  private readonly matrix: Region;
  private readonly sigmaSquared: Region;
  private readonly matrixTransposed: Region;
  private readonly sigmaSquaredTransposed: Region;
  private readonly passes: Record<PassRole, GsdePassBuffers>;
  /** Backward scratch: ∂noise and 2·∂variance [rows, A]; ∂noise·Eᵀ and 2·∂variance·σ²ᵀ [rows, L]; zᵀ, (z²)ᵀ [L, rows]; ∂E, 2·∂σ² [L, A]. */
  private readonly gradNoise: Region;
  private readonly gradVarianceTwice: Region;
  private readonly latentGradFromNoise: Region;
  private readonly latentGradFromVariance: Region;
  private readonly latentTransposed: Region;
  private readonly latentSquaredTransposed: Region;
  private readonly gradMatrix: Region;
  private readonly gradSigmaSquaredTwice: Region;

  /**
   * `logStd` and `gradLogStd` are heap offsets of log σ ([L, A] or [L]) and of its gradient (in the
   * actor's parameter and gradient buffers).
   */
  constructor(
    private readonly kernels: WasmKernels,
    readonly options: GsdeOptions,
    readonly rows: number,
    readonly latentDim: number,
    readonly actionDim: number,
    private readonly logStd: number,
    private readonly gradLogStd: number,
  ) {
    const L = latentDim;
    const A = actionDim;
    this.sigma = new Float64Array(L * A);
    this.matrix = kernels.allocate(L * A);
    this.sigmaSquared = kernels.allocate(L * A);
    this.matrixTransposed = kernels.allocate(A * L);
    this.sigmaSquaredTransposed = kernels.allocate(A * L);
    const pass = (): GsdePassBuffers => ({
      action: new Float32Array(rows * A),
      logProb: new Float64Array(rows),
      noise: kernels.allocate(rows * A),
      variance: kernels.allocate(rows * A),
      latentSquared: kernels.allocate(rows * L),
      meanOpen: new Uint8Array(rows * A),
    });
    this.passes = { next: pass(), current: pass() };
    this.gradNoise = kernels.allocate(rows * A);
    this.gradVarianceTwice = kernels.allocate(rows * A);
    this.latentGradFromNoise = kernels.allocate(rows * L);
    this.latentGradFromVariance = kernels.allocate(rows * L);
    this.latentTransposed = kernels.allocate(L * rows);
    this.latentSquaredTransposed = kernels.allocate(L * rows);
    this.gradMatrix = kernels.allocate(L * A);
    this.gradSigmaSquaredTwice = kernels.allocate(L * A);
  }

  /** σ from log σ and E = σ ⊙ ε for this step's ε [L, A]. */
  beginStep(noise: UpdateNoise): void {
    const { latentDim: L, actionDim: A, options, kernels } = this;
    this.epsilon = requireNoise(noise.gsdeEpsilon, 'gsdeEpsilon');
    const heap = kernels.heap;
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < A; j++) {
        const k = i * A + j;
        const sigma = gsdeSigmaOf(heap[this.logStd + (options.fullStd ? k : i)], options.useExpln);
        this.sigma[k] = sigma;
        const e = sigma * this.epsilon[k];
        heap[this.matrix.offset + k] = e;
        heap[this.sigmaSquared.offset + k] = sigma * sigma;
        heap[this.matrixTransposed.offset + j * L + i] = e;
        heap[this.sigmaSquaredTransposed.offset + j * L + i] = sigma * sigma;
      }
    }
  }

  sample(pass: MlpPass, role: PassRole): SampledActions {
    const { rows, latentDim: L, actionDim: A, kernels } = this;
    const buffers = this.passes[role];
    const latent = latentOf(pass);
    kernels.matMul(buffers.noise, latent, rows, L, this.matrix, A);
    kernels.square(buffers.latentSquared.offset, latent.offset, rows * L);
    kernels.matMul(buffers.variance, buffers.latentSquared, rows, L, this.sigmaSquared, A);
    const heap = kernels.heap;
    const clip = POLICY_CONSTANTS.gsdeMeanClip;
    for (let b = 0; b < rows; b++) {
      let logProb = 0;
      for (let j = 0; j < A; j++) {
        const k = b * A + j;
        const pre = heap[pass.output.offset + k];
        // torch's hardtanh passes the gradient on the open interval only.
        buffers.meanOpen[k] = pre > -clip && pre < clip ? 1 : 0;
        const noise = heap[buffers.noise.offset + k];
        const variance = heap[buffers.variance.offset + k] + POLICY_CONSTANTS.gsdeEpsilon;
        const a = Math.tanh(Math.min(clip, Math.max(-clip, pre)) + noise);
        buffers.action[k] = a;
        logProb += (-0.5 * noise * noise) / variance - 0.5 * Math.log(variance) - HALF_LOG_TWO_PI - tanhCorrection(buffers.action[k]);
      }
      buffers.logProb[b] = logProb;
    }
    return buffers;
  }

  backward(pass: MlpPass, gradAction: Float64Array, gradLogProb: number): void {
    const { rows, latentDim: L, actionDim: A, kernels, options } = this;
    const buffers = this.passes.current;
    const gradOutput = requireGrads(pass).output.offset;
    let heap = kernels.heap;
    for (let k = 0; k < rows * A; k++) {
      const a = buffers.action[k];
      const du = gradAction[k] * (1 - a * a) + gradLogProb * tanhCorrectionGradient(a);
      heap[gradOutput + k] = buffers.meanOpen[k] === 1 ? du : 0;
      const noise = heap[buffers.noise.offset + k];
      const variance = heap[buffers.variance.offset + k] + POLICY_CONSTANTS.gsdeEpsilon;
      heap[this.gradNoise.offset + k] = du - (gradLogProb * noise) / variance;
      heap[this.gradVarianceTwice.offset + k] = 2 * gradLogProb * ((0.5 * noise * noise) / (variance * variance) - 0.5 / variance);
    }
    const latent = latentOf(pass);
    kernels.matMul(this.latentGradFromNoise, this.gradNoise, rows, A, this.matrixTransposed, L);
    kernels.matMul(this.latentGradFromVariance, this.gradVarianceTwice, rows, A, this.sigmaSquaredTransposed, L);
    kernels.transpose(latent.offset, this.latentTransposed.offset, rows, L);
    kernels.matMul(this.gradMatrix, this.latentTransposed, L, rows, this.gradNoise, A);
    kernels.transpose(buffers.latentSquared.offset, this.latentSquaredTransposed.offset, rows, L);
    kernels.matMul(this.gradSigmaSquaredTwice, this.latentSquaredTransposed, L, rows, this.gradVarianceTwice, A);
    // ∂σ = ∂E ⊙ ε + 2σ ⊙ ∂σ², then through σ(log σ); a shared σ sums over the action dimensions.
    heap = kernels.heap;
    if (!options.fullStd) heap.fill(0, this.gradLogStd, this.gradLogStd + L);
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < A; j++) {
        const k = i * A + j;
        const gradSigma = heap[this.gradMatrix.offset + k] * this.epsilon[k] + this.sigma[k] * heap[this.gradSigmaSquaredTwice.offset + k];
        const index = options.fullStd ? k : i;
        const grad = gradSigma * gsdeSigmaDerivative(heap[this.logStd + index], options.useExpln);
        heap[this.gradLogStd + index] = options.fullStd ? grad : heap[this.gradLogStd + index] + grad;
      }
    }
  }

  addLatentGradient(pass: MlpPass): void {
    const { rows, latentDim: L } = this;
    const target = requireGrads(pass).hidden[pass.hidden.length - 1];
    this.kernels.addProduct(
      target.offset,
      this.latentGradFromNoise.offset,
      latentOf(pass).offset,
      this.latentGradFromVariance.offset,
      rows * L,
    );
  }

  /** Frees the head's buffers. */
  release(): void {
    const { next, current } = this.passes;
    this.kernels.free(
      this.matrix,
      this.sigmaSquared,
      this.matrixTransposed,
      this.sigmaSquaredTransposed,
      ...[next, current].flatMap((buffers) => [buffers.noise, buffers.variance, buffers.latentSquared]),
      this.gradNoise,
      this.gradVarianceTwice,
      this.latentGradFromNoise,
      this.latentGradFromVariance,
      this.latentTransposed,
      this.latentSquaredTransposed,
      this.gradMatrix,
      this.gradSigmaSquaredTwice,
    );
  }
}

function latentOf(pass: MlpPass): Region {
  const latent = pass.hidden[pass.hidden.length - 1];
  if (latent === undefined) throw new Error('policy head: the actor has no hidden layer');
  return latent;
}

function requireGrads(pass: MlpPass): NonNullable<MlpPass['grads']> {
  if (pass.grads === null) throw new Error('policy head: backward pass on a forward-only pass');
  return pass.grads;
}
