/**
 * The canonical flat layout of every network's parameters: one Float32Array per network (the actor,
 * the pair of critics), in which each dense layer is its kernel (row-major [inputs, outputs]) directly
 * followed by its bias ([outputs]), so that kernel and bias form one [inputs + 1, outputs] block.
 * Both engines, the Adam moments, the target networks and the checkpoints use this layout, which is
 * what lets a state move between engines and lets a fused optimizer step run over one buffer.
 */
import type { ActorSpec, ActorWeights, DenseWeights, LayerNormWeights } from '../types.js';
import type { Rng } from '../../util/rng.js';

/** One dense layer inside a flat parameter array. */
export interface DenseSlot {
  inputs: number;
  outputs: number;
  /** Offset (in floats) of the kernel, [inputs, outputs] row-major. */
  kernel: number;
  /** Offset of the bias [outputs]; always kernel + inputs * outputs. */
  bias: number;
}

/** Gain and bias of one layer normalisation, [width] each. */
export interface LayerNormSlot {
  width: number;
  gain: number;
  bias: number;
}

/** A ReLU MLP: hidden dense layers (each optionally layer-normalised before its ReLU) and a linear head. */
export interface MlpLayout {
  inputs: number;
  hidden: DenseSlot[];
  /** One per hidden layer, or empty. */
  layerNorms: LayerNormSlot[];
  head: DenseSlot;
  /** First float of this MLP in its array. */
  offset: number;
  /** Floats this MLP spans. */
  size: number;
}

export interface ActorLayout {
  spec: ActorSpec;
  mlp: MlpLayout;
  /** Width of the last hidden layer: the latent features of gSDE. */
  latentDim: number;
  /**
   * Head outputs per observation: 'gaussian' → 2·actionDim (pre-tanh mean in columns [0, actionDim),
   * log std in [actionDim, 2·actionDim)); 'gsde' and 'deterministic' → actionDim.
   */
  headOutputs: number;
  /** 'gsde' only: log σ, [latentDim, actionDim] row-major when fullStd, else [latentDim]. */
  gsdeLogStd: { offset: number; length: number } | null;
  size: number;
}

/** The twin critics Q(s, a): input [obs, action] (concatenated), one output each. */
export interface CriticLayout {
  obsDim: number;
  actionDim: number;
  critics: [MlpLayout, MlpLayout];
  size: number;
}

export function mlpLayout(offset: number, inputs: number, hidden: number[], outputs: number, layerNorm: boolean): MlpLayout {
  let cursor = offset;
  const dense = (fanIn: number, fanOut: number): DenseSlot => {
    const slot = { inputs: fanIn, outputs: fanOut, kernel: cursor, bias: cursor + fanIn * fanOut };
    cursor += (fanIn + 1) * fanOut;
    return slot;
  };
  const hiddenSlots: DenseSlot[] = [];
  const layerNorms: LayerNormSlot[] = [];
  let width = inputs;
  for (const next of hidden) {
    hiddenSlots.push(dense(width, next));
    if (layerNorm) {
      layerNorms.push({ width: next, gain: cursor, bias: cursor + next });
      cursor += 2 * next;
    }
    width = next;
  }
  const head = dense(width, outputs);
  return { inputs, hidden: hiddenSlots, layerNorms, head, offset, size: cursor - offset };
}

export function actorLayout(spec: ActorSpec): ActorLayout {
  const headOutputs = spec.head === 'gaussian' ? 2 * spec.actionDim : spec.actionDim;
  const mlp = mlpLayout(0, spec.obsDim, spec.hidden, headOutputs, spec.layerNorm);
  const latentDim = spec.hidden[spec.hidden.length - 1];
  let size = mlp.size;
  let gsdeLogStd: ActorLayout['gsdeLogStd'] = null;
  if (spec.head === 'gsde') {
    if (spec.gsde === null) throw new Error("actor spec: head 'gsde' needs gsde options");
    const length = spec.gsde.fullStd ? latentDim * spec.actionDim : latentDim;
    gsdeLogStd = { offset: size, length };
    size += length;
  }
  return { spec, mlp, latentDim, headOutputs, gsdeLogStd, size };
}

export function criticLayout(obsDim: number, actionDim: number, hidden: number[]): CriticLayout {
  const first = mlpLayout(0, obsDim + actionDim, hidden, 1, false);
  const second = mlpLayout(first.size, obsDim + actionDim, hidden, 1, false);
  return { obsDim, actionDim, critics: [first, second], size: first.size + second.size };
}

