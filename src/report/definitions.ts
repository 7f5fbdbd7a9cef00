/**
 * The continuity cost as every table, plot caption and document states it (the per-step form of
 * rl-baselines3-zoo's ContinuityCostWrapper, scaled to a percentage; see src/metrics/continuity.ts).
 */
export const CONTINUITY_DEFINITION =
  '100 × mean over steps t ≥ 1 of mean over joints j of ((a_t,j − a_t−1,j) / (high_j − low_j))², per episode: 0 = constant action, 100 = full-range jumps every step.';

/** One line for plot captions. */
export const CONTINUITY_CAPTION =
  'continuity cost = 100 × mean_t mean_j (Δa_t,j / range_j)² per episode, of the policy actions, over training episodes';

/** Bins of the learning curves over the step budget (`robo-train report --bins`). */
export const DEFAULT_CURVE_BINS = 40;
