/**
 * Control tables of the Koch v1.1's servos, row by row from the ROBOTIS e-manual (source files of
 * ROBOTIS-GIT/emanual in parentheses):
 * - XL430-W250: https://emanual.robotis.com/docs/en/dxl/x/xl430-w250/ (`docs/en/dxl/x/xl430-w250.md`);
 * - XL330-M288: https://emanual.robotis.com/docs/en/dxl/x/xl330-m288/ (`docs/en/dxl/x/xl330-m288.md`);
 * cross-checked against DynamixelSDK `python/src/dynamixel_easy_sdk/control_table/xl430_w250.model`
 * and `xl330_m288.model` (addresses and sizes) and `dynamixel.model` (model numbers 1060 and 1200).
 *
 * Signed registers are two's complement (Homing Offset, Bus Watchdog, goals, present values): the
 * e-manual gives them negative ranges; Bus Watchdog reads -1 after its error.
 *
 * Initial values the e-manual leaves open ("-") and that an emulator must start from anyway are
 * marked `documented: false`:
 * - Model Information, Firmware Version: 0 here; the emulator takes the firmware version as an option;
 * - Goal PWM: PWM Limit (885), the value Goal PWM is reset to when the Operating Mode changes
 *   (e-manual, Operating Mode note);
 * - Goal Current (XL330): Current Limit (1,750), by analogy with Goal PWM;
 * - Goal Velocity: 0; Goal Position: the emulator sets it to Present Position at power-on;
 * - present values, Realtime Tick, Backup Ready: 0 until the emulator samples its plant.
 * Indirect Address / Indirect Data are not listed (not modelled); their addresses read as 0.
 */
import type { ControlTable } from '../shared/control-table.js';
import { TWOS_COMPLEMENT } from '../shared/encoding.js';
import { byName, row } from '../shared/table-builder.js';

const S = { encoding: TWOS_COMPLEMENT };
const OPEN = { documented: false };

