import type { RngState } from '../../util/rng.js';
import type { ActorForward, ActorOutput } from '../policy/actor.js';
import type { ActorHead } from '../types.js';
import { UsageError } from '../../util/errors.js';

/** The exploration strategies `--noise` accepts. */
export const NOISE_NAMES = ['none', 'gaussian', 'ou', 'pink', 'param', 'gsde'] as const;
export type NoiseName = (typeof NOISE_NAMES)[number];

/** The actor as the control tick runs it: plain JavaScript over a copy of the learner's weights. */
export type Policy = ActorForward;
export type { ActorOutput };

/**
 * One exploration strategy (style rule 1): how the action of a step departs from the policy's mean
 * action, and how often that departure is drawn anew.
 *
 * The resampling interval k (`--interval`) is a property of the strategy, counted in control ticks
 * and independent of the training schedule: the noise is drawn at the first step of every episode
 * and then every k steps (k = 1: every step; k = -1: once per episode), and held in between.
 */
export interface ExplorationStrategy {
  readonly name: NoiseName;
  /** Resampling interval in control ticks; -1 = once per episode. */
  readonly interval: number;
  /** Starts an episode: the next `act` draws fresh noise. */
  reset(): void;
  /**
   * The exploratory action for one observation [obsDim] → `actionOut` [actionDim] in [-1, 1], and the
   * part that exploration added, `noiseOut` [actionDim] = action − deterministic action.
   */
  act(policy: Policy, obs: Float32Array, actionOut: Float32Array, noiseOut: Float32Array): void;
  /** Hyper-parameters, stored with the run. */
  describe(): Record<string, number | string | boolean>;
  /** Strategies whose size changes during training (parameter noise): where it stands now, stored per episode. */
  scale?(): ExplorationScale;
  /** Everything needed to continue the same noise sequence after `--resume`. */
  getState(): ExplorationState;
  setState(state: ExplorationState): void;
}

/** The size of an adapting exploration at one moment. */
export interface ExplorationScale {
  /** Parameter noise: σ of the weight perturbation. */
  std: number;
  /** The last measured action-space distance d between perturbed and clean policy (NaN when σ is fixed or before the first adaptation). */
  distance: number;
}

export interface ExplorationState {
  rng: RngState | null;
  /** Strategy-specific numbers (current noise sample, process state, counters). */
  values: Record<string, number[]>;
}

/** Decides on which ticks a held noise sample is drawn anew. */
export class ResampleClock {
  private stepInEpisode = 0;

  constructor(readonly interval: number) {
    if (!(Number.isInteger(interval) && (interval >= 1 || interval === -1))) {
      throw new UsageError(`--interval must be a positive whole number of steps, or -1 for once per episode (got ${interval})`);
    }
  }

  reset(): void {
    this.stepInEpisode = 0;
  }

  /** Advances one tick; true when this tick must draw new noise. */
  tick(): boolean {
    const due = this.stepInEpisode === 0 || (this.interval > 0 && this.stepInEpisode % this.interval === 0);
    this.stepInEpisode++;
    return due;
  }

  get step(): number {
    return this.stepInEpisode;
  }

  set step(value: number) {
    this.stepInEpisode = value;
  }
}

/**
 * Turns a noise sample ε [actionDim] into an action, the way each learner's policy explores:
 * - SAC ('gaussian' head): a = tanh(μ(s) + σ(s) ⊙ ε), SAC's own reparameterised sample with ε
 *   drawn by the strategy instead of fresh white noise at every step;
 * - TD3 ('deterministic' head): a = clip(tanh(μ(s)) + σ_a ε, -1, 1), action-space noise of std σ_a.
 * Writes the action and the noise it added (action − tanh(μ)).
 */
export function composeAction(
  head: ActorHead,
  output: ActorOutput,
  epsilon: Float32Array,
  actionStd: number,
  actionOut: Float32Array,
  noiseOut: Float32Array,
): void {
  const { mean, logStd } = output;
  for (let j = 0; j < actionOut.length; j++) {
    const deterministic = Math.tanh(mean[j]);
    let action: number;
    if (head === 'gaussian' && logStd) {
      action = Math.tanh(mean[j] + Math.exp(logStd[j]) * epsilon[j]);
    } else {
      action = Math.min(1, Math.max(-1, deterministic + actionStd * epsilon[j]));
    }
    actionOut[j] = action;
    noiseOut[j] = action - deterministic;
  }
}

/** The deterministic action tanh(μ(s)), for evaluation and for the 'none' strategy. */
export function meanAction(output: ActorOutput, actionOut: Float32Array): void {
  for (let j = 0; j < actionOut.length; j++) actionOut[j] = Math.tanh(output.mean[j]);
}

export function checkPositive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new UsageError(`${name} must be a positive number (got ${value})`);
  return value;
}
