/**
 * What a servo's own sensors report besides its position: motor current from the output torque,
 * temperature from a first-order thermal model, input voltage sagging under the load of every servo
 * on the same supply. Pure; the constants and their sources are in `servo-electrical.ts`.
 */
import { AMBIENT_C, SOURCE_RESISTANCE_OHM, torqueConstantNmPerA, windingResistanceOhm, type ServoElectrical } from './servo-electrical.js';

/** The electrical and thermal state of one servo. */
export class ServoTelemetry {
  /** Signed motor current [A], the sign of the output torque. */
  currentA = 0;
  /** Output torque as a signed fraction of the stall torque. */
  loadFraction = 0;
  temperatureC = AMBIENT_C;
  private readonly torqueConstant: number;
  private readonly resistance: number;

  constructor(readonly model: ServoElectrical) {
    this.torqueConstant = torqueConstantNmPerA(model);
    this.resistance = windingResistanceOhm(model);
  }

  /**
   * The servo gave `torqueNm` at its output for `dtS` seconds: current follows the torque at once
   * (the winding's electrical time constant is far below a physics step), temperature integrates
   * C dT/dt = I²R − (T − T_ambient) / R_th exactly over the step for a constant current.
   */
  update(torqueNm: number, dtS: number): void {
    const { stallTorqueNm, thermalResistanceKPerW, heatCapacityJPerK } = this.model;
    this.currentA = torqueNm / this.torqueConstant;
    this.loadFraction = Math.max(-1, Math.min(1, torqueNm / stallTorqueNm));
    const steadyC = AMBIENT_C + this.currentA * this.currentA * this.resistance * thermalResistanceKPerW;
    const decay = Math.exp(-dtS / (thermalResistanceKPerW * heatCapacityJPerK));
    this.temperatureC = steadyC + (this.temperatureC - steadyC) * decay;
  }
}

/** Input voltage of servos on one supply [V]: the supply voltage less the drop of their total current over the source resistance. */
export function inputVoltageV(supplyV: number, servos: readonly ServoTelemetry[]): number {
  let totalA = 0;
  for (const servo of servos) totalA += Math.abs(servo.currentA);
  return supplyV - totalA * SOURCE_RESISTANCE_OHM;
}