/** Rows shared by both models (same address, size, access, unit); per-model values are parameters. */
function xSeriesRows(m: {
  modelNumber: number;
  baudMax: number;
  driveModeMax: number;
  operatingModes: readonly number[];
  protocolTypeRange: readonly [number, number];
  temperatureLimit: number;
  voltage: { max: number; min: number; rangeMin: number; rangeMax: number };
  velocityLimit: { initial: number; max: number };
  shutdown: number;
  gains: { velocityI: number; velocityP: number; positionD: number; positionP: number };
}) {
  return [
    row('modelNumber', 'Model Number', 0, 2, 'R', 'eeprom', m.modelNumber, ''),
    row('modelInformation', 'Model Information', 2, 4, 'R', 'eeprom', 0, '', OPEN),
    row('firmwareVersion', 'Firmware Version', 6, 1, 'R', 'eeprom', 0, '', OPEN),
    row('id', 'ID', 7, 1, 'RW', 'eeprom', 1, '', { min: 0, max: 252 }),
    row('baudRate', 'Baud Rate', 8, 1, 'RW', 'eeprom', 1, '', { min: 0, max: m.baudMax }),
    row('returnDelayTime', 'Return Delay Time', 9, 1, 'RW', 'eeprom', 250, '2 us', { min: 0, max: 254 }),
    row('driveMode', 'Drive Mode', 10, 1, 'RW', 'eeprom', 0, '', { min: 0, max: m.driveModeMax }),
    row('operatingMode', 'Operating Mode', 11, 1, 'RW', 'eeprom', 3, '', { min: 0, max: 16, allowed: m.operatingModes }),
    row('secondaryId', 'Secondary(Shadow) ID', 12, 1, 'RW', 'eeprom', 255, '', { min: 0, max: 252 }),
    row('protocolType', 'Protocol Type', 13, 1, 'RW', 'eeprom', 2, '', { min: m.protocolTypeRange[0], max: m.protocolTypeRange[1] }),
    row('homingOffset', 'Homing Offset', 20, 4, 'RW', 'eeprom', 0, '1 pulse', { ...S, min: -1_044_479, max: 1_044_479 }),
    row('movingThreshold', 'Moving Threshold', 24, 4, 'RW', 'eeprom', 10, '0.229 rev/min', { min: 0, max: 1023 }),
    row('temperatureLimit', 'Temperature Limit', 31, 1, 'RW', 'eeprom', m.temperatureLimit, '1 degC', { min: 0, max: 100 }),
    row('maxVoltageLimit', 'Max Voltage Limit', 32, 2, 'RW', 'eeprom', m.voltage.max, '0.1 V', {
      min: m.voltage.rangeMin,
      max: m.voltage.rangeMax,
    }),
    row('minVoltageLimit', 'Min Voltage Limit', 34, 2, 'RW', 'eeprom', m.voltage.min, '0.1 V', {
      min: m.voltage.rangeMin,
      max: m.voltage.rangeMax,
    }),
    row('pwmLimit', 'PWM Limit', 36, 2, 'RW', 'eeprom', 885, '0.113 %', { min: 0, max: 885 }),
    row('velocityLimit', 'Velocity Limit', 44, 4, 'RW', 'eeprom', m.velocityLimit.initial, '0.229 rev/min', {
      min: 0,
      max: m.velocityLimit.max,
    }),
    row('maxPositionLimit', 'Max Position Limit', 48, 4, 'RW', 'eeprom', 4095, '1 pulse', { min: 0, max: 4095 }),
    row('minPositionLimit', 'Min Position Limit', 52, 4, 'RW', 'eeprom', 0, '1 pulse', { min: 0, max: 4095 }),
    row('startupConfiguration', 'Startup Configuration', 60, 1, 'RW', 'eeprom', 0, '', { min: 0, max: 3 }),
    row('shutdown', 'Shutdown', 63, 1, 'RW', 'eeprom', m.shutdown, ''),
    row('torqueEnable', 'Torque Enable', 64, 1, 'RW', 'ram', 0, '', { min: 0, max: 1 }),
    row('led', 'LED', 65, 1, 'RW', 'ram', 0, '', { min: 0, max: 1 }),
    row('statusReturnLevel', 'Status Return Level', 68, 1, 'RW', 'ram', 2, '', { min: 0, max: 2 }),
    row('registeredInstruction', 'Registered Instruction', 69, 1, 'R', 'ram', 0, ''),
    row('hardwareErrorStatus', 'Hardware Error Status', 70, 1, 'R', 'ram', 0, ''),
    row('velocityIGain', 'Velocity I Gain', 76, 2, 'RW', 'ram', m.gains.velocityI, '', { min: 0, max: 16_383 }),
    row('velocityPGain', 'Velocity P Gain', 78, 2, 'RW', 'ram', m.gains.velocityP, '', { min: 0, max: 16_383 }),
    row('positionDGain', 'Position D Gain', 80, 2, 'RW', 'ram', m.gains.positionD, '', { min: 0, max: 16_383 }),
    row('positionIGain', 'Position I Gain', 82, 2, 'RW', 'ram', 0, '', { min: 0, max: 16_383 }),
    row('positionPGain', 'Position P Gain', 84, 2, 'RW', 'ram', m.gains.positionP, '', { min: 0, max: 16_383 }),
    row('feedforward2ndGain', 'Feedforward 2nd Gain', 88, 2, 'RW', 'ram', 0, '', { min: 0, max: 16_383 }),
    row('feedforward1stGain', 'Feedforward 1st Gain', 90, 2, 'RW', 'ram', 0, '', { min: 0, max: 16_383 }),
    row('busWatchdog', 'Bus Watchdog', 98, 1, 'RW', 'ram', 0, '20 ms', { ...S, min: 0, max: 127 }),
    row('goalPwm', 'Goal PWM', 100, 2, 'RW', 'ram', 885, '0.113 %', { ...S, ...OPEN, limitedBy: { symmetric: 'pwmLimit' } }),
    row('goalVelocity', 'Goal Velocity', 104, 4, 'RW', 'ram', 0, '0.229 rev/min', {
      ...S,
      ...OPEN,
      limitedBy: { symmetric: 'velocityLimit' },
    }),
    row('profileAcceleration', 'Profile Acceleration', 108, 4, 'RW', 'ram', 0, '214.577 rev/min^2 (or 1 ms)', { min: 0, max: 32_767 }),
    row('profileVelocity', 'Profile Velocity', 112, 4, 'RW', 'ram', 0, '0.229 rev/min', { min: 0, max: 32_767 }),
    row('goalPosition', 'Goal Position', 116, 4, 'RW', 'ram', 0, '1 pulse', {
      ...S,
      ...OPEN,
      min: -1_048_575,
      max: 1_048_575,
      limitedBy: { min: 'minPositionLimit', max: 'maxPositionLimit' },
    }),
    row('realtimeTick', 'Realtime Tick', 120, 2, 'R', 'ram', 0, '1 ms', OPEN),
    row('moving', 'Moving', 122, 1, 'R', 'ram', 0, ''),
    row('movingStatus', 'Moving Status', 123, 1, 'R', 'ram', 0, ''),
    row('presentPwm', 'Present PWM', 124, 2, 'R', 'ram', 0, '0.113 %', { ...S, ...OPEN }),
    row('presentVelocity', 'Present Velocity', 128, 4, 'R', 'ram', 0, '0.229 rev/min', { ...S, ...OPEN }),
    row('presentPosition', 'Present Position', 132, 4, 'R', 'ram', 0, '1 pulse', { ...S, ...OPEN }),
    row('velocityTrajectory', 'Velocity Trajectory', 136, 4, 'R', 'ram', 0, '0.229 rev/min', { ...S, ...OPEN }),
    row('positionTrajectory', 'Position Trajectory', 140, 4, 'R', 'ram', 0, '1 pulse', { ...S, ...OPEN }),
    row('presentInputVoltage', 'Present Input Voltage', 144, 2, 'R', 'ram', 0, '0.1 V', OPEN),
    row('presentTemperature', 'Present Temperature', 146, 1, 'R', 'ram', 0, '1 degC', OPEN),
    row('backupReady', 'Backup Ready', 147, 1, 'R', 'ram', 0, '', OPEN),
  ];
}

