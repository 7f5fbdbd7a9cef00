import type { SafetyOutput } from './filter.js';
import { REASON_NAMES, SafetyStatus, type ReasonName } from './reasons.js';

/** What `InterventionStats.summary()` returns: one episode's (or any window's) interventions. */
export interface InterventionSummary {
  steps: number;
  /** Steps whose status was `passed` (every joint followed its raw target exactly). */
  passedSteps: number;
  /** Steps whose status was `clamped`. */
  clippedSteps: number;
  /** Steps whose status was `held` (the caller asked for a hold). */
  heldSteps: number;
  /** Steps with a negative status: invalid target, stale or missing reading, e-stop. */
  refusedSteps: number;
  /** Per reason: the number of steps on which at least one joint carried it. */
  byReason: Record<ReasonName, number>;
  /** Mean and largest `interventionRms` over the passed and clipped steps (0 when there were none). */
  meanInterventionRms: number;
  maxInterventionRms: number;
}

/**
 * Counts the safety filter's interventions over a window (an episode): record every tick's output,
 * read `summary()` at the end, `reset()` for the next one. Allocation-free except `summary()`.
 */
export class InterventionStats {
  /** Steps per reason bit, shape (REASON_NAMES.length,): `reasonSteps[b]` counts steps with bit `1 << b` on any joint. */
  readonly reasonSteps = new Uint32Array(REASON_NAMES.length);
  steps = 0;
  passedSteps = 0;
  clippedSteps = 0;
  heldSteps = 0;
  refusedSteps = 0;
  sumInterventionRms = 0;
  maxInterventionRms = 0;

  record(output: SafetyOutput): void {
    this.steps++;
    const status = output.status;
    if (status === SafetyStatus.passed) this.passedSteps++;
    else if (status === SafetyStatus.clamped) this.clippedSteps++;
    else if (status === SafetyStatus.held) this.heldSteps++;
    else this.refusedSteps++;
    if (status === SafetyStatus.passed || status === SafetyStatus.clamped) {
      this.sumInterventionRms += output.interventionRms;
      if (output.interventionRms > this.maxInterventionRms) this.maxInterventionRms = output.interventionRms;
    }
    let seen = 0;
    const reasons = output.reasons;
    for (let i = 0; i < reasons.length; i++) seen |= reasons[i];
    for (let bit = 0; seen !== 0; bit++, seen >>>= 1) {
      if ((seen & 1) !== 0) this.reasonSteps[bit]++;
    }
  }

  reset(): void {
    this.reasonSteps.fill(0);
    this.steps = 0;
    this.passedSteps = 0;
    this.clippedSteps = 0;
    this.heldSteps = 0;
    this.refusedSteps = 0;
    this.sumInterventionRms = 0;
    this.maxInterventionRms = 0;
  }

  summary(): InterventionSummary {
    const byReason = {} as Record<ReasonName, number>;
    REASON_NAMES.forEach((name, bit) => {
      byReason[name] = this.reasonSteps[bit];
    });
    const scored = this.passedSteps + this.clippedSteps;
    return {
      steps: this.steps,
      passedSteps: this.passedSteps,
      clippedSteps: this.clippedSteps,
      heldSteps: this.heldSteps,
      refusedSteps: this.refusedSteps,
      byReason,
      meanInterventionRms: scored > 0 ? this.sumInterventionRms / scored : 0,
      maxInterventionRms: this.maxInterventionRms,
    };
  }
}
