/**
 * `npm run bench -- codec`: encode and decode throughput of protocol v1 frames, one line per message:
 * a 6-joint JOINT_STATE (what the host decodes every tick) and a 6-joint JOINT_COMMAND (what it encodes).
 *
 * Encoding writes into one preallocated buffer (`encodeFrameInto`); decoding pushes a chunk of 1000
 * back-to-back frames through a `FrameDecoder` with `reuseMessages`, the way a serial transport would.
 * `decode_gc_events` counts garbage collections during the timed decode loop (0 means the hot path
 * allocates nothing per frame); `decode_fresh_gc_events` is the same loop with a new message object per
 * frame, for comparison. `tick_share_at_1khz` is (encode + decode time per frame) / 1 ms.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import {
  FrameDecoder,
  MAX_FRAME_LEN,
  MessageType,
  PacketDecoder,
  encodeFrame,
  encodeFrameInto,
  encodePacket,
  type Message,
} from '../src/protocol/index.js';
import type { BenchResult } from './registry.js';

const JOINTS = 6;
const CHUNK_FRAMES = 1000;
const SECONDS = 1;

function jointState(): Message {
  return {
    type: MessageType.JOINT_STATE,
    deviceTimeUs: 1_234_567_890,
    deviceStatus: 0x0011,
    lastCommandSeq: 4321,
    commandsRejected: 0,
    activeMode: 1,
    positionRad: Float32Array.from({ length: JOINTS }, (_, j) => 0.1 * j - 0.3),
    velocityRadS: Float32Array.from({ length: JOINTS }, (_, j) => 0.05 * j),
    effortNm: Float32Array.from({ length: JOINTS }, (_, j) => -0.2 * j),
    jointStatus: new Uint8Array(JOINTS).fill(1),
  };
}

function jointCommand(): Message {
  return {
    type: MessageType.JOINT_COMMAND,
    deadlineUs: 1_234_569_890,
    stateSeq: 4322,
    mode: 1,
    target: Float32Array.from({ length: JOINTS }, (_, j) => 0.1 * j - 0.25),
  };
}

/** Runs `body` in batches until `seconds` have passed; returns calls per second. */
function throughput(body: () => void, batch: number, seconds: number): number {
  for (let i = 0; i < batch; i++) body(); // warm-up
  let calls = 0;
  const start = performance.now();
  let elapsedMs = 0;
  do {
    for (let i = 0; i < batch; i++) body();
    calls += batch;
    elapsedMs = performance.now() - start;
  } while (elapsedMs < seconds * 1000);
  return (calls * 1000) / elapsedMs;
}

/** Garbage collections that start while `body` runs. */
async function gcEventsDuring(body: () => void): Promise<number> {
  const starts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) starts.push(entry.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  const from = performance.now();
  body();
  const to = performance.now();
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return starts.filter((t) => t >= from && t <= to).length;
}

async function measure(name: string, message: Message): Promise<BenchResult> {
  const frameBytes = encodeFrame(message, 0).length;
  const packetBytes = encodePacket(message, 0).length;

  const out = new Uint8Array(MAX_FRAME_LEN);
  let seq = 0;
  const encodePerS = throughput(
    () => {
      encodeFrameInto(message, seq, out);
      seq = (seq + 1) & 0xffff;
    },
    10_000,
    SECONDS,
  );

  const chunk = new Uint8Array(CHUNK_FRAMES * frameBytes);
  let at = 0;
  for (let i = 0; i < CHUNK_FRAMES; i++) at += encodeFrameInto(message, i, chunk, at);
  let decoded = 0;
  const count = (): void => {
    decoded++;
  };
  const reused = new FrameDecoder(count, { reuseMessages: true });
  const decodeChunksPerS = throughput(() => reused.push(chunk), 20, SECONDS);

  const packet = encodePacket(message, 1);
  const packets = new PacketDecoder(count, { reuseMessages: true });
  const packetDecodePerS = throughput(() => packets.push(packet), 10_000, SECONDS / 2);

  const gcRounds = Math.max(1, Math.round(decodeChunksPerS / 2));
  const gcReused = await gcEventsDuring(() => {
    for (let i = 0; i < gcRounds; i++) reused.push(chunk);
  });
  const fresh = new FrameDecoder(count);
  const gcFresh = await gcEventsDuring(() => {
    for (let i = 0; i < gcRounds; i++) fresh.push(chunk);
  });
  if (reused.stats.framesRejected + fresh.stats.framesRejected + packets.stats.framesRejected > 0 || decoded === 0) {
    throw new Error(`the benchmark's own frames were rejected: ${JSON.stringify(reused.stats.rejected)}`);
  }

  const decodePerS = decodeChunksPerS * CHUNK_FRAMES;
  const encodeNs = 1e9 / encodePerS;
  const decodeNs = 1e9 / decodePerS;
  return {
    message: name,
    joints: JOINTS,
    frame_bytes: frameBytes,
    packet_bytes: packetBytes,
    decode_frames_per_s: Math.round(decodePerS),
    encode_frames_per_s: Math.round(encodePerS),
    decode_ns_per_frame: Math.round(decodeNs),
    encode_ns_per_frame: Math.round(encodeNs),
    packet_decode_frames_per_s: Math.round(packetDecodePerS),
    decode_gc_events: gcReused,
    decode_fresh_gc_events: gcFresh,
    gc_check_frames: gcRounds * CHUNK_FRAMES,
    tick_share_at_1khz: Number(((encodeNs + decodeNs) / 1e6).toFixed(6)),
    wire_us_at_1mbaud: frameBytes * 10,
  };
}

export async function* run(): AsyncGenerator<BenchResult> {
  yield await measure('joint_state', jointState());
  yield await measure('joint_command', jointCommand());
}
