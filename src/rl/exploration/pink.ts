import type { Rng } from '../../util/rng.js';
import type { ActorHead } from '../types.js';
import { HeldActionNoise } from './action-noise.js';
import { UsageError } from '../../util/errors.js';

/**
 * Colored noise with power spectrum ∝ 1/f^β (β = 1: pink), after Eberhard et al. (ICLR 2023).
 *
 * At the start of each episode one sequence per action dimension is generated for the whole episode
 * (as many samples as the episode has draws: ceil(episodeSteps / interval)), by scaling Gaussian
 * Fourier coefficients by f^(−β/2) and transforming back (Timmer & König's method), normalised to unit
 * variance; each draw takes the next sample. β = 0 gives white noise, β = 2 red (Brownian-like) noise.
 */
export class PinkNoise extends HeldActionNoise {
  readonly name = 'pink' as const;
  /** [actionDim][draws] the episode's sequences. */
  private sequences: Float64Array[] = [];
  private cursor = 0;

  constructor(
    rng: Rng,
    actionDim: number,
    interval: number,
    head: ActorHead,
    actionStd: number,
    private readonly episodeSteps: number,
    private readonly beta = 1,
  ) {
    super(rng, actionDim, interval, head, actionStd);
    if (!(Number.isFinite(beta) && beta >= 0)) throw new UsageError(`--pink-beta must be a non-negative number (got ${beta})`);
    if (!(Number.isInteger(episodeSteps) && episodeSteps >= 1))
      throw new UsageError(`pink noise needs the episode length (got ${episodeSteps})`);
  }

  protected override onEpisodeStart(): void {
    const draws = this.interval > 0 ? Math.ceil(this.episodeSteps / this.interval) : 1;
    this.sequences = Array.from({ length: this.actionDim }, () => coloredNoise(draws, this.beta, this.rng));
    this.cursor = 0;
  }

  protected draw(out: Float32Array): void {
    if (this.sequences.length === 0) this.onEpisodeStart();
    // Episodes that outlive their length (an unknown-length hardware episode) start a new sequence.
    if (this.cursor >= this.sequences[0].length) this.onEpisodeStart();
    for (let j = 0; j < out.length; j++) out[j] = this.sequences[j][this.cursor];
    this.cursor++;
  }

  protected override parameters(): Record<string, number> {
    return { pinkBeta: this.beta };
  }

  protected override processState(): Record<string, number[]> {
    return { cursor: [this.cursor], ...Object.fromEntries(this.sequences.map((sequence, j) => [`sequence${j}`, Array.from(sequence)])) };
  }

  protected override restoreProcess(values: Record<string, number[]>): void {
    this.cursor = values['cursor']?.[0] ?? 0;
    this.sequences = Array.from({ length: this.actionDim }, (_, j) => Float64Array.from(values[`sequence${j}`] ?? []));
    if (this.sequences.some((sequence) => sequence.length === 0)) this.sequences = [];
  }
}

/**
 * `length` samples of Gaussian noise with power spectral density ∝ 1/f^β and unit variance.
 * Frequencies below 1/n (n the transform size) are given the power of 1/n, as in `colorednoise`.
 */
export function coloredNoise(length: number, beta: number, rng: Rng): Float64Array {
  let n = 2;
  while (n < length) n *= 2;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const half = n / 2;
  const minFrequency = 1 / n;
  let sumSquaredScale = 0;
  const scales = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    const frequency = Math.max(k / n, minFrequency);
    scales[k] = Math.pow(frequency, -beta / 2);
  }
  // Variance of the real signal from the one-sided spectrum: DC and Nyquist count once, the rest twice.
  for (let k = 0; k <= half; k++) {
    const weight = k === 0 || k === half ? 1 : 2;
    sumSquaredScale += weight * scales[k] * scales[k];
  }
  for (let k = 0; k <= half; k++) {
    const scale = scales[k];
    // Real-valued signal: DC and Nyquist coefficients are real, the others have a random phase.
    const isReal = k === 0 || k === half;
    const a = scale * rng.normal() * (isReal ? 1 : Math.SQRT1_2);
    const b = isReal ? 0 : scale * rng.normal() * Math.SQRT1_2;
    re[k] = a;
    im[k] = b;
    if (!isReal) {
      re[n - k] = a;
      im[n - k] = -b;
    }
  }
  inverseFft(re, im);
  // E[x_t²] = (1/n²) Σ_k E|X_k|² = sumSquaredScale / n²  →  divide by its square root.
  const norm = n / Math.sqrt(sumSquaredScale);
  const out = new Float64Array(length);
  for (let t = 0; t < length; t++) out[t] = (re[t] / n) * norm;
  return out;
}

/** In-place radix-2 inverse DFT without the 1/n factor: x_t = Σ_k X_k e^{+2πikt/n}. n a power of two. */
function inverseFft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let size = 2; size <= n; size *= 2) {
    const angle = (2 * Math.PI) / size;
    const wRe = Math.cos(angle);
    const wIm = Math.sin(angle);
    for (let start = 0; start < n; start += size) {
      let curRe = 1;
      let curIm = 0;
      for (let k = 0; k < size / 2; k++) {
        const i = start + k;
        const j = i + size / 2;
        const tRe = re[j] * curRe - im[j] * curIm;
        const tIm = re[j] * curIm + im[j] * curRe;
        re[j] = re[i] - tRe;
        im[j] = im[i] - tIm;
        re[i] = re[i] + tRe;
        im[i] = im[i] + tIm;
        const nextRe = curRe * wRe - curIm * wIm;
        curIm = curRe * wIm + curIm * wRe;
        curRe = nextRe;
      }
    }
  }
}
