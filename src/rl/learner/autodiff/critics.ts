/**
 * The twin critics and their targets as tfjs variables, shared by autodiff SAC and TD3.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../../types.js';
import type { LearnerConfig } from '../config.js';
import { LearnerDivergedError } from '../errors.js';
import type { CriticLayout } from '../params.js';
import type { LearnerArrays } from '../state.js';
import { applyMlp, TfNetwork, type TfMlp } from './networks.js';

/** A batch as tensors; `criticInput` is [s, a] of the batch. */
export interface BatchTensors {
  obs: tf.Tensor2D;
  action: tf.Tensor2D;
  reward: tf.Tensor1D;
  nextObs: tf.Tensor2D;
  terminated: tf.Tensor1D;
  criticInput: tf.Tensor2D;
}

export function batchTensors(batch: Batch, obsDim: number, actionDim: number): BatchTensors {
  const B = batch.batchSize;
  const obs = tf.tensor2d(batch.obs, [B, obsDim]);
  const action = tf.tensor2d(batch.action, [B, actionDim]);
  return {
    obs,
    action,
    reward: tf.tensor1d(batch.reward),
    nextObs: tf.tensor2d(batch.nextObs, [B, obsDim]),
    terminated: tf.tensor1d(batch.terminated),
    criticInput: tf.concat([obs, action], 1),
  };
}

export class AutodiffCritics {
  private readonly online: TfNetwork;
  private readonly target: TfNetwork;
  private readonly onlineMlps: [TfMlp, TfMlp];
  private readonly targetMlps: [TfMlp, TfMlp];

  constructor(layout: CriticLayout, initial: LearnerArrays) {
    this.online = new TfNetwork(layout.size, true);
    this.target = new TfNetwork(layout.size, false);
    const [first, second] = layout.critics;
    this.onlineMlps = [this.online.addMlp(initial.critic, first), this.online.addMlp(initial.critic, second)];
    this.targetMlps = [this.target.addMlp(initial.criticTarget, first), this.target.addMlp(initial.criticTarget, second)];
  }

  /** min(Q'1, Q'2) [rows] of the targets at (s, a). */
  targetMin(obs: tf.Tensor2D, action: tf.Tensor2D): tf.Tensor1D {
    const input = tf.concat([obs, action], 1);
    return tf.minimum(q(this.targetMlps[0], input), q(this.targetMlps[1], input));
  }

  /** min(Q1, Q2) [rows] of the online critics (gradients flow to the inputs). */
  onlineMin(obs: tf.Tensor2D, action: tf.Tensor2D): tf.Tensor1D {
    const input = tf.concat([obs, action], 1);
    return tf.minimum(q(this.onlineMlps[0], input), q(this.onlineMlps[1], input));
  }

  /** Q1 [rows] of the online critics. */
  onlineFirst(obs: tf.Tensor2D, action: tf.Tensor2D): tf.Tensor1D {
    return q(this.onlineMlps[0], tf.concat([obs, action], 1));
  }

  /**
   * Regresses both critics on `target`: loss = lossScale · Σ_i mean((Q_i − y)²), one Adam step.
   * Throws `LearnerDivergedError` (before the step) on a non-finite loss, or after it on non-finite parameters.
   */
  trainStep(
    t: BatchTensors,
    target: tf.Tensor1D,
    lossScale: number,
    config: LearnerConfig,
    step: number,
    failAt: number,
  ): { loss: number; meanQ: number } {
    let meanQ = 0;
    const { value, grads } = tf.variableGrads(() => {
      const q1 = q(this.onlineMlps[0], t.criticInput);
      const q2 = q(this.onlineMlps[1], t.criticInput);
      meanQ = tf.tidy(() => tf.mean(tf.add(q1, q2)).dataSync()[0]) / 2;
      return tf.mul<tf.Scalar>(tf.add(tf.mean(tf.squaredDifference(q1, target)), tf.mean(tf.squaredDifference(q2, target))), lossScale);
    }, this.online.variables);
    const loss = value.dataSync()[0];
    value.dispose();
    if (!Number.isFinite(loss)) {
      tf.dispose(grads);
      throw new LearnerDivergedError('critic loss', failAt, `critic loss = ${loss}`);
    }
    const sum = this.online.adam(grads, config.adam, config.criticLearningRate, step);
    tf.dispose(grads);
    const paramSum = sum.dataSync()[0];
    sum.dispose();
    if (!Number.isFinite(paramSum)) throw new LearnerDivergedError('critic parameters', failAt, `sum of critic parameters = ${paramSum}`);
    return { loss, meanQ };
  }

  /** Polyak averaging of the targets; returns the sum of the new target parameters. */
  updateTargets(tau: number): number {
    const sum = this.target.polyakFrom(this.online, tau);
    const value = sum.dataSync()[0];
    sum.dispose();
    return value;
  }

  readArrays(): Pick<LearnerArrays, 'critic' | 'criticMoment1' | 'criticMoment2' | 'criticTarget'> {
    const [criticMoment1, criticMoment2] = this.online.readMoments();
    return { critic: this.online.read(), criticMoment1, criticMoment2, criticTarget: this.target.read() };
  }

  writeArrays(arrays: LearnerArrays): void {
    this.online.write(arrays.critic, 'critic');
    this.online.writeMoments(arrays.criticMoment1, arrays.criticMoment2);
    this.target.write(arrays.criticTarget, 'criticTarget');
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
  }
}

function q(mlp: TfMlp, input: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape<tf.Rank.R1>(applyMlp(mlp, input).output, [-1]);
}
