/**
 * gSDE's standard deviation σ from the learned log σ, as stable-baselines3 computes it
 * (`StateDependentNoiseDistribution.get_std`). The exploration matrix E is drawn from N(0, σ²)
 * elementwise and the noise of an observation is latent · E.
 */
import { POLICY_CONSTANTS, type GsdeOptions } from '../types.js';

/**
 * σ of one log σ entry: exp(x), or with `useExpln` exp(x) for x ≤ 0 and log1p(x + ε) + 1 above,
 * which keeps σ continuous at 0 and growing only logarithmically.
 */
export function gsdeSigmaOf(logStd: number, useExpln: boolean): number {
  if (!useExpln || logStd <= 0) return Math.exp(logStd);
  return Math.log1p(logStd + POLICY_CONSTANTS.gsdeEpsilon) + 1;
}

/** dσ/d(log σ) at one entry, matching {@link gsdeSigmaOf}. */
export function gsdeSigmaDerivative(logStd: number, useExpln: boolean): number {
  if (!useExpln || logStd <= 0) return Math.exp(logStd);
  return 1 / (1 + logStd + POLICY_CONSTANTS.gsdeEpsilon);
}

/**
 * Writes σ as a full [latentDim, actionDim] row-major matrix into `out` (length latentDim·actionDim).
 * `logStd` is [latentDim, actionDim] when `fullStd`, else [latentDim] (one σ per latent feature,
 * shared by every action dimension). Returns `out`.
 */
export function gsdeSigma(
  options: GsdeOptions,
  logStd: Float32Array,
  latentDim: number,
  actionDim: number,
  out: Float32Array,
): Float32Array {
  for (let i = 0; i < latentDim; i++) {
    for (let j = 0; j < actionDim; j++) {
      const x = options.fullStd ? logStd[i * actionDim + j] : logStd[i];
      out[i * actionDim + j] = gsdeSigmaOf(x, options.useExpln);
    }
  }
  return out;
}
