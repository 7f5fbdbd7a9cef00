/**
 * The TypeScript codec against the golden vectors of firmware-protocol/vectors/ (written by
 * firmware-protocol/gen-vectors.mjs, an implementation that shares no code with src/protocol/).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  FrameDecoder,
  PacketDecoder,
  SequenceTracker,
  decodePacket,
  describeVersionMismatch,
  encodeFrame,
  encodePacket,
  seqDelta,
  seqIsNewer,
  type Message,
  type Rejection,
} from '../../src/protocol/index.js';
import {
  PROTOCOL_DIR,
  REPO_ROOT,
  fromHex,
  messageFromFields,
  readVectorFile,
  toHex,
  type InvalidVector,
  type SequenceVectors,
  type StreamVector,
  type ValidVector,
} from './support.js';

const messages = readVectorFile<{ vectors: ValidVector[] }>('messages.json').vectors;
const edges = readVectorFile<{ vectors: ValidVector[] }>('edge-cases.json').vectors;
const invalids = readVectorFile<{ vectors: InvalidVector[] }>('invalid.json').vectors;
const streams = readVectorFile<{ vectors: StreamVector[] }>('streams.json').vectors;
const sequence = readVectorFile<SequenceVectors>('sequence.json');
const valid = [...messages, ...edges];

interface Outcome {
  message?: Message;
  seq?: number;
  rejection?: Rejection;
}

/** Feeds bytes to a fresh FrameDecoder, one call per chunk, and lists what came out in order. */
function streamOutcomes(chunks: Uint8Array[]): Outcome[] {
  const outcomes: Outcome[] = [];
  const decoder = new FrameDecoder((message, seq) => outcomes.push({ message, seq }), {
    onReject: (rejection) => outcomes.push({ rejection }),
  });
  for (const chunk of chunks) decoder.push(chunk);
  return outcomes;
}

describe('golden vectors', () => {
  test('every message type has a vector with all fields set', () => {
    const covered = new Set(messages.map((v) => v.message));
    assert.deepEqual([...covered].sort(), [
      'ACK',
      'CONFIGURE',
      'DEVICE_INFO',
      'ESTOP',
      'ESTOP_CLEAR',
      'FAULT',
      'HEARTBEAT',
      'HELLO',
      'JOINT_COMMAND',
      'JOINT_STATE',
      'TORQUE',
    ]);
  });

  for (const vector of valid) {
    test(`valid: ${vector.name}`, () => {
      const expected = messageFromFields(vector.message, vector.fields);
      const packet = fromHex(vector.packet_hex);
      const decoded = decodePacket(packet);
      assert.ok(decoded.ok, `rejected: ${decoded.ok ? '' : decoded.rejection.detail}`);
      assert.equal(decoded.seq, vector.seq);
      assert.deepStrictEqual(decoded.message, expected);

      const outcomes = streamOutcomes([fromHex(vector.frame_hex)]);
      assert.equal(outcomes.length, 1);
      assert.deepStrictEqual(outcomes[0], { message: expected, seq: vector.seq });

      const packetHex = toHex(encodePacket(expected, vector.seq));
      const frameHex = toHex(encodeFrame(expected, vector.seq));
      if (vector.canonical) {
        assert.equal(packetHex, vector.packet_hex);
        assert.equal(frameHex, vector.frame_hex);
      } else {
        assert.notEqual(packetHex, vector.packet_hex, 'a non-canonical vector differs from what the encoder writes');
        assert.deepStrictEqual(decodePacket(fromHex(packetHex)), decoded);
      }
    });
  }

  for (const vector of invalids) {
    test(`invalid: ${vector.name} → ${vector.error}`, () => {
      if (vector.packet_hex !== undefined) {
        const rejections: Rejection[] = [];
        const decoder = new PacketDecoder(() => assert.fail('accepted an invalid packet'), { onReject: (r) => rejections.push(r) });
        decoder.push(fromHex(vector.packet_hex));
        assert.equal(rejections.length, 1);
        assert.equal(rejections[0].reason, vector.error, rejections[0].detail);
        assert.equal(decoder.stats.rejected[rejections[0].reason], 1);
      }
      const outcomes = streamOutcomes([fromHex(vector.frame_hex)]);
      assert.equal(outcomes.length, 1);
      const rejection = outcomes[0].rejection;
      assert.ok(rejection !== undefined, 'the frame was accepted');
      assert.equal(rejection.reason, vector.error, rejection.detail);
      if (vector.peer === undefined) {
        assert.equal(rejection.peer, undefined);
        return;
      }
      assert.deepStrictEqual(rejection.peer, {
        role: vector.peer.role,
        protocolMajor: vector.peer.protocol_major,
        protocolMinor: vector.peer.protocol_minor,
        softwareVersion: { major: vector.peer.software_major, minor: vector.peer.software_minor, patch: vector.peer.software_patch },
        name: vector.peer.name,
      });
      const sentence = describeVersionMismatch(rejection.peer);
      assert.match(sentence, new RegExp(`protocol ${vector.peer.protocol_major}\\.${vector.peer.protocol_minor}\\b`));
      assert.match(sentence, /this side speaks 1\.1/);
      assert.ok(sentence.includes(vector.peer.name), sentence);
    });
  }

  for (const vector of streams) {
    test(`stream: ${vector.name}`, () => {
      const byName = new Map(messages.map((v) => [v.name, v]));
      const expected = vector.expect.map((e): Outcome => {
        if ('error' in e) return { rejection: { reason: e.error } as Rejection };
        const source = byName.get(e.message);
        assert.ok(source, e.message);
        return { message: messageFromFields(source.message, source.fields), seq: source.seq };
      });
      const bytes = fromHex(vector.stream_hex);
      // Whole, byte by byte, and in chunks of 7: the same outcomes.
      const splits = [
        [bytes],
        Array.from(bytes, (b) => Uint8Array.of(b)),
        Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(7 * i, 7 * i + 7)),
      ];
      for (const chunks of splits) {
        const outcomes = streamOutcomes(chunks).map((o) => (o.rejection ? { rejection: { reason: o.rejection.reason } as Rejection } : o));
        assert.deepStrictEqual(outcomes, expected);
      }
    });
  }

  test('sequence numbers: newer and delta across the wrap', () => {
    for (const { a, b, newer, delta } of sequence.newer) {
      assert.equal(seqIsNewer(a, b), newer, `seqIsNewer(${a}, ${b})`);
      assert.equal(seqDelta(a, b), delta, `seqDelta(${a}, ${b})`);
    }
  });

  test('sequence numbers: link quality tracker', () => {
    const tracker = new SequenceTracker();
    const events = sequence.tracker.seqs.map((seq) => tracker.observe(seq));
    assert.deepEqual(events, sequence.tracker.events);
    assert.equal(tracker.received, sequence.tracker.received);
    assert.equal(tracker.lost, sequence.tracker.lost);
    assert.equal(tracker.duplicates, sequence.tracker.duplicates);
    assert.equal(tracker.restarts, sequence.tracker.restarts);
    assert.equal(tracker.lossRatio, sequence.tracker.lost / (sequence.tracker.received + sequence.tracker.lost));
  });

  test('the committed vectors are what the generator writes (no drift)', () => {
    const result = spawnSync(process.execPath, [join(PROTOCOL_DIR, 'gen-vectors.mjs'), '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });
});
