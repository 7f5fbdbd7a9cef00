import type { Calibration } from '../calibration/types.js';
import { PositionAxis } from './axis.js';
import { BrakeModel } from './brake.js';
import { Reason, SafetyStatus } from './reasons.js';
import { POSITION_SLACK, positionScale } from './tolerance.js';
import { SafetyError, safetySpecFromCalibration, validateSafetySpec, type SafetyOptions, type SafetySpec } from './spec.js';

/** Relative allowance when deciding whether the target's own recent motion lies inside the limits. */
const TRUST_SLACK = 1e-9;

/** What the robot last reported, in joint units, as the caller holds it. */
export interface RobotReading {
  /** Measured joint positions [rad], shape (joints,); a non-finite value marks a missing reading. */
  positionRad: Float64Array;
  /** Measured joint velocities [rad/s], shape (joints,); read in effort mode only (non-finite = missing). */
  velocityRadS: Float64Array;
  /** Age of the reading when the tick runs [µs]. */
  ageUs: number;
}

/** The result of one tick, written in place by `SafetyFilter.step` (allocated once). */
export class SafetyOutput {
  /** The command to send, shape (joints,): positions [rad] in position mode, efforts [N·m] in effort mode. */
  readonly applied: Float64Array;
  /** `Reason` bits per joint, shape (joints,): why the joint's command differs from its raw target. */
  readonly reasons: Uint16Array;
  /** |applied - raw| per joint in joint units, shape (joints,); 0 on ticks with a negative status or `held`. */
  readonly interventionAbs: Float64Array;
  /** Status of the tick. */
  status: SafetyStatus = SafetyStatus.held;
  /**
   * Size of the intervention in action units: sqrt(mean over joints of (interventionAbs / halfSpan)^2),
   * halfSpan = half the soft position range (position mode) or maxEffortNm (effort mode); 1 = half the range.
   */
  interventionRms = 0;

  constructor(jointCount: number) {
    this.applied = new Float64Array(jointCount);
    this.reasons = new Uint16Array(jointCount);
    this.interventionAbs = new Float64Array(jointCount);
  }
}

/** The trajectory of the applied position commands: the filter's state, readable by the caller. */
export interface CommandState {
  /** Last applied position command [rad], shape (joints,). */
  readonly positionRad: Float64Array;
  /** Its backward difference (q[t] - q[t-1]) / h [rad/s], shape (joints,). */
  readonly velocityRadS: Float64Array;
  /** The backward difference of that [rad/s²], shape (joints,). */
  readonly accelerationRadS2: Float64Array;
}

/**
 * The last word on every command. Pure and synchronous: no I/O, no clock, no allocation per tick.
 *
 * Position mode: `step` turns raw position targets into commands whose sequence respects the position,
 * velocity, acceleration and jerk limits of every joint and can always brake to rest inside the hard
 * position range (README.md states the guarantee and its tolerances). Effort mode: clamps and slew-limits
 * efforts. Invalid targets, stale or missing readings and an explicit `step(null)` make every joint hold
 * (brake to rest as fast as the limits allow, then stay still; zero effort in effort mode). The
 * emergency stop latches until `clearEStop()`.
 */
export class SafetyFilter {
  readonly spec: SafetySpec;
  readonly jointCount: number;
  /** Written by every `step`. */
  readonly output: SafetyOutput;
  /** Position mode: the applied command trajectory. Zero in effort mode. */
  readonly commandState: CommandState;

