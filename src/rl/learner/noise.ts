/**
 * The random draws of one gradient step, made in JavaScript from the learner's seeded `Rng` and in a
 * fixed order, so that both engines consume exactly the same numbers: an update on the kernel engine
 * and one on the autodiff engine from the same state give the same result, and a restored
 * checkpoint continues the same stream.
 */
import type { Rng } from '../../util/rng.js';
import type { LearnerConfig } from './config.js';

/** Standard normal draws of one update; each array is null when the configuration does not use it. */
export interface UpdateNoise {
  /** SAC 'gaussian' head: ε of the reparameterised next action, [batch, actionDim]. */
  nextEpsilon: Float32Array | null;
  /** SAC 'gaussian' head: ε of the reparameterised current-policy action, [batch, actionDim]. */
  currentEpsilon: Float32Array | null;
  /**
   * SAC 'gsde' head: ε of the exploration matrix E = σ ⊙ ε, [latentDim, actionDim], one per gradient
   * step and shared by the whole batch and by both actor passes (SB3 `reset_noise()` per step).
   */
  gsdeEpsilon: Float32Array | null;
  /** TD3: target policy smoothing before scaling and clipping, [batch, actionDim]. */
  targetEpsilon: Float32Array | null;
}

/** Reusable arrays for the draws of updates with one batch size. */
export class UpdateNoiseSource {
  private readonly noise: UpdateNoise;

  constructor(
    config: LearnerConfig,
    readonly batchSize: number,
  ) {
    const { actor } = config;
    const perBatch = batchSize * actor.actionDim;
    const latentDim = actor.hidden[actor.hidden.length - 1];
    this.noise = {
      nextEpsilon: actor.head === 'gaussian' ? new Float32Array(perBatch) : null,
      currentEpsilon: actor.head === 'gaussian' ? new Float32Array(perBatch) : null,
      gsdeEpsilon: actor.head === 'gsde' ? new Float32Array(latentDim * actor.actionDim) : null,
      targetEpsilon: config.algo === 'td3' ? new Float32Array(perBatch) : null,
    };
  }

  /** Draws the next update's noise (overwriting the previous one) in the fixed order of the fields. */
  draw(rng: Rng): UpdateNoise {
    const { nextEpsilon, currentEpsilon, gsdeEpsilon, targetEpsilon } = this.noise;
    if (nextEpsilon !== null) rng.fillNormal(nextEpsilon);
    if (currentEpsilon !== null) rng.fillNormal(currentEpsilon);
    if (gsdeEpsilon !== null) rng.fillNormal(gsdeEpsilon);
    if (targetEpsilon !== null) rng.fillNormal(targetEpsilon);
    return this.noise;
  }
}
