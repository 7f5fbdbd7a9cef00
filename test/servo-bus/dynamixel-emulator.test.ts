/**
 * The emulated Dynamixel chain: the e-manual's example requests must get the e-manual's example
 * responses byte for byte, and the documented rules must hold (status return level, broadcast,
 * absent ids, EEPROM lock, range / limit / length / access errors, Sync Read order, Fast Sync Read,
 * Reg Write / Action, Reboot, hardware error alert, Bus Watchdog, byte-to-byte time, CRC error).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dynamixel, IdealPlant, ticksToRad, type ControlTable } from '../../src/servo-bus/index.js';
import { fromHex, packetNamed, readVectors, toHex } from './support.js';

const { DxlChain, DxlServo, XL430_W250, XL330_M288, ErrorNumber, HardwareError } = dynamixel;
const vectors = readVectors('dynamixel-protocol2.json');

/**
 * The e-manual's examples use an XM430-W210 (model 1030, firmware 38): the registers they touch have
 * the same address, size and unit as on the XL430-W250, so its table with that model number stands in.
 */
const XM430_AS_IN_EXAMPLES: ControlTable = {
  ...XL430_W250,
  model: 'XM430-W210 (e-manual examples)',
  modelNumber: 1030,
  registers: { ...XL430_W250.registers, modelNumber: { ...XL430_W250.registers['modelNumber'], initial: 1030 } },
};

function chainOf(servos: { id: number; positionTicks?: number }[], table: ControlTable = XM430_AS_IN_EXAMPLES) {
  const plant = new IdealPlant();
  for (const s of servos) plant.setSensing(s.id, { positionRad: ticksToRad(s.positionTicks ?? 2048) });
  const chain = new DxlChain(
    servos.map((s) => new DxlServo({ table, id: s.id, firmwareVersion: 38 })),
    { plant },
  );
  return { chain, plant };
}

function send(chain: InstanceType<typeof DxlChain>, packet: dynamixel.DxlInstructionPacket, atMs = 0) {
  return chain.receive(dynamixel.encodeInstruction(packet), atMs);
}

/** The status packets of `replies`, decoded. */
function statuses(replies: { bytes: Uint8Array }[]) {
  return replies.map((r) => {
    const decoded = dynamixel.decodeFrame(r.bytes);
    assert.ok(decoded.ok);
    const status = dynamixel.asStatus(decoded.packet);
    assert.ok(status !== null);
    return { id: status.id, error: status.error, params: toHex(status.params) };
  });
}

describe('Dynamixel emulator answers the e-manual examples', () => {
  for (const x of vectors.exchanges) {
    test(`${x.name} (${x.section})`, () => {
      const { chain } = chainOf(x.servos);
      let t = 0;
      for (const name of x.before ?? []) chain.receive(fromHex(packetNamed(vectors, name).hex), (t += 10));
      const replies = chain.receive(fromHex(packetNamed(vectors, x.request).hex), (t += 10));
      const expected = x.responses.map((name) =>
        name === '@fast_sync_read_status' ? (vectors['fast_sync_read_status'] as { hex: string }).hex : packetNamed(vectors, name).hex,
      );
      assert.deepEqual(
        replies.map((r) => toHex(r.bytes)),
        expected.map((h) => toHex(fromHex(h))),
      );
      for (const a of x.after ?? []) assert.equal(chain.servo(a.id)?.memory.get(a.register), a.value, `${a.register} of id ${a.id}`);
    });
  }
});