  private readonly periodS: number;
  private readonly position: boolean;
  private readonly axes: readonly PositionAxis[];
  /** Per joint, shape (joints,): ranges [rad], refusal band, lead bound (NaN = none), half span of an action, limits. */
  private readonly softLowRad: Float64Array;
  private readonly softHighRad: Float64Array;
  private readonly hardLowRad: Float64Array;
  private readonly hardHighRad: Float64Array;
  private readonly refuseLow: Float64Array;
  private readonly refuseHigh: Float64Array;
  private readonly maxLeadRad: Float64Array;
  private readonly halfSpan: Float64Array;
  private readonly maxVelocityRadS: Float64Array;
  private readonly maxAccelerationRadS2: Float64Array;
  private readonly maxJerkRadS3: Float64Array;
  private readonly maxEffortNm: Float64Array;
  private readonly effortStepNm: Float64Array;
  /** The last three processed targets per joint [rad], shape (joints,) each; NaN after a reset or a hold. */
  private readonly previousTarget: Float64Array;
  private readonly previousTarget2: Float64Array;
  private readonly previousTarget3: Float64Array;
  private initialised: boolean;
  private latchedReason: string | null = null;
  private latchedAtTick = -1;
  private ticks = 0;

  constructor(spec: SafetySpec) {
    validateSafetySpec(spec);
    this.spec = spec;
    const n = spec.joints.length;
    this.jointCount = n;
    this.periodS = 1 / spec.controlHz;
    this.position = spec.commandMode === 'position';
    this.output = new SafetyOutput(n);
    this.commandState = { positionRad: new Float64Array(n), velocityRadS: new Float64Array(n), accelerationRadS2: new Float64Array(n) };
    this.softLowRad = new Float64Array(n);
    this.softHighRad = new Float64Array(n);
    this.hardLowRad = new Float64Array(n);
    this.hardHighRad = new Float64Array(n);
    this.refuseLow = new Float64Array(n);
    this.refuseHigh = new Float64Array(n);
    this.maxLeadRad = new Float64Array(n);
    this.halfSpan = new Float64Array(n);
    this.maxVelocityRadS = new Float64Array(n);
    this.maxAccelerationRadS2 = new Float64Array(n);
    this.maxJerkRadS3 = new Float64Array(n);
    this.maxEffortNm = new Float64Array(n);
    this.effortStepNm = new Float64Array(n);
    this.previousTarget = new Float64Array(n).fill(Number.NaN);
    this.previousTarget2 = new Float64Array(n).fill(Number.NaN);
    this.previousTarget3 = new Float64Array(n).fill(Number.NaN);
    const axes: PositionAxis[] = [];
    spec.joints.forEach((joint, i) => {
      const limits = joint.limits;
      const low = limits.minPositionRad ?? Number.NEGATIVE_INFINITY;
      const high = limits.maxPositionRad ?? Number.POSITIVE_INFINITY;
      const span = high - low;
      this.hardLowRad[i] = low;
      this.hardHighRad[i] = high;
      this.softLowRad[i] = low + limits.softMarginRad;
      this.softHighRad[i] = high - limits.softMarginRad;
      this.maxLeadRad[i] = joint.maxLeadRad ?? Number.NaN;
      this.maxVelocityRadS[i] = limits.maxVelocityRadS;
      this.maxAccelerationRadS2[i] = limits.maxAccelerationRadS2;
      this.maxJerkRadS3[i] = limits.maxJerkRadS3;
      const effort = limits.maxEffortNm ?? Number.POSITIVE_INFINITY;
      this.maxEffortNm[i] = effort;
      this.effortStepNm[i] = joint.maxEffortRateNmS * this.periodS;
      if (this.position) {
        // A target farther outside the hard range than the range is wide is no action but a fault.
        this.refuseLow[i] = low - span;
        this.refuseHigh[i] = high + span;
        this.halfSpan[i] = (this.softHighRad[i] - this.softLowRad[i]) / 2;
        const model = new BrakeModel(this.periodS, limits.maxVelocityRadS, limits.maxAccelerationRadS2, limits.maxJerkRadS3);
        axes.push(new PositionAxis(model, low, high, true));
      } else {
        this.refuseLow[i] = -3 * effort;
        this.refuseHigh[i] = 3 * effort;
        this.halfSpan[i] = effort;
      }
    });
    this.axes = axes;
    this.initialised = !this.position;
  }

