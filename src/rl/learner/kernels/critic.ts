/**
 * The twin critics Q1, Q2 and their Polyak-averaged targets on the WASM kernels, shared by SAC and
 * TD3: target evaluation, the regression step towards y, and ∂Q/∂action for the actor's loss.
 */
import type { LearnerConfig } from '../config.js';
import { isFiniteFloat32 } from '../errors.js';
import type { CriticLayout } from '../params.js';
import type { LearnerArrays } from '../state.js';
import { KernelMlp, MlpPass } from './mlp.js';
import { NetworkBuffers } from './network.js';
import type { Region, WasmKernels } from './wasm.js';

interface CriticPasses {
  batchSize: number;
  /** Target critics on (s', a'): forward only, one shared input. */
  target: [MlpPass, MlpPass];
  /** Online critics on the batch's (s, a), with weight gradients. */
  train: [MlpPass, MlpPass];
  /** Online critics on (s, π(s)), for ∂Q/∂a. */
  policy: [MlpPass, MlpPass];
  targetQ1: Float64Array;
  targetQ2: Float64Array;
  policyQ: Float64Array;
  /** Per critic, the rows whose minimum it holds (in increasing order). */
  selected: [Int32Array, Int32Array];
}

/** Writes rows [obs, action] (the critics' input) at `offset` of the heap. */
export function writeCriticInput(
  heap: Float32Array,
  offset: number,
  obs: Float32Array,
  action: Float32Array,
  rows: number,
  obsDim: number,
  actionDim: number,
): void {
  const width = obsDim + actionDim;
  for (let b = 0; b < rows; b++) {
    const row = offset + b * width;
    for (let i = 0; i < obsDim; i++) heap[row + i] = obs[b * obsDim + i];
    for (let j = 0; j < actionDim; j++) heap[row + obsDim + j] = action[b * actionDim + j];
  }
}

/** Moves rows `indices[0..count)` (increasing) of a [rows, width] matrix to its first `count` rows, in place. */
function compactRows(heap: Float32Array, offset: number, width: number, indices: Int32Array, count: number): void {
  for (let k = 0; k < count; k++) {
    const from = indices[k];
    if (from !== k) heap.copyWithin(offset + k * width, offset + from * width, offset + (from + 1) * width);
  }
}

export class CriticPair {
  readonly online: NetworkBuffers;
  readonly target: NetworkBuffers;
  private readonly nets: [KernelMlp, KernelMlp];
  private readonly targetNets: [KernelMlp, KernelMlp];
  private passes: CriticPasses | null = null;
  /** Sum of the online parameters after the last step (non-finite when one is). */
  lastParamSum = 0;

  constructor(
    private readonly kernels: WasmKernels,
    private readonly layout: CriticLayout,
  ) {
    this.online = new NetworkBuffers(kernels, layout.size, true);
    this.target = new NetworkBuffers(kernels, layout.size, false);
    const [first, second] = layout.critics;
    this.nets = [
      new KernelMlp(kernels, first, this.online.params, this.online.grads),
      new KernelMlp(kernels, second, this.online.params, this.online.grads),
    ];
    this.targetNets = [new KernelMlp(kernels, first, this.target.params, null), new KernelMlp(kernels, second, this.target.params, null)];
  }

  /** Allocates the passes for `batchSize` (once per batch size). */
  prepare(batchSize: number): void {
    if (this.passes !== null && this.passes.batchSize === batchSize) return;
    const { kernels, layout } = this;
    if (this.passes !== null) {
      const { target, train, policy } = this.passes;
      for (const pass of [...target, ...train, ...policy]) pass.release(kernels);
    }
    const [first, second] = layout.critics;
    const pair = (withBackward: boolean): [MlpPass, MlpPass] => {
      const a = new MlpPass(kernels, first, batchSize, withBackward);
      return [a, new MlpPass(kernels, second, batchSize, withBackward, a.input)];
    };
    this.passes = {
      batchSize,
      target: pair(false),
      train: pair(true),
      policy: pair(true),
      targetQ1: new Float64Array(batchSize),
      targetQ2: new Float64Array(batchSize),
      policyQ: new Float64Array(batchSize),
      selected: [new Int32Array(batchSize), new Int32Array(batchSize)],
    };
  }

  /** Q'_1, Q'_2 of the targets at (s', a'); read them with {@link targetOutputs}. */
  evaluateTargets(nextObs: Float32Array, nextAction: Float32Array, rows: number): void {
    const passes = this.requirePasses(rows);
    const { obsDim, actionDim } = this.layout;
    writeCriticInput(this.kernels.heap, passes.target[0].input.offset, nextObs, nextAction, rows, obsDim, actionDim);
    this.targetNets[0].forward(passes.target[0]);
    this.targetNets[1].forward(passes.target[1]);
  }

  /** [rows] each: the target critics' outputs of the last {@link evaluateTargets}. */
  targetOutputs(rows: number): [Float64Array, Float64Array] {
    const passes = this.requirePasses(rows);
    return [
      this.copyOutput(passes.target[0].output, passes.targetQ1, rows),
      this.copyOutput(passes.target[1].output, passes.targetQ2, rows),
    ];
  }

