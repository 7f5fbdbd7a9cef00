/**
 * Why the safety filter changed a joint's command (bit flags, several may be set at once), and the
 * status of a whole tick.
 */
export const Reason = {
  /** The target lay outside the soft position range, farther out than the command's brake would take it, and was clamped. */
  softPosition: 1 << 0,
  /** The target lay outside the hard position range (so `softPosition` is set too). */
  position: 1 << 1,
  /** Following the target would break the velocity limit, or leave a velocity that cannot be kept under it. */
  velocity: 1 << 2,
  /** Following the target would break the acceleration limit. */
  acceleration: 1 << 3,
  /** Following the target would break the jerk limit. */
  jerk: 1 << 4,
  /**
   * Following the target would leave the command unable to stop inside the hard position range, or
   * unable to stop before passing the point where the target itself could stop (an overshoot).
   */
  braking: 1 << 5,
  /** The target lay farther from the measured position than `maxLeadRad` and was pulled back. */
  lead: 1 << 6,
  /** Effort mode: the effort was clamped to ±maxEffortNm. */
  effort: 1 << 7,
  /** Effort mode: the change of effort was limited by the slew rate. */
  effortRate: 1 << 8,
  /** The target was NaN, ±Infinity or absurd (far outside the position or effort range): the tick holds. */
  invalidTarget: 1 << 9,
  /** The reading was older than the allowed age: the tick holds. */
  staleReading: 1 << 10,
  /** A joint's reading was missing (non-finite): the tick holds. */
  missingReading: 1 << 11,
  /** The emergency stop is latched: the command is frozen. */
  estop: 1 << 12,
} as const;

export type ReasonName = keyof typeof Reason;

/** Reason names in bit order: `REASON_NAMES[i]` is the name of bit `1 << i`. */
export const REASON_NAMES: readonly ReasonName[] = Object.keys(Reason) as ReasonName[];

/** Status of one `SafetyFilter.step`: 0 passed, 1 clamped, 2 held on request, negative refused. */
export const SafetyStatus = {
  /** Every joint's applied command equals its raw target. */
  passed: 0,
  /** At least one joint's command was changed to respect a limit. */
  clamped: 1,
  /** No target was given (`step(null, …)`): every joint brakes to rest, then holds. */
  held: 2,
  /** A target was invalid: every joint brakes to rest, then holds. */
  invalidTarget: -1,
  /** The reading was stale or missing: every joint brakes to rest, then holds. */
  staleReading: -2,
  /** The emergency stop is latched: commands are frozen (position) or zero (effort). */
  estopped: -3,
} as const;

export type SafetyStatus = (typeof SafetyStatus)[keyof typeof SafetyStatus];

/** The names of the bits set in `reasons`, for logs (allocates: keep it off the control tick). */
export function describeReasons(reasons: number): ReasonName[] {
  const names: ReasonName[] = [];
  for (let bit = 0; bit < REASON_NAMES.length; bit++) {
    if ((reasons & (1 << bit)) !== 0) names.push(REASON_NAMES[bit]);
  }
  return names;
}
