/**
 * Properties of the codec over arbitrary valid messages: decode ∘ encode = id for packets and frames,
 * any split of a stream into chunks gives the same messages, reused decoding gives the same values,
 * and the encoder refuses what a receiver would reject.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EncodeError,
  FrameDecoder,
  MAX_FRAME_LEN,
  MAX_PACKET_LEN,
  MessageType,
  PacketDecoder,
  cobsDecode,
  decodePacket,
  encodeFrame,
  encodeFrameInto,
  encodePacket,
  encodePacketInto,
  type JointStateMessage,
  type Message,
} from '../../src/protocol/index.js';
import { arbitraryMessage, arbitrarySeq } from './arbitraries.js';
import { fcParams } from './support.js';

const params = fcParams(500);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

describe('round trip', () => {
  test('decodePacket(encodePacket(m, seq)) = (m, seq)', () => {
    fc.assert(
      fc.property(arbitraryMessage, arbitrarySeq, (message, seq) => {
        const packet = encodePacket(message, seq);
        assert.ok(packet.length <= MAX_PACKET_LEN);
        assert.deepStrictEqual(decodePacket(packet), { ok: true, message, seq });
      }),
      params,
    );
  });

  test('a frame is COBS(packet) ‖ 0x00 and decodes to the message', () => {
    fc.assert(
      fc.property(arbitraryMessage, arbitrarySeq, (message, seq) => {
        const frame = encodeFrame(message, seq);
        assert.ok(frame.length <= MAX_FRAME_LEN);
        assert.equal(frame[frame.length - 1], 0);
        assert.equal(frame.indexOf(0), frame.length - 1, 'no zero byte before the delimiter');
        assert.deepStrictEqual(cobsDecode(frame.subarray(0, -1)), encodePacket(message, seq));
        const got: [Message, number][] = [];
        new FrameDecoder((m, s) => got.push([m, s])).push(frame);
        assert.deepStrictEqual(got, [[message, seq]]);
      }),
      params,
    );
  });

  test('the ...Into forms write the same bytes at an offset', () => {
    const out = new Uint8Array(MAX_FRAME_LEN + 10);
    fc.assert(
      fc.property(arbitraryMessage, arbitrarySeq, fc.integer({ min: 0, max: 9 }), (message, seq, offset) => {
        const packetLen = encodePacketInto(message, seq, out, offset);
        assert.deepStrictEqual(out.slice(offset, offset + packetLen), encodePacket(message, seq));
        const frameLen = encodeFrameInto(message, seq, out, offset);
        assert.deepStrictEqual(out.slice(offset, offset + frameLen), encodeFrame(message, seq));
      }),
      params,
    );
  });

  test('any split of a stream into chunks gives the same messages in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbitraryMessage, arbitrarySeq), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }),
        (items, cuts) => {
          const stream = concat(items.map(([message, seq]) => encodeFrame(message, seq)));
          const got: [Message, number][] = [];
          const decoder = new FrameDecoder((m, s) => got.push([m, s]));
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length];
            decoder.push(stream.subarray(at, at + size));
            at += size;
          }
          assert.deepStrictEqual(got, items);
          assert.equal(decoder.stats.framesOk, items.length);
          assert.equal(decoder.stats.framesRejected, 0);
          assert.equal(decoder.stats.bytesIn, stream.length);
        },
      ),
      params,
    );
  });

  test('reused decoding gives the same values and hands out one object per joint count', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbitraryMessage, arbitrarySeq), { minLength: 1, maxLength: 8 }), (items) => {
        const seen: Message[] = [];
        const decoder = new PacketDecoder(
          (message) => {
            if (message.type === MessageType.JOINT_STATE || message.type === MessageType.JOINT_COMMAND) seen.push(message);
          },
          { reuseMessages: true },
        );
        for (const [message, seq] of items) {
          const before = seen.length;
          decoder.push(encodePacket(message, seq));
          // Compared before the next push: a reused object is only valid until then.
          if (seen.length > before) assert.deepStrictEqual(seen[seen.length - 1], message);
        }
        const byKey = new Map<string, Message>();
        for (const message of seen) {
          const n =
            message.type === MessageType.JOINT_STATE
              ? message.positionRad.length
              : message.type === MessageType.JOINT_COMMAND
                ? message.target.length
                : 0;
          const key = `${message.type}/${n}`;
          const first = byKey.get(key) ?? message;
          byKey.set(key, first);
          assert.equal(message, first, 'the same object for the same type and joint count');
        }
      }),
      params,
    );
  });
});

describe('encoder refusals', () => {
  const state: JointStateMessage = {
    type: MessageType.JOINT_STATE,
    deviceTimeUs: 1,
    deviceStatus: 0,
    lastCommandSeq: 0,
    commandsRejected: 0,
    activeMode: 0,
    positionRad: new Float32Array(2),
    velocityRadS: new Float32Array(2),
    effortNm: new Float32Array(2),
    jointStatus: new Uint8Array(2),
  };
  const cases: [string, Message, RegExp][] = [
    [
      'no joints',
      {
        ...state,
        positionRad: new Float32Array(0),
        velocityRadS: new Float32Array(0),
        effortNm: new Float32Array(0),
        jointStatus: new Uint8Array(0),
      },
      /positionRad must hold 1\.\.32/,
    ],
    [
      '33 joints',
      { type: MessageType.JOINT_COMMAND, deadlineUs: 0, stateSeq: 0, mode: 1, target: new Float32Array(33) },
      /target must hold 1\.\.32/,
    ],
    ['unequal arrays', { ...state, effortNm: new Float32Array(3) }, /effortNm has 3 joints/],
    ['NaN', { ...state, velocityRadS: Float32Array.of(0, Number.NaN) }, /velocityRadS\[1\] must be finite/],
    [
      'infinity',
      { type: MessageType.JOINT_COMMAND, deadlineUs: 0, stateSeq: 0, mode: 1, target: Float32Array.of(Infinity) },
      /target\[0\] must be finite/,
    ],
    [
      'two mode bits',
      { type: MessageType.JOINT_COMMAND, deadlineUs: 0, stateSeq: 0, mode: 3, target: new Float32Array(1) },
      /mode must be exactly one/,
    ],
    ['active mode of two bits', { ...state, activeMode: 6 }, /activeMode must be exactly one/],
    ['time 2^53', { ...state, deviceTimeUs: 2 ** 53 }, /deviceTimeUs must be an integer/],
    ['fractional time', { type: MessageType.HEARTBEAT, timeUs: 1.5, status: 0 }, /timeUs must be an integer/],
    [
      'u16 overflow',
      { type: MessageType.CONFIGURE, watchdogTimeoutMs: 65536, stateRateHz: 0 },
      /watchdogTimeoutMs must be an integer in 0\.\.65535/,
    ],
    ['negative', { type: MessageType.ACK, ackedType: 1, ackedSeq: -1, result: 0 }, /ackedSeq must be an integer/],
    [
      'long text',
      { type: MessageType.FAULT, deviceTimeUs: 0, code: 1, joint: 0, flags: 0, text: 'x'.repeat(49) },
      /text has 49 characters; at most 48/,
    ],
    [
      'non-ASCII',
      { type: MessageType.FAULT, deviceTimeUs: 0, code: 1, joint: 0, flags: 0, text: 'motor at 81 °C' },
      /text must be printable ASCII/,
    ],
    [
      'protocol major 2',
      {
        type: MessageType.HELLO,
        protocolMajor: 2,
        protocolMinor: 0,
        hostVersion: { major: 0, minor: 0, patch: 0 },
        stateRateHz: 0,
        hostName: '',
      },
      /protocolMajor must be 1/,
    ],
  ];
  for (const [name, message, pattern] of cases) {
    test(name, () => {
      assert.throws(
        () => encodePacket(message, 0),
        (error: unknown) => error instanceof EncodeError && pattern.test(error.message),
      );
    });
  }

  test('a bad sequence number or a short buffer', () => {
    assert.throws(() => encodePacket({ type: MessageType.ESTOP }, 65536), /seq must be an integer in 0\.\.65535/);
    assert.throws(() => encodeFrameInto({ type: MessageType.ESTOP }, 0, new Uint8Array(12)), /the frame may need 14/);
    assert.throws(() => encodePacketInto({ type: MessageType.ESTOP }, 0, new Uint8Array(12), 1), /the packet needs 12/);
    assert.throws(() => encodePacket({ type: 0x99 } as unknown as Message, 0), /not a v1 message id/);
  });
});