  static fromCalibration(calibration: Calibration, options?: SafetyOptions): SafetyFilter {
    return new SafetyFilter(safetySpecFromCalibration(calibration, options));
  }

  /** True while the emergency stop is latched. */
  get estopped(): boolean {
    return this.latchedReason !== null;
  }

  /** Why the emergency stop was latched (null when it is not). */
  get estopReason(): string | null {
    return this.latchedReason;
  }

  /** The tick count at which the latched emergency stop was raised (-1 when none is latched). */
  get estopTick(): number {
    return this.latchedAtTick;
  }

  /** Ticks stepped since construction. */
  get tickCount(): number {
    return this.ticks;
  }

  /**
   * Restarts the command trajectory at rest. Position mode: at `positionRad` (shape (joints,), every
   * value finite and inside the hard range; use the measured position at start-up or after the robot
   * was moved by hand), required before the first `step`. Effort mode: the last effort becomes 0.
   * Does not clear a latched emergency stop.
   */
  reset(positionRad?: ArrayLike<number>): void {
    this.forgetTargetMotion();
    if (!this.position) {
      this.output.applied.fill(0);
      return;
    }
    if (positionRad === undefined || positionRad.length !== this.jointCount) {
      throw new SafetyError('reset(positionRad)', `needs ${this.jointCount} positions in position mode`);
    }
    for (let i = 0; i < this.jointCount; i++) {
      const q = positionRad[i];
      if (!(q >= this.hardLowRad[i] && q <= this.hardHighRad[i])) {
        throw new SafetyError(
          `reset(positionRad)[${i}] (${this.spec.joints[i].name})`,
          `= ${q}: must be finite and inside the hard range [${this.hardLowRad[i]}, ${this.hardHighRad[i]}]`,
        );
      }
    }
    for (let i = 0; i < this.jointCount; i++) {
      const q = positionRad[i];
      this.axes[i].resetAt(q);
      // The target is taken to have rested where the command rests.
      this.previousTarget[i] = q;
      this.previousTarget2[i] = q;
      this.previousTarget3[i] = q;
    }
    this.initialised = true;
    this.publishState();
  }

  /**
   * Latches the emergency stop at once: from now until `clearEStop()` the position command stays where
   * it is (velocity and acceleration set to zero, deliberately breaking their bounds) and efforts are 0.
   * A second call while latched keeps the first reason.
   */
  estop(reason: string): void {
    if (this.latchedReason !== null) return;
    this.latchedReason = reason;
    this.latchedAtTick = this.ticks;
    for (let i = 0; i < this.axes.length; i++) this.axes[i].freeze();
    this.publishState();
  }

  /** Clears a latched emergency stop. The command resumes from rest where it was frozen. */
  clearEStop(): void {
    this.latchedReason = null;
    this.latchedAtTick = -1;
    this.forgetTargetMotion();
  }

