/**
 * Control table of the STS3215 (the SO-100 / SO-101 servo), from the vendor's STS memory table
 * (vassar-robotics/feetech-servo-sdk, `docs/reference/memory_tables/sts_memory_table.md`) and SDK
 * (`scservo_sdk/sms_sts.py`: addresses; `protocol_packet_handler.py`, `ping`: the model number is
 * the 2-byte word at address 3). Model number 777 (0x0309, bytes 09 03 at addresses 3 and 4): the
 * STS3215 entry of LeRobot's Feetech tables (`MODEL_NUMBER_TABLE`).
 *
 * Byte order little endian (Endianness register, address 2: 0). Sign-magnitude registers (direction
 * in one bit, `sts_memory_table.md`): Goal Position, Goal Speed, Present Position, Present Speed and
 * Target Position in bit 15; Present Load and Goal Time / PWM Speed in bit 10. Position Offset (31) is
 * listed as "complex encoding"; it is sign-magnitude in bit 11 as LeRobot writes it
 * (`STS_SMS_SERIES_ENCODINGS_TABLE`, "Homing_Offset": 11).
 *
 * The vendor's table leaves some initial values open ("-"); an emulator must start from something,
 * so those rows carry `documented: false` and these chosen values:
 * - Firmware Major/Minor Version 3 / 10 (POSITION CALIBRATE needs STS >= 3.10);
 * - Max Voltage 140 (14.0 V: above both the 7.4 V and the 12 V STS3215 supplies);
 * - Phase 0 (speed unit 0.732 rev/min, as the vendor's STS examples count speed);
 * - Unload Conditions 44 and LED Alarm Conditions 47 (temperature, current and overload unload;
 *   voltage and angle sensor only alarm);
 * - Position P/D Gain 32, Minimum Starting Force 16, Speed P/I Gain 10;
 * - Goal Speed 0 ("0 defaults to the maximum speed").
 * The Factory Parameters (80-86) are not modelled and read as 0.
 */
import type { ControlTable } from '../shared/control-table.js';
import { signMagnitude } from '../shared/encoding.js';
import { byName, row } from '../shared/table-builder.js';

const SM15 = { encoding: signMagnitude(15) };
const SM10 = { encoding: signMagnitude(10) };
const OPEN = { documented: false };

