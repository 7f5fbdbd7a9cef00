/**
 * Dynamixel Protocol 2.0 codec against the e-manual's example packets (both directions), the CRC
 * check value, and properties: decode(encode(p)) = p, byte stuffing round trips on adversarial
 * FF FF FD runs, and stuffed payloads never contain a header.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dynamixel } from '../../src/servo-bus/index.js';
import { fcParams, fromHex, packetNamed, readVectors, toHex } from './support.js';

const vectors = readVectors('dynamixel-protocol2.json');
const { crc16, decodeFrame, encodeInstruction, encodeStatus, stuff, unstuff, asStatus, decodeFastSyncStatus, encodeFastSyncStatus } =
  dynamixel;

describe('Dynamixel CRC-16', () => {
  test('check value of "123456789" is 0xFEE8 (CRC-16/UMTS)', () => {
    const crc = vectors['crc_check'] as { ascii: string; crc: number };
    assert.equal(crc16(new TextEncoder().encode(crc.ascii)), crc.crc);
    assert.equal(crc.crc, 0xfee8);
  });
});

describe('Dynamixel e-manual example packets', () => {
  for (const v of vectors.packets) {
    test(`${v.name} (${v.section})`, () => {
      const bytes = fromHex(v.hex);
      const decoded = decodeFrame(bytes);
      assert.ok(decoded.ok, `decodes: ${decoded.ok ? '' : decoded.error}`);
      assert.equal(decoded.packet.id, v.id);
      if (v.kind === 'instruction') {
        assert.equal(decoded.packet.instruction, v.instruction);
        assert.equal(toHex(decoded.packet.params), toHex(fromHex(v.params)));
        assert.equal(
          toHex(encodeInstruction({ id: v.id, instruction: v.instruction ?? -1, params: fromHex(v.params) })),
          toHex(bytes),
          'encodes to the same bytes',
        );
      } else {
        const status = asStatus(decoded.packet);
        assert.ok(status !== null);
        assert.equal(status.error, v.error);
        assert.equal(toHex(status.params), toHex(fromHex(v.params)));
        assert.equal(
          toHex(encodeStatus({ id: v.id, error: v.error ?? -1, params: fromHex(v.params) })),
          toHex(bytes),
          'encodes to the same bytes',
        );
      }
    });
  }

  test('builders produce the documented instruction packets', () => {
    const cases: [string, dynamixel.DxlInstructionPacket][] = [
      ['ping-id1', dynamixel.pingPacket(1)],
      ['ping-broadcast', dynamixel.pingPacket(254)],
      ['read-present-position', dynamixel.readPacket(1, 132, 4)],
      ['write-goal-position', dynamixel.writePacket(1, 116, Uint8Array.of(0x00, 0x02, 0x00, 0x00))],
      ['reg-write-goal-velocity', dynamixel.regWritePacket(1, 104, Uint8Array.of(200, 0, 0, 0))],
      ['action', dynamixel.actionPacket(1)],
      ['reboot', dynamixel.rebootPacket(1)],
      ['sync-read-present-position', dynamixel.syncReadPacket(132, 4, [1, 2])],
      ['fast-sync-read-present-position', dynamixel.fastSyncReadPacket(132, 4, [3, 7, 4])],
      ['sync-write-goal-position', dynamixel.syncWritePacket(116, 4, [1, 2], [Uint8Array.of(150, 0, 0, 0), Uint8Array.of(170, 0, 0, 0)])],
    ];
    for (const [name, packet] of cases)
      assert.equal(toHex(encodeInstruction(packet)), toHex(fromHex(packetNamed(vectors, name).hex)), name);
  });

  test('Fast Sync Read status packet: segments, inner CRCs, and encoding', () => {
    const f = vectors['fast_sync_read_status'] as {
      hex: string;
      data_length: number;
      segments: { id: number; error: number; data: string }[];
    };
    const bytes = fromHex(f.hex);
    const decoded = decodeFrame(bytes);
    assert.ok(decoded.ok);
    assert.equal(decoded.packet.id, 254);
    const segments = decodeFastSyncStatus(decoded.packet.params, f.data_length);
    assert.ok(segments !== null);
    assert.deepEqual(
      segments.map((s) => ({ id: s.id, error: s.error, data: toHex(s.data) })),
      f.segments,
    );
    const encoded = encodeFastSyncStatus(
      f.segments.map((s) => ({ id: s.id, error: s.error, data: fromHex(s.data) })),
      f.data_length,
    );
    assert.equal(toHex(encoded), toHex(bytes));
    const tampered = decoded.packet.params.slice();
    tampered[6] ^= 1;
    assert.equal(decodeFastSyncStatus(tampered, f.data_length), null, 'a wrong inner CRC is refused');
  });

  test('the documented errata really are wrong (so they are not vectors)', () => {
    for (const e of vectors['errata'] as { hex?: string }[]) {
      if (e.hex === undefined) continue;
      const decoded = decodeFrame(fromHex(e.hex));
      assert.deepEqual(decoded, { ok: false, error: 'crc' });
    }
  });

  test('decodeFrame names what is wrong', () => {
    const good = fromHex(packetNamed(vectors, 'ping-id1').hex);
    assert.deepEqual(decodeFrame(good.subarray(0, 8)), { ok: false, error: 'short' });
    const badHeader = good.slice();
    badHeader[2] = 0xfe;
    assert.deepEqual(decodeFrame(badHeader), { ok: false, error: 'header' });
    assert.deepEqual(decodeFrame(Uint8Array.of(...good, 0)), { ok: false, error: 'length' });
    const badCrc = good.slice();
    badCrc[8] ^= 0xff;
    assert.deepEqual(decodeFrame(badCrc), { ok: false, error: 'crc' });
  });
});

/** Payload bytes biased towards FF and FD, so that header patterns are common. */
const adversarialBytes = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc
    .array(fc.oneof(fc.constant(0xff), fc.constant(0xfd), fc.constant(0x00), fc.integer({ min: 0, max: 255 })), { maxLength })
    .map((a) => Uint8Array.from(a));

