/**
 * A ReLU MLP (optionally layer-normalised) on the WASM kernels, with a hand-written backward pass in
 * which every matrix product is a plain (untransposed) XNNPACK product:
 *
 *   forward        Z = X·W + b                      (bias and ReLU fused into the product)
 *   weight grad    [dW; db] = [X, 1]ᵀ · dZ           (Xᵀ materialised with a row of ones: the bias
 *                                                     gradient comes out of the same product)
 *   input grad     dX = dZ · Wᵀ                      (Wᵀ materialised once per weight version)
 *
 * For a first layer whose input is narrow (observations, actions) the weight gradient is computed
 * the other way round, dWᵀ = dZᵀ · [X, 1], because packing a wide dZ as the right operand would cost
 * more than the product itself.
 */
import { POLICY_CONSTANTS } from '../../types.js';
import type { MlpLayout } from '../params.js';
import { layerNormReluBackward, layerNormReluForward } from './layernorm.js';
import type { Region, WasmKernels } from './wasm.js';

/** Activations of one forward pass of one MLP over `rows` inputs, and what its backward pass needs. */
export class MlpPass {
  readonly rows: number;
  /** [rows, inputs]: the caller writes the pass's input here. */
  readonly input: Region;
  /** Per hidden layer, [rows, width]: the ReLU output. */
  readonly hidden: Region[];
  /** Layer norm only, per hidden layer: the pre-norm product [rows, width], ẑ [rows, width], 1/σ [rows]. */
  readonly preNorm: Region[];
  readonly normalised: Region[];
  readonly inverseStd: Region[];
  /** [rows, outputs]: the head's output. */
  readonly output: Region;
  /** Backward buffers (null when the pass is forward-only). */
  readonly grads: PassGrads | null;
  private readonly owned: Region[];

  /** `input`, when given, is shared with other passes (the twin critics read the same [s, a]). */
  constructor(kernels: WasmKernels, layout: MlpLayout, rows: number, withBackward: boolean, input?: Region) {
    this.rows = rows;
    this.input = input ?? kernels.allocate(rows * layout.inputs);
    this.hidden = layout.hidden.map((slot) => kernels.allocate(rows * slot.outputs));
    const norms = layout.layerNorms;
    this.preNorm = norms.map((norm) => kernels.allocate(rows * norm.width));
    this.normalised = norms.map((norm) => kernels.allocate(rows * norm.width));
    this.inverseStd = norms.map(() => kernels.allocate(rows));
    this.output = kernels.allocate(rows * layout.head.outputs);
    this.grads = withBackward ? new PassGrads(kernels, layout, rows) : null;
    this.owned = [
      ...(input === undefined ? [this.input] : []),
      ...this.hidden,
      ...this.preNorm,
      ...this.normalised,
      ...this.inverseStd,
      this.output,
    ];
  }

  /** Frees the pass's buffers (not a shared input it was given). */
  release(kernels: WasmKernels): void {
    kernels.free(...this.owned, ...(this.grads?.regions() ?? []));
  }
}

/** Scratch of the backward pass. */
export class PassGrads {
  /** [rows, outputs]: the caller writes ∂loss/∂output here before the backward pass. */
  readonly output: Region;
  /** Per hidden layer [rows, width]: ∂loss/∂h, turned in place into ∂loss/∂(pre-activation). */
  readonly hidden: Region[];
  /** [rows, inputs]: ∂loss/∂input, when asked for. */
  readonly input: Region;
  /** Per dense layer (hidden..., head) using the [X, 1]ᵀ form: Xᵀ with a last row of ones, [inputs + 1, rows]. */
  readonly inputTransposed: (Region | null)[];
  /** Per dense layer using the dZᵀ form: [X, 1] [rows, inputs + 1], dZᵀ [outputs, rows], dWᵀ [outputs, inputs + 1]. */
  readonly narrow: ({ inputAugmented: Region; gradTransposed: Region; weightGradTransposed: Region } | null)[];

  constructor(kernels: WasmKernels, layout: MlpLayout, rows: number) {
    this.output = kernels.allocate(rows * layout.head.outputs);
    this.hidden = layout.hidden.map((slot) => kernels.allocate(rows * slot.outputs));
    this.input = kernels.allocate(rows * layout.inputs);
    const slots = [...layout.hidden, layout.head];
    this.inputTransposed = slots.map((slot) => {
      if (usesNarrowForm(slot.inputs, slot.outputs)) return null;
      const region = kernels.allocate((slot.inputs + 1) * rows);
      kernels.heap.fill(1, region.offset + slot.inputs * rows, region.offset + (slot.inputs + 1) * rows);
      return region;
    });
    this.narrow = slots.map((slot) => {
      if (!usesNarrowForm(slot.inputs, slot.outputs)) return null;
      const inputAugmented = kernels.allocate(rows * (slot.inputs + 1));
      const heap = kernels.heap;
      for (let r = 0; r < rows; r++) heap[inputAugmented.offset + r * (slot.inputs + 1) + slot.inputs] = 1;
      return {
        inputAugmented,
        gradTransposed: kernels.allocate(slot.outputs * rows),
        weightGradTransposed: kernels.allocate(slot.outputs * (slot.inputs + 1)),
      };
    });
  }

