/**
 * The checkpoint format: one blob (magic, JSON header, float32 arrays) that round-trips exactly and
 * refuses what it cannot read.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  deserializeLearnerState,
  LearnerStateFormatError,
  readLearnerStateHeader,
  serializeLearnerState,
  type LearnerState,
} from '../../src/rl/learner/index.js';
import { learnerFor, randomBatch, Rng, wasmBackend } from './learner-fixtures.js';

before(wasmBackend);

async function trainedState(): Promise<LearnerState> {
  const learner = await learnerFor({
    algo: 'sac',
    obsDim: 3,
    actionDim: 1,
    actorHidden: [8],
    criticHidden: [8],
    gsde: true,
    layerNorm: true,
    seed: 4,
  });
  try {
    const rng = new Rng(1);
    for (let u = 0; u < 3; u++) learner.update(randomBatch(rng, 16, 3, 1));
    return learner.getState();
  } finally {
    learner.dispose();
  }
}

describe('serialised learner state', () => {
  test('round-trips exactly, NaN-free RNG state included', async () => {
    const state = await trainedState();
    const bytes = serializeLearnerState(state);
    assert.deepEqual(Array.from(bytes.subarray(0, 4)), [0x52, 0x54, 0x4c, 0x53]);
    const back = deserializeLearnerState(bytes);
    assert.deepEqual(back.arrays, state.arrays);
    assert.deepEqual(back.config, state.config);
    assert.deepEqual(back.entropy, state.entropy);
    assert.equal(back.updates, 3);
    assert.equal(back.actorUpdates, 3);
    assert.deepEqual(back.rng.words, state.rng.words);
    assert.equal(Number.isNaN(back.rng.spareNormal ?? Number.NaN), Number.isNaN(state.rng.spareNormal ?? Number.NaN));
    if (!Number.isNaN(state.rng.spareNormal ?? Number.NaN)) assert.equal(back.rng.spareNormal, state.rng.spareNormal);
  });

  test('its header reads without the arrays', async () => {
    const header = readLearnerStateHeader(serializeLearnerState(await trainedState()));
    assert.equal(header.format, 1);
    assert.equal(header.config.algo, 'sac');
    assert.equal(header.updates, 3);
    assert.deepEqual(
      header.arrays.map((entry) => entry.name),
      ['actor', 'actorMoment1', 'actorMoment2', 'critic', 'criticMoment1', 'criticMoment2', 'criticTarget', 'actorTarget'],
    );
  });

  test('refuses a foreign file, a truncated one and another format version', async () => {
    const bytes = serializeLearnerState(await trainedState());
    assert.throws(
      () => deserializeLearnerState(new TextEncoder().encode('{"not":"a state"}')),
      (error: unknown) => error instanceof LearnerStateFormatError && /magic/.test(error.message),
    );
    assert.throws(() => deserializeLearnerState(bytes.subarray(0, bytes.length - 4)), /size .* the header announces/);
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as { format: number };
    header.format = 2;
    const text = new TextEncoder().encode(JSON.stringify(header).padEnd(headerLength, ' '));
    const altered = bytes.slice();
    altered.set(text.subarray(0, headerLength), 8);
    assert.throws(() => deserializeLearnerState(altered), /format 2, this robo-train reads format 1/);
  });
});
