/**
 * The emulated Feetech STS chain: the vendor's example requests get the vendor's example responses
 * byte for byte; then the documented rules (Response Level, broadcast, absent ids, Lock, Reboot,
 * status bits and Unload Conditions, sign-magnitude present values, Torque Limit at start-up).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { feetech, IdealPlant, ticksToRad } from '../../src/servo-bus/index.js';
import { fromHex, packetNamed, readVectors, toHex } from './support.js';

const { FtChain, FtServo, STS3215, StatusBit } = feetech;
const vectors = readVectors('feetech-scs.json');

function chainOf(servos: { id: number; positionTicks?: number }[]) {
  const plant = new IdealPlant();
  for (const s of servos) plant.setSensing(s.id, { positionRad: ticksToRad(s.positionTicks ?? 2048) });
  const chain = new FtChain(
    servos.map((s) => new FtServo({ table: STS3215, id: s.id })),
    { plant },
  );
  return { chain, plant };
}

function send(chain: InstanceType<typeof FtChain>, packet: feetech.FtInstructionPacket, atMs = 0) {
  return chain.receive(feetech.encodeInstruction(packet), atMs).map((r) => {
    const decoded = feetech.decodeFrame(r.bytes);
    assert.ok(decoded.ok);
    return { id: decoded.packet.id, status: decoded.packet.code, params: toHex(decoded.packet.params), delayUs: r.delayUs };
  });
}

describe('Feetech emulator answers the protocol description examples', () => {
  for (const x of vectors.exchanges) {
    test(`${x.name} (${x.section})`, () => {
      const { chain } = chainOf(x.servos);
      const replies = chain.receive(fromHex(packetNamed(vectors, x.request).hex), 0);
      assert.deepEqual(
        replies.map((r) => toHex(r.bytes)),
        x.responses.map((name) => toHex(fromHex(packetNamed(vectors, name).hex))),
      );
      for (const a of x.after ?? []) assert.equal(chain.servo(a.id)?.memory.get(a.register), a.value, `${a.register} of id ${a.id}`);
    });
  }
});

describe('Feetech emulator rules', () => {
  test('no return delay on STS; absent ids and broadcasts unanswered, except Ping and Sync Read', () => {
    const { chain } = chainOf([{ id: 1 }, { id: 2 }]);
    assert.equal(send(chain, feetech.pingPacket(1))[0].delayUs, 0);
    assert.deepEqual(send(chain, feetech.pingPacket(7)), []);
    assert.deepEqual(send(chain, feetech.writePacket(254, 40, Uint8Array.of(1))), []);
    assert.equal(chain.servo(2)?.memory.get('torqueEnable'), 1, 'the broadcast write was executed');
    assert.deepEqual(
      send(chain, feetech.pingPacket(254)).map((r) => r.id),
      [1, 2],
    );
    assert.deepEqual(
      send(chain, feetech.syncReadPacket(5, 1, [2, 9, 1])).map((r) => `${r.id}:${r.params}`),
      ['2:02', '1:01'],
    );
  });

  test('Response Level 0 answers Read and Ping only', () => {
    const { chain } = chainOf([{ id: 1 }]);
    send(chain, feetech.writePacket(1, 8, Uint8Array.of(0)));
    assert.deepEqual(send(chain, feetech.writePacket(1, 41, Uint8Array.of(5))), []);
    assert.equal(chain.servo(1)?.memory.get('acceleration'), 5);
    assert.equal(send(chain, feetech.readPacket(1, 41, 1))[0].params, '05');
    assert.equal(send(chain, feetech.pingPacket(1)).length, 1);
  });

  test('Lock: EEPROM writes take effect at once and survive a restart only when Lock is 0', () => {
    const { chain } = chainOf([{ id: 1 }]);
    send(chain, feetech.writePacket(1, 13, Uint8Array.of(60)));
    assert.equal(chain.servo(1)?.memory.get('maxTemperature'), 60);
    send(chain, feetech.rebootPacket(1), 0);
    assert.equal(chain.servo(1)?.memory.get('maxTemperature'), 70, 'locked: lost at the restart');
    send(chain, feetech.writePacket(1, 55, Uint8Array.of(0)), 1000);
    send(chain, feetech.writePacket(1, 13, Uint8Array.of(60)), 1001);
    send(chain, feetech.rebootPacket(1), 1002);
    assert.equal(chain.servo(1)?.memory.get('maxTemperature'), 60, 'unlocked: saved');
    assert.equal(chain.servo(1)?.memory.get('lock'), 1, 'Lock is RAM and back to 1');
  });

  test('Reboot: no answer, deaf for about 800 ms', () => {
    const { chain } = chainOf([{ id: 1 }]);
    assert.deepEqual(send(chain, feetech.rebootPacket(1), 10), []);
    assert.deepEqual(send(chain, feetech.pingPacket(1), 809), []);
    assert.equal(send(chain, feetech.pingPacket(1), 810).length, 1);
  });

  test('read-only bytes are not written; Reg Write waits for Action', () => {
    const { chain } = chainOf([{ id: 1 }]);
    send(chain, feetech.writePacket(1, 56, Uint8Array.of(1, 2)));
    assert.equal(chain.servo(1)?.memory.get('presentPosition'), 2048);
    send(chain, feetech.regWritePacket(1, 41, Uint8Array.of(9)));
    assert.equal(chain.servo(1)?.memory.get('asyncWriteFlag'), 1);
    assert.equal(chain.servo(1)?.memory.get('acceleration'), 0);
    send(chain, feetech.actionPacket(254));
    assert.equal(chain.servo(1)?.memory.get('acceleration'), 9);
    assert.equal(chain.servo(1)?.memory.get('asyncWriteFlag'), 0);
  });

  test('status bits in every response; bits in Unload Conditions switch the torque off', () => {
    const { chain, plant } = chainOf([{ id: 1 }]);
    send(chain, feetech.writePacket(1, 40, Uint8Array.of(1)));
    plant.setSensing(1, { temperatureC: 75 });
    const [reply] = send(chain, feetech.readPacket(1, 65, 1));
    assert.equal(reply.status, StatusBit.OVERHEAT);
    assert.equal(reply.params, '04');
    assert.equal(chain.servo(1)?.memory.get('torqueEnable'), 0);
    chain.raiseStatus(1, StatusBit.ANGLE, 1);
    assert.equal(send(chain, feetech.pingPacket(1))[0].status, StatusBit.OVERHEAT | StatusBit.ANGLE);
  });

  test('present values are sign-magnitude; Torque Limit starts at Max Torque', () => {
    const plant = new IdealPlant();
    plant.setSensing(1, { positionRad: ticksToRad(1000), velocityRadS: -0.5, loadFraction: -0.25, currentA: 0.13 });
    const chain = new FtChain([new FtServo({ table: STS3215, id: 1, eeprom: { maxTorque: 500 } })], { plant });
    const [reply] = send(chain, feetech.readPacket(1, 56, 15));
    // position 1000; speed -0.5 rad/s over 0.732 rev/min = -6.52 -> -7 -> 7 | 0x8000; load -250 -> 250 | 0x400; current 130 mA / 6.5 = 20
    assert.equal(reply.params.slice(0, 12), 'e803' + '0780' + 'fa04');
    assert.equal(reply.params.slice(26, 30), '1400');
    assert.equal(chain.servo(1)?.memory.get('presentSpeed'), -7);
    assert.equal(chain.servo(1)?.memory.get('torqueLimit'), 500);
  });

  test('a goal outside Min/Max Angle Limit drives to the nearest limit (both 0: no limit)', () => {
    const { chain, plant } = chainOf([{ id: 1 }]);
    send(chain, feetech.writePacket(1, 11, Uint8Array.of(0xb8, 0x0b)));
    send(chain, feetech.writePacket(1, 40, Uint8Array.of(1)));
    send(chain, feetech.writePacket(1, 42, Uint8Array.of(0xa0, 0x0f)));
    assert.equal(chain.servo(1)?.memory.get('goalPosition'), 4000);
    assert.equal(chain.servo(1)?.memory.get('targetPosition'), 3000);
    assert.ok(Math.abs(plant.sense(1, 0).positionRad - ticksToRad(3000)) < 1e-12);
    send(chain, feetech.writePacket(1, 40, Uint8Array.of(0)));
    send(chain, feetech.writePacket(1, 9, Uint8Array.of(0, 0, 0, 0)));
    assert.equal(chain.servo(1)?.memory.get('targetPosition'), 4000);
  });
});