  /**
   * One control tick. `rawTarget`, shape (joints,): targets in joint units (rad or N·m), already
   * mapped from actions by the caller; `null` asks for a hold. `reading`: the robot's latest state,
   * `null` when there is none. Fills `this.output` and returns its status.
   */
  step(rawTarget: Float64Array | null, reading: RobotReading | null): SafetyStatus {
    if (!this.initialised) throw new SafetyError('step', 'called before reset(positionRad) in position mode');
    this.ticks++;
    const out = this.output;
    out.interventionAbs.fill(0);
    out.interventionRms = 0;
    const n = this.jointCount;

    if (this.latchedReason !== null) {
      // `estop()` froze the axes; nothing moves them while the stop is latched.
      this.holdAll(Reason.estop, false);
      return (out.status = SafetyStatus.estopped);
    }
    if (rawTarget === null) {
      this.holdAll(0, true);
      return (out.status = SafetyStatus.held);
    }

    let holdReasons = 0;
    if (reading === null || !(reading.ageUs <= this.spec.maxReadingAgeUs)) holdReasons |= Reason.staleReading;
    if (reading !== null) {
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(reading.positionRad[i]) || (!this.position && !Number.isFinite(reading.velocityRadS[i]))) {
          holdReasons |= Reason.missingReading;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const raw = rawTarget[i];
      if (!(raw >= this.refuseLow[i] && raw <= this.refuseHigh[i])) holdReasons |= Reason.invalidTarget;
    }
    if (holdReasons !== 0) {
      this.holdAll(holdReasons, true);
      return (out.status =
        (holdReasons & (Reason.staleReading | Reason.missingReading)) !== 0 ? SafetyStatus.staleReading : SafetyStatus.invalidTarget);
    }

    // `reading` is non-null here: a null reading set staleReading above.
    const measured = reading!;
    let seen = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const raw = rawTarget[i];
      const reasons = this.position ? this.stepPosition(i, raw, measured.positionRad[i]) : this.stepEffort(i, raw, measured);
      out.reasons[i] = reasons;
      seen |= reasons;
      const gap = Math.abs(out.applied[i] - raw);
      out.interventionAbs[i] = gap;
      const scaled = gap / this.halfSpan[i];
      sumSq += scaled * scaled;
    }
    out.interventionRms = Math.sqrt(sumSq / n);
    if (this.position) this.publishState();
    return (out.status = seen === 0 ? SafetyStatus.passed : SafetyStatus.clamped);
  }

  private stepPosition(i: number, raw: number, measuredRad: number): number {
    const axis = this.axes[i];
    const lead = this.maxLeadRad[i];
    let reasons = 0;
    let target = raw;
    if (raw < this.softLowRad[i] || raw > this.softHighRad[i]) {
      // A target in the soft margin, but no farther out than the command's brake would take it anyway
      // (a command reset there, or braking into it), is followed if it can be followed exactly: that
      // lets such a command come back along any path. Anything else is clamped into the soft range.
      const model = axis.model;
      model.stop(axis.velocityRadS, axis.accelerationRadS2);
      // The brake's landing, integrated tick by tick, may differ from its closed form by rounding.
      const slack = POSITION_SLACK * positionScale(axis.positionRad, 0);
      const committed =
        raw < this.softLowRad[i] ? raw >= axis.positionRad + model.stopMinRad - slack : raw <= axis.positionRad + model.stopMaxRad + slack;
      const leadOk = !(Math.abs(raw - measuredRad) > lead);
      if (committed && leadOk && axis.follow(raw, this.targetStop(i, raw)) === 0) {
        this.shiftTargets(i, raw);
        this.output.applied[i] = axis.positionRad;
        return 0;
      }
      reasons |= raw < this.hardLowRad[i] || raw > this.hardHighRad[i] ? Reason.softPosition | Reason.position : Reason.softPosition;
      target = raw < this.softLowRad[i] ? this.softLowRad[i] : this.softHighRad[i];
    }
    if (lead === lead) {
      if (target < measuredRad - lead) {
        target = measuredRad - lead;
        reasons |= Reason.lead;
      } else if (target > measuredRad + lead) {
        target = measuredRad + lead;
        reasons |= Reason.lead;
      }
    }
    const targetStop = this.targetStop(i, target);
    this.shiftTargets(i, target);
    reasons |= axis.track(target, targetStop);
    this.output.applied[i] = axis.positionRad;
    return reasons;
  }

  private stepEffort(i: number, raw: number, reading: RobotReading): number {
    let reasons = 0;
    let effort = raw;
    const max = this.maxEffortNm[i];
    if (effort > max) {
      effort = max;
      reasons |= Reason.effort;
    } else if (effort < -max) {
      effort = -max;
      reasons |= Reason.effort;
    }
    // Cut at once (no slew) any effort that pushes a joint further out of its soft range or faster than its velocity limit.
    const q = reading.positionRad[i];
    const v = reading.velocityRadS[i];
    let cut = false;
    if ((q > this.softHighRad[i] && effort > 0) || (q < this.softLowRad[i] && effort < 0)) {
      cut = true;
      reasons |= Reason.softPosition;
    } else if ((v > this.maxVelocityRadS[i] && effort > 0) || (v < -this.maxVelocityRadS[i] && effort < 0)) {
      cut = true;
      reasons |= Reason.velocity;
    }
    if (cut) {
      effort = 0;
    } else {
      const last = this.output.applied[i];
      const step = this.effortStepNm[i];
      if (effort > last + step) {
        effort = last + step;
        reasons |= Reason.effortRate;
      } else if (effort < last - step) {
        effort = last - step;
        reasons |= Reason.effortRate;
      }
    }
    this.output.applied[i] = effort;
    return reasons;
  }

  /**
   * Where the target would come to rest if it braked now [rad], or NaN when its motion is unknown.
   * The motion is known when this target and the last three are themselves a motion inside the
   * velocity, acceleration and jerk limits (a target at rest included); a jump, noise, or a history
   * cut by a hold or `forgetTargetMotion()` leave it unknown. The command aims its own brake at this
   * point: that keeps it in step with a target it follows, and never commits it to stop beyond where
   * the target itself could stop.
   */
  private targetStop(i: number, target: number): number {
    const h = this.periodS;
    const r1 = this.previousTarget[i];
    const r2 = this.previousTarget2[i];
    const r3 = this.previousTarget3[i];
    // NaN history fails every comparison below.
    const v = (target - r1) / h;
    const v1 = (r1 - r2) / h;
    const v2 = (r2 - r3) / h;
    const a = (v - v1) / h;
    const a1 = (v1 - v2) / h;
    // The differences of a sequence that runs exactly at a limit come out a few ulps above it.
    const slack = 1 + TRUST_SLACK;
    const amax = this.maxAccelerationRadS2[i] * slack;
    if (!(
      Math.abs(v) <= this.maxVelocityRadS[i] * slack &&
      Math.abs(a) <= amax &&
      Math.abs(a1) <= amax &&
      Math.abs((a - a1) / h) <= this.maxJerkRadS3[i] * slack
    )) {
      return Number.NaN;
    }
    const model = this.axes[i].model;
    model.stop(v, a);
    return target + model.stopTotalRad;
  }

  private shiftTargets(i: number, target: number): void {
    this.previousTarget3[i] = this.previousTarget2[i];
    this.previousTarget2[i] = this.previousTarget[i];
    this.previousTarget[i] = target;
  }

  /** Every joint brakes one tick (position) or drops to zero effort; `reasons` marks every joint. */
  private holdAll(reasons: number, brake: boolean): void {
    const out = this.output;
    for (let i = 0; i < this.jointCount; i++) {
      if (this.position) {
        const axis = this.axes[i];
        if (brake) axis.brake();
        out.applied[i] = axis.positionRad;
      } else {
        out.applied[i] = 0;
      }
      out.reasons[i] = reasons;
    }
    this.forgetTargetMotion();
    if (this.position) this.publishState();
  }

  /**
   * Tells the filter that the next targets start a new stream (a homing trajectory, a new episode's
   * policy): it stops judging them by the motion of the previous targets, so a stream that continues
   * the command's own trajectory is followed exactly from its first tick. Holds and `clearEStop()`
   * do this themselves.
   */
  forgetTargetMotion(): void {
    this.previousTarget.fill(Number.NaN);
    this.previousTarget2.fill(Number.NaN);
    this.previousTarget3.fill(Number.NaN);
  }

  private publishState(): void {
    const state = this.commandState;
    for (let i = 0; i < this.axes.length; i++) {
      const axis = this.axes[i];
      state.positionRad[i] = axis.positionRad;
      state.velocityRadS[i] = axis.velocityRadS;
      state.accelerationRadS2[i] = axis.accelerationRadS2;
    }
  }
}
