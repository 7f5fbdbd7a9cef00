/**
 * The kernel engine's hand-written gradients against tfjs autodiff.
 *
 * Tolerances: float32 arithmetic summed in different orders; gradients agree to 1e-4 of the largest
 * gradient entry (+1e-6 absolute), parameters after several Adam steps to 1e-4 of the largest
 * parameter. A wrong gradient (a missing term, a transposed product, a stale packed weight) is off
 * by far more than that.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { applyMlp, TfNetwork, type TfMlp } from '../../src/rl/learner/autodiff/networks.js';
import { KernelMlp, MlpPass } from '../../src/rl/learner/kernels/mlp.js';
import { WasmKernels } from '../../src/rl/learner/kernels/wasm.js';
import { mlpLayout, type MlpLayout } from '../../src/rl/learner/params.js';
import type { LearnerConfigInput } from '../../src/rl/learner/index.js';
import { assertClose, FC_RUNS, FC_SEED, learnerFor, randomBatch, Rng, wasmBackend } from './learner-fixtures.js';

before(wasmBackend);

/** The gradient of every variable of `mlp`, placed in the network's flat layout. */
function flatGradient(mlp: TfMlp, layout: MlpLayout, grads: tf.NamedTensorMap, size: number): Float32Array {
  const flat = new Float32Array(size);
  const put = (variable: tf.Variable, offset: number): void => {
    const grad = grads[variable.name];
    assert.ok(grad !== undefined, `no autodiff gradient for ${variable.name}`);
    flat.set(grad.dataSync(), offset);
  };
  layout.hidden.forEach((slot, l) => {
    const dense = mlp.hidden[l];
    assert.ok(dense !== undefined);
    put(dense.kernel, slot.kernel);
    put(dense.bias, slot.bias);
    const norm = layout.layerNorms[l];
    const vars = mlp.layerNorms[l];
    if (norm && vars) {
      put(vars.gain, norm.gain);
      put(vars.bias, norm.bias);
    }
  });
  put(mlp.head.kernel, layout.head.kernel);
  put(mlp.head.bias, layout.head.bias);
  return flat;
}

describe('kernel MLP backward = tfjs autodiff', () => {
  test('random shapes (narrow and wide layers), with and without layer norm', () => {
    const kernels = WasmKernels.fromTfjsBackend();
    const shapes = fc.record({
      inputs: fc.integer({ min: 1, max: 9 }),
      hidden: fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 3 }),
      outputs: fc.integer({ min: 1, max: 5 }),
      rows: fc.integer({ min: 1, max: 11 }),
      layerNorm: fc.boolean(),
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
    });
    try {
      fc.assert(
        fc.property(shapes, ({ inputs, hidden, outputs, rows, layerNorm, seed }) => {
          const rng = new Rng(seed);
          const layout = mlpLayout(0, inputs, hidden, outputs, layerNorm);
          const flat = new Float32Array(layout.size);
          for (let i = 0; i < flat.length; i++) flat[i] = 0.5 * rng.normal();
          for (const norm of layout.layerNorms) for (let o = 0; o < norm.width; o++) flat[norm.gain + o] = 1 + 0.3 * rng.normal();
          const x = new Float32Array(rows * inputs).map(() => rng.normal());
          const seedGrad = new Float32Array(rows * outputs).map(() => rng.normal());

          // Kernel engine: forward, then backward from ∂loss/∂output = seedGrad (loss = Σ output ⊙ seedGrad).
          const params = kernels.allocate(layout.size);
          const grads = kernels.allocate(layout.size);
          const mlp = new KernelMlp(kernels, layout, params, grads);
          const pass = new MlpPass(kernels, layout, rows, true);
          kernels.heap.set(flat, params.offset);
          kernels.heap.set(x, pass.input.offset);
          mlp.forward(pass);
          const output = kernels.heap.slice(pass.output.offset, pass.output.offset + rows * outputs);
          const passGrads = pass.grads;
          assert.ok(passGrads !== null);
          kernels.heap.set(seedGrad, passGrads.output.offset);
          mlp.backwardHead(pass, true);
          mlp.backwardHidden(pass, true, true);
          const kernelGrads = kernels.heap.slice(grads.offset, grads.offset + layout.size);
          const kernelInputGrad = kernels.heap.slice(passGrads.input.offset, passGrads.input.offset + rows * inputs);
          pass.release(kernels);
          kernels.free(params, grads);

          // Autodiff reference.
          const network = new TfNetwork(layout.size, true);
          const tfMlp = network.addMlp(flat, layout);
          const input = tf.variable(tf.tensor2d(x, [rows, inputs]));
          const expectedOutput = tf.tidy(() => applyMlp(tfMlp, input).output.dataSync() as Float32Array);
          const { value, grads: autodiff } = tf.variableGrads(
            () => tf.sum<tf.Scalar>(tf.mul(applyMlp(tfMlp, input).output, tf.tensor2d(seedGrad, [rows, outputs]))),
            [...network.variables, input],
          );
          const expectedGrads = flatGradient(tfMlp, layout, autodiff, layout.size);
          const expectedInputGrad = autodiff[input.name].dataSync() as Float32Array;
          tf.dispose([value, ...Object.values(autodiff), input]);
          network.dispose();

          const label = `inputs ${inputs} hidden [${hidden}] outputs ${outputs} rows ${rows}${layerNorm ? ' LN' : ''}`;
          assertClose(output, expectedOutput, 1e-5, 1e-6, `${label}: output`);
          assertClose(kernelGrads, expectedGrads, 1e-4, 1e-6, `${label}: parameter gradient`);
          assertClose(kernelInputGrad, expectedInputGrad, 1e-4, 1e-6, `${label}: input gradient`);
        }),
        { seed: FC_SEED, numRuns: FC_RUNS },
      );
    } finally {
      kernels.dispose();
    }
  });
});