/** XL430-W250 (model number 1060): Present Load (126) in 0.1 %, no current sensing. */
export const XL430_W250: ControlTable = {
  model: 'XL430-W250',
  modelNumber: 1060,
  endianness: 'little',
  memorySize: 662,
  registers: byName([
    ...xSeriesRows({
      modelNumber: 1060,
      baudMax: 7,
      driveModeMax: 13,
      operatingModes: [1, 3, 4, 16],
      protocolTypeRange: [1, 2],
      temperatureLimit: 72,
      voltage: { max: 140, min: 60, rangeMin: 60, rangeMax: 140 },
      velocityLimit: { initial: 265, max: 1023 },
      shutdown: 52,
      gains: { velocityI: 1000, velocityP: 100, positionD: 4000, positionP: 640 },
    }),
    row('presentLoad', 'Present Load', 126, 2, 'R', 'ram', 0, '0.1 %', { ...S, ...OPEN, min: -1000, max: 1000 }),
  ]),
};

/** XL330-M288 (model number 1200): Current Limit (38), Goal Current (102), Present Current (126) in mA. */
export const XL330_M288: ControlTable = {
  model: 'XL330-M288',
  modelNumber: 1200,
  endianness: 'little',
  memorySize: 228,
  registers: byName([
    ...xSeriesRows({
      modelNumber: 1200,
      baudMax: 6,
      driveModeMax: 5,
      operatingModes: [0, 1, 3, 4, 5, 16],
      protocolTypeRange: [2, 22],
      temperatureLimit: 70,
      voltage: { max: 70, min: 35, rangeMin: 31, rangeMax: 70 },
      velocityLimit: { initial: 445, max: 2047 },
      shutdown: 53,
      gains: { velocityI: 1600, velocityP: 180, positionD: 0, positionP: 400 },
    }),
    row('currentLimit', 'Current Limit', 38, 2, 'RW', 'eeprom', 1750, '1 mA', { min: 0, max: 1750 }),
    row('pwmSlope', 'PWM Slope', 62, 1, 'RW', 'eeprom', 140, '1.977 mV/ms', { min: 1, max: 255 }),
    row('goalCurrent', 'Goal Current', 102, 2, 'RW', 'ram', 1750, '1 mA', { ...S, ...OPEN, limitedBy: { symmetric: 'currentLimit' } }),
    row('presentCurrent', 'Present Current', 126, 2, 'R', 'ram', 0, '1 mA', { ...S, ...OPEN }),
  ]),
};

/** Dynamixel models by model number. */
export const DYNAMIXEL_MODELS: ReadonlyMap<number, ControlTable> = new Map([
  [XL430_W250.modelNumber, XL430_W250],
  [XL330_M288.modelNumber, XL330_M288],
]);
