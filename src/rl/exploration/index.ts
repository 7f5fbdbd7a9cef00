import type { TrainConfig } from '../../training/config.js';
import type { Rng } from '../../util/rng.js';
import type { ActorHead } from '../types.js';
import { GaussianNoise } from './gaussian.js';
import { GsdeExploration } from './gsde.js';
import { NoNoise } from './none.js';
import { OrnsteinUhlenbeckNoise } from './ou.js';
import { ParameterNoise } from './param.js';
import { PinkNoise } from './pink.js';
import type { ExplorationStrategy } from './strategy.js';

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

type ExplorationOptions = Pick<
  TrainConfig,
  | 'noise' | 'interval' | 'noiseStd' | 'ouTheta' | 'ouDt' | 'pinkBeta' | 'paramStd' | 'adaptive' | 'paramTarget'
  | 'paramAdaptEvery' | 'paramAdaptFactor' | 'gsdeLogStdInit' | 'gsdeFullStd' | 'gsdeExpln'
>;

/** The strategy `--noise` names, configured from its flags; bad combinations fail by flag name. */
export function createExploration(options: ExplorationOptions, context: ExplorationContext): ExplorationStrategy {
  const { rng, actionDim, episodeSteps, head } = context;
  const { interval, noiseStd } = options;
  if ((options.noise === 'gsde') !== (head === 'gsde')) {
    throw new Error(options.noise === 'gsde' ? "--noise gsde needs the learner's gSDE head (SAC)" : `the learner has a gSDE head but --noise is ${options.noise}`);
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
      return new GsdeExploration(rng, interval, { logStdInit: options.gsdeLogStdInit, fullStd: options.gsdeFullStd, useExpln: options.gsdeExpln });
  }
}
