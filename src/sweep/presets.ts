import { UsageError } from '../util/errors.js';

/**
 * Named grids for the questions of the study "Revisiting Parameter Space Exploration for
 * Reinforcement Learning" (A. Raffin, 2021, unpublished draft; Plappert et al., ICLR 2018). Every preset trains SAC with the study's schedule, one training round at
 * the end of each episode with as many gradient steps as steps collected (`--train-every episode
 * --gradient-steps -1`), so that exploration alone differs between cells; flags given on the command
 * line override it. Every preset includes the baselines, so that each one alone answers its question.
 */
export interface SweepPreset {
  describe: string;
  /** Grid blocks (grid.ts syntax). */
  grids: readonly string[];
}

/** The study's schedule, applied under every preset unless a flag overrides it. */
export const STUDY_SCHEDULE: Readonly<Record<string, unknown>> = { trainEvery: 'episode', gradientSteps: -1 };

/** Parameter noise as the reference implementation runs it: adaptive σ, resampled at every episode end. */
const REFERENCE_PARAM = 'noise=param;adaptive=on;interval=episode';

const BASELINES = [
  // No exploration noise, trained at the end of each episode.
  'noise=none',
  // No noise, trained every 8 steps: the study notes it already acts like parameter-space exploration.
  'noise=none;train-every=8;gradient-steps=8',
  // Unstructured Gaussian noise, resampled every step: the reference (= 1.0) of normalised continuity.
  'noise=gaussian;interval=1',
];

const INTERVALS = 'interval=1,2,4,8,16,32,64,episode';

export const PRESETS: Readonly<Record<string, SweepPreset>> = {
  baselines: {
    describe: 'no noise (trained per episode), no noise trained every 8 steps, unstructured Gaussian noise',
    grids: BASELINES,
  },
  'layer-norm': {
    describe: 'layer normalisation in the actor on/off, for parameter noise with adaptive and with fixed σ (σ₀ = 0.1) and for gSDE (k = 8)',
    grids: [
      `${REFERENCE_PARAM};layer-norm=off,on`,
      // Plappert et al.'s argument: with layer norm one fixed σ suits every layer, so test it without adaptation too.
      'noise=param;adaptive=off;interval=episode;layer-norm=off,on',
      'noise=gsde;interval=8;layer-norm=off,on',
      ...BASELINES,
    ],
  },
  adaptation: {
    describe:
      'parameter noise with a fixed σ (0.05 to 0.4) against adaptive σ with target distances δ (0.05 to 0.4), gSDE (k = 8) alongside',
    grids: [
      'noise=param;interval=episode;adaptive=off;param-std=0.05,0.1,0.2,0.4',
      'noise=param;interval=episode;adaptive=on;param-target=0.05,0.1,0.2,0.4',
      'noise=gsde;interval=8',
      ...BASELINES,
    ],
  },
  interval: {
    describe:
      'noise sampling interval k in {1, 2, 4, ..., 64, once per episode} for adaptive parameter noise and gSDE; k in {1, 8, once per episode} for Gaussian, OU and pink noise',
    grids: [
      `noise=param;adaptive=on;${INTERVALS}`,
      `noise=gsde;${INTERVALS}`,
      // Whether the interval matters more than the kind of noise: every noise type at the same intervals.
      'noise=gaussian,ou,pink;interval=1,8,episode',
      ...BASELINES,
    ],
  },
  key: {
    describe:
      'the key configurations, also for a robot next to its twin: Gaussian k = 1, gSDE k = 8, parameter noise (adaptive, once per episode), no noise',
    // Without the schedule baseline (no noise trained every 8 steps): a question of the pendulum's grid, not of the twins'.
    grids: ['noise=gsde;interval=8', REFERENCE_PARAM, 'noise=none', 'noise=gaussian;interval=1'],
  },
  'key-intervals': {
    describe:
      'intervals as shares of the episode, for long episodes (furuta): gSDE at k = 1, 8, episode/16, episode/4 and once per episode, Gaussian k = 1, no noise',
    grids: ['noise=gsde;interval=1,8,episode/16,episode/4,episode', 'noise=gaussian;interval=1', 'noise=none'],
  },
  compromise: {
    describe:
      "return against continuity cost for every noise type, the gSDE paper's figure: Gaussian, gSDE-2/8/32/64/episode, parameter noise, OU, pink, none",
    grids: ['noise=gsde;interval=2,8,32,64,episode', REFERENCE_PARAM, 'noise=ou', 'noise=pink', ...BASELINES],
  },
};

/** The whole study: the union of the four questions (shared cells run once). */
export const STUDY_PRESETS = ['layer-norm', 'adaptation', 'interval', 'compromise'] as const;

/** Grid blocks of the named presets; `study` stands for all four questions. */
export function presetGrids(names: readonly string[]): string[] {
  const expanded = names.flatMap((name) => (name === 'study' ? [...STUDY_PRESETS] : [name]));
  return expanded.flatMap((name) => {
    const preset = PRESETS[name];
    if (!preset) throw new UsageError(`unknown preset '${name}'; presets: ${[...Object.keys(PRESETS), 'study'].join(', ')}`);
    return preset.grids;
  });
}

export const PRESET_NAMES = [...Object.keys(PRESETS), 'study'];
