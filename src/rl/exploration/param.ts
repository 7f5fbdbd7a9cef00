import type { Rng } from '../../util/rng.js';
import { ActorForward } from '../policy/actor.js';
import type { ActorWeights, DenseWeights } from '../types.js';
import {
  checkPositive,
  meanAction,
  ResampleClock,
  type ExplorationScale,
  type ExplorationState,
  type ExplorationStrategy,
  type Policy,
} from './strategy.js';
import { UsageError } from '../../util/errors.js';

export interface ParameterNoiseOptions {
  /** Initial std σ of the perturbation of every weight and bias. */
  initialStd: number;
  /** Adapt σ so that the perturbed policy's actions stay at distance `targetDistance` from the clean ones. */
  adaptive: boolean;
  /** δ: the desired action-space distance (the reference's "desired action stddev"). */
  targetDistance: number;
  /** Adapt every this many gradient steps. */
  adaptEvery: number;
  /** σ ← σ / factor when the distance exceeds δ, σ · factor otherwise. */
  adaptFactor: number;
}

/**
 * Parameter-space noise (Plappert et al., ICLR 2018): the action is the deterministic action of a
 * perturbed copy of the actor, tanh(μ_θ̃(s)) with θ̃ = θ + N(0, σ²) on every weight and bias of every
 * dense layer (the output layer included). Layer-normalisation gains and biases are never perturbed:
 * normalising the pre-activations is what lets one σ suit every layer.
 *
 * The perturbation is drawn anew (from the actor's latest weights) at the first step of every episode
 * and every `interval` steps. With `adaptive`, every `adaptEvery` gradient steps a separately
 * perturbed copy is compared with the clean actor on a replay batch: d = sqrt(mean (π(s) − π̃(s))²)
 * over the batch and action dimensions; σ shrinks by `adaptFactor` when d > δ and grows otherwise.
 */
export class ParameterNoise implements ExplorationStrategy {
  readonly name = 'param' as const;
  private readonly clock: ResampleClock;
  private perturbed: ActorForward | null = null;
  private std: number;
  /** The last measured action-space distance (NaN before the first adaptation). */
  lastDistance = Number.NaN;

  constructor(
    private readonly rng: Rng,
    interval: number,
    private readonly options: ParameterNoiseOptions,
  ) {
    this.clock = new ResampleClock(interval);
    this.std = checkPositive('--param-std', options.initialStd);
    checkPositive('--param-target', options.targetDistance);
    checkPositive('--param-adapt-every', options.adaptEvery);
    if (!(options.adaptFactor > 1)) throw new UsageError(`--param-adapt-factor must be above 1 (got ${options.adaptFactor})`);
  }

  get interval(): number {
    return this.clock.interval;
  }

  /** The current perturbation std σ. */
  get currentStd(): number {
    return this.std;
  }

  scale(): ExplorationScale {
    return { std: this.std, distance: this.lastDistance };
  }

  /** Gradient steps between adaptations, or null when σ is fixed. */
  get adaptEvery(): number | null {
    return this.options.adaptive ? this.options.adaptEvery : null;
  }

  reset(): void {
    this.clock.reset();
  }

  act(policy: Policy, obs: Float32Array, actionOut: Float32Array, noiseOut: Float32Array): void {
    if (this.clock.tick() || this.perturbed === null) this.perturbed = this.perturb(policy.weights, this.perturbed);
    meanAction(this.perturbed.forward(obs), actionOut);
    const clean = policy.forward(obs).mean;
    for (let j = 0; j < actionOut.length; j++) noiseOut[j] = actionOut[j] - Math.tanh(clean[j]);
  }

