import type { Rng } from '../../util/rng.js';
import type { ActorHead } from '../types.js';
import { composeAction, ResampleClock, type ExplorationState, type ExplorationStrategy, type NoiseName, type Policy } from './strategy.js';

/**
 * Shared mechanics of the strategies that perturb the action (gaussian, ou, pink): a noise sample ε
 * [actionDim] drawn on the clock's ticks and held in between, composed with the policy's output as
 * `composeAction` describes. Subclasses say only how the next ε is drawn.
 */
export abstract class HeldActionNoise implements ExplorationStrategy {
  abstract readonly name: NoiseName;
  protected readonly clock: ResampleClock;
  /** [actionDim] the sample in use. */
  protected readonly epsilon: Float32Array;

  constructor(
    protected readonly rng: Rng,
    protected readonly actionDim: number,
    interval: number,
    protected readonly head: ActorHead,
    /** TD3's action-space noise std σ_a; unused by SAC, whose σ(s) is learned. */
    protected readonly actionStd: number,
  ) {
    this.clock = new ResampleClock(interval);
    this.epsilon = new Float32Array(actionDim);
  }

  get interval(): number {
    return this.clock.interval;
  }

  reset(): void {
    this.clock.reset();
    this.onEpisodeStart();
  }

  act(policy: Policy, obs: Float32Array, actionOut: Float32Array, noiseOut: Float32Array): void {
    if (this.clock.tick()) this.draw(this.epsilon);
    composeAction(this.head, policy.forward(obs), this.epsilon, this.actionStd, actionOut, noiseOut);
  }

  describe(): Record<string, number | string | boolean> {
    return {
      noise: this.name,
      interval: this.interval,
      ...(this.head === 'deterministic' ? { actionStd: this.actionStd } : {}),
      ...this.parameters(),
    };
  }

  getState(): ExplorationState {
    return { rng: this.rng.getState(), values: { epsilon: Array.from(this.epsilon), clock: [this.clock.step], ...this.processState() } };
  }

  setState(state: ExplorationState): void {
    if (state.rng) this.rng.setState(state.rng);
    this.epsilon.set(state.values['epsilon'] ?? []);
    this.clock.step = state.values['clock']?.[0] ?? 0;
    this.restoreProcess(state.values);
  }

  /** Draws the next held sample into `out` [actionDim]. */
  protected abstract draw(out: Float32Array): void;
  /** Hook at the start of an episode, before the first draw. */
  protected onEpisodeStart(): void {}
  protected parameters(): Record<string, number | string | boolean> {
    return {};
  }
  protected processState(): Record<string, number[]> {
    return {};
  }
  protected restoreProcess(_values: Record<string, number[]>): void {}
}
