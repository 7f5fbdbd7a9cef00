import type { Rng } from '../../util/rng.js';
import type { ActorHead } from '../types.js';
import { checkPositive } from './strategy.js';
import { HeldActionNoise } from './action-noise.js';

/**
 * Ornstein-Uhlenbeck noise, temporally correlated: at every draw (every `interval` steps)
 *
 *     ε ← e^(−θ dt) ε + sqrt(1 − e^(−2 θ dt)) · N(0, I)
 *
 * the exact transition over dt of an OU process with unit stationary variance (not an Euler step,
 * whose variance drifts above 1 for large θ dt), so that it can stand in for SAC's unit Gaussian ε
 * (and be scaled by σ_a for TD3) like every other action noise. θ and dt default to SB3's values
 * (0.15, 0.01); the correlation between successive draws is e^(−θ dt).
 * Unlike SB3, which starts the process at 0 (no exploration at first), each episode starts from a
 * draw of the stationary distribution N(0, I).
 */
export class OrnsteinUhlenbeckNoise extends HeldActionNoise {
  readonly name = 'ou' as const;
  private readonly decay: number;
  private readonly diffusion: number;
  /** False until the episode's first draw, which comes from the stationary distribution. */
  private started = false;

  constructor(
    rng: Rng,
    actionDim: number,
    interval: number,
    head: ActorHead,
    actionStd: number,
    private readonly theta = 0.15,
    private readonly dt = 0.01,
  ) {
    super(rng, actionDim, interval, head, actionStd);
    checkPositive('--ou-theta', theta);
    checkPositive('--ou-dt', dt);
    this.decay = Math.exp(-theta * dt);
    this.diffusion = Math.sqrt(1 - this.decay * this.decay);
  }

  protected override onEpisodeStart(): void {
    this.started = false;
  }

  protected draw(out: Float32Array): void {
    if (!this.started) {
      this.rng.fillNormal(out);
      this.started = true;
      return;
    }
    for (let j = 0; j < out.length; j++) out[j] = this.decay * out[j] + this.diffusion * this.rng.normal();
  }

  protected override parameters(): Record<string, number> {
    return { ouTheta: this.theta, ouDt: this.dt };
  }

  protected override processState(): Record<string, number[]> {
    return { started: [this.started ? 1 : 0] };
  }

  protected override restoreProcess(values: Record<string, number[]>): void {
    this.started = values['started']?.[0] === 1;
  }
}