  /**
   * One adaptation step on `observations` [count × obsDim] from the replay buffer. Returns the
   * distance it measured.
   */
  adapt(policy: Policy, observations: Float32Array, count: number): number {
    const probe = this.perturb(policy.weights, null);
    const perturbedMean = Float32Array.from(probe.forwardBatch(observations, count).mean.subarray(0, count * policy.spec.actionDim));
    const cleanMean = policy.forwardBatch(observations, count).mean;
    let sum = 0;
    for (let k = 0; k < perturbedMean.length; k++) {
      const difference = Math.tanh(cleanMean[k]) - Math.tanh(perturbedMean[k]);
      sum += difference * difference;
    }
    const distance = Math.sqrt(sum / perturbedMean.length);
    this.std = distance > this.options.targetDistance ? this.std / this.options.adaptFactor : this.std * this.options.adaptFactor;
    this.lastDistance = distance;
    return distance;
  }

  describe(): Record<string, number | string | boolean> {
    return {
      noise: this.name,
      interval: this.interval,
      paramStd: this.options.initialStd,
      adaptive: this.options.adaptive,
      ...(this.options.adaptive
        ? { paramTarget: this.options.targetDistance, paramAdaptEvery: this.options.adaptEvery, paramAdaptFactor: this.options.adaptFactor }
        : {}),
    };
  }

  getState(): ExplorationState {
    return { rng: this.rng.getState(), values: { std: [this.std], clock: [this.clock.step], lastDistance: [this.lastDistance] } };
  }

  /** Restores σ and the random stream; the perturbation is drawn anew at the next step. */
  setState(state: ExplorationState): void {
    if (state.rng) this.rng.setState(state.rng);
    this.std = state.values['std']?.[0] ?? this.options.initialStd;
    this.lastDistance = state.values['lastDistance']?.[0] ?? Number.NaN;
    this.clock.step = state.values['clock']?.[0] ?? 0;
    this.perturbed = null;
  }

  /**
   * θ + N(0, σ²) on every dense weight and bias, written into `reuse`'s weights when it has the same
   * architecture (no allocation on the tick); layer-norm parameters are copied unchanged.
   */
  private perturb(weights: ActorWeights, reuse: ActorForward | null): ActorForward {
    const target = reuse !== null && sameShapes(reuse.weights, weights) ? reuse.weights : cloneWeights(weights);
    const addNoise = (from: DenseWeights, to: DenseWeights): void => {
      for (let i = 0; i < from.kernel.length; i++) to.kernel[i] = from.kernel[i] + this.std * this.rng.normal();
      for (let i = 0; i < from.bias.length; i++) to.bias[i] = from.bias[i] + this.std * this.rng.normal();
    };
    weights.hidden.forEach((layer, l) => addNoise(layer, target.hidden[l]));
    addNoise(weights.mean, target.mean);
    weights.layerNorms.forEach((norm, l) => {
      target.layerNorms[l].gain.set(norm.gain);
      target.layerNorms[l].bias.set(norm.bias);
    });
    // Heads that parameter noise does not use (SAC's log std, gSDE's σ) follow the clean actor.
    target.logStd = weights.logStd;
    target.gsdeLogStd = weights.gsdeLogStd;
    target.updates = weights.updates;
    if (reuse === null) return new ActorForward(target);
    reuse.setWeights(target);
    return reuse;
  }
}

function cloneDense(layer: DenseWeights): DenseWeights {
  return { inputs: layer.inputs, outputs: layer.outputs, kernel: layer.kernel.slice(), bias: layer.bias.slice() };
}

function cloneWeights(weights: ActorWeights): ActorWeights {
  return {
    spec: weights.spec,
    hidden: weights.hidden.map(cloneDense),
    layerNorms: weights.layerNorms.map((norm) => ({ gain: norm.gain.slice(), bias: norm.bias.slice() })),
    mean: cloneDense(weights.mean),
    logStd: weights.logStd,
    gsdeLogStd: weights.gsdeLogStd,
    updates: weights.updates,
  };
}

function sameShapes(a: ActorWeights, b: ActorWeights): boolean {
  return (
    a.hidden.length === b.hidden.length &&
    a.hidden.every((layer, l) => layer.kernel.length === b.hidden[l].kernel.length) &&
    a.mean.kernel.length === b.mean.kernel.length &&
    a.layerNorms.length === b.layerNorms.length
  );
}
