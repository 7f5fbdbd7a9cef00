/**
 * JOINT_STATE's wear fields (protocol 1.1, PROTOCOL.md § 6.4): present exactly when the header has the
 * WEAR flag, outside the schema seed, and decoded into reused objects without leaking from one frame
 * to the next.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  FrameDecoder,
  HeaderFlag,
  MessageType,
  WearField,
  decodePacket,
  encodeFrame,
  encodePacket,
  type JointStateMessage,
  type Message,
} from '../../src/protocol/index.js';

function state(wear: boolean): JointStateMessage {
  return {
    type: MessageType.JOINT_STATE,
    deviceTimeUs: 1000,
    deviceStatus: 0x11,
    lastCommandSeq: 0,
    commandsRejected: 0,
    activeMode: 1,
    positionRad: Float32Array.of(0.5, -0.25),
    velocityRadS: Float32Array.of(0, 1),
    effortNm: Float32Array.of(0.125, -2),
    jointStatus: Uint8Array.of(1, 1),
    ...(wear
      ? {
          wear: {
            fields: WearField.CURRENT | WearField.TEMPERATURE | WearField.VOLTAGE,
            currentA: Float32Array.of(0.75, -1.5),
            temperatureC: Float32Array.of(33, 47.5),
            voltageV: Float32Array.of(11.75, 11.5),
          },
        }
      : {}),
  };
}

describe('JOINT_STATE wear fields', () => {
  test('with wear: the WEAR header flag and 17 + 25n payload bytes; without: flag 0 and the 1.0 length', () => {
    const withWear = encodePacket(state(true), 7);
    const without = encodePacket(state(false), 7);
    assert.equal(withWear[1], HeaderFlag.WEAR);
    assert.equal(without[1], 0);
    assert.equal(withWear.length - 12, 17 + 25 * 2);
    assert.equal(without.length - 12, 16 + 13 * 2);
    const decoded = decodePacket(withWear);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.message, state(true));
    const plain = decodePacket(without);
    assert.ok(plain.ok);
    assert.deepEqual(plain.message, state(false));
  });

  test('a reusing decoder drops the wear of the previous frame when the next has none', () => {
    const seen: (JointStateMessage['wear'] | 'none')[] = [];
    const decoder = new FrameDecoder(
      (message: Message) => {
        if (message.type !== MessageType.JOINT_STATE) return;
        seen.push(message.wear === undefined ? 'none' : { ...message.wear, currentA: message.wear.currentA.slice() });
      },
      { reuseMessages: true },
    );
    decoder.push(encodeFrame(state(true), 1));
    decoder.push(encodeFrame(state(false), 2));
    decoder.push(encodeFrame(state(true), 3));
    assert.equal(seen.length, 3);
    assert.notEqual(seen[0], 'none');
    assert.equal(seen[1], 'none');
    assert.deepEqual(seen[2], seen[0]);
  });
});