  regions(): Region[] {
    const narrow = this.narrow.flatMap((entry) =>
      entry === null ? [] : [entry.inputAugmented, entry.gradTransposed, entry.weightGradTransposed],
    );
    const transposed = this.inputTransposed.filter((region): region is Region => region !== null);
    return [this.output, ...this.hidden, this.input, ...transposed, ...narrow];
  }
}

/**
 * Packing a right operand (about 3 ns a float) costs far more than a SIMD transpose (about 0.2 ns): the
 * dZᵀ·[X, 1] form packs [X, 1] (rows × (inputs + 1)) instead of dZ (rows × outputs), for two extra
 * transposes, which wins when the layer widens.
 */
function usesNarrowForm(inputs: number, outputs: number): boolean {
  return inputs + 1 < outputs;
}

/** One MLP's parameters (a slice of its network's flat buffer) and its forward and backward passes. */
export class KernelMlp {
  readonly layout: MlpLayout;
  private readonly kernels: WasmKernels;
  /** Per dense layer (hidden..., head): W [inputs, outputs] and b [outputs] as cacheable operands. */
  private readonly weights: Region[];
  private readonly biases: Region[];
  /** Per dense layer: Wᵀ [outputs, inputs], rebuilt when W's version moved. */
  private readonly transposed: Region[];
  private readonly transposedFrom: number[];
  /** Per dense layer: the [W; b] block [(inputs + 1), outputs] of the gradient buffer. */
  private readonly gradBlocks: Region[] | null;
  private readonly paramsOffset: number;
  private readonly gradsOffset: number;

  constructor(kernels: WasmKernels, layout: MlpLayout, params: Region, grads: Region | null) {
    this.kernels = kernels;
    this.layout = layout;
    this.paramsOffset = params.offset;
    this.gradsOffset = grads === null ? -1 : grads.offset;
    const slots = [...layout.hidden, layout.head];
    this.weights = slots.map((slot) => kernels.slice(params, slot.kernel, slot.inputs * slot.outputs, true));
    this.biases = slots.map((slot) => kernels.slice(params, slot.bias, slot.outputs, true));
    this.transposed = slots.map((slot) => kernels.allocate(slot.inputs * slot.outputs, true));
    this.transposedFrom = slots.map(() => -1);
    this.gradBlocks =
      grads === null ? null : slots.map((slot) => kernels.slice(grads, slot.kernel, (slot.inputs + 1) * slot.outputs, false));
  }

  /** The parameters were rewritten (optimizer step, Polyak average, restore): drop packed copies. */
  touch(): void {
    this.kernels.touch(...this.weights, ...this.biases);
  }

  forward(pass: MlpPass): void {
    const { kernels, layout } = this;
    const rows = pass.rows;
    let x = pass.input;
    layout.hidden.forEach((slot, l) => {
      const h = pass.hidden[l];
      const norm = layout.layerNorms[l];
      if (norm) {
        const z = pass.preNorm[l];
        kernels.matMul(z, x, rows, slot.inputs, this.weights[l], slot.outputs, this.biases[l], false);
        layerNormReluForward(
          kernels.heap,
          z.offset,
          pass.normalised[l].offset,
          pass.inverseStd[l].offset,
          h.offset,
          this.paramsOffset + norm.gain,
          this.paramsOffset + norm.bias,
          rows,
          norm.width,
          POLICY_CONSTANTS.layerNormEpsilon,
        );
      } else {
        kernels.matMul(h, x, rows, slot.inputs, this.weights[l], slot.outputs, this.biases[l], true);
      }
      x = h;
    });
    const head = layout.head;
    const last = layout.hidden.length;
    kernels.matMul(pass.output, x, rows, head.inputs, this.weights[last], head.outputs, this.biases[last], false);
  }

  /**
   * From ∂loss/∂output (in `pass.grads.output`): the head's weight gradient (when `weightGrads`) and
   * ∂loss/∂latent into `pass.grads.hidden[last]`, to which the caller may add before {@link backwardHidden}.
   * `rows` below the pass's capacity back-propagates only the first rows (input gradients only).
   */
  backwardHead(pass: MlpPass, weightGrads: boolean, rows = pass.rows): void {
    const grads = requireGrads(pass);
    checkRows(pass, weightGrads, rows);
    const last = this.layout.hidden.length;
    const latent = pass.hidden[last - 1];
    if (weightGrads) this.weightGrad(pass, last, latent, grads.output);
    this.inputGrad(rows, last, grads.output, grads.hidden[last - 1]);
  }

