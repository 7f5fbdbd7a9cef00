/**
 * The deterministic actor as a plain sequence of layers: what every export format writes. The
 * action is tanh(μ(s)) for every head: SAC's mean (clipped to ±2 first with gSDE, as SB3's
 * `clip_mean` does) and TD3's deterministic output; the log std heads only matter for exploration
 * and are left out.
 */
import { POLICY_CONSTANTS, type ActorSpec, type ActorWeights } from '../types.js';
import { UsageError } from '../../util/errors.js';

export type PolicyLayer =
  /** y = x · kernel + bias; kernel row-major [inputs, outputs]. */
  | { kind: 'dense'; inputs: number; outputs: number; kernel: Float32Array; bias: Float32Array }
  /** y = (x − mean(x)) / sqrt(var(x) + epsilon) · gain + bias, over the layer (biased variance). */
  | { kind: 'layerNorm'; width: number; epsilon: number; gain: Float32Array; bias: Float32Array }
  | { kind: 'relu' }
  | { kind: 'clip'; min: number; max: number }
  | { kind: 'tanh' };

export interface DeterministicPolicy {
  spec: ActorSpec;
  layers: PolicyLayer[];
}

export function deterministicPolicy(weights: ActorWeights): DeterministicPolicy {
  const layers: PolicyLayer[] = [];
  weights.hidden.forEach((dense, l) => {
    layers.push({ kind: 'dense', ...dense });
    const norm = weights.layerNorms[l];
    if (norm) layers.push({ kind: 'layerNorm', width: dense.outputs, epsilon: POLICY_CONSTANTS.layerNormEpsilon, ...norm });
    layers.push({ kind: 'relu' });
  });
  layers.push({ kind: 'dense', ...weights.mean });
  if (weights.spec.head === 'gsde') layers.push({ kind: 'clip', min: -POLICY_CONSTANTS.gsdeMeanClip, max: POLICY_CONSTANTS.gsdeMeanClip });
  layers.push({ kind: 'tanh' });
  for (const layer of layers) {
    if (layer.kind === 'dense' || layer.kind === 'layerNorm') {
      for (const array of layer.kind === 'dense' ? [layer.kernel, layer.bias] : [layer.gain, layer.bias]) {
        if (!array.every(Number.isFinite))
          throw new UsageError(
            'the actor holds a weight that is not finite (NaN or infinity): the training diverged; export an earlier checkpoint',
          );
      }
    }
  }
  return { spec: weights.spec, layers };
}
