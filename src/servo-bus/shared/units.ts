/**
 * Register counts <-> SI units, for both families. Sources:
 * - Position: 4096 counts per turn and 2048 at the centre for both families. Dynamixel: the
 *   XL430-W250 / XL330-M288 control tables give Goal/Present Position in pulses over "1 rotation
 *   (0 ~ 4,095)" (e-manual, Min/Max Position Limit), and the DynamixelSDK model files
 *   (`python/src/dynamixel_easy_sdk/control_table/xl430_w250.model`) give
 *   `value_of_zero_radian_position 2048`. Feetech: 0.087 deg per count (`sts_memory_table.md`, Goal
 *   Position) is 360 / 4096, and the middle position is 2048 (`scs_communication_protocol.md`,
 *   POSITION CALIBRATE; Torque Enable = 128).
 * - Dynamixel velocity: 0.229 rev/min per count; current: 1 mA per count (XL330); load: 0.1 % per
 *   count (XL430 Present Load); voltage: 0.1 V; temperature: 1 degC (e-manual control tables).
 * - Feetech velocity: 0.732 rev/min per count, or 0.0146 rev/min when bit 2 of Phase (address 18) is
 *   set; current: 6.5 mA per count; load: 0.1 % of PWM duty; voltage: 0.1 V; temperature: 1 degC
 *   (`sts_memory_table.md`).
 */

/** Counts per full turn of the output shaft (both families' 12-bit encoders). */
export const TICKS_PER_TURN = 4096;
/** Count at the middle of the range, taken as 0 rad. */
export const CENTER_TICKS = 2048;

const RAD_PER_TICK = (2 * Math.PI) / TICKS_PER_TURN;
const RAD_S_PER_RPM = (2 * Math.PI) / 60;

/** Position counts -> rad (2048 counts = 0 rad, counter-clockwise positive). */
export function ticksToRad(ticks: number): number {
  return (ticks - CENTER_TICKS) * RAD_PER_TICK;
}

/** rad -> nearest position count. */
export function radToTicks(rad: number): number {
  return Math.round(rad / RAD_PER_TICK) + CENTER_TICKS;
}

/** Dynamixel X velocity unit [rev/min per count] (Present Velocity, Goal Velocity, Profile Velocity). */
export const DYNAMIXEL_VELOCITY_RPM = 0.229;

/** Velocity counts -> rad/s for a unit of `rpmPerCount`. */
export function velocityToRadS(counts: number, rpmPerCount: number): number {
  return counts * rpmPerCount * RAD_S_PER_RPM;
}

/** rad/s -> nearest velocity count for a unit of `rpmPerCount`. */
export function radSToVelocity(radS: number, rpmPerCount: number): number {
  return Math.round(radS / (rpmPerCount * RAD_S_PER_RPM));
}

/** Feetech speed unit [rev/min per count] with Phase bit 2 clear. */
export const FEETECH_SPEED_RPM_COARSE = 0.732;
/** Feetech speed unit [rev/min per count] with Phase bit 2 set. */
export const FEETECH_SPEED_RPM_FINE = 0.0146;

/** The Feetech speed unit [rev/min per count] selected by the Phase register (address 18), bit 2. */
export function feetechSpeedUnitRpm(phase: number): number {
  return (phase & 0x04) !== 0 ? FEETECH_SPEED_RPM_FINE : FEETECH_SPEED_RPM_COARSE;
}

/** Current counts -> A for a unit of `mAPerCount` (XL330: 1, STS3215: 6.5). */
export function currentToA(counts: number, mAPerCount: number): number {
  return (counts * mAPerCount) / 1000;
}

/** A -> nearest current count for a unit of `mAPerCount`. */
export function aToCurrent(a: number, mAPerCount: number): number {
  return Math.round((a * 1000) / mAPerCount);
}

/** Load counts of 0.1 % -> fraction of the maximum (1000 counts = 1). */
export function loadToFraction(counts: number): number {
  return counts / 1000;
}

/** Fraction of the maximum -> nearest load count of 0.1 %. */
export function fractionToLoad(fraction: number): number {
  return Math.round(fraction * 1000);
}

/** Voltage counts of 0.1 V -> V. */
export function voltageToV(counts: number): number {
  return counts / 10;
}

/** V -> nearest voltage count of 0.1 V. */
export function vToVoltage(v: number): number {
  return Math.round(v * 10);
}

/** Temperature counts (1 degC) -> degC. */
export function temperatureToC(counts: number): number {
  return counts;
}

/** degC -> nearest temperature count. */
export function cToTemperature(c: number): number {
  return Math.round(c);
}
