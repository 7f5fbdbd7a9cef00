/**
 * Soft Actor-Critic on the WASM kernels, step for step as stable-baselines3's `SAC.train()`:
 * twin critics with Polyak-averaged targets, a tanh-squashed Gaussian or gSDE actor trained by
 * reparameterisation, and a learned entropy coefficient. Every gradient is written by hand
 * (see `mlp.ts` and `heads.ts`) and tested against tfjs autodiff (the `autodiff` engine).
 */
import type { Batch } from '../../types.js';
import { targetEntropyOf, type LearnerConfig } from '../config.js';
import type { EngineUsage, LearnerCore, StepCounters, UpdateStats } from '../core.js';
import { entropyAdamStep } from '../entropy.js';
import { isFiniteFloat32, LearnerDivergedError } from '../errors.js';
import type { UpdateNoise } from '../noise.js';
import { actorLayout, criticLayout, type ActorLayout, type CriticLayout } from '../params.js';
import type { EntropyState, LearnerArrays } from '../state.js';
import { GaussianPolicyHead, GsdePolicyHead, type PolicyHead } from './heads.js';
import { KernelMlp, MlpPass } from './mlp.js';
import { NetworkBuffers } from './network.js';
import { CriticPair } from './critic.js';
import type { WasmKernels } from './wasm.js';

/** Buffers for one batch size. */
interface SacPasses {
  batchSize: number;
  actorNext: MlpPass;
  actorCurrent: MlpPass;
  head: PolicyHead;
  /** [batch, A] ∂loss/∂action of the current-policy actions. */
  gradAction: Float64Array;
  /** [batch] y = r + γ(1 − d)(min Q' − α log π'). */
  target: Float64Array;
}

export class KernelSac implements LearnerCore {
  readonly engine = 'kernels' as const;
  private readonly actorLayout: ActorLayout;
  private readonly criticLayout: CriticLayout;
  private readonly actor: NetworkBuffers;
  private readonly actorNet: KernelMlp;
  private readonly critics: CriticPair;
  private readonly targetEntropy: number;
  private entropy: EntropyState | null;
  private passes: SacPasses | null = null;

  constructor(
    private readonly config: LearnerConfig,
    private readonly kernels: WasmKernels,
    initial: LearnerArrays,
    entropy: EntropyState | null,
  ) {
    this.actorLayout = actorLayout(config.actor);
    this.criticLayout = criticLayout(config.actor.obsDim, config.actor.actionDim, config.criticHidden);
    this.actor = new NetworkBuffers(kernels, this.actorLayout.size, true);
    this.actorNet = new KernelMlp(kernels, this.actorLayout.mlp, this.actor.params, this.actor.grads);
    this.critics = new CriticPair(kernels, this.criticLayout);
    this.targetEntropy = targetEntropyOf(config);
    this.entropy = entropy;
    this.writeArrays(initial);
  }

  update(batch: Batch, noise: UpdateNoise, counters: StepCounters): { stats: Omit<UpdateStats, 'updates'>; actorUpdated: boolean } {
    const { config, kernels, critics } = this;
    const B = batch.batchSize;
    const passes = this.passesFor(B);
    const step = counters.updates + 1;
    const failAt = counters.updates;

    // ---- Actor on the next and the current observations (same weights, two passes) ----
    kernels.heap.set(batch.nextObs, passes.actorNext.input.offset);
    kernels.heap.set(batch.obs, passes.actorCurrent.input.offset);
    this.actorNet.forward(passes.actorNext);
    this.actorNet.forward(passes.actorCurrent);
    passes.head.beginStep(noise);
    const next = passes.head.sample(passes.actorNext, 'next');
    const current = passes.head.sample(passes.actorCurrent, 'current');
    const logProbNext = next.logProb;
    const logProb = current.logProb;
    let meanLogProb = 0;
    for (let b = 0; b < B; b++) meanLogProb += logProb[b];
    meanLogProb /= B;

    // ---- Entropy coefficient: α is read before its own step (SB3 detaches it) ----
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

    // ---- Critic targets: y = r + γ(1 − d)(min_i Q'_i(s', a') − α log π(a'|s')) ----
    critics.evaluateTargets(batch.nextObs, next.action, B);
    const [q1Next, q2Next] = critics.targetOutputs(B);
    const target = passes.target;
    for (let b = 0; b < B; b++) {
      const minNext = Math.min(q1Next[b], q2Next[b]);
      target[b] = batch.reward[b] + (1 - batch.terminated[b]) * config.gamma * (minNext - alpha * logProbNext[b]);
    }

    // ---- Critic loss 0.5 · Σ_i mean((Q_i(s, a) − y)²) and its step ----
    const { loss: criticLoss, meanQ } = critics.trainStep(batch.obs, batch.action, target, B, 0.5, config, step);
    if (!isFiniteFloat32(criticLoss)) throw new LearnerDivergedError('critic loss', failAt, `critic loss = ${criticLoss}`);
    if (!Number.isFinite(critics.lastParamSum))
      throw new LearnerDivergedError('critic parameters', failAt, `sum of critic parameters = ${critics.lastParamSum}`);

    // ---- Actor loss mean(α log π − min_i Q_i(s, π(s))) through the updated critics ----
    const minQPi = critics.policyGradient(batch.obs, current.action, B, passes.gradAction, false);
    let actorLoss = 0;
    for (let b = 0; b < B; b++) actorLoss += alpha * logProb[b] - minQPi[b];
    actorLoss /= B;
    if (!isFiniteFloat32(actorLoss)) throw new LearnerDivergedError('actor loss', failAt, `actor loss = ${actorLoss}`);
    this.actorBackward(passes, alpha / B);
    const actorSum = this.actor.adam(config.adam, config.actorLearningRate, counters.actorUpdates + 1);
    this.actorNet.touch();
    if (!Number.isFinite(actorSum)) throw new LearnerDivergedError('actor parameters', failAt, `sum of actor parameters = ${actorSum}`);

    // ---- Target critics: Polyak averaging ----
    const targetSum = critics.updateTargets(config.tau);
    if (!Number.isFinite(targetSum))
      throw new LearnerDivergedError('target parameters', failAt, `sum of target critic parameters = ${targetSum}`);

    return {
      stats: { criticLoss, actorLoss, entCoef: alpha, entCoefLoss, meanQ, meanLogProb },
      actorUpdated: true,
    };
  }

