/**
 * The wear fields (protocol 1.1) a firmware reports when its joints are smart servos: each joint's
 * motor current, temperature and supply voltage, modelled from the twin's joint torques with the same
 * servo models the bus emulator uses (`servo-bus/shared/servo-electrical.ts`). The servo of a joint is
 * the one its calibration names (a bus robot's twin served over the firmware protocol), else the one
 * `sim-device --wear-servo` gives every joint; a firmware without either has no such sensors and
 * reports no wear (the 1.0 layout).
 */
import type { Calibration, ServoModel } from '../calibration/types.js';
import { WearField, type JointWear } from '../protocol/index.js';
import { SERVO_ELECTRICAL } from '../servo-bus/shared/servo-electrical.js';
import { inputVoltageV, ServoTelemetry } from '../servo-bus/shared/servo-telemetry.js';

export class FirmwareWear {
  /** What the firmware sends, in device order (the calibration's joints); refreshed by `update`. */
  readonly wear: JointWear;
  private readonly servos: ServoTelemetry[];
  /** The servos on each supply voltage, whose total current sags it. */
  private readonly supplies = new Map<number, ServoTelemetry[]>();

  private constructor(servos: ServoTelemetry[]) {
    this.servos = servos;
    for (const servo of servos) {
      const supply = this.supplies.get(servo.model.supplyV) ?? [];
      supply.push(servo);
      this.supplies.set(servo.model.supplyV, supply);
    }
    const n = servos.length;
    this.wear = {
      fields: WearField.CURRENT | WearField.TEMPERATURE | WearField.VOLTAGE,
      currentA: new Float32Array(n),
      temperatureC: new Float32Array(n),
      voltageV: new Float32Array(n),
    };
    this.publish();
  }

  /** The wear model of the measured joints (driven, then passive) when each has a servo; null otherwise. */
  static of(calibration: Calibration, everyJoint: ServoModel | null): FirmwareWear | null {
    const servos: ServoTelemetry[] = [];
    const jointServos = [...calibration.joints.map((joint) => joint.servo), ...calibration.passiveJoints.map(() => null)];
    for (const servo of jointServos) {
      const model = servo?.model ?? everyJoint;
      if (model === null) return null;
      servos.push(new ServoTelemetry(SERVO_ELECTRICAL[model]));
    }
    return new FirmwareWear(servos);
  }

  /** The joints gave `torqueNm` (raw device order, [joints]) for the last `dtS` seconds. */
  update(torqueNm: ArrayLike<number>, dtS: number): void {
    for (let j = 0; j < this.servos.length; j++) this.servos[j].update(Number.isFinite(torqueNm[j]) ? torqueNm[j] : 0, dtS);
    this.publish();
  }

  private publish(): void {
    for (let j = 0; j < this.servos.length; j++) {
      const servo = this.servos[j];
      this.wear.currentA[j] = servo.currentA;
      this.wear.temperatureC[j] = servo.temperatureC;
      this.wear.voltageV[j] = inputVoltageV(servo.model.supplyV, this.supplies.get(servo.model.supplyV)!);
    }
  }
}
