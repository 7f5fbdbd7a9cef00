/**
 * A simulated operator's hand for the simulated firmware: while torque is off, it moves every driven
 * joint through its hard range (a triangle wave from home to the upper limit, down to the lower one
 * and back, joints in step), for a set time, then puts the arm back in its home pose and lets go.
 * This is what `robo-train calibrate` asks a person to do; here it makes calibration testable
 * without hardware. Position-mode twins only (their servos follow the hand's path). Pure.
 */
import type { Calibration } from '../calibration/types.js';
import { UsageError } from '../util/errors.js';

export interface HandSweepOptions {
  /** One sweep home → max → min → home [s]. */
  periodS: number;
  /** Time the hand keeps sweeping before it returns the arm to home [s]. */
  durationS: number;
  /** Distance kept from each hard limit [rad]; default 0.01. */
  marginRad?: number;
}

export class HandSweep {
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  private readonly home: Float64Array;

  constructor(
    calibration: Calibration,
    readonly options: HandSweepOptions,
  ) {
    if (calibration.commandMode !== 'position')
      throw new UsageError(`the simulated hand moves position-servo twins only; '${calibration.robot}' is effort-driven`);
    if (!(options.periodS > 0 && options.durationS >= 0))
      throw new UsageError(`the hand sweep needs periodS > 0 and durationS >= 0 (got ${options.periodS}, ${options.durationS})`);
    const margin = options.marginRad ?? 0.01;
    this.low = Float64Array.from(calibration.joints, (joint) => joint.limits.minPositionRad! + margin);
    this.high = Float64Array.from(calibration.joints, (joint) => joint.limits.maxPositionRad! - margin);
    this.home = Float64Array.from(calibration.joints, (joint) => joint.homeRad);
  }

  /** The hand has put the arm back in its home pose, `tS` seconds after it started. */
  doneAt(tS: number): boolean {
    const { periodS, durationS } = this.options;
    // The last sweep is finished even past durationS, so that the arm ends at home without a jump.
    return tS >= Math.ceil(durationS / periodS) * periodS;
  }

  /** Joint targets [rad] at `tS` seconds after the hand started, into `out`, shape (driven joints,). */
  targetAt(tS: number, out: Float64Array): void {
    const phase = this.doneAt(tS) ? 0 : (tS % this.options.periodS) / this.options.periodS;
    for (let j = 0; j < out.length; j++) {
      const home = this.home[j];
      const high = this.high[j];
      const low = this.low[j];
      // Path length home→high→low→home, walked at constant speed.
      const up = high - home;
      const across = high - low;
      const back = home - low;
      let s = phase * (up + across + back);
      if (s <= up) out[j] = home + s;
      else if ((s -= up) <= across) out[j] = high - s;
      else out[j] = low + (s - across);
    }
  }
}
