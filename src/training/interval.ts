import { UsageError } from '../util/errors.js';

/**
 * `--interval` as the user writes it: a whole number of control steps k ≥ 1, -1 for once per
 * episode, or `episode/N`, a share of the episode (N resamplings per episode). A share is kept as
 * written in the run's config, so that a sweep cell and its stored run compare equal; the strategies
 * and `runs.noise_interval` get the k it resolves to on the task's episode length.
 *
 * Why shares: an absolute k means different things on tasks of different lengths (k = 64 is nearly
 * "once per episode" on a 100-step episode, an eighth of one on furuta's 500 steps).
 */
export type IntervalSetting = number | EpisodeShare;

/** `episode/N`: resample N times per episode. */
export type EpisodeShare = `episode/${number}`;

export class IntervalError extends UsageError {}

const SHARE = /^episode\/(.*)$/;

const ACCEPTED = 'a positive whole number of steps, or -1 for once per episode, or episode/N for N resamplings per episode';

/** A value of `--interval` (a number, or text from the command line, a config file or a grid) checked and normalised. */
export function parseInterval(value: unknown): IntervalSetting {
  const text = String(value).trim();
  const share = SHARE.exec(text);
  if (share) {
    const n = Number(share[1]);
    if (share[1].trim() === '' || !Number.isInteger(n) || n < 1)
      throw new IntervalError(`--interval ${text}: N must be a whole number of resamplings per episode, at least 1 (e.g. episode/8)`);
    return `episode/${n}`;
  }
  const k = typeof value === 'number' ? value : text === '' ? Number.NaN : Number(text);
  if (!(Number.isInteger(k) && (k >= 1 || k === -1))) throw new IntervalError(`--interval must be ${ACCEPTED} (got '${text}')`);
  return k;
}

/** N of an `episode/N` setting; null for a whole number of steps. */
export function episodeShare(setting: IntervalSetting): number | null {
  return typeof setting === 'string' ? Number(setting.slice('episode/'.length)) : null;
}

/**
 * The interval in control steps that the strategies use: a whole number as given (-1 stays once per
 * episode); `episode/N` is k = max(1, round(episodeSteps / N)). An episode of fewer than N steps cannot
 * hold N resamplings: that is refused rather than quietly made k = 1.
 */
export function resolveInterval(setting: IntervalSetting, episodeSteps: number): number {
  const n = episodeShare(setting);
  if (n === null) return setting as number;
  if (n > episodeSteps)
    throw new IntervalError(
      `--interval ${setting} asks for ${n} resamplings in an episode of ${episodeSteps} steps: N may be at most ${episodeSteps} (or give k in steps)`,
    );
  return Math.max(1, Math.round(episodeSteps / n));
}

/** `every 25 steps (episode/8)`, `every 8 steps`, or `once per episode`: k in steps, and the share when one was written. */
export function describeInterval(setting: IntervalSetting, k: number): string {
  const steps = k === -1 ? 'once per episode' : `every ${k} steps`;
  return episodeShare(setting) === null ? steps : `${steps} (${setting})`;
}
