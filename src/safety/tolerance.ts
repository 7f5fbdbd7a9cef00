/**
 * Rounding allowances shared by the safety layer (README.md, "Numerical tolerances"). Positions are
 * scaled by Q = max(1, |q|): a double carries |q| with a relative error of eps.
 */

/** Allowance [rad per rad of Q] when a followed target is checked against the range or a stopping point. */
export const POSITION_SLACK = 1e-12;

/**
 * Rounding allowance on differences recomputed from positions, in units of eps Q / h^k for the k-th
 * difference: each position carries up to half an ulp (<= eps Q) of rounding, and a jerk sees four.
 */
export const ROUNDING_EPS = 8;

/** Q = max(1, |a|, |b|): the scale of the rounding error of positions near a and b. */
export function positionScale(a: number, b: number): number {
  const x = Math.abs(a) > Math.abs(b) ? Math.abs(a) : Math.abs(b);
  return x > 1 ? x : 1;
}