  /**
   * Regresses both critics on y: loss = lossScale · Σ_i mean((Q_i(s, a) − y)²) (SAC 0.5, TD3 1), one
   * Adam step (t = `step`). Returns the loss and mean Q. A non-finite loss leaves the parameters untouched.
   */
  trainStep(
    obs: Float32Array,
    action: Float32Array,
    target: Float64Array,
    rows: number,
    lossScale: number,
    config: LearnerConfig,
    step: number,
  ): { loss: number; meanQ: number } {
    const passes = this.requirePasses(rows);
    const { obsDim, actionDim } = this.layout;
    writeCriticInput(this.kernels.heap, passes.train[0].input.offset, obs, action, rows, obsDim, actionDim);
    let loss = 0;
    let qSum = 0;
    for (let c = 0; c < 2; c++) {
      const pass = passes.train[c];
      this.nets[c]?.forward(pass);
      const heap = this.kernels.heap;
      const grads = pass.grads as NonNullable<MlpPass['grads']>;
      let squares = 0;
      for (let b = 0; b < rows; b++) {
        const q = heap[pass.output.offset + b];
        const error = q - target[b];
        squares += error * error;
        qSum += q;
        heap[grads.output.offset + b] = (lossScale * 2 * error) / rows;
      }
      loss += (lossScale * squares) / rows;
    }
    if (!isFiniteFloat32(loss)) return { loss, meanQ: qSum / (2 * rows) };
    for (let c = 0; c < 2; c++) {
      const net = this.nets[c];
      const pass = passes.train[c];
      net.backwardHead(pass, true);
      net.backwardHidden(pass, true, false);
    }
    this.lastParamSum = this.online.adam(config.adam, config.criticLearningRate, step);
    this.touchOnline();
    return { loss, meanQ: qSum / (2 * rows) };
  }

  /**
   * The actor's critic term at (s, a = π(s)): returns q [rows] (min(Q1, Q2), or Q1 alone when
   * `firstOnly`, as TD3) and writes ∂(−mean q)/∂a into `gradAction` [rows, A]. The critic parameters
   * get no gradient.
   *
   * The minimum passes each sample's gradient to one critic only, so each critic back-propagates just
   * its own rows: they are moved to the front of its activations and the backward pass runs on that
   * many rows. The result is the same as back-propagating zeros through the other rows, for half the work.
   */
  policyGradient(obs: Float32Array, action: Float32Array, rows: number, gradAction: Float64Array, firstOnly: boolean): Float64Array {
    const passes = this.requirePasses(rows);
    const { obsDim, actionDim } = this.layout;
    writeCriticInput(this.kernels.heap, passes.policy[0].input.offset, obs, action, rows, obsDim, actionDim);
    const used = firstOnly ? 1 : 2;
    for (let c = 0; c < used; c++) this.nets[c]?.forward(passes.policy[c]);
    const heap = this.kernels.heap;
    const q1 = passes.policy[0].output.offset;
    const q2 = passes.policy[1].output.offset;
    const q = passes.policyQ;
    const selected: [Int32Array, Int32Array] = passes.selected;
    const counts = [0, 0];
    for (let b = 0; b < rows; b++) {
      const first = heap[q1 + b];
      // torch.min over the pair routes the gradient to the first index on ties.
      const useFirst = firstOnly || first <= heap[q2 + b];
      q[b] = useFirst ? first : heap[q2 + b];
      const c = useFirst ? 0 : 1;
      selected[c][counts[c]] = b;
      counts[c] = counts[c] + 1;
    }
    gradAction.fill(0);
    const width = obsDim + actionDim;
    for (let c = 0; c < used; c++) {
      const count = counts[c];
      if (count === 0) continue;
      const net = this.nets[c];
      const pass = passes.policy[c];
      const grads = pass.grads as NonNullable<MlpPass['grads']>;
      const indices = selected[c];
      const front = this.kernels.heap;
      this.layout.critics[c]?.hidden.forEach((slot, l) => compactRows(front, pass.hidden[l].offset, slot.outputs, indices, count));
      front.fill(-1 / rows, grads.output.offset, grads.output.offset + count);
      net.backwardHead(pass, false, count);
      net.backwardHidden(pass, false, true, count);
      const after = this.kernels.heap;
      for (let k = 0; k < count; k++) {
        const b = indices[k];
        for (let j = 0; j < actionDim; j++)
          gradAction[b * actionDim + j] = gradAction[b * actionDim + j] + after[grads.input.offset + k * width + obsDim + j];
      }
    }
    return q;
  }

  /** target ← (1 − τ)·target + τ·online; returns the sum of the new target parameters. */
  updateTargets(tau: number): number {
    const sum = this.target.polyakFrom(this.online, tau);
    this.targetNets[0].touch();
    this.targetNets[1].touch();
    return sum;
  }

  readArrays(): Pick<LearnerArrays, 'critic' | 'criticMoment1' | 'criticMoment2' | 'criticTarget'> {
    const { online, target } = this;
    return {
      critic: online.read(online.params),
      criticMoment1: online.read(online.moment1),
      criticMoment2: online.read(online.moment2),
      criticTarget: target.read(target.params),
    };
  }

  writeArrays(arrays: LearnerArrays): void {
    const { online, target } = this;
    online.write(online.params, arrays.critic, 'critic');
    online.write(online.moment1, arrays.criticMoment1, 'criticMoment1');
    online.write(online.moment2, arrays.criticMoment2, 'criticMoment2');
    target.write(target.params, arrays.criticTarget, 'criticTarget');
    this.touchOnline();
    this.targetNets[0].touch();
    this.targetNets[1].touch();
  }

  private touchOnline(): void {
    this.nets[0].touch();
    this.nets[1].touch();
  }

  private copyOutput(region: Region, into: Float64Array, rows: number): Float64Array {
    const heap = this.kernels.heap;
    for (let b = 0; b < rows; b++) into[b] = heap[region.offset + b];
    return into;
  }

  private requirePasses(rows: number): CriticPasses {
    if (this.passes === null || this.passes.batchSize !== rows) throw new Error(`CriticPair: prepare(${rows}) was not called`);
    return this.passes;
  }
}
