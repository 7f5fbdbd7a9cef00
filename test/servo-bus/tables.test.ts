/**
 * Control tables and conversions: addresses and sizes against the vendors' SDK tables, no overlaps,
 * encodings (sign-magnitude as the Feetech SDK does it), and unit conversions with their sources.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeSignMagnitude,
  dynamixel,
  encodeRegister,
  encodeSignMagnitude,
  feetech,
  registersByAddress,
  decodeRegister,
  spanOf,
  ticksToRad,
  radToTicks,
  velocityToRadS,
  feetechSpeedUnitRpm,
  currentToA,
  loadToFraction,
  voltageToV,
  DYNAMIXEL_VELOCITY_RPM,
  type ControlTable,
} from '../../src/servo-bus/index.js';
import { fcParams, toHex } from './support.js';

/** (address, size) of registers in DynamixelSDK `python/src/dynamixel_easy_sdk/control_table/xl430_w250.model` / `xl330_m288.model`. */
const SDK_X_SERIES: Record<string, [number, number]> = {
  modelNumber: [0, 2],
  modelInformation: [2, 4],
  firmwareVersion: [6, 1],
  id: [7, 1],
  baudRate: [8, 1],
  returnDelayTime: [9, 1],
  driveMode: [10, 1],
  operatingMode: [11, 1],
  secondaryId: [12, 1],
  protocolType: [13, 1],
  homingOffset: [20, 4],
  movingThreshold: [24, 4],
  temperatureLimit: [31, 1],
  maxVoltageLimit: [32, 2],
  minVoltageLimit: [34, 2],
  pwmLimit: [36, 2],
  velocityLimit: [44, 4],
  maxPositionLimit: [48, 4],
  minPositionLimit: [52, 4],
  shutdown: [63, 1],
  torqueEnable: [64, 1],
  led: [65, 1],
  statusReturnLevel: [68, 1],
  registeredInstruction: [69, 1],
  hardwareErrorStatus: [70, 1],
  velocityIGain: [76, 2],
  velocityPGain: [78, 2],
  positionDGain: [80, 2],
  positionIGain: [82, 2],
  positionPGain: [84, 2],
  feedforward2ndGain: [88, 2],
  feedforward1stGain: [90, 2],
  busWatchdog: [98, 1],
  goalPwm: [100, 2],
  goalVelocity: [104, 4],
  profileAcceleration: [108, 4],
  profileVelocity: [112, 4],
  goalPosition: [116, 4],
  realtimeTick: [120, 2],
  moving: [122, 1],
  movingStatus: [123, 1],
  presentPwm: [124, 2],
  presentVelocity: [128, 4],
  presentPosition: [132, 4],
  velocityTrajectory: [136, 4],
  positionTrajectory: [140, 4],
  presentInputVoltage: [144, 2],
  presentTemperature: [146, 1],
};

/** Addresses in the Feetech SDK `scservo_sdk/sms_sts.py` (SMS_STS_*_L) and sizes from its byte pairs. */
const SDK_STS: Record<string, [number, number]> = {
  modelNumber: [3, 2],
  id: [5, 1],
  baudRate: [6, 1],
  minAngleLimit: [9, 2],
  maxAngleLimit: [11, 2],
  cwDeadZone: [26, 1],
  ccwDeadZone: [27, 1],
  positionOffset: [31, 2],
  operatingMode: [33, 1],
  torqueEnable: [40, 1],
  acceleration: [41, 1],
  goalPosition: [42, 2],
  goalTime: [44, 2],
  goalSpeed: [46, 2],
  lock: [55, 1],
  presentPosition: [56, 2],
  presentSpeed: [58, 2],
  presentLoad: [60, 2],
  presentVoltage: [62, 1],
  presentTemperature: [63, 1],
  moving: [66, 1],
  presentCurrent: [69, 2],
};

function checkTable(table: ControlTable, sdk: Record<string, [number, number]>) {
  for (const [name, [address, size]] of Object.entries(sdk)) {
    const spec = table.registers[name];
    assert.ok(spec !== undefined, `${table.model} has ${name}`);
    assert.deepEqual([spec.address, spec.size], [address, size], `${table.model} ${name}`);
  }
  const sorted = registersByAddress(table);
  for (let i = 1; i < sorted.length; i++)
    assert.ok(sorted[i - 1].address + sorted[i - 1].size <= sorted[i].address, `${sorted[i - 1].name} overlaps ${sorted[i].name}`);
  for (const spec of sorted) {
    assert.equal(
      decodeRegister(table, spec, encodeRegister(table, spec, spec.initial), spec.address),
      spec.initial,
      `${spec.name} initial value fits`,
    );
  }
}

