/** CRC-32C and COBS: known answers and properties. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CRC32C_INIT,
  cobsDecode,
  cobsEncode,
  cobsMaxEncodedLength,
  crc32c,
  crc32cFinish,
  crc32cUpdate,
  crc32cUpdateU32,
} from '../../src/protocol/index.js';
import { fcParams, fromHex, toHex } from './support.js';

const params = fcParams(500);
const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('CRC-32C', () => {
  test('check value of "123456789" is 0xE3069283', () => {
    assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  });

  test('known answers', () => {
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // 32 zero bytes (RFC 3720 B.4)
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // 32 bytes of 0xFF (RFC 3720 B.4)
  });

  test('feeding in pieces equals feeding at once; a u32 counts as four little-endian bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), fc.integer({ min: 0, max: 0xffffffff }), (bytes, cut, value) => {
        const at = Math.min(cut, bytes.length);
        const pieces = crc32cUpdate(crc32cUpdate(CRC32C_INIT, bytes, 0, at), bytes, at);
        assert.equal(crc32cFinish(pieces), crc32c(bytes));
        const le = Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
        assert.equal(crc32cUpdateU32(pieces, value), crc32cUpdate(pieces, le));
      }),
      params,
    );
  });
});

describe('COBS', () => {
  const known: [string, string][] = [
    ['', '01'],
    ['00', '0101'],
    ['0000', '010101'],
    ['001100', '01021101'],
    ['11220033', '0311220233'],
    ['11223344', '0511223344'],
    ['11000000', '0211010101'],
    [toHex(Uint8Array.from(range(1, 254))), 'ff' + toHex(Uint8Array.from(range(1, 254)))],
    ['00' + toHex(Uint8Array.from(range(1, 254))), '01ff' + toHex(Uint8Array.from(range(1, 254)))],
    [toHex(Uint8Array.from(range(1, 255))), 'ff' + toHex(Uint8Array.from(range(1, 254))) + '02ff'],
    [toHex(Uint8Array.from([...range(2, 255), 0])), 'ff' + toHex(Uint8Array.from(range(2, 255))) + '0101'],
    [toHex(Uint8Array.from([...range(3, 255), 0, 1])), 'fe' + toHex(Uint8Array.from(range(3, 255))) + '0201'],
  ];
  for (const [plain, encoded] of known) {
    test(`encode ${plain.slice(0, 12) || '(empty)'}${plain.length > 12 ? '…' : ''} (${plain.length / 2} bytes)`, () => {
      assert.equal(toHex(cobsEncode(fromHex(plain))), encoded);
      assert.equal(toHex(cobsDecode(fromHex(encoded)) ?? Uint8Array.of()), plain);
    });
  }

  test('round trip, no zero byte, bounded overhead', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        const encoded = cobsEncode(bytes);
        assert.equal(encoded.indexOf(0), -1);
        assert.ok(encoded.length <= cobsMaxEncodedLength(bytes.length));
        assert.deepStrictEqual(cobsDecode(encoded), bytes);
      }),
      params,
    );
  });

  test('decoder: rejects a zero inside and a block past the end; accepts an empty block after a full one', () => {
    assert.equal(cobsDecode(fromHex('031100')), null);
    assert.equal(cobsDecode(fromHex('051122')), null);
    const full = Uint8Array.from(range(1, 254));
    assert.deepStrictEqual(cobsDecode(fromHex('ff' + toHex(full) + '01')), full);
  });
});
