/**
 * The control tick's JavaScript actor computes the same function as the learner's tfjs actor, for
 * every head, with and without layer norm (float32 tolerance: 2e-5 of the largest output + 1e-6),
 * without allocating per call.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { applyMlp, TfNetwork } from '../../src/rl/learner/autodiff/networks.js';
import { actorLayout, actorParamsFromWeights, actorWeightsFromParams, initActorParams } from '../../src/rl/learner/params.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import { POLICY_CONSTANTS, type ActorSpec } from '../../src/rl/types.js';
import { assertClose, Rng, wasmBackend } from './learner-fixtures.js';

before(wasmBackend);

const SPECS: [string, ActorSpec][] = [];
for (const layerNorm of [false, true]) {
  const base = { obsDim: 5, actionDim: 3, hidden: [24, 16], layerNorm };
  SPECS.push([`gaussian${layerNorm ? ' + LN' : ''}`, { ...base, head: 'gaussian', gsde: null }]);
  SPECS.push([`gsde${layerNorm ? ' + LN' : ''}`, { ...base, head: 'gsde', gsde: { logStdInit: -2, fullStd: true, useExpln: false } }]);
  SPECS.push([`deterministic${layerNorm ? ' + LN' : ''}`, { ...base, head: 'deterministic', gsde: null }]);
}

/** Initial weights, perturbed so that layer-norm gains and biases are not 1 and 0, and heads are large enough to hit the clamps. */
function randomParams(spec: ActorSpec, rng: Rng): Float32Array {
  const layout = actorLayout(spec);
  const params = initActorParams(layout, rng);
  for (let i = 0; i < params.length; i++) params[i] = params[i] + 0.2 * rng.normal();
  const head = layout.mlp.head;
  for (let i = head.kernel; i < head.bias + head.outputs; i++) params[i] = params[i] * 8;
  return params;
}

describe('JavaScript actor = tfjs actor', () => {
  for (const [name, spec] of SPECS) {
    test(name, () => {
      const rng = new Rng(21);
      const layout = actorLayout(spec);
      const params = randomParams(spec, rng);
      const actor = new ActorForward(actorWeightsFromParams(layout, params, 0));
      const rows = 64;
      const obs = new Float32Array(rows * spec.obsDim).map(() => 2 * rng.normal());
      const A = spec.actionDim;

      const network = new TfNetwork(layout.size, false);
      const mlp = network.addMlp(params, layout.mlp);
      const { latent, output } = tf.tidy(() => {
        const result = applyMlp(mlp, tf.tensor2d(obs, [rows, spec.obsDim]));
        return { latent: result.latent.dataSync() as Float32Array, output: result.output.dataSync() as Float32Array };
      });
      network.dispose();

      const width = layout.headOutputs;
      const expectedMean = new Float32Array(rows * A);
      const expectedLogStd = new Float32Array(rows * A);
      let clamped = 0;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < A; j++) {
          const raw = output[r * width + j];
          const mean = spec.head === 'gsde' ? Math.min(2, Math.max(-2, raw)) : raw;
          if (mean !== raw) clamped++;
          expectedMean[r * A + j] = mean;
          if (spec.head === 'gaussian') {
            const rawLogStd = output[r * width + A + j];
            const logStd = Math.min(POLICY_CONSTANTS.logStdMax, Math.max(POLICY_CONSTANTS.logStdMin, rawLogStd));
            if (logStd !== rawLogStd) clamped++;
            expectedLogStd[r * A + j] = logStd;
          }
        }
      }
      if (spec.head !== 'deterministic') assert.ok(clamped > 0, 'the test inputs never reach the clamps');

      const batch = actor.forwardBatch(obs, rows);
      assertClose(batch.mean, expectedMean, 2e-5, 1e-6, `${name}: mean`);
      assertClose(batch.latent, latent, 2e-5, 1e-6, `${name}: latent`);
      if (spec.head === 'gaussian') {
        assert.ok(batch.logStd !== null);
        assertClose(batch.logStd, expectedLogStd, 2e-5, 1e-6, `${name}: log std`);
      } else {
        assert.equal(batch.logStd, null);
      }
    });
  }
});

describe('ActorForward', () => {
  const spec = SPECS[0]?.[1];

  test('reuses its output: one object, the same arrays, no allocation per call', () => {
    const layout = actorLayout(spec);
    const actor = new ActorForward(actorWeightsFromParams(layout, randomParams(spec, new Rng(1)), 0));
    const first = actor.forward([0.1, 0.2, 0.3, 0.4, 0.5]);
    const mean = first.mean;
    const firstValues = Array.from(mean);
    const second = actor.forward([-1, 0, 1, 0, -1]);
    assert.equal(second, first);
    assert.equal(second.mean, mean);
    assert.notDeepEqual(Array.from(second.mean), firstValues);
  });

  test('a batch row equals the single-observation pass', () => {
    const layout = actorLayout(spec);
    const actor = new ActorForward(actorWeightsFromParams(layout, randomParams(spec, new Rng(2)), 0));
    const rng = new Rng(3);
    const obs = new Float32Array(7 * spec.obsDim).map(() => rng.normal());
    const batch = actor.forwardBatch(obs, 7);
    const means = Array.from(batch.mean);
    for (let r = 0; r < 7; r++) {
      const single = actor.forward(obs.subarray(r * spec.obsDim, (r + 1) * spec.obsDim));
      assert.deepEqual(Array.from(single.mean), means.slice(r * spec.actionDim, (r + 1) * spec.actionDim));
    }
    const fewer = actor.forwardBatch(obs, 3);
    assert.equal(fewer.count, 3);
    assert.equal(fewer.mean.length, 3 * spec.actionDim);
    assert.equal(fewer.latent.length, 3 * spec.hidden[spec.hidden.length - 1]);
    assert.deepEqual(Array.from(fewer.mean), means.slice(0, 3 * spec.actionDim));
  });

  test('setWeights swaps weights of the same architecture and refuses another', () => {
    const layout = actorLayout(spec);
    const actor = new ActorForward(actorWeightsFromParams(layout, randomParams(spec, new Rng(4)), 0));
    const before = Array.from(actor.forward([1, 1, 1, 1, 1]).mean);
    actor.setWeights(actorWeightsFromParams(layout, randomParams(spec, new Rng(5)), 1));
    assert.notDeepEqual(Array.from(actor.forward([1, 1, 1, 1, 1]).mean), before);
    const other: ActorSpec = { ...spec, hidden: [8] };
    const otherLayout = actorLayout(other);
    assert.throws(
      () => actor.setWeights(actorWeightsFromParams(otherLayout, initActorParams(otherLayout, new Rng(6)), 0)),
      /architecture changed/,
    );
    assert.throws(() => actor.forward([1, 2]), /2 values, expected 5/);
  });

  test('ActorWeights convert back to the flat layout exactly', () => {
    for (const [, candidate] of SPECS) {
      const layout = actorLayout(candidate);
      const params = randomParams(candidate, new Rng(7));
      assert.deepEqual(actorParamsFromWeights(layout, actorWeightsFromParams(layout, params, 3)), params);
    }
  });
});