describe('Dynamixel emulator rules', () => {
  test('return delay: 2 us per count, 500 us by default', () => {
    const { chain } = chainOf([{ id: 1 }]);
    assert.equal(send(chain, dynamixel.pingPacket(1))[0].delayUs, 500);
    send(chain, dynamixel.writePacket(1, 9, Uint8Array.of(0)), 1);
    assert.equal(send(chain, dynamixel.pingPacket(1), 2)[0].delayUs, 0);
  });

  test('absent ids are unanswered; broadcast write is executed without answer; broadcast read is not executed', () => {
    const { chain } = chainOf([{ id: 1 }, { id: 2 }]);
    assert.deepEqual(send(chain, dynamixel.pingPacket(9)), []);
    assert.deepEqual(send(chain, dynamixel.writePacket(254, 65, Uint8Array.of(1))), []);
    assert.equal(chain.servo(1)?.memory.get('led'), 1);
    assert.equal(chain.servo(2)?.memory.get('led'), 1);
    assert.deepEqual(send(chain, dynamixel.readPacket(254, 65, 1)), []);
  });

  test('status return level 0 answers only Ping, 1 also reads, 2 everything', () => {
    const { chain } = chainOf([{ id: 1 }]);
    const answers = () => ({
      ping: send(chain, dynamixel.pingPacket(1)).length,
      read: send(chain, dynamixel.readPacket(1, 65, 1)).length,
      syncRead: send(chain, dynamixel.syncReadPacket(65, 1, [1])).length,
      write: send(chain, dynamixel.writePacket(1, 65, Uint8Array.of(0))).length,
    });
    assert.deepEqual(answers(), { ping: 1, read: 1, syncRead: 1, write: 1 });
    send(chain, dynamixel.writePacket(1, 68, Uint8Array.of(1)));
    assert.deepEqual(answers(), { ping: 1, read: 1, syncRead: 1, write: 0 });
    send(chain, dynamixel.writePacket(1, 68, Uint8Array.of(0)));
    assert.deepEqual(answers(), { ping: 1, read: 0, syncRead: 0, write: 0 });
  });

  test('EEPROM is locked while torque is on (Access Error), writable again with torque off', () => {
    const { chain } = chainOf([{ id: 1 }]);
    send(chain, dynamixel.writePacket(1, 64, Uint8Array.of(1)));
    assert.deepEqual(statuses(send(chain, dynamixel.writePacket(1, 9, Uint8Array.of(10)))), [
      { id: 1, error: ErrorNumber.ACCESS, params: '' },
    ]);
    assert.equal(chain.servo(1)?.memory.get('returnDelayTime'), 250);
    send(chain, dynamixel.writePacket(1, 64, Uint8Array.of(0)));
    assert.deepEqual(statuses(send(chain, dynamixel.writePacket(1, 9, Uint8Array.of(10)))), [{ id: 1, error: 0, params: '' }]);
    assert.equal(chain.servo(1)?.memory.get('returnDelayTime'), 10);
  });

  test('range, limit, length and access errors; nothing is stored on error', () => {
    const { chain } = chainOf([{ id: 1 }]);
    const errorOf = (address: number, data: number[]) =>
      statuses(send(chain, dynamixel.writePacket(1, address, Uint8Array.from(data))))[0].error;
    assert.equal(errorOf(64, [2]), ErrorNumber.DATA_RANGE, 'Torque Enable 2');
    assert.equal(errorOf(11, [2]), ErrorNumber.DATA_RANGE, 'Operating Mode 2 is not a mode of the XL430');
    assert.equal(errorOf(116, [0x00, 0x10, 0, 0]), ErrorNumber.DATA_LIMIT, 'Goal Position 4096 > Max Position Limit 4095');
    assert.equal(errorOf(104, [0x0a, 0x01, 0, 0]), ErrorNumber.DATA_LIMIT, 'Goal Velocity 266 > Velocity Limit 265');
    assert.equal(errorOf(104, [0xf6, 0xfe, 0xff, 0xff]), ErrorNumber.DATA_LIMIT, 'Goal Velocity -266 < -Velocity Limit');
    assert.equal(errorOf(104, [0xf7, 0xfe, 0xff, 0xff]), 0, 'Goal Velocity -265 is within');
    assert.equal(errorOf(116, [0x00, 0x02]), ErrorNumber.DATA_LENGTH, 'two bytes of a four-byte register');
    assert.equal(errorOf(132, [0, 0, 0, 0]), ErrorNumber.ACCESS, 'Present Position is read-only');
    assert.equal(errorOf(14, [0]), ErrorNumber.ACCESS, 'address 14 is no register');
    assert.equal(errorOf(661, [0, 0]), ErrorNumber.ACCESS, 'beyond the table');
    assert.equal(chain.servo(1)?.memory.get('torqueEnable'), 0);
    send(chain, dynamixel.writePacket(1, 52, Uint8Array.of(0x00, 0x04, 0, 0)));
    assert.equal(errorOf(116, [0xff, 0x03, 0, 0]), ErrorNumber.DATA_LIMIT, 'Goal Position 1023 < Min Position Limit 1024');
    send(chain, dynamixel.writePacket(1, 11, Uint8Array.of(4)));
    assert.equal(errorOf(116, [0xff, 0x03, 0, 0]), 0, 'extended position mode ignores the position limits');
    const read = statuses(send(chain, dynamixel.readPacket(1, 660, 4)));
    assert.deepEqual(read, [{ id: 1, error: ErrorNumber.ACCESS, params: '' }], 'a read beyond the table: Access Error without data');
  });

  test('changing the operating mode resets the profile and Goal PWM', () => {
    const { chain } = chainOf([{ id: 1 }]);
    send(chain, dynamixel.writePacket(1, 112, Uint8Array.of(100, 0, 0, 0)));
    send(chain, dynamixel.writePacket(1, 100, Uint8Array.of(10, 0)));
    send(chain, dynamixel.writePacket(1, 11, Uint8Array.of(1)));
    const servo = chain.servo(1);
    assert.equal(servo?.memory.get('profileVelocity'), 0);
    assert.equal(servo?.memory.get('goalPwm'), 885);
  });

  test('Sync Read answers in the order of the list; servos after an absent id still answer', () => {
    const { chain } = chainOf([
      { id: 1, positionTicks: 100 },
      { id: 2, positionTicks: 200 },
      { id: 3, positionTicks: 300 },
    ]);
    const replies = statuses(send(chain, dynamixel.syncReadPacket(132, 4, [3, 9, 1])));
    assert.deepEqual(
      replies.map((r) => r.id),
      [3, 1],
    );
    assert.deepEqual(
      replies.map((r) => r.params),
      ['2c010000', '64000000'],
    );
  });

  test('Fast Sync Read stops at an absent id: the packet stays incomplete', () => {
    const { chain } = chainOf([{ id: 1 }, { id: 2 }]);
    const [reply] = send(chain, dynamixel.fastSyncReadPacket(132, 4, [1, 5, 2]));
    assert.equal(reply.id, 254);
    const announced = reply.bytes[5] | (reply.bytes[6] << 8);
    assert.equal(announced, 1 + 3 * 8);
    assert.equal(reply.bytes.length, 7 + 1 + 8, 'only the first servo part');
    assert.deepEqual(send(chain, dynamixel.fastSyncReadPacket(132, 4, [5, 1])), [], 'nobody starts the packet');
  });

  test('Reg Write waits for Action; Action without Reg Write is an Instruction Error; unknown instructions too', () => {
    const { chain } = chainOf([{ id: 1 }]);
    assert.equal(statuses(send(chain, dynamixel.actionPacket(1)))[0].error, ErrorNumber.INSTRUCTION);
    send(chain, dynamixel.regWritePacket(1, 65, Uint8Array.of(1)));
    assert.equal(chain.servo(1)?.memory.get('led'), 0);
    assert.deepEqual(send(chain, dynamixel.actionPacket(254)), [], 'broadcast Action: no answer');
    assert.equal(chain.servo(1)?.memory.get('led'), 1);
    assert.equal(statuses(send(chain, { id: 1, instruction: 0x7e, params: new Uint8Array(0) }))[0].error, ErrorNumber.INSTRUCTION);
  });

  test('hardware error: Alert bit on every status, torque off when the bit is in Shutdown, only Reboot clears it', () => {
    const { chain, plant } = chainOf([{ id: 1 }]);
    send(chain, dynamixel.writePacket(1, 64, Uint8Array.of(1)));
    chain.raiseHardwareError(1, HardwareError.OVERLOAD, 1);
    const servo = chain.servo(1);
    assert.equal(servo?.memory.get('torqueEnable'), 0);
    assert.equal(plant.actuations[plant.actuations.length - 1].actuation.torqueEnabled, false);
    const [ping] = statuses(send(chain, dynamixel.pingPacket(1), 2));
    assert.equal(ping.error, 0x80);
    send(chain, dynamixel.writePacket(1, 64, Uint8Array.of(1)), 3);
    assert.equal(servo?.memory.get('torqueEnable'), 0, 'torque cannot come back before a reboot');
    assert.deepEqual(statuses(send(chain, dynamixel.readPacket(1, 70, 1), 4)), [{ id: 1, error: 0x80, params: '20' }]);
    assert.equal(statuses(send(chain, dynamixel.rebootPacket(1), 5))[0].error, 0x80, 'the reboot answer still has the alert');
    assert.deepEqual(statuses(send(chain, dynamixel.readPacket(1, 70, 1), 6)), [{ id: 1, error: 0, params: '00' }]);
  });

  test('overheating and input voltage come from the plant', () => {
    const { chain, plant } = chainOf([{ id: 1 }], XL330_M288);
    plant.setSensing(1, { temperatureC: 71 });
    assert.deepEqual(statuses(send(chain, dynamixel.readPacket(1, 70, 1))), [{ id: 1, error: 0x80, params: '04' }]);
    plant.setSensing(1, { inputVoltageV: 7.2 });
    assert.deepEqual(statuses(send(chain, dynamixel.readPacket(1, 70, 1))), [{ id: 1, error: 0x80, params: '05' }]);
  });

  test('present values: position with Homing Offset, velocity in 0.229 rev/min, XL330 current in mA, XL430 load in 0.1 %', () => {
    const { chain: c330, plant: p330 } = chainOf([{ id: 1 }], XL330_M288);
    p330.setSensing(1, { positionRad: Math.PI / 2, velocityRadS: -1, currentA: 0.25 });
    send(c330, dynamixel.writePacket(1, 20, Uint8Array.of(10, 0, 0, 0)));
    const values = statuses(send(c330, dynamixel.readPacket(1, 126, 10)))[0].params;
    assert.equal(
      values,
      'fa00' + 'd6ffffff' + '0a0c0000',
      'current 250 mA, velocity -42 (-1 rad/s over 0.0239809 rad/s), position 3072 + 10',
    );
    const { chain: c430, plant: p430 } = chainOf([{ id: 1 }], XL430_W250);
    p430.setSensing(1, { loadFraction: -0.5 });
    assert.equal(statuses(send(c430, dynamixel.readPacket(1, 126, 2)))[0].params, '0cfe', 'load -500');
  });

  test('Goal Position reaches the plant within the position limits, with torque state and profile', () => {
    const { chain, plant } = chainOf([{ id: 1 }]);
    send(chain, dynamixel.writePacket(1, 48, Uint8Array.of(0x00, 0x0c, 0, 0)));
    send(chain, dynamixel.writePacket(1, 64, Uint8Array.of(1)));
    send(chain, dynamixel.writePacket(1, 116, Uint8Array.of(0x00, 0x0c, 0, 0)));
    const last = plant.actuations[plant.actuations.length - 1].actuation;
    assert.equal(last.torqueEnabled, true);
    assert.ok(Math.abs(last.goalPositionRad - Math.PI / 2) < 1e-12);
    assert.ok(Math.abs(last.maxPositionRad - Math.PI / 2) < 1e-12);
    assert.ok(Math.abs(last.minPositionRad + Math.PI) < 1e-12);
    assert.equal(plant.sense(1, 0).positionRad, last.goalPositionRad);
  });

  test('a unicast packet with a bad CRC is answered with a CRC Error', () => {
    const { chain } = chainOf([{ id: 1 }]);
    const bytes = dynamixel.encodeInstruction(dynamixel.readPacket(1, 132, 4));
    bytes[bytes.length - 1] ^= 0x01;
    assert.deepEqual(statuses(chain.receive(bytes, 0)), [{ id: 1, error: ErrorNumber.CRC, params: '' }]);
  });

  test('byte-to-byte time: a pause over 1.5 ms inside a packet drops it', () => {
    const { chain } = chainOf([{ id: 1 }]);
    const ping = dynamixel.encodeInstruction(dynamixel.pingPacket(1));
    assert.deepEqual(chain.receive(ping.subarray(0, 5), 10), []);
    assert.equal(chain.receive(ping.subarray(5), 11.4).length, 1, 'a 1.4 ms pause is fine');
    assert.deepEqual(chain.receive(ping.subarray(0, 5), 20), []);
    assert.deepEqual(chain.receive(ping.subarray(5), 21.6), [], 'a 1.6 ms pause drops the packet');
    assert.equal(chain.parserStats.drops.flushed, 1);
  });

  test('Bus Watchdog: silence longer than its period stops the servo, goals turn read-only until it is cleared', () => {
    const { chain, plant } = chainOf([{ id: 1, positionTicks: 1000 }]);
    send(chain, dynamixel.writePacket(1, 64, Uint8Array.of(1)), 0);
    send(chain, dynamixel.writePacket(1, 98, Uint8Array.of(5)), 1);
    send(chain, dynamixel.writePacket(1, 116, Uint8Array.of(0x00, 0x08, 0, 0)), 2);
    plant.setSensing(1, { positionRad: ticksToRad(1500) });
    chain.elapse(101);
    assert.equal(chain.servo(1)?.memory.get('busWatchdog'), 5, '99 ms of silence is within 5 x 20 ms');
    chain.elapse(103);
    assert.equal(chain.servo(1)?.memory.get('busWatchdog'), -1);
    assert.ok(
      Math.abs(plant.actuations[plant.actuations.length - 1].actuation.goalPositionRad - ticksToRad(1500)) < 1e-12,
      'stops where it is',
    );
    assert.equal(statuses(send(chain, dynamixel.writePacket(1, 116, Uint8Array.of(0, 4, 0, 0)), 104))[0].error, ErrorNumber.DATA_RANGE);
    send(chain, dynamixel.writePacket(1, 98, Uint8Array.of(0)), 105);
    assert.equal(statuses(send(chain, dynamixel.writePacket(1, 116, Uint8Array.of(0, 4, 0, 0)), 106))[0].error, 0);
  });

  test('a write that changes the ID is answered from the old id; the servo then answers to the new one', () => {
    const { chain } = chainOf([{ id: 1 }]);
    assert.deepEqual(statuses(send(chain, dynamixel.writePacket(1, 7, Uint8Array.of(9)))), [{ id: 1, error: 0, params: '' }]);
    assert.deepEqual(send(chain, dynamixel.pingPacket(1)), []);
    assert.equal(statuses(send(chain, dynamixel.pingPacket(9)))[0].id, 9);
  });

  test('Reboot restores RAM defaults and keeps EEPROM', () => {
    const { chain } = chainOf([{ id: 1 }]);
    send(chain, dynamixel.writePacket(1, 9, Uint8Array.of(3)));
    send(chain, dynamixel.writePacket(1, 65, Uint8Array.of(1)));
    send(chain, dynamixel.rebootPacket(1));
    assert.equal(chain.servo(1)?.memory.get('led'), 0);
    assert.equal(chain.servo(1)?.memory.get('returnDelayTime'), 3);
  });
});
