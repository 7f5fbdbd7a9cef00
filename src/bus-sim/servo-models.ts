/**
 * The electrical and thermal constants of each servo model the bus emulator serves, with where each
 * number comes from (README.md in this folder gives the reasoning in full).
 *
 * Current: a servo's motor current is proportional to its output torque, with the constant the
 * datasheet's stall point gives (stall torque / stall current, both at the supply voltage below).
 * Heat: a first-order model of the servo's body, C dT/dt = I²R − (T − T_ambient) / R_th, with the
 * winding resistance R = supply voltage / stall current (at stall the whole supply voltage drops on
 * the winding). The thermal resistance and capacity are fitted to one measurement of an STS3215 and
 * scaled by size for the Dynamixels; they are estimates, not datasheet values.
 */
import type { ServoModel } from '../calibration/types.js';

export interface ServoElectrical {
  /** Supply voltage the servos of this model run from on the robot [V]. */
  supplyV: number;
  /** Output torque at stall at `supplyV` [N·m] (datasheet). */
  stallTorqueNm: number;
  /** Current at stall at `supplyV` [A] (datasheet). */
  stallCurrentA: number;
  /** Thermal resistance from the servo's body to the ambient air [K/W]. */
  thermalResistanceKPerW: number;
  /** Heat capacity of the servo [J/K]. */
  heatCapacityJPerK: number;
}

/** Ambient temperature, and every servo's temperature at power-on [°C]. */
export const AMBIENT_C = 25;

/**
 * Resistance between the supply and a servo's power pins [Ω]: the supply's own output resistance and
 * the daisy-chained 3-pin cables and connectors. Estimate (a few tens of centimetres of 22–24 AWG
 * pairs, ~0.1 Ω, and half a dozen crimp contacts and the supply, ~0.15 Ω).
 */
export const SOURCE_RESISTANCE_OHM = 0.25;

export const SERVO_ELECTRICAL: Readonly<Record<ServoModel, ServoElectrical>> = {
  // Feetech STS3215 (C001, 7.4 V, 1:345): 19.5 kg·cm = 1.91 N·m and 2.7 A at stall, 7.4 V
  // (Feetech specification). Rhoban/bam identified R = 2.68 Ω for this servo
  // (params/feetech_sts3215_7_4V/m1.json), i.e. 7.4 V / 2.68 Ω = 2.76 A: the same stall current.
  // Thermal: a 12 V STS3215 holding about half its stall torque rose to a steady 48 °C within
  // 10 min (TheRobotStudio/SO-ARM100 issue 134): ~23 K for ~8 W gives R_th ≈ 3 K/W, and a
  // steady state inside 10 min a time constant near 150 s, so C ≈ 50 J/K (55 g at ~0.9 J/(g·K)).
  sts3215: { supplyV: 7.4, stallTorqueNm: 1.91, stallCurrentA: 2.7, thermalResistanceKPerW: 3, heatCapacityJPerK: 50 },
  // ROBOTIS e-manual, XL430-W250: stall torque 1.5 N·m at 12.0 V, 1.4 A. Thermal: a body of the
  // STS3215's size and mass (57.2 g): the same constants.
  'xl430-w250': { supplyV: 12, stallTorqueNm: 1.5, stallCurrentA: 1.4, thermalResistanceKPerW: 3, heatCapacityJPerK: 50 },
  // ROBOTIS e-manual, XL330-M288: stall torque 0.52 N·m at 5.0 V, 1.47 A (Rhoban/bam's identified
  // R = 3.37 Ω, params/xl330/m1.json, gives 5.0 V / 3.37 Ω = 1.48 A). Thermal: 18 g, a third of the
  // STS3215: capacity scaled with the mass (16 J/K), thermal resistance with the surface, i.e. the
  // mass to the power 2/3 (3 × (57/18)^(2/3) ≈ 6.5 K/W): time constant ~100 s.
  'xl330-m288': { supplyV: 5, stallTorqueNm: 0.52, stallCurrentA: 1.47, thermalResistanceKPerW: 6.5, heatCapacityJPerK: 16 },
};

/** Output torque per ampere [N·m/A]: the stall torque over the stall current. */
export function torqueConstantNmPerA(model: ServoElectrical): number {
  return model.stallTorqueNm / model.stallCurrentA;
}

/** Winding resistance [Ω]: at stall the whole supply voltage drives the stall current through it. */
export function windingResistanceOhm(model: ServoElectrical): number {
  return model.supplyV / model.stallCurrentA;
}
