import type { Rng } from '../../util/rng.js';
import type { ActorHead } from '../types.js';
import { GaussianNoise } from './gaussian.js';
import { GsdeExploration } from './gsde.js';
import { NoNoise } from './none.js';
import { OrnsteinUhlenbeckNoise } from './ou.js';
import { ParameterNoise } from './param.js';
import { PinkNoise } from './pink.js';
import type { ExplorationStrategy, NoiseName } from './strategy.js';

export { NOISE_NAMES, type NoiseName, type ExplorationStrategy, type ExplorationState, type Policy } from './strategy.js';
export { ParameterNoise } from './param.js';
export { GsdeExploration } from './gsde.js';

export interface ExplorationContext {
  rng: Rng;
  actionDim: number;
  episodeSteps: number;
  /** The actor head the learner trains: it decides how action noise is composed (see `composeAction`). */
  head: ActorHead;
}

/** The options of every strategy; the training config's `--noise`, `--interval`, `--ou-*`, ... flags fill them. */
export interface ExplorationOptions {
  noise: NoiseName;
  /** Control ticks between two noise draws; -1: once per episode. */
  interval: number;
  /** Action-space noise std (gaussian, ou, pink; TD3 only: SAC's std is learned). */
  noiseStd: number;
  /** ou: mean reversion rate θ and time step dt. */
  ouTheta: number;
  ouDt: number;
  /** pink: spectral exponent β. */
  pinkBeta: number;
  /** param: initial σ, adaptation toward the action distance δ every N training steps by a factor. */
  paramStd: number;
  adaptive: boolean;
  paramTarget: number;
  paramAdaptEvery: number;
  paramAdaptFactor: number;
  /** gsde: initial log σ, one σ per (feature, action) pair, expln instead of exp. */
  gsdeLogStdInit: number;
  gsdeFullStd: boolean;
  gsdeExpln: boolean;
}

/** The strategy `--noise` names, configured from its flags; bad combinations fail by flag name. */
export function createExploration(options: ExplorationOptions, context: ExplorationContext): ExplorationStrategy {
  const { rng, actionDim, episodeSteps, head } = context;
  const { interval, noiseStd } = options;
  // 'none' acts with tanh(μ(s)), which every head has (a gSDE actor run without exploration).
  if (options.noise !== 'none' && (options.noise === 'gsde') !== (head === 'gsde')) {
    throw new Error(
      options.noise === 'gsde'
        ? "--noise gsde needs the learner's gSDE head (SAC)"
        : `the learner has a gSDE head but --noise is ${options.noise}`,
    );
  }
  switch (options.noise) {
    case 'none':
      return new NoNoise(interval);
    case 'gaussian':
      return new GaussianNoise(rng, actionDim, interval, head, noiseStd);
    case 'ou':
      return new OrnsteinUhlenbeckNoise(rng, actionDim, interval, head, noiseStd, options.ouTheta, options.ouDt);
    case 'pink':
      return new PinkNoise(rng, actionDim, interval, head, noiseStd, episodeSteps, options.pinkBeta);
    case 'param':
      return new ParameterNoise(rng, interval, {
        initialStd: options.paramStd,
        adaptive: options.adaptive,
        targetDistance: options.paramTarget,
        adaptEvery: options.paramAdaptEvery,
        adaptFactor: options.paramAdaptFactor,
      });
    case 'gsde':
      return new GsdeExploration(rng, interval, {
        logStdInit: options.gsdeLogStdInit,
        fullStd: options.gsdeFullStd,
        useExpln: options.gsdeExpln,
      });
  }
}
