/**
 * A bus arm with torque off whose joints an operator moves by hand (`robo-train calibrate`): every
 * servo's position is read about 50 times a second, as raw joint angles (`rawRadFromTicks`), and
 * calibrate then stores the new range in the servos' own limit registers.
 */
import type { Calibration } from '../calibration/types.js';
import { rawRadFromTicks } from '../calibration/servo.js';
import { sleep, systemClock } from '../core/clock.js';
import { BusJoints, servoLimits } from './bus-joints.js';
import type { BusLink } from './bus-robot.js';
import type { ServoBusDriver } from './servo-driver.js';
import { checkServos } from './startup.js';

/** Period of the position reads [ms]. */
const READ_PERIOD_MS = 20;
/** Reads that may fail one after another before the arm counts as lost. */
const MAX_FAILED_READS_IN_A_ROW = 5;
/** Return delay calibrate stores in every servo [µs]: answer at once, the bus is the host's alone. */
const RETURN_DELAY_US = 0;

export class BusArmReader {
  /** Raw angle of every joint [rad], in the calibration's joint order; NaN until the first read. */
  readonly rawRad: Float64Array;
  readonly jointNames: string[];
  private readonly listeners = new Set<(rawRad: Float64Array) => void>();
  private running = true;
  private readonly loop: Promise<void>;
  /** The first failure of the read loop; `check` throws it. */
  private failure: Error | null = null;

  private constructor(
    template: Calibration,
    private readonly joints: BusJoints,
    private readonly link: BusLink,
    private readonly driver: ServoBusDriver,
  ) {
    this.rawRad = new Float64Array(joints.count).fill(Number.NaN);
    this.jointNames = template.joints.map((joint) => joint.name);
    this.loop = this.readLoop();
  }

  /** Opens the bus, checks every servo of `template`, turns torque off and starts reading. */
  static async open(template: Calibration, link: BusLink, driver: ServoBusDriver, where: string): Promise<BusArmReader> {
    const joints = new BusJoints(template);
    await checkServos(driver, joints, where);
    await driver.setTorque(joints.ids, false);
    return new BusArmReader(template, joints, link, driver);
  }

  /** Called with the raw angles after every read; returns a function that removes the listener. */
  onRead(listener: (rawRad: Float64Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Throws what stopped the reads (a servo that stopped answering), if anything did. */
  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Stores `calibration`'s hard range in every servo's own limit registers (and a zero return delay);
   * returns one line per joint saying what was stored, or why nothing was.
   */
  async storeLimits(calibration: Calibration): Promise<string[]> {
    await this.stopReading();
    const lines: string[] = [];
    for (const limits of servoLimits(calibration)) {
      if ('reason' in limits) {
        lines.push(`${limits.joint} (id ${limits.id}): servo limits not set: ${limits.reason}`);
        continue;
      }
      const stored = await this.driver.storeSettings(limits.id, {
        minPositionTicks: limits.minTicks,
        maxPositionTicks: limits.maxTicks,
        returnDelayUs: RETURN_DELAY_US,
      });
      if (stored.minPositionTicks !== limits.minTicks || stored.maxPositionTicks !== limits.maxTicks)
        throw new Error(
          `${limits.joint} (id ${limits.id}) kept limits ${stored.minPositionTicks}..${stored.maxPositionTicks} after ${limits.minTicks}..${limits.maxTicks} were written`,
        );
      lines.push(
        `${limits.joint} (id ${limits.id}): servo limits ${limits.minTicks}..${limits.maxTicks} ticks, return delay ${stored.returnDelayUs} µs`,
      );
    }
    return lines;
  }

  async close(): Promise<void> {
    await this.stopReading();
    this.driver.close();
    await this.link.close();
  }

  private async stopReading(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async readLoop(): Promise<void> {
    const ids = this.joints.ids;
    let failedInARow = 0;
    while (this.running) {
      try {
        const readings = await this.driver.readState(ids);
        failedInARow = 0;
        ids.forEach((id, j) => {
          const reading = readings.get(id);
          if (reading !== undefined) this.rawRad[j] = rawRadFromTicks(reading.positionTicks);
        });
        for (const listener of this.listeners) listener(this.rawRad);
      } catch (error) {
        // One lost or garbled answer is noise on the bus (the host is not driving anything here);
        // several in a row mean the arm is gone.
        if (++failedInARow < MAX_FAILED_READS_IN_A_ROW) continue;
        this.failure = error as Error;
        this.running = false;
        return;
      }
      await sleep(systemClock, READ_PERIOD_MS);
    }
  }
}