describe('control tables', () => {
  test('XL430-W250 and XL330-M288 match DynamixelSDK addresses and sizes; model numbers 1060 and 1200', () => {
    checkTable(dynamixel.XL430_W250, { ...SDK_X_SERIES, presentLoad: [126, 2] });
    checkTable(dynamixel.XL330_M288, {
      ...SDK_X_SERIES,
      currentLimit: [38, 2],
      pwmSlope: [62, 1],
      goalCurrent: [102, 2],
      presentCurrent: [126, 2],
    });
    assert.equal(dynamixel.XL430_W250.registers['modelNumber'].initial, 1060);
    assert.equal(dynamixel.XL330_M288.registers['modelNumber'].initial, 1200);
    assert.equal(dynamixel.XL430_W250.registers['busWatchdog'].unit, '20 ms');
  });

  test('STS3215 matches the Feetech SDK addresses; model number 777 is bytes 09 03 at address 3', () => {
    checkTable(feetech.STS3215, SDK_STS);
    const spec = feetech.STS3215.registers['modelNumber'];
    assert.equal(toHex(encodeRegister(feetech.STS3215, spec, spec.initial)), '0903');
  });

  test('span of the tick registers', () => {
    assert.deepEqual(spanOf(dynamixel.XL330_M288, ['presentCurrent', 'presentTemperature']), { address: 126, length: 21 });
    assert.deepEqual(spanOf(feetech.STS3215, ['presentPosition', 'presentCurrent']), { address: 56, length: 15 });
  });
});

describe('encodings', () => {
  test('sign-magnitude as the Feetech SDK (scs_toscs / scs_tohost)', () => {
    assert.equal(encodeSignMagnitude(-40, 15), 0x8028);
    assert.equal(decodeSignMagnitude(0x8028, 15), -40);
    assert.equal(encodeSignMagnitude(-250, 10), 0x04fa);
    assert.equal(decodeSignMagnitude(0x8000, 15), 0, 'the sign bit alone decodes to 0');
    assert.throws(() => encodeSignMagnitude(2048, 11), RangeError);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), fc.integer(), (bit, raw) => {
        const max = 2 ** bit - 1;
        const value = (raw % (max + 1)) + 0;
        assert.equal(decodeSignMagnitude(encodeSignMagnitude(value, bit), bit), value);
      }),
      fcParams(500),
    );
  });

  test("Dynamixel registers are little-endian two's complement; Feetech goals sign-magnitude", () => {
    const goal = dynamixel.XL430_W250.registers['goalVelocity'];
    assert.equal(toHex(encodeRegister(dynamixel.XL430_W250, goal, -265)), 'f7feffff');
    const speed = feetech.STS3215.registers['goalSpeed'];
    assert.equal(toHex(encodeRegister(feetech.STS3215, speed, -1000)), 'e883');
    assert.throws(() => encodeRegister(dynamixel.XL430_W250, dynamixel.XL430_W250.registers['id'], 256), RangeError);
  });
});

describe('units', () => {
  test('4096 counts per turn, 2048 at 0 rad, both families', () => {
    assert.equal(ticksToRad(2048), 0);
    assert.equal(ticksToRad(3072), Math.PI / 2);
    assert.equal(radToTicks(-Math.PI), 0);
    fc.assert(
      fc.property(fc.integer({ min: -1_048_575, max: 1_048_575 }), (t) => assert.equal(radToTicks(ticksToRad(t)), t)),
      fcParams(500),
    );
  });

  test('velocity, current, load, voltage', () => {
    assert.ok(Math.abs(velocityToRadS(1, DYNAMIXEL_VELOCITY_RPM) - 0.0239808) < 1e-6, '0.229 rev/min');
    assert.equal(feetechSpeedUnitRpm(0), 0.732);
    assert.equal(feetechSpeedUnitRpm(0x04), 0.0146);
    assert.equal(currentToA(20, 6.5), 0.13);
    assert.equal(loadToFraction(-500), -0.5);
    assert.equal(voltageToV(74), 7.4);
  });
});