/**
 * PyTorch's default initialisation of `nn.Linear` (what SB3's off-policy networks use): kernel and
 * bias uniform in ±1/sqrt(fan_in). Layer-norm gains start at 1 and biases at 0.
 */
function initMlp(params: Float32Array, layout: MlpLayout, rng: Rng): void {
  const initDense = (slot: DenseSlot): void => {
    const bound = 1 / Math.sqrt(slot.inputs);
    const end = slot.bias + slot.outputs;
    for (let i = slot.kernel; i < end; i++) params[i] = rng.uniformIn(-bound, bound);
  };
  layout.hidden.forEach((slot, l) => {
    initDense(slot);
    const norm = layout.layerNorms[l];
    if (norm) {
      params.fill(1, norm.gain, norm.gain + norm.width);
      params.fill(0, norm.bias, norm.bias + norm.width);
    }
  });
  initDense(layout.head);
}

export function initActorParams(layout: ActorLayout, rng: Rng): Float32Array {
  const params = new Float32Array(layout.size);
  initMlp(params, layout.mlp, rng);
  if (layout.gsdeLogStd !== null && layout.spec.gsde !== null) {
    const { offset, length } = layout.gsdeLogStd;
    params.fill(layout.spec.gsde.logStdInit, offset, offset + length);
  }
  return params;
}

export function initCriticParams(layout: CriticLayout, rng: Rng): Float32Array {
  const params = new Float32Array(layout.size);
  for (const critic of layout.critics) initMlp(params, critic, rng);
  return params;
}

function denseWeights(params: Float32Array, slot: DenseSlot, firstColumn = 0, columns = slot.outputs): DenseWeights {
  const kernel = new Float32Array(slot.inputs * columns);
  for (let i = 0; i < slot.inputs; i++) {
    const from = slot.kernel + i * slot.outputs + firstColumn;
    kernel.set(params.subarray(from, from + columns), i * columns);
  }
  const bias = params.slice(slot.bias + firstColumn, slot.bias + firstColumn + columns);
  return { kernel, bias, inputs: slot.inputs, outputs: columns };
}

/** A copy of the actor's parameters in the shape the control tick reads (every array freshly allocated, hence transferable). */
export function actorWeightsFromParams(layout: ActorLayout, params: Float32Array, updates: number): ActorWeights {
  const { spec, mlp } = layout;
  const layerNorms: LayerNormWeights[] = mlp.layerNorms.map((norm) => ({
    gain: params.slice(norm.gain, norm.gain + norm.width),
    bias: params.slice(norm.bias, norm.bias + norm.width),
  }));
  const gaussian = spec.head === 'gaussian';
  return {
    spec: structuredClone(spec),
    hidden: mlp.hidden.map((slot) => denseWeights(params, slot)),
    layerNorms,
    mean: denseWeights(params, mlp.head, 0, spec.actionDim),
    logStd: gaussian ? denseWeights(params, mlp.head, spec.actionDim, spec.actionDim) : null,
    gsdeLogStd:
      layout.gsdeLogStd === null ? null : params.slice(layout.gsdeLogStd.offset, layout.gsdeLogStd.offset + layout.gsdeLogStd.length),
    updates,
  };
}

/** The inverse of {@link actorWeightsFromParams}: writes `weights` into a flat parameter array. */
export function actorParamsFromWeights(layout: ActorLayout, weights: ActorWeights): Float32Array {
  const params = new Float32Array(layout.size);
  const { mlp, spec } = layout;
  const writeDense = (slot: DenseSlot, dense: DenseWeights, firstColumn: number): void => {
    for (let i = 0; i < slot.inputs; i++) {
      for (let o = 0; o < dense.outputs; o++) {
        params[slot.kernel + i * slot.outputs + firstColumn + o] = dense.kernel[i * dense.outputs + o];
      }
    }
    params.set(dense.bias, slot.bias + firstColumn);
  };
  mlp.hidden.forEach((slot, l) => writeDense(slot, weights.hidden[l], 0));
  mlp.layerNorms.forEach((norm, l) => {
    const source = weights.layerNorms[l];
    params.set(source.gain, norm.gain);
    params.set(source.bias, norm.bias);
  });
  writeDense(mlp.head, weights.mean, 0);
  if (weights.logStd !== null) writeDense(mlp.head, weights.logStd, spec.actionDim);
  if (layout.gsdeLogStd !== null && weights.gsdeLogStd !== null) params.set(weights.gsdeLogStd, layout.gsdeLogStd.offset);
  return params;
}
