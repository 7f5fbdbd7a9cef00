/**
 * Smoothness measures of a command sequence besides the continuity cost, pure and per episode.
 *
 * - Mean squared jerk: jerk_t,j = (c_t − 3 c_t−1 + 3 c_t−2 − c_t−3) / dt³ (third backward difference),
 *   averaged over steps t >= 3 and joints, in (joint units / s³)²: what gearboxes feel.
 * - High-frequency share: the fraction of the sequence's energy (mean removed, per joint, summed over
 *   joints) at frequencies above a cut-off, from the discrete Fourier transform; 0 for a slow,
 *   smooth sequence, about 1 − 2 f_c / f_s for white noise sampled at f_s. Like CAPS (Mysore et al.,
 *   2021) this looks at the spectrum, but as a share rather than a weighted mean frequency, so that
 *   it reads the same at any control rate.
 */

/** Mean squared jerk of `commands` [steps][joints] sampled every `dtS` seconds; NaN below 4 steps. */
export function meanSquaredJerk(commands: ArrayLike<ArrayLike<number>>, dtS: number): number {
  const steps = commands.length;
  if (steps < 4) return Number.NaN;
  const joints = commands[0].length;
  const inverseDt3 = 1 / (dtS * dtS * dtS);
  let sum = 0;
  for (let t = 3; t < steps; t++) {
    const c0 = commands[t];
    const c1 = commands[t - 1];
    const c2 = commands[t - 2];
    const c3 = commands[t - 3];
    for (let j = 0; j < joints; j++) {
      const jerk = (c0[j] - 3 * c1[j] + 3 * c2[j] - c3[j]) * inverseDt3;
      sum += jerk * jerk;
    }
  }
  return sum / ((steps - 3) * joints);
}

/**
 * Share of the energy of `commands` [steps][joints] (sampled at `sampleHz`) above `cutoffHz`, with
 * each joint's mean removed first; NaN below 4 steps or for a constant sequence (no energy at all).
 */
export function highFrequencyShare(commands: ArrayLike<ArrayLike<number>>, sampleHz: number, cutoffHz: number): number {
  const steps = commands.length;
  if (steps < 4) return Number.NaN;
  const joints = commands[0].length;
  const centered = new Float64Array(steps);
  let total = 0;
  let above = 0;
  for (let j = 0; j < joints; j++) {
    let mean = 0;
    for (let t = 0; t < steps; t++) mean += commands[t][j];
    mean /= steps;
    for (let t = 0; t < steps; t++) centered[t] = commands[t][j] - mean;
    // One-sided power spectrum by direct DFT: episodes are short (hundreds of steps), and this runs
    // once per episode, between episodes.
    for (let k = 1; k <= Math.floor(steps / 2); k++) {
      let re = 0;
      let im = 0;
      const omega = (-2 * Math.PI * k) / steps;
      for (let t = 0; t < steps; t++) {
        re += centered[t] * Math.cos(omega * t);
        im += centered[t] * Math.sin(omega * t);
      }
      // Bins other than Nyquist stand for two (positive and negative) frequencies.
      const weight = 2 * k === steps ? 1 : 2;
      const power = weight * (re * re + im * im);
      total += power;
      if ((k * sampleHz) / steps > cutoffHz) above += power;
    }
  }
  return total > 0 ? above / total : Number.NaN;
}
