/**
 * TD3 (Fujimoto et al. 2018) on the WASM kernels, as stable-baselines3's `TD3.train()`: twin critics,
 * target policy smoothing, and the actor and all targets updated once every `policyDelay` critic
 * steps. The actor is deterministic: action = tanh(network output).
 */
import type { Batch } from '../../types.js';
import type { LearnerConfig } from '../config.js';
import type { EngineUsage, LearnerCore, StepCounters, UpdateStats } from '../core.js';
import { isFiniteFloat32, LearnerDivergedError } from '../errors.js';
import type { UpdateNoise } from '../noise.js';
import { actorLayout, criticLayout, type ActorLayout } from '../params.js';
import type { EntropyState, LearnerArrays } from '../state.js';
import { CriticPair } from './critic.js';
import { KernelMlp, MlpPass } from './mlp.js';
import { NetworkBuffers } from './network.js';
import type { WasmKernels } from './wasm.js';

interface Td3Passes {
  batchSize: number;
  /** Target actor on s' (forward only). */
  actorTargetNext: MlpPass;
  /** Online actor on s (with backward). */
  actorCurrent: MlpPass;
  /** [batch, A] a' (smoothed target action) and π(s). */
  nextAction: Float32Array;
  action: Float32Array;
  gradAction: Float64Array;
  target: Float64Array;
}

export class KernelTd3 implements LearnerCore {
  readonly engine = 'kernels' as const;
  private readonly actorLayout: ActorLayout;
  private readonly actor: NetworkBuffers;
  private readonly actorTarget: NetworkBuffers;
  private readonly actorNet: KernelMlp;
  private readonly actorTargetNet: KernelMlp;
  private readonly critics: CriticPair;
  private passes: Td3Passes | null = null;

  constructor(
    private readonly config: LearnerConfig,
    private readonly kernels: WasmKernels,
    initial: LearnerArrays,
  ) {
    this.actorLayout = actorLayout(config.actor);
    this.actor = new NetworkBuffers(kernels, this.actorLayout.size, true);
    this.actorTarget = new NetworkBuffers(kernels, this.actorLayout.size, false);
    this.actorNet = new KernelMlp(kernels, this.actorLayout.mlp, this.actor.params, this.actor.grads);
    this.actorTargetNet = new KernelMlp(kernels, this.actorLayout.mlp, this.actorTarget.params, null);
    this.critics = new CriticPair(kernels, criticLayout(config.actor.obsDim, config.actor.actionDim, config.criticHidden));
    this.writeArrays(initial);
  }

  update(batch: Batch, noise: UpdateNoise, counters: StepCounters): { stats: Omit<UpdateStats, 'updates'>; actorUpdated: boolean } {
    const { config, kernels, critics } = this;
    const B = batch.batchSize;
    const A = config.actor.actionDim;
    const passes = this.passesFor(B);
    const failAt = counters.updates;

    // ---- Target policy smoothing: a' = clip(μ'(s') + clip(σ·ε, ±c), −1, 1) ----
    kernels.heap.set(batch.nextObs, passes.actorTargetNext.input.offset);
    this.actorTargetNet.forward(passes.actorTargetNext);
    const epsilon = noise.targetEpsilon;
    if (epsilon === null) throw new Error('KernelTd3: update noise lacks targetEpsilon');
    const { targetPolicyNoise, targetNoiseClip } = config.td3;
    let heap = kernels.heap;
    const nextOut = passes.actorTargetNext.output.offset;
    for (let k = 0; k < B * A; k++) {
      const smoothing = Math.min(targetNoiseClip, Math.max(-targetNoiseClip, targetPolicyNoise * epsilon[k]));
      passes.nextAction[k] = Math.min(1, Math.max(-1, Math.tanh(heap[nextOut + k]) + smoothing));
    }

    // ---- Critic targets y = r + γ(1 − d) min_i Q'_i(s', a') and the critic step ----
    critics.evaluateTargets(batch.nextObs, passes.nextAction, B);
    const [q1Next, q2Next] = critics.targetOutputs(B);
    for (let b = 0; b < B; b++) {
      passes.target[b] = batch.reward[b] + (1 - batch.terminated[b]) * config.gamma * Math.min(q1Next[b], q2Next[b]);
    }
    const { loss: criticLoss, meanQ } = critics.trainStep(batch.obs, batch.action, passes.target, B, 1, config, counters.updates + 1);
    if (!isFiniteFloat32(criticLoss)) throw new LearnerDivergedError('critic loss', failAt, `critic loss = ${criticLoss}`);
    if (!Number.isFinite(critics.lastParamSum))
      throw new LearnerDivergedError('critic parameters', failAt, `sum of critic parameters = ${critics.lastParamSum}`);

    // ---- Delayed actor step: loss −mean Q1(s, μ(s)), then every target moves ----
    const actorUpdated = (counters.updates + 1) % config.td3.policyDelay === 0;
    let actorLoss: number | null = null;
    if (actorUpdated) {
      kernels.heap.set(batch.obs, passes.actorCurrent.input.offset);
      this.actorNet.forward(passes.actorCurrent);
      heap = kernels.heap;
      const out = passes.actorCurrent.output.offset;
      for (let k = 0; k < B * A; k++) passes.action[k] = Math.tanh(heap[out + k]);
      const q = critics.policyGradient(batch.obs, passes.action, B, passes.gradAction, true);
      actorLoss = 0;
      for (let b = 0; b < B; b++) actorLoss -= q[b];
      actorLoss /= B;
      if (!isFiniteFloat32(actorLoss)) throw new LearnerDivergedError('actor loss', failAt, `actor loss = ${actorLoss}`);
      this.actorBackward(passes);
      const actorSum = this.actor.adam(config.adam, config.actorLearningRate, counters.actorUpdates + 1);
      this.actorNet.touch();
      if (!Number.isFinite(actorSum)) throw new LearnerDivergedError('actor parameters', failAt, `sum of actor parameters = ${actorSum}`);
      const criticTargetSum = critics.updateTargets(config.tau);
      const actorTargetSum = this.actorTarget.polyakFrom(this.actor, config.tau);
      this.actorTargetNet.touch();
      if (!Number.isFinite(criticTargetSum + actorTargetSum)) {
        throw new LearnerDivergedError(
          'target parameters',
          failAt,
          `sums of target parameters: critic ${criticTargetSum}, actor ${actorTargetSum}`,
        );
      }
    }
    return { stats: { criticLoss, actorLoss, entCoef: null, entCoefLoss: null, meanQ, meanLogProb: null }, actorUpdated };
  }

