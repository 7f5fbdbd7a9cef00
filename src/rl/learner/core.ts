/**
 * What an engine implements for one algorithm. The public learner (`index.ts`) wraps a core with the
 * parts every engine shares: batch validation, the RNG and its draws, step counters, divergence
 * poisoning and checkpoints.
 */
import type { Batch } from '../types.js';
import type { UpdateNoise } from './noise.js';
import type { EntropyState, LearnerArrays } from './state.js';

/** The numbers of one gradient step. */
export interface UpdateStats {
  /** Gradient steps taken, this one included. */
  updates: number;
  /** SAC: 0.5 · Σ_i mean((Q_i − y)²); TD3: Σ_i mean((Q_i − y)²) (as SB3 logs them). */
  criticLoss: number;
  /** SAC: mean(α·log π − min_i Q_i); TD3: −mean(Q_1); null on TD3 steps that skip the actor (policy delay). */
  actorLoss: number | null;
  /** SAC: the α used by this step (before its own update); null for TD3. */
  entCoef: number | null;
  /** SAC with a learned α: −log α · mean(log π + target entropy); else null. */
  entCoefLoss: number | null;
  /** Mean over the batch and both critics of Q(s, a) for the batch's actions. */
  meanQ: number;
  /** SAC: mean log π of the current policy on the batch (an entropy estimate is its negative); null for TD3. */
  meanLogProb: number | null;
}

/** The step counters the wrapper keeps and a core reads (Adam bias correction, TD3's delay). */
export interface StepCounters {
  /** Gradient steps completed before this one. */
  updates: number;
  /** Actor optimizer steps completed before this one. */
  actorUpdates: number;
}

export type EngineName = 'kernels' | 'autodiff';

export interface LearnerCore {
  readonly engine: EngineName;
  /**
   * One gradient step on `batch` (already checked finite) with this step's random draws. Returns its
   * statistics and whether the actor was updated. Throws `LearnerDivergedError`.
   */
  update(batch: Batch, noise: UpdateNoise, counters: StepCounters): { stats: Omit<UpdateStats, 'updates'>; actorUpdated: boolean };
  /** Copies of every learned array, in the canonical layouts. */
  readArrays(): LearnerArrays;
  /** Overwrites every learned array (shapes must match the configuration). */
  writeArrays(arrays: LearnerArrays): void;
  /** SAC with a learned α: its state; else null. */
  readEntropy(): EntropyState | null;
  writeEntropy(entropy: EntropyState | null): void;
  /** A copy of the actor's flat parameters. */
  actorParams(): Float32Array;
  /** What the engine holds outside tfjs's own tensor count. */
  usage(): EngineUsage;
  dispose(): void;
}

export interface EngineUsage {
  /** Kernel-engine buffers registered with the WASM backend (0 for autodiff). */
  buffers: number;
  /** Bytes of the WASM heap, or null when the engine does not use it directly. */
  heapBytes: number | null;
  /** Direct WASM kernel calls made so far (0 for autodiff, whose tfjs kernels `tf.profile` counts). */
  kernelCalls: number;
}

/** The autodiff engine holds nothing beyond tfjs tensors. */
export const TFJS_ONLY_USAGE: EngineUsage = { buffers: 0, heapBytes: null, kernelCalls: 0 };
