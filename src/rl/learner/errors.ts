import { RunFailedError } from '../../util/errors.js';

/**
 * The learner's error for non-finite numbers. Training stops with this error rather than hand NaN
 * weights to the control tick (and from there to the safety layer).
 */

/** What went non-finite, from the most to the least upstream. */
export type DivergedQuantity =
  'batch' | 'critic loss' | 'critic parameters' | 'actor loss' | 'actor parameters' | 'entropy coefficient' | 'target parameters';

const ADVICE: Record<DivergedQuantity, string> = {
  batch:
    'The replay batch itself holds a non-finite value: check the observation and reward pipeline (sensor decoding, reward function, normalisation); the learner never trains on such a batch.',
  'critic loss': 'Try a lower critic learning rate, smaller rewards (scale them towards [-10, 10]) or a lower gamma.',
  'critic parameters': 'Try a lower critic learning rate or smaller rewards; restore the last good checkpoint.',
  'actor loss':
    'Try a lower actor learning rate; with gSDE try useExpln or a lower logStdInit; with a fixed entropy coefficient try a smaller one.',
  'actor parameters': 'Try a lower actor learning rate; with gSDE try useExpln; restore the last good checkpoint.',
  'entropy coefficient': 'log α ran away: try a lower entCoefLearningRate, a target entropy closer to -actionDim, or a fixed entCoef.',
  'target parameters': 'The online networks were finite but the targets are not: restore the last good checkpoint.',
};

/**
 * Thrown by `update()` when a batch, a loss, the entropy coefficient or a parameter is not finite.
 * A non-finite batch is refused before any computation (the learner stays usable). Any other
 * divergence poisons the learner: `update()`, `actorWeights()` and `getState()` throw the same
 * error again until `setState()` restores a checkpoint, so no NaN ever leaves it.
 */
export class LearnerDivergedError extends RunFailedError {
  constructor(
    /** What diverged. */
    readonly quantity: DivergedQuantity,
    /** Number of completed gradient steps when it happened. */
    readonly update: number,
    /** Where exactly, e.g. `batch.reward[17] = NaN` or `critic loss = Infinity`. */
    readonly detail: string,
  ) {
    super(
      `learner diverged at update ${update}: ${quantity} not finite (${detail}). ${ADVICE[quantity]} ` +
        (quantity === 'batch'
          ? 'The learner did not train on this batch and is unchanged.'
          : 'The learner refuses further updates until setState() restores a checkpoint.'),
    );
  }
}

/** Names the first non-finite entry of a batch field, or returns null when all are finite. */
export function firstNonFinite(name: string, values: Float32Array, rowWidth: number): string | null {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value - value !== 0) {
      const row = Math.floor(i / rowWidth);
      const column = i % rowWidth;
      return rowWidth === 1 ? `${name}[${row}] = ${value}` : `${name}[${row}][${column}] = ${value}`;
    }
  }
  return null;
}

/** Largest finite float32: the networks compute in float32, so a loss beyond it has diverged even when a float64 sum holds it. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether `value` is finite as a float32. */
export function isFiniteFloat32(value: number): boolean {
  return Math.abs(value) <= FLOAT32_MAX;
}
