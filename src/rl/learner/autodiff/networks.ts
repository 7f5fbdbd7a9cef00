/**
 * tfjs variables for a network in the canonical flat layout (`params.ts`), the MLP forward pass, and
 * Adam with PyTorch's formula. Gradients come from tfjs autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { POLICY_CONSTANTS } from '../../types.js';
import type { AdamOptions } from '../config.js';
import type { DenseSlot, MlpLayout } from '../params.js';

/** A variable and where its values sit in the network's flat array. */
interface FlatEntry {
  variable: tf.Variable;
  offset: number;
  length: number;
}

export interface TfDense {
  kernel: tf.Variable;
  bias: tf.Variable;
}

export interface TfMlp {
  layout: MlpLayout;
  hidden: TfDense[];
  layerNorms: { gain: tf.Variable; bias: tf.Variable }[];
  head: TfDense;
}

/** All the variables of one network (one flat array), with the Adam moments when trainable. */
export class TfNetwork {
  private readonly entries: FlatEntry[] = [];
  private moments: { first: tf.Variable; second: tf.Variable }[] | null = null;

  constructor(
    readonly size: number,
    private readonly trainable: boolean,
  ) {}

  /** A variable of `shape` over flat[offset, offset + product(shape)). */
  add(flat: Float32Array, offset: number, shape: number[]): tf.Variable {
    const length = shape.reduce((a, b) => a * b, 1);
    const variable = tf.tidy(() => tf.variable(tf.tensor(flat.subarray(offset, offset + length), shape, 'float32'), this.trainable));
    this.entries.push({ variable, offset, length });
    return variable;
  }

  /** The variables of an MLP laid out by `layout` in `flat`. */
  addMlp(flat: Float32Array, layout: MlpLayout): TfMlp {
    const dense = (slot: DenseSlot): TfDense => ({
      kernel: this.add(flat, slot.kernel, [slot.inputs, slot.outputs]),
      bias: this.add(flat, slot.bias, [slot.outputs]),
    });
    const hidden: TfDense[] = [];
    const layerNorms: TfMlp['layerNorms'] = [];
    layout.hidden.forEach((slot, l) => {
      hidden.push(dense(slot));
      const norm = layout.layerNorms[l];
      if (norm) layerNorms.push({ gain: this.add(flat, norm.gain, [norm.width]), bias: this.add(flat, norm.bias, [norm.width]) });
    });
    return { layout, hidden, layerNorms, head: dense(layout.head) };
  }

  get variables(): tf.Variable[] {
    return this.entries.map((entry) => entry.variable);
  }

  read(): Float32Array {
    const flat = new Float32Array(this.size);
    for (const entry of this.entries) flat.set(entry.variable.dataSync(), entry.offset);
    return flat;
  }

  write(flat: Float32Array, name: string): void {
    if (flat.length !== this.size) throw new Error(`learner state: ${name} has ${flat.length} values, the network has ${this.size}`);
    for (const entry of this.entries) {
      tf.tidy(() =>
        entry.variable.assign(tf.tensor(flat.subarray(entry.offset, entry.offset + entry.length), entry.variable.shape, 'float32')),
      );
    }
  }

  /** Adam moments as flat arrays (zeros before the first step). */
  readMoments(): [Float32Array, Float32Array] {
    const first = new Float32Array(this.size);
    const second = new Float32Array(this.size);
    this.requireMoments().forEach((moment, i) => {
      const entry = this.entries[i];
      first.set(moment.first.dataSync(), entry.offset);
      second.set(moment.second.dataSync(), entry.offset);
    });
    return [first, second];
  }

  writeMoments(first: Float32Array, second: Float32Array): void {
    this.requireMoments().forEach((moment, i) => {
      const entry = this.entries[i];
      const shape = entry.variable.shape;
      tf.tidy(() => {
        moment.first.assign(tf.tensor(first.subarray(entry.offset, entry.offset + entry.length), shape, 'float32'));
        moment.second.assign(tf.tensor(second.subarray(entry.offset, entry.offset + entry.length), shape, 'float32'));
      });
    });
  }

