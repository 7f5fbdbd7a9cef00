/**
 * A simulated operator's hand for the simulated firmware: while torque is off, it moves every driven
 * joint through its hard range (from home to the upper limit, a rest there, down to the lower one, a
 * rest, and back, joints in step), for a set time, then puts the arm back in its home pose and lets go.
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

/** Part of each sweep the hand rests at either end of a joint's range. */
const DWELL_FRACTION = 0.1;

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
    // Moving time home→high, high→low and low→home, with a rest at each end between them (a hand
    // pushes a joint against its stop for a moment: a servo that lags the hand still gets there).
    const moving = 1 - 2 * DWELL_FRACTION;
    for (let j = 0; j < out.length; j++) {
      const home = this.home[j];
      const high = this.high[j];
      const low = this.low[j];
      const up = high - home;
      const across = high - low;
      const back = home - low;
      const path = up + across + back;
      const upTime = (moving * up) / path;
      const acrossTime = (moving * across) / path;
      if (phase <= upTime) out[j] = home + (phase / upTime) * up;
      else if (phase <= upTime + DWELL_FRACTION) out[j] = high;
      else if (phase <= upTime + DWELL_FRACTION + acrossTime) out[j] = high - ((phase - upTime - DWELL_FRACTION) / acrossTime) * across;
      else if (phase <= upTime + 2 * DWELL_FRACTION + acrossTime) out[j] = low;
      else out[j] = low + ((phase - upTime - 2 * DWELL_FRACTION - acrossTime) / (moving - upTime - acrossTime)) * back;
    }
  }
}
