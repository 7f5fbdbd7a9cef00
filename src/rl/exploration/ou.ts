import type { Rng } from '../../util/rng.js';
import type { ActorHead } from '../types.js';
import { checkPositive } from './strategy.js';
import { HeldActionNoise } from './action-noise.js';

/**
 * Ornstein-Uhlenbeck noise as Stable-Baselines3's `OrnsteinUhlenbeckActionNoise` runs it: the process
 * starts at 0 at every episode (SB3 resets it when an episode ends) and moves at every draw (every
 * `interval` steps) by
 *
 *     ε ← e^(−θ dt) ε + sqrt(1 − e^(−2 θ dt)) · N(0, I)
 *
 * the exact transition over dt of an OU process with unit stationary variance. SB3 takes an Euler
 * step of the same process with its own σ (x ← x + θ(μ − x) dt + σ √dt N); the lag-1 correlation is
 * e^(−θ dt) here and 1 − θ dt there, equal to first order. The unit variance lets ε stand in for
 * SAC's unit Gaussian ε (and be scaled by σ_a for TD3) like every other action noise: SB3's OU with σ
 * corresponds to σ_a = σ / sqrt(2θ). Because it starts at 0, the first draw of an episode has std
 * sqrt(1 − e^(−2 θ dt)) and exploration grows toward its stationary size over about 1/θ of process time.
 *
 * dt is `dt` per draw (SB3's default 0.01 with θ = 0.15: correlation 0.9985 per draw, so that the
 * noise barely reaches a third of its stationary std in 100 draws), or, with `controlPeriodS`, the
 * time a draw is held on the robot (the control period times the interval), so that θ is a rate in
 * 1/s of the robot's clock and the process looks the same whatever the control rate and interval.
 */
export class OrnsteinUhlenbeckNoise extends HeldActionNoise {
  readonly name = 'ou' as const;
  private readonly decay: number;
  private readonly diffusion: number;
  /** dt of one draw [s when matched to the control period]. */
  private readonly dt: number;

  constructor(
    rng: Rng,
    actionDim: number,
    interval: number,
    head: ActorHead,
    actionStd: number,
    private readonly theta = 0.15,
    dt = 0.01,
    /** When given: dt = this period [s] × the interval (a draw once per episode keeps dt = the period). */
    private readonly controlPeriodS: number | null = null,
  ) {
    super(rng, actionDim, interval, head, actionStd);
    checkPositive('--ou-theta', theta);
    this.dt = controlPeriodS === null ? checkPositive('--ou-dt', dt) : controlPeriodS * Math.max(1, interval);
    this.decay = Math.exp(-theta * this.dt);
    this.diffusion = Math.sqrt(1 - this.decay * this.decay);
  }

  /** SB3's `reset()`: the process starts from 0 (its `initial_noise` default). */
  protected override onEpisodeStart(): void {
    this.epsilon.fill(0);
  }

  protected draw(out: Float32Array): void {
    for (let j = 0; j < out.length; j++) out[j] = this.decay * out[j] + this.diffusion * this.rng.normal();
  }

  protected override parameters(): Record<string, number | boolean> {
    return { ouTheta: this.theta, ouDt: this.dt, ouControlPeriod: this.controlPeriodS !== null };
  }
}
