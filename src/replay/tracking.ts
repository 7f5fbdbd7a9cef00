/** Per-joint gap between two sequences of joint positions. */
export interface JointTracking {
  joint: string;
  /** Root mean square of the difference over the compared steps [rad]. */
  rmsRad: number;
  /** Largest |difference| [rad]. */
  maxRad: number;
}

/**
 * Tracking error between simulated and logged positions, both [steps][joints], over steps
 * `fromStep` to the shorter one's end (step 0 is the initial state both start from, hence the
 * default of 1). NaN when no step is compared.
 */
export function trackingError(
  jointNames: readonly string[],
  simulatedRad: readonly ArrayLike<number>[],
  loggedRad: readonly ArrayLike<number>[],
  fromStep = 1,
): JointTracking[] {
  const steps = Math.min(simulatedRad.length, loggedRad.length);
  return jointNames.map((joint, j) => {
    let sumSquares = 0;
    let max = 0;
    let count = 0;
    for (let t = fromStep; t < steps; t++) {
      const gap = Math.abs(simulatedRad[t][j] - loggedRad[t][j]);
      sumSquares += gap * gap;
      max = Math.max(max, gap);
      count++;
    }
    return { joint, rmsRad: count === 0 ? Number.NaN : Math.sqrt(sumSquares / count), maxRad: count === 0 ? Number.NaN : max };
  });
}
