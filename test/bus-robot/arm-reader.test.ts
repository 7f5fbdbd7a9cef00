/**
 * Calibration of a bus arm against the emulated chains: the raw angles follow the joints an operator
 * moves (torque off), and the new hard range lands in each servo's own limit registers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusArmReader } from '../../src/bus-robot/arm-reader.js';
import { servoLimits } from '../../src/bus-robot/bus-joints.js';
import { createBusDriver } from '../../src/bus-robot/drivers.js';
import { loadCalibration } from '../../src/calibration/load.js';
import { ticksFromRawRad } from '../../src/calibration/servo.js';
import { systemClock } from '../../src/core/clock.js';
import { ChainLink, chainFor } from './support.js';

for (const [name, limitRegisters] of [
  ['koch', ['minPositionLimit', 'maxPositionLimit']],
  ['so101', ['minAngleLimit', 'maxAngleLimit']],
] as const) {
  test(`${name}: raw angles follow the hand with torque off; the servos store the calibrated range`, async () => {
    const calibration = loadCalibration(name);
    const { chain, plant } = chainFor(calibration);
    const link = new ChainLink(chain);
    const reader = await BusArmReader.open(calibration, link, createBusDriver(calibration, link, systemClock), 'the test link');
    try {
      assert.deepEqual(
        reader.jointNames,
        calibration.joints.map((joint) => joint.name),
      );
      const seen: number[] = [];
      const remove = reader.onRead((raw) => seen.push(raw[1]));
      plant.setSensing(2, { positionRad: 0.7 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      remove();
      assert.ok(seen.length >= 2, `${seen.length} reads in 100 ms`);
      assert.ok(Math.abs(reader.rawRad[1] - 0.7) < 0.002, `raw ${reader.rawRad[1]}`);
      assert.ok(plant.actuations.filter((a) => a.actuation.torqueEnabled).length === 0, 'torque never went on');

      const lines = await reader.storeLimits(calibration);
      assert.equal(lines.length, calibration.joints.length);
      for (const [j, joint] of calibration.joints.entries()) {
        const id = joint.servo?.id ?? -1;
        const memory = chain.servo(id)?.memory;
        assert.ok(memory);
        const min = joint.limits.minPositionRad ?? Number.NaN;
        const max = joint.limits.maxPositionRad ?? Number.NaN;
        assert.equal(memory.get(limitRegisters[0]), ticksFromRawRad(min), `${joint.name} min`);
        assert.equal(memory.get(limitRegisters[1]), ticksFromRawRad(max), `${joint.name} max`);
        assert.equal(memory.get('returnDelayTime'), 0);
        assert.match(lines[j], new RegExp(`^${joint.name} \\(id ${id}\\): servo limits \\d+\\.\\.\\d+ ticks, return delay 0 µs$`));
      }
      if (name === 'so101') assert.equal(chain.servo(1)?.memory.get('lock'), 1, 'EEPROM locked again');
    } finally {
      await reader.close();
    }
  });
}

test('servo limits: a reversed joint swaps the ends; a range across the encoder seam and a continuous joint are refused in words', () => {
  const calibration = structuredClone(loadCalibration('so101'));
  calibration.joints[0].direction = -1;
  calibration.joints[1].offsetRad = 3; // raw range 1.25 .. 4.75 rad: beyond tick 4095
  calibration.joints[2].limits.minPositionRad = null;
  calibration.joints[2].limits.maxPositionRad = null;
  const [reversed, seam, continuous] = servoLimits(calibration);
  assert.deepEqual(reversed, { id: 1, joint: 'shoulder_pan', minTicks: ticksFromRawRad(-1.91986), maxTicks: ticksFromRawRad(1.91986) });
  assert.ok('reason' in seam && /across the encoder's 0\/4095 seam/.test(seam.reason), JSON.stringify(seam));
  assert.ok('reason' in continuous && /continuous joint/.test(continuous.reason));
});