  /** ∂(−mean Q1)/∂θ of the actor: through tanh, then the network. */
  private actorBackward(passes: Td3Passes): void {
    const { kernels } = this;
    const pass = passes.actorCurrent;
    const grads = pass.grads;
    const actorGrads = this.actor.grads;
    if (grads === null || actorGrads === null) throw new Error('KernelTd3: the actor pass has no backward buffers');
    const heap = kernels.heap;
    for (const norm of this.actorLayout.mlp.layerNorms) {
      heap.fill(0, actorGrads.offset + norm.gain, actorGrads.offset + norm.gain + norm.width);
      heap.fill(0, actorGrads.offset + norm.bias, actorGrads.offset + norm.bias + norm.width);
    }
    const count = passes.action.length;
    for (let k = 0; k < count; k++) {
      const a = passes.action[k];
      heap[grads.output.offset + k] = passes.gradAction[k] * (1 - a * a);
    }
    this.actorNet.backwardHead(pass, true);
    this.actorNet.backwardHidden(pass, true, false);
  }

  private passesFor(batchSize: number): Td3Passes {
    if (this.passes !== null && this.passes.batchSize === batchSize) return this.passes;
    const { kernels, config } = this;
    if (this.passes !== null) {
      this.passes.actorTargetNext.release(kernels);
      this.passes.actorCurrent.release(kernels);
    }
    const perBatch = batchSize * config.actor.actionDim;
    this.passes = {
      batchSize,
      actorTargetNext: new MlpPass(kernels, this.actorLayout.mlp, batchSize, false),
      actorCurrent: new MlpPass(kernels, this.actorLayout.mlp, batchSize, true),
      nextAction: new Float32Array(perBatch),
      action: new Float32Array(perBatch),
      gradAction: new Float64Array(perBatch),
      target: new Float64Array(batchSize),
    };
    this.critics.prepare(batchSize);
    return this.passes;
  }

  readArrays(): LearnerArrays {
    const { actor, actorTarget } = this;
    return {
      actor: actor.read(actor.params),
      actorMoment1: actor.read(actor.moment1),
      actorMoment2: actor.read(actor.moment2),
      ...this.critics.readArrays(),
      actorTarget: actorTarget.read(actorTarget.params),
    };
  }

  writeArrays(arrays: LearnerArrays): void {
    const { actor, actorTarget } = this;
    actor.write(actor.params, arrays.actor, 'actor');
    actor.write(actor.moment1, arrays.actorMoment1, 'actorMoment1');
    actor.write(actor.moment2, arrays.actorMoment2, 'actorMoment2');
    actorTarget.write(actorTarget.params, arrays.actorTarget, 'actorTarget');
    this.actorNet.touch();
    this.actorTargetNet.touch();
    this.critics.writeArrays(arrays);
  }

  readEntropy(): EntropyState | null {
    return null;
  }

  writeEntropy(): void {}

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
