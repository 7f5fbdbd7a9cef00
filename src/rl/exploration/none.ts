import { meanAction, type ExplorationState, type ExplorationStrategy, type Policy } from './strategy.js';

/**
 * No exploration: the deterministic action tanh(μ(s)). The study's baseline; combined with a policy
 * updated only every 8 steps it already behaves like parameter-space exploration. `interval` is kept
 * only so that the run records what was asked for.
 */
export class NoNoise implements ExplorationStrategy {
  readonly name = 'none' as const;

  constructor(readonly interval: number) {}

  reset(): void {}

  act(policy: Policy, obs: Float32Array, actionOut: Float32Array, noiseOut: Float32Array): void {
    meanAction(policy.forward(obs), actionOut);
    noiseOut.fill(0);
  }

  describe(): Record<string, number | string | boolean> {
    return { noise: this.name, interval: this.interval };
  }

  getState(): ExplorationState {
    return { rng: null, values: {} };
  }

  setState(): void {}
}