const VARIANTS: [string, Omit<LearnerConfigInput, 'obsDim' | 'actionDim'>][] = [
  ['SAC, Gaussian head', { algo: 'sac' }],
  ['SAC, Gaussian head, layer norm', { algo: 'sac', layerNorm: true }],
  ['SAC, gSDE full std', { algo: 'sac', gsde: { logStdInit: -1 } }],
  [
    'SAC, gSDE shared std + expln + layer norm',
    { algo: 'sac', gsde: { fullStd: false, useExpln: true, logStdInit: 0.3 }, layerNorm: true },
  ],
  ['SAC, fixed entropy coefficient', { algo: 'sac', sac: { entCoef: 0.2 } }],
  ['TD3, actor every step', { algo: 'td3', td3: { policyDelay: 1 } }],
  ['TD3, layer norm, policy delay 2', { algo: 'td3', layerNorm: true }],
  ['SAC, gSDE, one hidden layer', { algo: 'sac', gsde: { logStdInit: -0.5 }, actorHidden: [8], criticHidden: [6] }],
  ['TD3, three hidden layers', { algo: 'td3', td3: { policyDelay: 1 }, actorHidden: [12, 9, 7], criticHidden: [10, 8, 6] }],
];

describe('a whole update: kernel engine = autodiff engine', () => {
  for (const [name, variant] of VARIANTS) {
    test(name, async () => {
      const input = { obsDim: 3, actionDim: 2, actorHidden: [16, 8], criticHidden: [12, 10], seed: 11, ...variant };
      const kernels = await learnerFor({ ...input, engine: 'kernels' });
      const autodiff = await learnerFor({ ...input, engine: 'autodiff' });
      assert.equal(kernels.engine, 'kernels');
      assert.equal(autodiff.engine, 'autodiff');
      try {
        const rng = new Rng(5);
        const first = randomBatch(rng, 32, 3, 2);
        const a = kernels.update(first);
        const b = autodiff.update(first);
        for (const key of ['criticLoss', 'actorLoss', 'entCoef', 'entCoefLoss', 'meanQ', 'meanLogProb'] as const) {
          const x = a[key];
          const y = b[key];
          assert.equal(x === null, y === null, `${key} null on one engine only`);
          if (x !== null && y !== null)
            assert.ok(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(y)), `${key}: kernels ${x}, autodiff ${y}`);
        }
        // After Adam's first step the first moment is (1 − β1)·gradient: the gradients, compared in full.
        const sa = kernels.getState().arrays;
        const sb = autodiff.getState().arrays;
        assertClose(sa.criticMoment1, sb.criticMoment1, 1e-4, 1e-7, `${name}: critic gradient`);
        assertClose(sa.actorMoment1, sb.actorMoment1, 1e-4, 1e-7, `${name}: actor gradient`);
        for (let u = 0; u < 3; u++) {
          const batch = randomBatch(rng, 32, 3, 2);
          kernels.update(batch);
          autodiff.update(batch);
        }
        const ka = kernels.getState();
        const kb = autodiff.getState();
        for (const key of ['actor', 'critic', 'criticTarget', 'actorTarget'] as const) {
          assertClose(ka.arrays[key], kb.arrays[key], 1e-4, 1e-6, `${name}: ${key} after 4 updates`);
        }
        assert.equal(ka.actorUpdates, kb.actorUpdates);
        if (ka.entropy !== null && kb.entropy !== null) assert.ok(Math.abs(ka.entropy.logEntCoef - kb.entropy.logEntCoef) < 1e-5);
      } finally {
        kernels.dispose();
        autodiff.dispose();
      }
    });
  }
});