  /**
   * One Adam step (t = `step`) with PyTorch's formula p −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + ε),
   * from gradients keyed by variable name. Returns the sum of the new parameters (a scalar tensor).
   */
  adam(grads: tf.NamedTensorMap, options: AdamOptions, learningRate: number, step: number): tf.Scalar {
    const moments = this.requireMoments();
    const stepSize = learningRate / (1 - options.beta1 ** step);
    const inverseCorrection2 = 1 / Math.sqrt(1 - options.beta2 ** step);
    return tf.tidy(() => {
      const sums: tf.Scalar[] = [];
      this.entries.forEach((entry, i) => {
        const grad = grads[entry.variable.name];
        if (grad === undefined) throw new Error(`TfNetwork.adam: no gradient for ${entry.variable.name}`);
        const moment = moments[i];
        const m = moment.first.mul(options.beta1).add(grad.mul(1 - options.beta1));
        const v = moment.second.mul(options.beta2).add(grad.square().mul(1 - options.beta2));
        moment.first.assign(m);
        moment.second.assign(v);
        const next = entry.variable.sub(m.mul(stepSize).div(v.sqrt().mul(inverseCorrection2).add(options.epsilon)));
        entry.variable.assign(next);
        sums.push(next.sum());
      });
      return tf.addN(sums);
    });
  }

  /** this ← (1 − τ)·this + τ·source (same layout); returns the sum of the new values. */
  polyakFrom(source: TfNetwork, tau: number): tf.Scalar {
    return tf.tidy(() => {
      const sums: tf.Scalar[] = [];
      this.entries.forEach((entry, i) => {
        const from = source.entries[i].variable;
        const next = entry.variable.mul(1 - tau).add(from.mul(tau));
        entry.variable.assign(next);
        sums.push(next.sum());
      });
      return tf.addN(sums);
    });
  }

  dispose(): void {
    for (const entry of this.entries) entry.variable.dispose();
    for (const moment of this.moments ?? []) {
      moment.first.dispose();
      moment.second.dispose();
    }
    this.entries.length = 0;
    this.moments = null;
  }

  private requireMoments(): { first: tf.Variable; second: tf.Variable }[] {
    if (!this.trainable) throw new Error('TfNetwork: not trainable');
    if (this.moments === null) {
      this.moments = this.entries.map((entry) => ({
        first: tf.tidy(() => tf.variable(tf.zeros(entry.variable.shape), false)),
        second: tf.tidy(() => tf.variable(tf.zeros(entry.variable.shape), false)),
      }));
    }
    return this.moments;
  }
}

/** The MLP's latent (last hidden layer, after ReLU) and head output for inputs x [rows, inputs]. */
export function applyMlp(net: TfMlp, x: tf.Tensor2D): { latent: tf.Tensor2D; output: tf.Tensor2D } {
  let h = x;
  net.hidden.forEach((dense, l) => {
    const norm = net.layerNorms[l];
    if (norm) {
      const z = tf.add<tf.Tensor2D>(tf.matMul(h, dense.kernel), dense.bias);
      const mean = tf.mean(z, 1, true);
      const centred = tf.sub(z, mean);
      const variance = tf.mean(tf.square(centred), 1, true);
      const normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, POLICY_CONSTANTS.layerNormEpsilon)));
      h = tf.relu(tf.add(tf.mul(normalised, norm.gain), norm.bias)) as tf.Tensor2D;
    } else {
      h = tf.relu(tf.add(tf.matMul(h, dense.kernel), dense.bias)) as tf.Tensor2D;
    }
  });
  const output = tf.add<tf.Tensor2D>(tf.matMul(h, net.head.kernel), net.head.bias);
  return { latent: h, output };
}
