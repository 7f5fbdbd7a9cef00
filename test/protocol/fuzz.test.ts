/**
 * Bad input, at least 10^5 cases per run (FC_RUNS), seeded (FC_SEED): random bytes, bit flips and
 * truncations of valid frames, oversize frames, packets whose CRC matches around nonsense headers and
 * payloads, garbage around valid frames. Each case is drawn from a (kind, seed) pair, so a failure
 * prints a counterexample that replays on its own.
 *
 * For every case: `push` does not throw, each frame that ends is either a message or a counted
 * rejection with a known reason, a message the decoder accepts encodes back to itself, and after a
 * delimiter the next valid frame decodes (the decoder is in sync again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/util/rng.js';
import {
  CRC32C_INIT,
  FrameDecoder,
  LAYOUTS,
  MAX_PACKET_LEN,
  PACKET_OVERHEAD,
  PacketDecoder,
  REJECT_REASONS,
  crc32cFinish,
  crc32cUpdate,
  crc32cUpdateU32,
  decodePacket,
  encodePacket,
  layoutOfType,
  type Message,
  type RejectReason,
} from '../../src/protocol/index.js';
import { fcParams, fromHex, messageFromFields, readVectorFile, type ValidVector } from './support.js';

const vectors = [
  ...readVectorFile<{ vectors: ValidVector[] }>('messages.json').vectors,
  ...readVectorFile<{ vectors: ValidVector[] }>('edge-cases.json').vectors,
].map((v) => ({ frame: fromHex(v.frame_hex), message: messageFromFields(v.message, v.fields), seq: v.seq }));

const KINDS = ['random', 'bit_flips', 'truncation', 'oversize', 'valid_crc', 'garbage_around'] as const;
type Kind = (typeof KINDS)[number];

function randomBytes(rng: Rng, length: number, zeroOdds: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = rng.int(zeroOdds) === 0 ? 0 : 1 + rng.int(255);
  return bytes;
}

/** A packet whose CRC matches (for v1 types) around random header fields and payload bytes. */
function validCrcPacket(rng: Rng): Uint8Array {
  const types = [...LAYOUTS.map((l) => l.type), 0x0099, 0x8001];
  const type = types[rng.int(types.length)];
  const payloadLen = rng.int(8) === 0 ? rng.int(MAX_PACKET_LEN - PACKET_OVERHEAD + 4) : rng.int(120);
  const packet = new Uint8Array(payloadLen + PACKET_OVERHEAD);
  const view = new DataView(packet.buffer);
  packet[0] = rng.int(8) === 0 ? rng.int(256) : 1;
  packet[1] = rng.int(8) === 0 ? rng.int(256) : 0;
  view.setUint16(2, type, true);
  view.setUint16(4, rng.int(0x10000), true);
  view.setUint16(6, rng.int(4) === 0 ? rng.int(0x10000) : payloadLen, true);
  // Small values make joint counts, modes and flags fall in their valid ranges now and then.
  for (let i = 8; i < packet.length - 4; i++) packet[i] = rng.int(3) === 0 ? rng.int(8) : rng.int(256);
  const seed = layoutOfType(type)?.seed ?? rng.nextUint32();
  view.setUint32(packet.length - 4, crc32cFinish(crc32cUpdateU32(crc32cUpdate(CRC32C_INIT, packet, 0, packet.length - 4), seed)), true);
  return packet;
}

