import type { Rng } from '../../util/rng.js';
import type { ActorHead } from '../types.js';
import { HeldActionNoise } from './action-noise.js';

/**
 * Unstructured Gaussian noise: ε ~ N(0, I), independent at every draw and held for `interval` steps.
 * With SAC and interval 1 this is exactly SAC's own exploration.
 */
export class GaussianNoise extends HeldActionNoise {
  readonly name = 'gaussian' as const;

  constructor(rng: Rng, actionDim: number, interval: number, head: ActorHead, actionStd: number) {
    super(rng, actionDim, interval, head, actionStd);
  }

  protected draw(out: Float32Array): void {
    this.rng.fillNormal(out);
  }
}