/** STS3215 (model number 777). */
export const STS3215: ControlTable = {
  model: 'STS3215',
  modelNumber: 777,
  endianness: 'little',
  memorySize: 87,
  registers: byName([
    row('firmwareMajorVersion', 'Firmware Major Version', 0, 1, 'R', 'eeprom', 3, '', OPEN),
    row('firmwareMinorVersion', 'Firmware Minor Version', 1, 1, 'R', 'eeprom', 10, '', OPEN),
    row('endianness', 'Endianness', 2, 1, 'R', 'eeprom', 0, ''),
    row('modelNumber', 'Servo Major/Minor Version (model number)', 3, 2, 'R', 'eeprom', 777, ''),
    row('id', 'ID', 5, 1, 'RW', 'eeprom', 1, '', { min: 0, max: 253 }),
    row('baudRate', 'Baud Rate', 6, 1, 'RW', 'eeprom', 0, '', { min: 0, max: 7 }),
    row('returnDelayTime', 'Return Delay Time', 7, 1, 'RW', 'eeprom', 0, '2 us', { min: 0, max: 253 }),
    row('responseLevel', 'Response Level', 8, 1, 'RW', 'eeprom', 1, '', { min: 0, max: 1 }),
    row('minAngleLimit', 'Min Angle Limit', 9, 2, 'RW', 'eeprom', 0, '0.087 deg', { min: 0, max: 4094 }),
    row('maxAngleLimit', 'Max Angle Limit', 11, 2, 'RW', 'eeprom', 4095, '0.087 deg', { min: 1, max: 4095 }),
    row('maxTemperature', 'Max Temperature', 13, 1, 'RW', 'eeprom', 70, '1 degC', { min: 0, max: 100 }),
    row('maxVoltage', 'Max Voltage', 14, 1, 'RW', 'eeprom', 140, '0.1 V', { ...OPEN, min: 0, max: 254 }),
    row('minVoltage', 'Min Voltage', 15, 1, 'RW', 'eeprom', 40, '0.1 V', { min: 0, max: 254 }),
    row('maxTorque', 'Max Torque', 16, 2, 'RW', 'eeprom', 1000, '0.1 %', { min: 0, max: 1000 }),
    row('phase', 'Phase', 18, 1, 'RW', 'eeprom', 0, '', { ...OPEN, min: 0, max: 254 }),
    row('unloadConditions', 'Unload Conditions', 19, 1, 'RW', 'eeprom', 44, '', { ...OPEN, min: 0, max: 254 }),
    row('ledAlarmConditions', 'LED Alarm Conditions', 20, 1, 'RW', 'eeprom', 47, '', { ...OPEN, min: 0, max: 254 }),
    row('positionPGain', 'Position P Gain', 21, 1, 'RW', 'eeprom', 32, '', { ...OPEN, min: 0, max: 254 }),
    row('positionDGain', 'Position D Gain', 22, 1, 'RW', 'eeprom', 32, '', { ...OPEN, min: 0, max: 254 }),
    row('positionIGain', 'Position I Gain', 23, 1, 'RW', 'eeprom', 0, '', { min: 0, max: 254 }),
    row('minStartingForce', 'Min Starting Force', 24, 1, 'RW', 'eeprom', 16, '0.1 %', { ...OPEN, min: 0, max: 254 }),
    row('integralLimit', 'Integral Limit', 25, 1, 'RW', 'eeprom', 0, '', { min: 0, max: 254 }),
    row('cwDeadZone', 'CW Dead Zone', 26, 1, 'RW', 'eeprom', 1, '0.087 deg', { min: 0, max: 16 }),
    row('ccwDeadZone', 'CCW Dead Zone', 27, 1, 'RW', 'eeprom', 1, '0.087 deg', { min: 0, max: 16 }),
    row('protectionCurrent', 'Protection Current', 28, 2, 'RW', 'eeprom', 511, '6.5 mA', { min: 0, max: 2047 }),
    row('angleResolution', 'Angle Resolution', 30, 1, 'RW', 'eeprom', 1, '', { min: 1, max: 128 }),
    row('positionOffset', 'Position Offset', 31, 2, 'RW', 'eeprom', 0, '0.087 deg', { encoding: signMagnitude(11), min: -2047, max: 2047 }),
    row('operatingMode', 'Operating Mode', 33, 1, 'RW', 'eeprom', 0, '', { min: 0, max: 3 }),
    row('holdingTorque', 'Holding Torque', 34, 1, 'RW', 'eeprom', 20, '1 %', { min: 0, max: 254 }),
    row('protectionTime', 'Protection Time', 35, 1, 'RW', 'eeprom', 200, '10 ms', { min: 0, max: 254 }),
    row('overloadTorque', 'Overload Torque', 36, 1, 'RW', 'eeprom', 80, '1 %', { min: 0, max: 254 }),
    row('speedPGain', 'Speed P Gain', 37, 1, 'RW', 'eeprom', 10, '', { ...OPEN, min: 0, max: 254 }),
    row('overcurrentTime', 'Overcurrent Time', 38, 1, 'RW', 'eeprom', 200, '10 ms', { min: 0, max: 254 }),
    row('speedIGain', 'Speed I Gain', 39, 1, 'RW', 'eeprom', 10, '', { ...OPEN, min: 0, max: 254 }),
    row('torqueEnable', 'Torque Enable', 40, 1, 'RW', 'ram', 0, '', { allowed: [0, 1, 2, 128] }),
    row('acceleration', 'Acceleration', 41, 1, 'RW', 'ram', 0, '8.7 deg/s^2', { min: 0, max: 254 }),
    row('goalPosition', 'Goal Position', 42, 2, 'RW', 'ram', 0, '0.087 deg', { ...SM15, min: -32_767, max: 32_767 }),
    row('goalTime', 'Goal Time (PWM Speed in PWM mode)', 44, 2, 'RW', 'ram', 1000, '0.1 %', { ...SM10 }),
    row('goalSpeed', 'Goal Speed', 46, 2, 'RW', 'ram', 0, 'Phase bit 2: 0.732 or 0.0146 rev/min', {
      ...SM15,
      ...OPEN,
      min: -32_767,
      max: 32_767,
    }),
    row('torqueLimit', 'Torque Limit', 48, 2, 'RW', 'ram', 1000, '0.1 %', { min: 0, max: 1000 }),
    row('lock', 'Lock', 55, 1, 'RW', 'ram', 1, '', { min: 0, max: 1 }),
    row('presentPosition', 'Present Position', 56, 2, 'R', 'ram', 0, '0.087 deg', { ...SM15, ...OPEN }),
    row('presentSpeed', 'Present Speed', 58, 2, 'R', 'ram', 0, 'Phase bit 2: 0.732 or 0.0146 rev/min', { ...SM15, ...OPEN }),
    row('presentLoad', 'Present Load', 60, 2, 'R', 'ram', 0, '0.1 %', { ...SM10, ...OPEN }),
    row('presentVoltage', 'Present Voltage', 62, 1, 'R', 'ram', 0, '0.1 V', OPEN),
    row('presentTemperature', 'Present Temperature', 63, 1, 'R', 'ram', 0, '1 degC', OPEN),
    row('asyncWriteFlag', 'Async Write Flag', 64, 1, 'R', 'ram', 0, ''),
    row('status', 'Status', 65, 1, 'R', 'ram', 0, ''),
    row('moving', 'Moving Flag', 66, 1, 'R', 'ram', 0, ''),
    row('targetPosition', 'Target Position', 67, 2, 'R', 'ram', 0, '0.087 deg', SM15),
    row('presentCurrent', 'Present Current', 69, 2, 'R', 'ram', 0, '6.5 mA', OPEN),
  ]),
};
