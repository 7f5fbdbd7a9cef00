/**
 * TD3 with tfjs operations and automatic differentiation, as stable-baselines3's `TD3.train()`; the
 * reference for the kernel engine's TD3 and the TD3 of tfjs-node.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../types.js';
import type { LearnerConfig } from '../config.js';
import { TFJS_ONLY_USAGE, type EngineUsage, type LearnerCore, type StepCounters, type UpdateStats } from '../core.js';
import { LearnerDivergedError } from '../errors.js';
import type { UpdateNoise } from '../noise.js';
import { actorLayout, criticLayout, type ActorLayout } from '../params.js';
import type { EntropyState, LearnerArrays } from '../state.js';
import { AutodiffCritics, batchTensors } from './critics.js';
import { applyMlp, TfNetwork, type TfMlp } from './networks.js';
import { disposeBatch, readScalar } from './sac.js';

export class AutodiffTd3 implements LearnerCore {
  readonly engine = 'autodiff' as const;
  private readonly layout: ActorLayout;
  private readonly actor: TfNetwork;
  private readonly actorMlp: TfMlp;
  private readonly actorTarget: TfNetwork;
  private readonly actorTargetMlp: TfMlp;
  private readonly critics: AutodiffCritics;

  constructor(
    private readonly config: LearnerConfig,
    initial: LearnerArrays,
  ) {
    this.layout = actorLayout(config.actor);
    this.actor = new TfNetwork(this.layout.size, true);
    this.actorMlp = this.actor.addMlp(initial.actor, this.layout.mlp);
    this.actorTarget = new TfNetwork(this.layout.size, false);
    this.actorTargetMlp = this.actorTarget.addMlp(initial.actorTarget, this.layout.mlp);
    this.critics = new AutodiffCritics(criticLayout(config.actor.obsDim, config.actor.actionDim, config.criticHidden), initial);
    this.writeArrays(initial);
  }

  update(batch: Batch, noise: UpdateNoise, counters: StepCounters): { stats: Omit<UpdateStats, 'updates'>; actorUpdated: boolean } {
    const { config, critics } = this;
    const B = batch.batchSize;
    const A = config.actor.actionDim;
    const failAt = counters.updates;
    if (noise.targetEpsilon === null) throw new Error('AutodiffTd3: update noise lacks targetEpsilon');
    const t = batchTensors(batch, config.actor.obsDim, A);
    const epsilon = tf.tensor2d(noise.targetEpsilon, [B, A]);
    try {
      // ---- Target policy smoothing and critic targets ----
      const target = tf.tidy(() => {
        const { targetPolicyNoise, targetNoiseClip } = config.td3;
        const smoothing = tf.clipByValue(tf.mul(epsilon, targetPolicyNoise), -targetNoiseClip, targetNoiseClip);
        const nextAction = tf.clipByValue(
          tf.add(tf.tanh(applyMlp(this.actorTargetMlp, t.nextObs).output), smoothing),
          -1,
          1,
        ) as tf.Tensor2D;
        const minNext = critics.targetMin(t.nextObs, nextAction);
        return tf.add<tf.Tensor1D>(t.reward, tf.mul(tf.mul(tf.sub(1, t.terminated), config.gamma), minNext));
      });
      const { loss: criticLoss, meanQ } = critics.trainStep(t, target, 1, config, counters.updates + 1, failAt);
      target.dispose();

      // ---- Delayed actor step and target updates ----
      const actorUpdated = (counters.updates + 1) % config.td3.policyDelay === 0;
      let actorLoss: number | null = null;
      if (actorUpdated) {
        const { value, grads } = tf.variableGrads(() => {
          const action = tf.tanh<tf.Tensor2D>(applyMlp(this.actorMlp, t.obs).output);
          return tf.neg(tf.mean(critics.onlineFirst(t.obs, action))) as tf.Scalar;
        }, this.actor.variables);
        actorLoss = value.dataSync()[0];
        value.dispose();
        if (!Number.isFinite(actorLoss)) {
          tf.dispose(grads);
          throw new LearnerDivergedError('actor loss', failAt, `actor loss = ${actorLoss}`);
        }
        const actorSum = readScalar(this.actor.adam(grads, config.adam, config.actorLearningRate, counters.actorUpdates + 1));
        tf.dispose(grads);
        if (!Number.isFinite(actorSum)) throw new LearnerDivergedError('actor parameters', failAt, `sum of actor parameters = ${actorSum}`);
        const criticTargetSum = critics.updateTargets(config.tau);
        const actorTargetSum = readScalar(this.actorTarget.polyakFrom(this.actor, config.tau));
        if (!Number.isFinite(criticTargetSum + actorTargetSum)) {
          throw new LearnerDivergedError(
            'target parameters',
            failAt,
            `sums of target parameters: critic ${criticTargetSum}, actor ${actorTargetSum}`,
          );
        }
      }
      return { stats: { criticLoss, actorLoss, entCoef: null, entCoefLoss: null, meanQ, meanLogProb: null }, actorUpdated };
    } finally {
      epsilon.dispose();
      disposeBatch(t);
    }
  }

  readArrays(): LearnerArrays {
    const [actorMoment1, actorMoment2] = this.actor.readMoments();
    return { actor: this.actor.read(), actorMoment1, actorMoment2, ...this.critics.readArrays(), actorTarget: this.actorTarget.read() };
  }

  writeArrays(arrays: LearnerArrays): void {
    this.actor.write(arrays.actor, 'actor');
    this.actor.writeMoments(arrays.actorMoment1, arrays.actorMoment2);
    this.actorTarget.write(arrays.actorTarget, 'actorTarget');
    this.critics.writeArrays(arrays);
  }

  readEntropy(): EntropyState | null {
    return null;
  }

  writeEntropy(): void {}

  actorParams(): Float32Array {
    return this.actor.read();
  }

  usage(): EngineUsage {
    return TFJS_ONLY_USAGE;
  }

  dispose(): void {
    this.actor.dispose();
    this.actorTarget.dispose();
    this.critics.dispose();
  }
}
