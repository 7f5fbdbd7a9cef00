/**
 * The off-policy learner (SAC or TD3) the training loop drives, in the main thread or in a
 * `worker_threads` worker: `update()` takes one gradient step on a replay batch, `actorWeights()`
 * copies the actor out for the control tick, `getState()`/`setState()` make checkpoints.
 *
 * ```ts
 * const backend = await initBackend('auto');          // tfjs-node when installed, else WASM
 * const learner = await createLearner(resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, gsde: true }));
 * const stats = learner.update(batch);                 // one gradient step
 * worker.postMessage(learner.actorWeights());          // fresh typed arrays: transferable
 * ```
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../util/rng.js';
import type { ActorWeights, Batch } from '../types.js';
import { AutodiffSac } from './autodiff/sac.js';
import { AutodiffTd3 } from './autodiff/td3.js';
import { currentBackend, initBackend, type BackendInfo } from './backend.js';
import { validateLearnerConfig, type LearnerConfig } from './config.js';
import type { EngineName, LearnerCore, UpdateStats } from './core.js';
import { initialEntropy } from './entropy.js';
import { firstNonFinite, LearnerDivergedError } from './errors.js';
import { KernelSac } from './kernels/sac.js';
import { KernelTd3 } from './kernels/td3.js';
import { WasmKernels } from './kernels/wasm.js';
import { UpdateNoiseSource } from './noise.js';
import { actorLayout, actorWeightsFromParams, criticLayout, initActorParams, initCriticParams, type ActorLayout } from './params.js';
import { LEARNER_STATE_FORMAT, type LearnerArrays, type LearnerState } from './state.js';

export { initBackend, currentBackend, type BackendInfo, type BackendPreference } from './backend.js';
export {
  resolveLearnerConfig,
  validateLearnerConfig,
  LearnerConfigError,
  type LearnerConfig,
  type LearnerConfigInput,
  type LearnerEngine,
  type Algorithm,
} from './config.js';
export type { UpdateStats, EngineName } from './core.js';
export { LearnerDivergedError, type DivergedQuantity } from './errors.js';
export {
  serializeLearnerState,
  deserializeLearnerState,
  readLearnerStateHeader,
  LearnerStateFormatError,
  type LearnerState,
  type LearnerStateHeader,
  type LearnerArrays,
  type EntropyState,
} from './state.js';

/** Memory held by a learner: must stay constant across updates. */
export interface LearnerMemoryStats {
  /** tfjs tensors alive in this thread (`tf.memory().numTensors`). */
  tfjsTensors: number;
  /** Buffers the kernel engine registered with the WASM backend (0 for autodiff). */
  kernelBuffers: number;
  /** Size of the WASM heap (grows, never shrinks), or null when the engine does not use it. */
  wasmHeapBytes: number | null;
}

export interface OffPolicyLearner {
  readonly config: LearnerConfig;
  readonly engine: EngineName;
  readonly backend: BackendInfo;
  /** Gradient steps taken. */
  readonly updates: number;
  /**
   * One gradient step on `batch` (any batch size; buffers are kept for the last size used). Throws
   * `LearnerDivergedError` when the batch (the learner stays unchanged), a loss or a parameter (the
   * learner then refuses further use until `setState()`) is not finite.
   */
  update(batch: Batch): UpdateStats;
  /** A copy of the actor (fresh typed arrays: transferable to another thread). */
  actorWeights(): ActorWeights;
  /** Everything needed to resume exactly (see `serializeLearnerState`). */
  getState(): LearnerState;
  /**
   * Restores a state of the same algorithm and shapes (this learner's hyper-parameters stay); clears
   * an earlier divergence.
   */
  setState(state: LearnerState): void;
  /** tfjs tensors alive plus kernel buffers: constant across updates unless something leaks. */
  tensorCount(): number;
  memoryStats(): LearnerMemoryStats;
  /**
   * Direct WASM kernel calls made so far by the kernel engine (matrix products and SIMD passes), for
   * profiling; 0 for the autodiff engine, whose tfjs kernels `tf.profile` counts.
   */
  kernelCalls(): number;
  /** Frees every tensor and buffer; the learner is unusable afterwards. */
  dispose(): void;
}

/**
 * Creates a learner for a resolved configuration (see `resolveLearnerConfig`). The backend is the
 * one `initBackend` chose in this thread (initialised with 'auto' if it was not called); the engine is
 * `config.engine` ('auto': the kernel engine on WASM, autodiff elsewhere). The initial weights and
 * every random draw come from `config.seed`.
 */
export async function createLearner(config: LearnerConfig): Promise<OffPolicyLearner> {
  validateLearnerConfig(config);
  const backend = (await currentBackend()) ?? (await initBackend('auto'));
  const engine: EngineName = config.engine === 'auto' ? (backend.name === 'wasm' ? 'kernels' : 'autodiff') : config.engine;
  const rng = new Rng(config.seed);
  const arrays = initialArrays(config, rng);
  const entropy = initialEntropy(config);
  const core = createCore(config, engine, arrays, entropy);
  return new Learner(config, engine, backend, core, rng);
}

function initialArrays(config: LearnerConfig, rng: Rng): LearnerArrays {
  const actorShape = actorLayout(config.actor);
  const critics = criticLayout(config.actor.obsDim, config.actor.actionDim, config.criticHidden);
  const actor = initActorParams(actorShape, rng);
  const critic = initCriticParams(critics, rng);
  return {
    actor,
    actorMoment1: new Float32Array(actor.length),
    actorMoment2: new Float32Array(actor.length),
    critic,
    criticMoment1: new Float32Array(critic.length),
    criticMoment2: new Float32Array(critic.length),
    criticTarget: critic.slice(),
    actorTarget: config.algo === 'td3' ? actor.slice() : new Float32Array(0),
  };
}

