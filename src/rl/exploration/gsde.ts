import type { Rng } from '../../util/rng.js';
import { gsdeSigma } from '../policy/gsde.js';
import type { GsdeOptions } from '../types.js';
import { ResampleClock, type ExplorationState, type ExplorationStrategy, type Policy } from './strategy.js';

/**
 * Generalized state-dependent exploration (Raffin et al., CoRL 2021), with SB3's semantics
 * (`use_sde`): the action is tanh(μ(s) + z(s) · E), where z(s) [latentDim] are the latent features
 * of the actor's last hidden layer and E [latentDim × actionDim] is an exploration matrix drawn from
 * N(0, σ²), σ = exp(log σ) learned by SAC. The noise is therefore a deterministic, smooth function
 * of the state between two draws of E.
 *
 * E is drawn at the first step of every episode and every `interval` steps (SB3's `sde_sample_freq`,
 * but counted in control ticks whatever the training schedule is), with the σ of the weights in use
 * at that moment; between draws E is held even if training changes σ, exactly as SB3 keeps its
 * `exploration_mat` until `reset_noise`.
 */
export class GsdeExploration implements ExplorationStrategy {
  readonly name = 'gsde' as const;
  private readonly clock: ResampleClock;
  /** [latentDim × actionDim] row-major: E. */
  private matrix = new Float32Array(0);
  private sigma = new Float32Array(0);

  constructor(
    private readonly rng: Rng,
    interval: number,
    private readonly options: GsdeOptions,
  ) {
    this.clock = new ResampleClock(interval);
  }

  get interval(): number {
    return this.clock.interval;
  }

  reset(): void {
    this.clock.reset();
  }

  act(policy: Policy, obs: Float32Array, actionOut: Float32Array, noiseOut: Float32Array): void {
    const output = policy.forward(obs);
    const latent = output.latent;
    const actionDim = actionOut.length;
    if (this.clock.tick() || this.matrix.length !== latent.length * actionDim) this.drawMatrix(policy, latent.length, actionDim);
    for (let j = 0; j < actionDim; j++) {
      let noise = 0;
      for (let i = 0; i < latent.length; i++) noise += latent[i] * this.matrix[i * actionDim + j];
      const deterministic = Math.tanh(output.mean[j]);
      const action = Math.tanh(output.mean[j] + noise);
      actionOut[j] = action;
      noiseOut[j] = action - deterministic;
    }
  }

  /** σ of the current matrix draw [latentDim × actionDim] (for tests and logs). */
  currentSigma(): Float32Array {
    return this.sigma;
  }

  describe(): Record<string, number | string | boolean> {
    return {
      noise: this.name,
      interval: this.interval,
      gsdeLogStdInit: this.options.logStdInit,
      gsdeFullStd: this.options.fullStd,
      gsdeExpln: this.options.useExpln,
    };
  }

  getState(): ExplorationState {
    return {
      rng: this.rng.getState(),
      values: { matrix: Array.from(this.matrix), sigma: Array.from(this.sigma), clock: [this.clock.step] },
    };
  }

  setState(state: ExplorationState): void {
    if (state.rng) this.rng.setState(state.rng);
    this.matrix = Float32Array.from(state.values['matrix'] ?? []);
    this.sigma = Float32Array.from(state.values['sigma'] ?? []);
    this.clock.step = state.values['clock']?.[0] ?? 0;
  }

  private drawMatrix(policy: Policy, latentDim: number, actionDim: number): void {
    const logStd = policy.weights.gsdeLogStd;
    if (!logStd) throw new Error("gSDE exploration needs an actor with a 'gsde' head (learner started with --noise gsde)");
    if (this.matrix.length !== latentDim * actionDim) {
      this.matrix = new Float32Array(latentDim * actionDim);
      this.sigma = new Float32Array(latentDim * actionDim);
    }
    gsdeSigma(this.options, logStd, latentDim, actionDim, this.sigma);
    for (let k = 0; k < this.matrix.length; k++) {
      const sigma = this.sigma[k];
      if (!Number.isFinite(sigma))
        throw new Error(
          `gSDE: σ is not finite (entry ${k}: ${sigma}); the learned log σ diverged — lower the learning rate or use --gsde-expln`,
        );
      this.matrix[k] = sigma * this.rng.normal();
    }
  }
}