  /**
   * Down from ∂loss/∂latent: weight gradients of the hidden layers (and of the layer norms, which
   * accumulate into the gradient buffer: the caller zeroes it) and, when `inputGrad`, ∂loss/∂input
   * into `pass.grads.input`.
   */
  backwardHidden(pass: MlpPass, weightGrads: boolean, inputGrad: boolean, rows = pass.rows): void {
    const grads = requireGrads(pass);
    checkRows(pass, weightGrads, rows);
    const { kernels, layout } = this;
    for (let l = layout.hidden.length - 1; l >= 0; l--) {
      const slot = layout.hidden[l];
      if (slot === undefined) break;
      const dh = grads.hidden[l];
      const h = pass.hidden[l];
      const norm = layout.layerNorms[l];
      if (norm) {
        layerNormReluBackward(
          kernels.heap,
          dh.offset,
          h.offset,
          pass.normalised[l].offset,
          pass.inverseStd[l].offset,
          this.paramsOffset + norm.gain,
          this.gradsOffset + norm.gain,
          this.gradsOffset + norm.bias,
          rows,
          norm.width,
        );
      } else {
        kernels.reluBackward(dh.offset, dh.offset, h.offset, rows * slot.outputs);
      }
      const x = l === 0 ? pass.input : pass.hidden[l - 1];
      if (weightGrads) this.weightGrad(pass, l, x, dh);
      if (l > 0) this.inputGrad(rows, l, dh, grads.hidden[l - 1]);
      else if (inputGrad) this.inputGrad(rows, 0, dh, grads.input);
    }
  }

  /** [dW; db] of dense layer `l` from its input x [rows, inputs] and dZ [rows, outputs]. */
  private weightGrad(pass: MlpPass, l: number, x: Region, dz: Region): void {
    const grads = requireGrads(pass);
    const blocks = this.gradBlocks;
    if (blocks === null) throw new Error('KernelMlp: weight gradients asked of a network without a gradient buffer');
    const { kernels } = this;
    const slot = l < this.layout.hidden.length ? this.layout.hidden[l] : this.layout.head;
    if (slot === undefined) throw new Error(`KernelMlp: no dense layer ${l}`);
    const rows = pass.rows;
    const { inputs, outputs } = slot;
    const block = blocks[l];
    const narrow = grads.narrow[l];
    if (narrow) {
      const heap = kernels.heap;
      const stride = inputs + 1;
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < inputs; i++) heap[narrow.inputAugmented.offset + r * stride + i] = heap[x.offset + r * inputs + i];
      }
      kernels.transpose(dz.offset, narrow.gradTransposed.offset, rows, outputs);
      kernels.matMul(narrow.weightGradTransposed, narrow.gradTransposed, outputs, rows, narrow.inputAugmented, stride);
      kernels.transpose(narrow.weightGradTransposed.offset, block.offset, outputs, stride);
    } else {
      const xt = grads.inputTransposed[l] as Region;
      kernels.transpose(x.offset, xt.offset, rows, inputs);
      kernels.matMul(block, xt, inputs + 1, rows, dz, outputs);
    }
  }

  /** dX [rows, inputs] = dZ [rows, outputs] · Wᵀ of dense layer `l`. */
  private inputGrad(rows: number, l: number, dz: Region, dx: Region): void {
    const { kernels } = this;
    const weight = this.weights[l];
    const wt = this.transposed[l];
    const slot = l < this.layout.hidden.length ? this.layout.hidden[l] : this.layout.head;
    if (slot === undefined) throw new Error(`KernelMlp: no dense layer ${l}`);
    if (this.transposedFrom[l] !== weight.version) {
      kernels.transpose(weight.offset, wt.offset, slot.inputs, slot.outputs);
      kernels.touch(wt);
      this.transposedFrom[l] = weight.version;
    }
    kernels.matMul(dx, dz, rows, slot.outputs, wt, slot.inputs);
  }
}

/** Weight gradients are laid out for the pass's full row count; partial back-propagation is for input gradients. */
function checkRows(pass: MlpPass, weightGrads: boolean, rows: number): void {
  if (rows < 0 || rows > pass.rows || (weightGrads && rows !== pass.rows)) {
    throw new Error(`KernelMlp: cannot back-propagate ${rows} of ${pass.rows} rows${weightGrads ? ' with weight gradients' : ''}`);
  }
}

function requireGrads(pass: MlpPass): PassGrads {
  if (pass.grads === null) throw new Error('MlpPass: backward pass on a forward-only pass');
  return pass.grads;
}
