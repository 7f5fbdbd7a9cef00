/** Behaviour of the decoders beyond the vectors: options, reset, rejection details, statistics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CRC32C_INIT,
  FrameDecoder,
  MAX_PACKET_LEN,
  MessageType,
  PacketDecoder,
  crc32cFinish,
  crc32cUpdate,
  crc32cUpdateU32,
  describeVersionMismatch,
  encodeFrame,
  encodePacket,
  layoutOfType,
  type Message,
  type Rejection,
} from '../../src/protocol/index.js';

const command: Message = { type: MessageType.JOINT_COMMAND, deadlineUs: 5000, stateSeq: 7, mode: 1, target: Float32Array.of(0.5, -0.25) };
const info: Message = {
  type: MessageType.DEVICE_INFO,
  protocolMajor: 1,
  protocolMinor: 0,
  firmwareVersion: { major: 1, minor: 2, patch: 3 },
  supportedModes: 1,
  minStateRateHz: 10,
  maxStateRateHz: 500,
  defaultStateRateHz: 100,
  defaultWatchdogMs: 200,
  deviceId: 'arm',
  jointNames: Array.from({ length: 12 }, (_, j) => `joint${j}`),
};

function collect(options: ConstructorParameters<typeof FrameDecoder>[1] = {}): {
  decoder: FrameDecoder;
  got: [Message, number][];
  rejections: Rejection[];
} {
  const got: [Message, number][] = [];
  const rejections: Rejection[] = [];
  const decoder = new FrameDecoder((m, s) => got.push([m, s]), { ...options, onReject: (r) => rejections.push(r) });
  return { decoder, got, rejections };
}

test('a smaller buffer rejects longer frames as too_long and stays in sync', () => {
  const { decoder, got, rejections } = collect({ maxPacketLen: 64 });
  decoder.push(encodeFrame(info, 1));
  decoder.push(encodeFrame(command, 2));
  assert.deepEqual(
    rejections.map((r) => r.reason),
    ['too_long'],
  );
  assert.deepEqual(got, [[command, 2]]);
  assert.throws(() => new FrameDecoder(() => undefined, { maxPacketLen: 11 }), /maxPacketLen must be an integer in 12\.\.1024/);
  assert.throws(() => new PacketDecoder(() => undefined, { maxPacketLen: MAX_PACKET_LEN + 1 }), RangeError);
});

test('reset() forgets a frame in progress', () => {
  const { decoder, got, rejections } = collect();
  const frame = encodeFrame(command, 3);
  decoder.push(frame.subarray(0, 20));
  decoder.reset();
  decoder.push(frame);
  assert.deepEqual(got, [[command, 3]]);
  assert.deepEqual(rejections, []);
  assert.equal(decoder.stats.bytesIn, 20 + frame.length);
});

test('header fields come with a rejection only when the CRC matched', () => {
  const rejections: Rejection[] = [];
  const packets = new PacketDecoder(() => assert.fail('accepted'), { onReject: (r) => rejections.push(r) });

  const corrupt = encodePacket(command, 0x1234);
  corrupt[14] ^= 1;
  packets.push(corrupt);

  // TORQUE with enable = 2 and a CRC that matches: dropped as bad_field, with its header.
  const badField = encodePacket({ type: MessageType.TORQUE, enable: true }, 0x4321);
  badField[8] = 2;
  const crc = crc32cFinish(crc32cUpdateU32(crc32cUpdate(CRC32C_INIT, badField, 0, 9), layoutOfType(MessageType.TORQUE)?.seed ?? 0));
  new DataView(badField.buffer).setUint32(9, crc, true);
  packets.push(badField);

  assert.deepEqual(
    rejections.map((r) => [r.reason, r.type, r.seq]),
    [
      ['crc', undefined, undefined],
      ['bad_field', MessageType.TORQUE, 0x4321],
    ],
  );
  assert.match(rejections[1].detail, /TORQUE\.enable 2 is neither 0 nor 1/);
  assert.equal(packets.stats.framesRejected, 2);
  assert.equal(packets.stats.bytesIn, corrupt.length + badField.length);
});

test('an oversize MQTT message is too_long; an empty one is truncated', () => {
  const reasons: string[] = [];
  const packets = new PacketDecoder(() => assert.fail('accepted'), { onReject: (r) => reasons.push(r.reason) });
  packets.push(new Uint8Array(MAX_PACKET_LEN + 1));
  packets.push(new Uint8Array(0));
  assert.deepEqual(reasons, ['too_long', 'truncated']);
});

test('the version-mismatch sentence names both versions, for either side', () => {
  const device = describeVersionMismatch({
    role: 'device',
    protocolMajor: 2,
    protocolMinor: 3,
    softwareVersion: { major: 4, minor: 5, patch: 6 },
    name: 'arm',
  });
  assert.equal(
    device,
    "device 'arm' (firmware 4.5.6) speaks robo-train protocol 2.3; this side speaks 1.1. Major versions differ, so no frame can be exchanged: " +
      'flash a firmware that speaks protocol 1, or use a robo-train release that speaks protocol 2.',
  );
  const host = describeVersionMismatch({
    role: 'host',
    protocolMajor: 0,
    protocolMinor: 9,
    softwareVersion: { major: 3, minor: 4, patch: 517 },
    name: 'robo-train',
  });
  assert.match(
    host,
    /^host 'robo-train' \(version 3\.4\.517\) speaks robo-train protocol 0\.9; this side speaks 1\.1\..*connect a robo-train that speaks protocol 1\.$/,
  );
});

test('a listener that throws loses the rest of its chunk, not the decoder', () => {
  const got: number[] = [];
  const decoder = new FrameDecoder((_, seq) => {
    got.push(seq);
    if (seq === 1) throw new Error('listener failed');
  });
  const chunk = new Uint8Array([...encodeFrame(command, 1), ...encodeFrame(command, 2)]);
  assert.throws(() => decoder.push(chunk), /listener failed/);
  decoder.push(encodeFrame(command, 3));
  assert.deepEqual(got, [1, 3]);
  assert.equal(decoder.stats.framesRejected, 0);
});