  /** ∂(actor loss)/∂θ into the actor's gradient buffer; ∂loss/∂log π is α/B for every sample. */
  private actorBackward(passes: SacPasses, gradLogProb: number): void {
    const { kernels, actorNet } = this;
    const pass = passes.actorCurrent;
    const actorGrads = this.actor.grads;
    if (actorGrads === null) throw new Error('KernelSac: the actor has no gradient buffer');
    const heap = kernels.heap;
    for (const norm of this.actorLayout.mlp.layerNorms) {
      heap.fill(0, actorGrads.offset + norm.gain, actorGrads.offset + norm.gain + norm.width);
      heap.fill(0, actorGrads.offset + norm.bias, actorGrads.offset + norm.bias + norm.width);
    }
    passes.head.backward(pass, passes.gradAction, gradLogProb);
    actorNet.backwardHead(pass, true);
    passes.head.addLatentGradient(pass);
    actorNet.backwardHidden(pass, true, false);
  }

  private passesFor(batchSize: number): SacPasses {
    if (this.passes !== null && this.passes.batchSize === batchSize) return this.passes;
    const { kernels, config } = this;
    const A = config.actor.actionDim;
    if (this.passes !== null) {
      this.passes.actorNext.release(kernels);
      this.passes.actorCurrent.release(kernels);
      this.passes.head.release();
    }
    this.passes = {
      batchSize,
      actorNext: new MlpPass(kernels, this.actorLayout.mlp, batchSize, false),
      actorCurrent: new MlpPass(kernels, this.actorLayout.mlp, batchSize, true),
      head: this.makeHead(batchSize),
      gradAction: new Float64Array(batchSize * A),
      target: new Float64Array(batchSize),
    };
    this.critics.prepare(batchSize);
    return this.passes;
  }

  private makeHead(rows: number): PolicyHead {
    const { config, kernels, actor } = this;
    const slot = this.actorLayout.gsdeLogStd;
    if (config.actor.gsde === null || slot === null) return new GaussianPolicyHead(kernels, rows, config.actor.actionDim);
    if (actor.grads === null) throw new Error('KernelSac: the actor has no gradient buffer');
    return new GsdePolicyHead(
      kernels,
      config.actor.gsde,
      rows,
      this.actorLayout.latentDim,
      config.actor.actionDim,
      actor.params.offset + slot.offset,
      actor.grads.offset + slot.offset,
    );
  }

  readArrays(): LearnerArrays {
    const { actor } = this;
    return {
      actor: actor.read(actor.params),
      actorMoment1: actor.read(actor.moment1),
      actorMoment2: actor.read(actor.moment2),
      ...this.critics.readArrays(),
      actorTarget: new Float32Array(0),
    };
  }

  writeArrays(arrays: LearnerArrays): void {
    const { actor } = this;
    actor.write(actor.params, arrays.actor, 'actor');
    actor.write(actor.moment1, arrays.actorMoment1, 'actorMoment1');
    actor.write(actor.moment2, arrays.actorMoment2, 'actorMoment2');
    this.actorNet.touch();
    this.critics.writeArrays(arrays);
  }

  readEntropy(): EntropyState | null {
    return this.entropy === null ? null : { ...this.entropy };
  }

  writeEntropy(entropy: EntropyState | null): void {
    this.entropy = entropy === null ? null : { ...entropy };
  }

  actorParams(): Float32Array {
    return this.actor.read(this.actor.params);
  }

  usage(): EngineUsage {
    return this.kernels.usage();
  }

  dispose(): void {
    this.kernels.dispose();
  }
}
