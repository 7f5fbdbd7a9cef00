/**
 * Soft Actor-Critic with tfjs operations and automatic differentiation, step for step as
 * stable-baselines3's `SAC.train()`. It runs on any tfjs backend (tfjs-node where installed) and is
 * the reference the hand-written kernel engine is tested against: both consume the same random
 * draws, so one update from the same state gives the same result to float32 tolerance.
 */
import * as tf from '@tensorflow/tfjs';
import { POLICY_CONSTANTS, type Batch } from '../../types.js';
import { targetEntropyOf, type LearnerConfig } from '../config.js';
import { TFJS_ONLY_USAGE, type EngineUsage, type LearnerCore, type StepCounters, type UpdateStats } from '../core.js';
import { entropyAdamStep } from '../entropy.js';
import { LearnerDivergedError } from '../errors.js';
import type { UpdateNoise } from '../noise.js';
import { actorLayout, criticLayout, type ActorLayout } from '../params.js';
import type { EntropyState, LearnerArrays } from '../state.js';
import { AutodiffCritics, batchTensors, type BatchTensors } from './critics.js';
import { applyMlp, TfNetwork, type TfMlp } from './networks.js';

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** The SAC policy's tfjs parameters and its reparameterised sampling. */
export class TfSacActor {
  readonly network: TfNetwork;
  readonly mlp: TfMlp;
  /** 'gsde' only: log σ, [L, A] (fullStd) or [L]. */
  readonly gsdeLogStd: tf.Variable | null;

  constructor(
    readonly layout: ActorLayout,
    flat: Float32Array,
  ) {
    this.network = new TfNetwork(layout.size, true);
    this.mlp = this.network.addMlp(flat, layout.mlp);
    const slot = layout.gsdeLogStd;
    const gsde = layout.spec.gsde;
    this.gsdeLogStd =
      slot === null || gsde === null
        ? null
        : this.network.add(flat, slot.offset, gsde.fullStd ? [layout.latentDim, layout.spec.actionDim] : [layout.latentDim]);
  }

  /**
   * Actions a = tanh(u) [rows, A] and log π(a|s) [rows] for observations [rows, obsDim], with the
   * standard normal draws of this step: `epsilon` [rows, A] ('gaussian') or the gSDE matrix's
   * `gsdeEpsilon` [L, A].
   */
  sample(obs: tf.Tensor2D, epsilon: tf.Tensor2D | null, gsdeEpsilon: tf.Tensor2D | null): { action: tf.Tensor2D; logProb: tf.Tensor1D } {
    const A = this.layout.spec.actionDim;
    const { latent, output } = applyMlp(this.mlp, obs);
    if (this.gsdeLogStd === null) {
      if (epsilon === null) throw new Error('TfSacActor.sample: the gaussian head needs epsilon');
      const mean = tf.slice(output, [0, 0], [-1, A]);
      const logStd = tf.clipByValue(tf.slice(output, [0, A], [-1, A]), POLICY_CONSTANTS.logStdMin, POLICY_CONSTANTS.logStdMax);
      const action = tf.tanh(tf.add(mean, tf.mul(tf.exp(logStd), epsilon))) as tf.Tensor2D;
      const gaussian = tf.sub(tf.sub(tf.mul(tf.square(epsilon), -0.5), logStd), HALF_LOG_TWO_PI);
      return { action, logProb: tf.sum<tf.Tensor1D>(tf.sub(gaussian, tanhCorrection(action)), 1) };
    }
    if (gsdeEpsilon === null) throw new Error('TfSacActor.sample: the gsde head needs gsdeEpsilon');
    const clip = POLICY_CONSTANTS.gsdeMeanClip;
    const mean = tf.clipByValue(output, -clip, clip);
    const sigma = this.gsdeSigma();
    const matrix = tf.mul(sigma, gsdeEpsilon);
    const noise = tf.matMul(latent, matrix);
    const variance = tf.add(tf.matMul(tf.square(latent), tf.square(sigma)), POLICY_CONSTANTS.gsdeEpsilon);
    const action = tf.tanh(tf.add(mean, noise)) as tf.Tensor2D;
    const gaussian = tf.sub(tf.sub(tf.div(tf.mul(tf.square(noise), -0.5), variance), tf.mul(tf.log(variance), 0.5)), HALF_LOG_TWO_PI);
    return { action, logProb: tf.sum<tf.Tensor1D>(tf.sub(gaussian, tanhCorrection(action)), 1) };
  }

