import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBusFaultCommand, parseScheduledBusFault } from '../../src/bus-sim/faults.js';
import {
  AMBIENT_C,
  SERVO_ELECTRICAL,
  SOURCE_RESISTANCE_OHM,
  torqueConstantNmPerA,
  windingResistanceOhm,
} from '../../src/bus-sim/servo-models.js';
import { inputVoltageV, ServoTelemetry } from '../../src/bus-sim/telemetry.js';

describe('wear telemetry model', () => {
  test('current follows the output torque through the datasheet torque constant', () => {
    const sts = SERVO_ELECTRICAL.sts3215;
    assert.ok(Math.abs(torqueConstantNmPerA(sts) - 1.91 / 2.7) < 1e-12);
    const servo = new ServoTelemetry(sts);
    servo.update(sts.stallTorqueNm, 0.002);
    assert.ok(Math.abs(servo.currentA - 2.7) < 1e-9, `stall current ${servo.currentA}`);
    assert.equal(servo.loadFraction, 1);
    servo.update(-0.39, 0.002);
    assert.ok(servo.currentA < -0.5 && servo.currentA > -0.6, `elbow at rest draws ${servo.currentA} A`);
    assert.ok(Math.abs(servo.loadFraction + 0.39 / 1.91) < 1e-12);
    servo.update(-5, 0.002);
    assert.equal(servo.loadFraction, -1, 'load saturates at the stall torque');
  });

  test('temperature: first order toward ambient + I²R·R_th, with time constant R_th·C', () => {
    for (const model of Object.values(SERVO_ELECTRICAL)) {
      const servo = new ServoTelemetry(model);
      assert.equal(servo.temperatureC, AMBIENT_C);
      const tau = model.thermalResistanceKPerW * model.heatCapacityJPerK;
      const steadyRise = model.stallCurrentA ** 2 * windingResistanceOhm(model) * model.thermalResistanceKPerW;
      // A stall held for one time constant, in 2 ms steps: 63 % of the way to the steady rise.
      for (let t = 0; t < tau; t += 0.002) servo.update(model.stallTorqueNm, 0.002);
      const rise = servo.temperatureC - AMBIENT_C;
      assert.ok(Math.abs(rise / steadyRise - (1 - Math.exp(-1))) < 0.01, `rise ${rise} of ${steadyRise}`);
      // A held stall overheats every model past its default limit (70-72 degC), as real servos do.
      assert.ok(AMBIENT_C + steadyRise > 72, `steady stall temperature ${AMBIENT_C + steadyRise}`);
      // Unloaded, it cools back toward ambient.
      for (let t = 0; t < 5 * tau; t += 0.1) servo.update(0, 0.1);
      assert.ok(servo.temperatureC - AMBIENT_C < 0.01 * steadyRise);
    }
  });

  test('input voltage sags by the total current times the source resistance', () => {
    const xl330 = SERVO_ELECTRICAL['xl330-m288'];
    const servos = [new ServoTelemetry(xl330), new ServoTelemetry(xl330)];
    assert.equal(inputVoltageV(5, servos), 5);
    servos[0].update(0.26, 0.002);
    servos[1].update(-0.26, 0.002);
    const drawn = 2 * (0.26 / torqueConstantNmPerA(xl330));
    assert.ok(Math.abs(inputVoltageV(5, servos) - (5 - drawn * SOURCE_RESISTANCE_OHM)) < 1e-12);
  });
});

describe('bus fault requests', () => {
  test('scheduled: KIND@SECONDS[:ARG], ids for silent, overheat and reboot, seconds otherwise', () => {
    assert.deepEqual(parseScheduledBusFault('silent@3:4'), { kind: 'silent', amount: 4, atS: 3 });
    assert.deepEqual(parseScheduledBusFault('corrupt@0.5'), { kind: 'corrupt', amount: 1, atS: 0.5 });
    assert.deepEqual(parseScheduledBusFault('unplug@2:0.25'), { kind: 'unplug', amount: 0.25, atS: 2 });
    assert.throws(() => parseScheduledBusFault('overheat@2'), /needs a servo id, e.g. overheat@3:2/);
    assert.throws(() => parseScheduledBusFault('reboot@2:1.5'), /needs a servo id/);
    assert.throws(() => parseScheduledBusFault('melt@3'), /unknown bus fault 'melt' \(kinds: silent, corrupt, overheat, unplug, reboot;/);
    assert.throws(() => parseScheduledBusFault('silent'), /must look like KIND@SECONDS\[:ARG\]/);
  });

  test('commands from stdin: KIND [ARG]', () => {
    assert.deepEqual(parseBusFaultCommand(' reboot 2 '), { kind: 'reboot', amount: 2 });
    assert.deepEqual(parseBusFaultCommand('corrupt 0.3'), { kind: 'corrupt', amount: 0.3 });
    assert.throws(() => parseBusFaultCommand('unplug -1'), /is not a number of seconds >= 0/);
    assert.throws(() => parseBusFaultCommand('silent 1 2'), /must be KIND \[ARG\]/);
  });
});
