/**
 * SAC's learned entropy coefficient: log α and its scalar Adam state, stepped in float64 by both
 * engines (the gradient of −log α · mean(log π + target entropy) with respect to log α is
 * −mean(log π + target entropy), a scalar either engine hands over).
 */
import type { LearnerConfig } from './config.js';
import type { EntropyState } from './state.js';

/** The initial state: null for a fixed α or for TD3. */
export function initialEntropy(config: LearnerConfig): EntropyState | null {
  if (config.algo !== 'sac' || config.sac.entCoef !== 'auto') return null;
  return { logEntCoef: Math.log(config.sac.entCoefInit), moment1: 0, moment2: 0 };
}

/** One Adam step (t = `step`) on log α with gradient `grad`, PyTorch's formula as in the networks' step. */
export function entropyAdamStep(state: EntropyState, grad: number, config: LearnerConfig, step: number): void {
  const { beta1, beta2, epsilon } = config.adam;
  state.moment1 = beta1 * state.moment1 + (1 - beta1) * grad;
  state.moment2 = beta2 * state.moment2 + (1 - beta2) * grad * grad;
  const stepSize = config.entCoefLearningRate / (1 - beta1 ** step);
  state.logEntCoef -= (stepSize * state.moment1) / (Math.sqrt(state.moment2) / Math.sqrt(1 - beta2 ** step) + epsilon);
}
