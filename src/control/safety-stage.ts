import type { Calibration } from '../calibration/types.js';
import type { JointState } from '../core/joint-state.js';
import { InterventionStats, REASON_NAMES, SafetyFilter, SafetyStatus, type RobotReading } from '../safety/index.js';
import { STEP_FLAGS } from '../core/step-sink.js';
import type { SafetyStage } from './loop.js';

/**
 * The control loop's safety stage: the pure `SafetyFilter` of `src/safety/` configured from the
 * calibration, with per-episode intervention counts and the translation of its status into step
 * flags for the store.
 */
export class CalibratedSafetyStage implements SafetyStage {
  private readonly filter: SafetyFilter;
  private readonly stats = new InterventionStats();
  private readonly reading: RobotReading;

  constructor(calibration: Calibration) {
    this.filter = SafetyFilter.fromCalibration(calibration);
    const joints = calibration.joints.length;
    this.reading = { positionRad: new Float64Array(joints), velocityRadS: new Float64Array(joints), ageUs: 0 };
  }

  beginEpisode(state: JointState): void {
    this.filter.reset(state.positionRad.subarray(0, this.reading.positionRad.length));
    this.stats.reset();
  }

  apply(target: Float64Array, state: JointState, commandOut: Float64Array): number {
    // Readings list the driven joints first; the filter only sees those.
    const driven = this.reading.positionRad.length;
    this.reading.positionRad.set(state.positionRad.subarray(0, driven));
    this.reading.velocityRadS.set(state.velocityRadS.subarray(0, driven));
    // A device that reports a fault is not to be followed: treat its reading as unusable.
    this.reading.ageUs = state.deviceFault ? Number.POSITIVE_INFINITY : state.ageUs;
    const status = this.filter.step(target, this.reading);
    const output = this.filter.output;
    commandOut.set(output.applied);
    this.stats.record(output);
    switch (status) {
      case SafetyStatus.passed:
        return 0;
      case SafetyStatus.clamped:
        return STEP_FLAGS.safetyClipped;
      case SafetyStatus.invalidTarget:
        return STEP_FLAGS.nonFiniteAction | STEP_FLAGS.safetyClipped;
      case SafetyStatus.staleReading:
        return STEP_FLAGS.staleState | STEP_FLAGS.safetyClipped;
      case SafetyStatus.estopped:
        return STEP_FLAGS.estop;
      default:
        return STEP_FLAGS.safetyClipped;
    }
  }

  /** Steps whose command differs from the raw target (clamped, held or refused), and steps per reason. */
  episodeClips(): { clippedSteps: number; byLimit: Record<string, number> } {
    const byLimit: Record<string, number> = {};
    REASON_NAMES.forEach((name, bit) => {
      const steps = this.stats.reasonSteps[bit];
      if (steps > 0) byLimit[name] = steps;
    });
    return { clippedSteps: this.stats.clippedSteps + this.stats.refusedSteps + this.stats.heldSteps, byLimit };
  }
}
