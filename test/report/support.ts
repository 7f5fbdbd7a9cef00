import type { RunFigures } from '../../src/report/data.js';

/** A finished run of sweep `s` on the pendulum (200-step episodes, 1,000 steps) with the given figures. */
export function run(
  configuration: string,
  seed: number,
  finalReturn: number,
  rawContinuity: number,
  options: Record<string, unknown>,
): RunFigures {
  return {
    sweep: 's',
    runId: seed,
    cell: `${configuration ? `${configuration};` : ''}seed=${seed}`,
    configuration,
    seed,
    robot: 'pendulum',
    task: 'swingup',
    episodeSteps: 200,
    intervalSteps: Number(options['interval'] ?? 1),
    options: { noise: 'gaussian', interval: 1, ...options },
    steps: 1000,
    seconds: 10,
    finalReturn,
    returnSource: 'training',
    returnEpisodes: 1,
    rawContinuity,
    appliedContinuity: rawContinuity / 2,
    interventionsPct: 0,
    meanSquaredJerk: rawContinuity * 10,
    highFrequencyShare: 0.1,
    meanAbsNoise: 0.2,
    trainingReturnArea: finalReturn - 5,
    paramNoise: [],
    curve: [
      { steps: 500, return: finalReturn - 10 },
      { steps: 1000, return: finalReturn },
    ],
    evaluations: [
      { steps: 500, return: finalReturn - 4 },
      { steps: 1000, return: finalReturn },
    ],
  };
}