  /** σ [L, A] from log σ, written as SB3's `get_std` (exp, or expln through masks). */
  private gsdeSigma(): tf.Tensor2D {
    const logStd = this.gsdeLogStd;
    const options = this.layout.spec.gsde;
    if (logStd === null || options === null) throw new Error('TfSacActor: no gSDE parameters');
    let sigma: tf.Tensor;
    if (options.useExpln) {
      // tf.step (1 above 0, else 0) carries a zero gradient, like SB3's boolean masks.
      const above = tf.step(logStd);
      const below = tf.sub(1, above);
      const safe = tf.add(tf.mul(logStd, above), POLICY_CONSTANTS.gsdeEpsilon);
      sigma = tf.add(tf.mul(tf.exp(logStd), below), tf.mul(tf.add(tf.log1p(safe), 1), above));
    } else {
      sigma = tf.exp(logStd);
    }
    if (!options.fullStd) sigma = tf.mul(tf.reshape(sigma, [this.layout.latentDim, 1]), tf.ones([1, this.layout.spec.actionDim]));
    return sigma as tf.Tensor2D;
  }
}

/** log(1 − a² + ε), elementwise. */
function tanhCorrection(action: tf.Tensor2D): tf.Tensor2D {
  return tf.log(tf.add(tf.sub(1, tf.square(action)), POLICY_CONSTANTS.tanhEpsilon)) as tf.Tensor2D;
}

export class AutodiffSac implements LearnerCore {
  readonly engine = 'autodiff' as const;
  private readonly actor: TfSacActor;
  private readonly critics: AutodiffCritics;
  private readonly targetEntropy: number;
  private entropy: EntropyState | null;

  constructor(
    private readonly config: LearnerConfig,
    initial: LearnerArrays,
    entropy: EntropyState | null,
  ) {
    this.actor = new TfSacActor(actorLayout(config.actor), initial.actor);
    this.critics = new AutodiffCritics(criticLayout(config.actor.obsDim, config.actor.actionDim, config.criticHidden), initial);
    this.targetEntropy = targetEntropyOf(config);
    this.entropy = entropy;
    this.writeArrays(initial);
  }

