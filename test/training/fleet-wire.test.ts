import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLearner, resolveLearnerConfig } from '../../src/rl/learner/index.js';
import {
  decodeTransitionBatch,
  decodeWeights,
  encodeTransitionBatch,
  encodeWeights,
  FleetWireError,
  type TransitionBatch,
} from '../../src/training/fleet-wire.js';

function batch(count: number): TransitionBatch {
  const values = (length: number, offset: number): Float32Array => Float32Array.from({ length }, (_, i) => offset + i / 8);
  return {
    robot: 'arm-2',
    seq: 7,
    weightsVersion: 41,
    count,
    obsDim: 3,
    actionDim: 2,
    obs: values(count * 3, 0),
    action: values(count * 2, 100),
    reward: values(count, -5),
    nextObs: values(count * 3, 200),
    terminated: Float32Array.from({ length: count }, (_, i) => (i === count - 1 ? 1 : 0)),
    episodeEnds: 1,
  };
}

test('a transition batch decodes to what was encoded, 4-byte aligned, and a truncated one is refused', () => {
  const sent = batch(5);
  const bytes = encodeTransitionBatch(sent);
  assert.deepEqual(decodeTransitionBatch(bytes), sent);
  // Decoding from an odd offset inside a larger buffer (as MQTT payloads come) gives the same batch.
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual(decodeTransitionBatch(shifted.subarray(1)), sent);
  assert.throws(() => decodeTransitionBatch(bytes.subarray(0, bytes.length - 4)), FleetWireError);
  assert.throws(() => encodeTransitionBatch({ ...sent, count: 6 }), /obs holds 15 values, 18 expected/);
});

test('weights of every head travel with their version, and a flipped bit fails the checksum', async () => {
  for (const [algo, extra] of [
    ['sac', {}],
    ['td3', { layerNorm: true }],
    ['sac', { gsde: true }],
  ] as const) {
    const learner = await createLearner(resolveLearnerConfig({ algo, obsDim: 4, actionDim: 2, actorHidden: [8, 6], seed: 3, ...extra }));
    const weights = { ...learner.actorWeights(), updates: 12 };
    learner.dispose();
    const bytes = encodeWeights(weights);
    assert.deepEqual(decodeWeights(bytes), weights, `${algo} ${JSON.stringify(extra)}`);
    const corrupted = Uint8Array.from(bytes);
    corrupted[corrupted.length - 1] ^= 1;
    assert.throws(() => decodeWeights(corrupted), /weights version 12: checksum mismatch/);
  }
});