function createCore(config: LearnerConfig, engine: EngineName, arrays: LearnerArrays, entropy: LearnerState['entropy']): LearnerCore {
  if (engine === 'kernels') {
    const kernels = WasmKernels.fromTfjsBackend();
    return config.algo === 'sac' ? new KernelSac(config, kernels, arrays, entropy) : new KernelTd3(config, kernels, arrays);
  }
  return config.algo === 'sac' ? new AutodiffSac(config, arrays, entropy) : new AutodiffTd3(config, arrays);
}

class Learner implements OffPolicyLearner {
  private updateCount = 0;
  private actorUpdateCount = 0;
  private noise: UpdateNoiseSource | null = null;
  private diverged: LearnerDivergedError | null = null;
  private disposed = false;
  private readonly layout: ActorLayout;

  constructor(
    readonly config: LearnerConfig,
    readonly engine: EngineName,
    readonly backend: BackendInfo,
    private readonly core: LearnerCore,
    private readonly rng: Rng,
  ) {
    this.layout = actorLayout(config.actor);
  }

  get updates(): number {
    return this.updateCount;
  }

  update(batch: Batch): UpdateStats {
    this.checkUsable();
    this.checkBatch(batch);
    if (this.noise === null || this.noise.batchSize !== batch.batchSize) this.noise = new UpdateNoiseSource(this.config, batch.batchSize);
    const noise = this.noise.draw(this.rng);
    try {
      const { stats, actorUpdated } = this.core.update(batch, noise, { updates: this.updateCount, actorUpdates: this.actorUpdateCount });
      this.updateCount++;
      if (actorUpdated) this.actorUpdateCount++;
      return { updates: this.updateCount, ...stats };
    } catch (error) {
      if (error instanceof LearnerDivergedError) this.diverged = error;
      throw error;
    }
  }

  actorWeights(): ActorWeights {
    this.checkUsable();
    return actorWeightsFromParams(this.layout, this.core.actorParams(), this.updateCount);
  }

  getState(): LearnerState {
    this.checkUsable();
    return {
      format: LEARNER_STATE_FORMAT,
      config: structuredClone(this.config),
      updates: this.updateCount,
      actorUpdates: this.actorUpdateCount,
      rng: this.rng.getState(),
      entropy: this.core.readEntropy(),
      arrays: this.core.readArrays(),
    };
  }

  setState(state: LearnerState): void {
    if (this.disposed) throw new Error('learner: used after dispose()');
    const mine = describeShapes(this.config);
    const theirs = describeShapes(state.config);
    if (mine !== theirs) throw new Error(`learner.setState: the state is of another learner (${theirs}; this one is ${mine})`);
    this.core.writeArrays(state.arrays);
    this.core.writeEntropy(state.entropy);
    this.rng.setState(state.rng);
    this.updateCount = state.updates;
    this.actorUpdateCount = state.actorUpdates;
    this.diverged = null;
  }

  tensorCount(): number {
    return tf.memory().numTensors + this.core.usage().buffers;
  }

  memoryStats(): LearnerMemoryStats {
    const usage = this.core.usage();
    return { tfjsTensors: tf.memory().numTensors, kernelBuffers: usage.buffers, wasmHeapBytes: usage.heapBytes };
  }

  kernelCalls(): number {
    return this.core.usage().kernelCalls;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.core.dispose();
  }

  private checkUsable(): void {
    if (this.disposed) throw new Error('learner: used after dispose()');
    if (this.diverged !== null) throw this.diverged;
  }

  /** Shapes first (a programming error), then values (a data problem: LearnerDivergedError). */
  private checkBatch(batch: Batch): void {
    const { obsDim, actionDim } = this.config.actor;
    const B = batch.batchSize;
    if (!Number.isInteger(B) || B <= 0) throw new Error(`learner.update: batchSize must be a positive integer (got ${B})`);
    const expect: [keyof Batch, number, number][] = [
      ['obs', B * obsDim, obsDim],
      ['action', B * actionDim, actionDim],
      ['reward', B, 1],
      ['nextObs', B * obsDim, obsDim],
      ['terminated', B, 1],
    ];
    for (const [name, length] of expect) {
      const values = batch[name] as Float32Array;
      if (!(values instanceof Float32Array) || values.length !== length) {
        throw new Error(`learner.update: batch.${name} must be a Float32Array of ${length} values (got ${values?.length})`);
      }
    }
    for (const [name, , width] of expect) {
      const problem = firstNonFinite(`batch.${name}`, batch[name] as Float32Array, width);
      if (problem !== null) throw new LearnerDivergedError('batch', this.updateCount, problem);
    }
  }
}

/** What a state must share with a learner to be loaded into it. */
/** The shapes a learner state must match to be restored: algorithm, sizes, widths and heads. */
export function describeShapes(config: LearnerConfig): string {
  const { actor } = config;
  return `${config.algo} obs ${actor.obsDim} action ${actor.actionDim} actor [${actor.hidden.join(',')}]${actor.layerNorm ? ' LN' : ''} ${actor.head}${
    actor.gsde ? (actor.gsde.fullStd ? ' fullStd' : ' sharedStd') : ''
  } critic [${config.criticHidden.join(',')}]`;
}