  update(batch: Batch, noise: UpdateNoise, counters: StepCounters): { stats: Omit<UpdateStats, 'updates'>; actorUpdated: boolean } {
    const { config, actor, critics } = this;
    const B = batch.batchSize;
    const A = config.actor.actionDim;
    const failAt = counters.updates;
    const step = counters.updates + 1;
    const t = batchTensors(batch, config.actor.obsDim, A);
    const epsilon = (values: Float32Array | null, rows: number): tf.Tensor2D | null =>
      values === null ? null : tf.tensor2d(values, [rows, A]);
    const nextEpsilon = epsilon(noise.nextEpsilon, B);
    const currentEpsilon = epsilon(noise.currentEpsilon, B);
    const gsdeEpsilon = epsilon(noise.gsdeEpsilon, actor.layout.latentDim);
    try {
      // ---- Current policy's log π (for α; the actor loss recomputes the same values with gradients) ----
      const meanLogProb = tf.tidy(() => tf.mean(actor.sample(t.obs, currentEpsilon, gsdeEpsilon).logProb).dataSync()[0]);

      // ---- Entropy coefficient: α is read before its own step ----
      const entropy = this.entropy;
      const alpha = entropy === null ? (config.sac.entCoef as number) : Math.exp(entropy.logEntCoef);
      let entCoefLoss: number | null = null;
      if (entropy !== null) {
        const meanShifted = meanLogProb + this.targetEntropy;
        entCoefLoss = -entropy.logEntCoef * meanShifted;
        entropyAdamStep(entropy, -meanShifted, config, step);
        if (!Number.isFinite(entropy.logEntCoef) || !Number.isFinite(Math.exp(entropy.logEntCoef))) {
          throw new LearnerDivergedError('entropy coefficient', failAt, `log α = ${entropy.logEntCoef}`);
        }
      }

      // ---- Critic targets, then the critic step ----
      const target = tf.tidy(() => {
        const next = actor.sample(t.nextObs, nextEpsilon, gsdeEpsilon);
        const minNext = critics.targetMin(t.nextObs, next.action);
        const soft = tf.sub(minNext, tf.mul(next.logProb, alpha));
        return tf.add<tf.Tensor1D>(t.reward, tf.mul(tf.mul(tf.sub(1, t.terminated), config.gamma), soft));
      });
      const { loss: criticLoss, meanQ } = critics.trainStep(t, target, 0.5, config, step, failAt);
      target.dispose();

      // ---- Actor loss mean(α log π − min_i Q_i(s, π(s))) through the updated critics ----
      const actorVariables = actor.network.variables;
      const { value, grads } = tf.variableGrads(() => {
        const current = actor.sample(t.obs, currentEpsilon, gsdeEpsilon);
        const q = critics.onlineMin(t.obs, current.action);
        return tf.mean<tf.Scalar>(tf.sub(tf.mul(current.logProb, alpha), q));
      }, actorVariables);
      const actorLoss = value.dataSync()[0];
      value.dispose();
      if (!Number.isFinite(actorLoss)) {
        tf.dispose(grads);
        throw new LearnerDivergedError('actor loss', failAt, `actor loss = ${actorLoss}`);
      }
      const actorSum = readScalar(actor.network.adam(grads, config.adam, config.actorLearningRate, counters.actorUpdates + 1));
      tf.dispose(grads);
      if (!Number.isFinite(actorSum)) throw new LearnerDivergedError('actor parameters', failAt, `sum of actor parameters = ${actorSum}`);

      // ---- Target critics: Polyak averaging ----
      const targetSum = critics.updateTargets(config.tau);
      if (!Number.isFinite(targetSum))
        throw new LearnerDivergedError('target parameters', failAt, `sum of target critic parameters = ${targetSum}`);
      return { stats: { criticLoss, actorLoss, entCoef: alpha, entCoefLoss, meanQ, meanLogProb }, actorUpdated: true };
    } finally {
      tf.dispose([nextEpsilon, currentEpsilon, gsdeEpsilon].filter((tensor): tensor is tf.Tensor2D => tensor !== null));
      disposeBatch(t);
    }
  }

  readArrays(): LearnerArrays {
    const [actorMoment1, actorMoment2] = this.actor.network.readMoments();
    return { actor: this.actor.network.read(), actorMoment1, actorMoment2, ...this.critics.readArrays(), actorTarget: new Float32Array(0) };
  }

  writeArrays(arrays: LearnerArrays): void {
    this.actor.network.write(arrays.actor, 'actor');
    this.actor.network.writeMoments(arrays.actorMoment1, arrays.actorMoment2);
    this.critics.writeArrays(arrays);
  }

  readEntropy(): EntropyState | null {
    return this.entropy === null ? null : { ...this.entropy };
  }

  writeEntropy(entropy: EntropyState | null): void {
    this.entropy = entropy === null ? null : { ...entropy };
  }

  actorParams(): Float32Array {
    return this.actor.network.read();
  }

  usage(): EngineUsage {
    return TFJS_ONLY_USAGE;
  }

  dispose(): void {
    this.actor.network.dispose();
    this.critics.dispose();
  }
}

/** Reads and disposes a scalar tensor. */
export function readScalar(scalar: tf.Scalar): number {
  const value = scalar.dataSync()[0];
  scalar.dispose();
  return value;
}

export function disposeBatch(t: BatchTensors): void {
  tf.dispose([t.obs, t.action, t.reward, t.nextObs, t.terminated, t.criticInput]);
}