describe('Dynamixel codec properties', () => {
  test('byte stuffing round trips, and a stuffed payload holds no FF FF FD that is not followed by FD', () => {
    fc.assert(
      fc.property(adversarialBytes(64), (payload) => {
        const stuffed = stuff(payload);
        assert.equal(toHex(unstuff(stuffed)), toHex(payload));
        for (let i = 0; i + 2 < stuffed.length; i++) {
          if (stuffed[i] === 0xff && stuffed[i + 1] === 0xff && stuffed[i + 2] === 0xfd)
            assert.equal(stuffed[i + 3], 0xfd, `unstuffed header at ${i} in ${toHex(stuffed)}`);
        }
      }),
      fcParams(2000),
    );
  });

  test('decode(encode(p)) = p for instruction and status packets, stuffing included', () => {
    const id = fc.integer({ min: 0, max: 252 });
    fc.assert(
      fc.property(
        fc.oneof(id, fc.constant(254)),
        fc.integer({ min: 0, max: 255 }).filter((i) => i !== 0x55),
        adversarialBytes(80),
        (pid, instruction, params) => {
          const bytes = encodeInstruction({ id: pid, instruction, params });
          const decoded = decodeFrame(bytes);
          assert.ok(decoded.ok);
          assert.deepEqual({ ...decoded.packet, params: toHex(decoded.packet.params) }, { id: pid, instruction, params: toHex(params) });
        },
      ),
      fcParams(1000),
    );
    fc.assert(
      fc.property(id, fc.integer({ min: 0, max: 255 }), adversarialBytes(80), (sid, error, params) => {
        const decoded = decodeFrame(encodeStatus({ id: sid, error, params }));
        assert.ok(decoded.ok);
        const status = asStatus(decoded.packet);
        assert.ok(status !== null);
        assert.deepEqual({ id: status.id, error: status.error, params: toHex(status.params) }, { id: sid, error, params: toHex(params) });
      }),
      fcParams(1000),
    );
  });

  test('ids outside 0..252 (and 254 for instructions) are refused when encoding', () => {
    assert.throws(() => encodeInstruction({ id: 253, instruction: 1, params: new Uint8Array(0) }), RangeError);
    assert.throws(() => encodeStatus({ id: 254, error: 0, params: new Uint8Array(0) }), RangeError);
  });
});

describe('Dynamixel status error words', () => {
  test('error numbers, alert bit and hardware error bits', () => {
    assert.deepEqual(dynamixel.decodeStatusError(0x00), { errorNumber: 0, errorName: '', alert: false });
    assert.deepEqual(dynamixel.decodeStatusError(0x87), { errorNumber: 7, errorName: 'access error', alert: true });
    assert.deepEqual(dynamixel.decodeStatusError(0x04), { errorNumber: 4, errorName: 'data range error', alert: false });
    assert.equal(dynamixel.decodeStatusError(0x06).errorName, 'data limit error');
    assert.equal(dynamixel.decodeStatusError(0x03).errorName, 'CRC error');
    assert.equal(dynamixel.decodeStatusError(0x09).errorName, 'unknown error 9');
    assert.deepEqual(dynamixel.decodeHardwareError(0x35), ['input voltage', 'overheating', 'electrical shock', 'overload']);
    assert.deepEqual(dynamixel.decodeHardwareError(0x08), ['motor encoder']);
  });
});