function caseBytes(kind: Kind, rng: Rng): { bytes: Uint8Array; mustDecode?: Message } {
  switch (kind) {
    case 'random':
      return { bytes: randomBytes(rng, rng.int(700), 16) };
    case 'bit_flips': {
      const bytes = vectors[rng.int(vectors.length)].frame.slice();
      const flips = 1 + rng.int(8);
      for (let k = 0; k < flips; k++) {
        const bit = rng.int(bytes.length * 8);
        bytes[bit >> 3] ^= 1 << (bit & 7);
      }
      return { bytes };
    }
    case 'truncation': {
      const frame = vectors[rng.int(vectors.length)].frame;
      return { bytes: frame.slice(0, rng.int(frame.length - 1)) };
    }
    case 'oversize':
      return { bytes: randomBytes(rng, MAX_PACKET_LEN + 1 + rng.int(2000), 1 << 30) };
    case 'valid_crc':
      return { bytes: cobsFrame(validCrcPacket(rng)) };
    case 'garbage_around': {
      const inner = vectors[rng.int(vectors.length)];
      const before = randomBytes(rng, rng.int(300), 1 << 30);
      const after = randomBytes(rng, rng.int(300), 8);
      const bytes = new Uint8Array(before.length + 1 + inner.frame.length + after.length);
      bytes.set(before, 0);
      bytes.set(inner.frame, before.length + 1);
      bytes.set(after, before.length + 1 + inner.frame.length);
      return { bytes, mustDecode: inner.message };
    }
  }
}

/** COBS without the library's encoder, so that a bug there cannot hide one in the decoder. */
function cobsFrame(packet: Uint8Array): Uint8Array {
  const out: number[] = [];
  let block: number[] = [];
  for (const byte of packet) {
    if (byte === 0) {
      out.push(block.length + 1, ...block);
      block = [];
    } else {
      block.push(byte);
      if (block.length === 254) {
        out.push(255, ...block);
        block = [];
      }
    }
  }
  out.push(block.length + 1, ...block, 0);
  return Uint8Array.from(out);
}

test('fuzz: bad input never throws, is counted with a reason, and the decoder resynchronises', { timeout: 120_000 }, () => {
  const params = fcParams(100_000);
  assert.ok(params.numRuns >= 1, 'FC_RUNS must be positive');
  const seenReasons = new Set<RejectReason>();
  let cases = 0;
  fc.assert(
    fc.property(fc.constantFrom(...KINDS), fc.integer({ min: 0, max: 0xffffffff }), (kind, seed) => {
      cases++;
      const rng = new Rng(seed);
      const { bytes, mustDecode } = caseBytes(kind, rng);
      const anchor = vectors[rng.int(vectors.length)];
      const decoded: [Message, number][] = [];
      let rejected = 0;
      const decoder = new FrameDecoder((message, seq) => decoded.push([message, seq]), {
        onReject: (rejection) => {
          rejected++;
          seenReasons.add(rejection.reason);
          assert.ok(REJECT_REASONS.includes(rejection.reason));
        },
      });
      // In one to three chunks, then a delimiter and a valid frame.
      const cut1 = rng.int(bytes.length + 1);
      const cut2 = cut1 + rng.int(bytes.length - cut1 + 1);
      decoder.push(bytes.subarray(0, cut1));
      decoder.push(bytes.subarray(cut1, cut2));
      decoder.push(bytes.subarray(cut2));
      decoder.push(Uint8Array.of(0));
      decoder.push(anchor.frame);

      assert.deepStrictEqual(decoded[decoded.length - 1], [anchor.message, anchor.seq], 'the valid frame after a delimiter decodes');
      assert.equal(decoder.stats.framesOk, decoded.length);
      assert.equal(decoder.stats.framesRejected, rejected);
      assert.equal(
        Object.values(decoder.stats.rejected).reduce((a, b) => a + b, 0),
        rejected,
      );
      if (mustDecode !== undefined)
        assert.ok(
          decoded.some(([message]) => isDeepEqual(message, mustDecode)),
          'a valid frame between garbage decodes',
        );
      for (const [message, seq] of decoded) assert.deepStrictEqual(decodePacket(encodePacket(message, seq)), { ok: true, message, seq });

      // The same bytes as one MQTT message: exactly one outcome.
      let outcomes = 0;
      const packets = new PacketDecoder(() => outcomes++, { onReject: () => outcomes++ });
      packets.push(bytes);
      assert.equal(outcomes, 1);
    }),
    params,
  );
  assert.equal(cases, params.numRuns);
  if (params.numRuns >= 100_000)
    assert.deepEqual([...seenReasons].sort(), [...REJECT_REASONS].sort(), 'every rejection reason was reached');
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
