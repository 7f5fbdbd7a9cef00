/**
 * Feetech SCS/STS codec against the vendor protocol description's example packets (both directions)
 * and decode(encode(p)) = p.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { feetech } from '../../src/servo-bus/index.js';
import { fcParams, fromHex, packetNamed, readVectors, toHex } from './support.js';

const vectors = readVectors('feetech-scs.json');

describe('Feetech protocol description example packets', () => {
  for (const v of vectors.packets) {
    test(`${v.name} (${v.section})`, () => {
      const bytes = fromHex(v.hex);
      const decoded = feetech.decodeFrame(bytes);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
      assert.deepEqual(
        { id: decoded.packet.id, code: decoded.packet.code, params: toHex(decoded.packet.params) },
        { id: v.id, code: v.code, params: toHex(fromHex(v.params)) },
      );
      const encoded =
        v.kind === 'instruction'
          ? feetech.encodeInstruction({ id: v.id, instruction: v.code ?? -1, params: fromHex(v.params) })
          : feetech.encodeStatus({ id: v.id, error: v.code ?? -1, params: fromHex(v.params) });
      assert.equal(toHex(encoded), toHex(bytes));
    });
  }

  test('builders produce the documented instruction packets', () => {
    const goal = Uint8Array.of(0x00, 0x08, 0x00, 0x00, 0xe8, 0x03);
    const cases: [string, feetech.FtInstructionPacket][] = [
      ['ping-id1', feetech.pingPacket(1)],
      ['read-present-position', feetech.readPacket(1, 0x38, 2)],
      ['write-goal', feetech.writePacket(1, 0x2a, Uint8Array.of(0x00, 0x08, 0x00, 0x00, 0xe8, 0x03))],
      ['action-broadcast', feetech.actionPacket(254)],
      ['sync-write-4', feetech.syncWritePacket(0x2a, 6, [1, 2, 3, 4], [goal, goal, goal, goal])],
    ];
    for (const [name, packet] of cases)
      assert.equal(toHex(feetech.encodeInstruction(packet)), toHex(fromHex(packetNamed(vectors, name).hex)), name);
  });

  test('checksum: NOT of the low byte of the sum from id to the last parameter', () => {
    assert.equal(feetech.feetechChecksum(Uint8Array.of(0x01, 0x04, 0x00, 0x18, 0x05)), 0xdd);
    assert.equal(feetech.feetechChecksum(Uint8Array.of(0xfe, 0x02, 0x05)), 0xfa, 'sum 0x105: only the low byte counts');
  });

  test('decode(encode(p)) = p; status bytes above 0x7F and bad ids are refused when encoding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 253 }),
        fc.integer({ min: 0, max: 127 }),
        fc.uint8Array({ maxLength: 200 }),
        (id, error, params) => {
          const decoded = feetech.decodeFrame(feetech.encodeStatus({ id, error, params }));
          assert.ok(decoded.ok);
          assert.deepEqual({ ...decoded.packet, params: toHex(decoded.packet.params) }, { id, code: error, params: toHex(params) });
        },
      ),
      fcParams(1000),
    );
    assert.throws(() => feetech.encodeStatus({ id: 1, error: 0x80, params: new Uint8Array(0) }), RangeError);
    assert.throws(() => feetech.encodeInstruction({ id: 255, instruction: 1, params: new Uint8Array(0) }), RangeError);
    assert.throws(() => feetech.encodeInstruction({ id: 1, instruction: 3, params: new Uint8Array(249) }), RangeError);
  });

  test('status byte in words', () => {
    assert.deepEqual(feetech.decodeFeetechStatus(0x2d), ['voltage', 'overheat', 'overcurrent', 'overload']);
    assert.deepEqual(feetech.decodeFeetechStatus(0x02), ['angle sensor']);
  });
});
