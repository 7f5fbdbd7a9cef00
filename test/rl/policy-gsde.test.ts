/**
 * gSDE as stable-baselines3 defines it: σ from log σ (exp or expln, full or shared), and the
 * log-probability of the squashed action, checked three ways: against a direct float64 computation
 * (both engines), and, by a seeded Monte-Carlo run, against the actual distribution of actions
 * a = tanh(μ + z·E) with E ~ N(0, σ²).
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { TfSacActor } from '../../src/rl/learner/autodiff/sac.js';
import { GsdePolicyHead } from '../../src/rl/learner/kernels/heads.js';
import { MlpPass } from '../../src/rl/learner/kernels/mlp.js';
import { WasmKernels } from '../../src/rl/learner/kernels/wasm.js';
import { actorLayout, actorWeightsFromParams, initActorParams, mlpLayout } from '../../src/rl/learner/params.js';
import type { UpdateNoise } from '../../src/rl/learner/noise.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import { gsdeSigma, gsdeSigmaDerivative, gsdeSigmaOf } from '../../src/rl/policy/gsde.js';
import type { ActorSpec, GsdeOptions } from '../../src/rl/types.js';
import { FC_SEED, Rng, wasmBackend } from './learner-fixtures.js';

before(wasmBackend);

describe('gSDE σ', () => {
  test('exp, and expln continuous at 0 and logarithmic above', () => {
    assert.equal(gsdeSigmaOf(-1, false), Math.exp(-1));
    assert.equal(gsdeSigmaOf(2, false), Math.exp(2));
    assert.equal(gsdeSigmaOf(-1, true), Math.exp(-1));
    assert.equal(gsdeSigmaOf(0, true), 1);
    assert.ok(Math.abs(gsdeSigmaOf(1e-9, true) - 1) < 2e-6, 'expln jumps at 0');
    assert.equal(gsdeSigmaOf(3, true), Math.log1p(3 + 1e-6) + 1);
  });

  test('derivatives match central differences', () => {
    for (const useExpln of [false, true]) {
      for (const x of [-2.5, -0.3, 0.4, 1.7, 5]) {
        const h = 1e-6;
        const numeric = (gsdeSigmaOf(x + h, useExpln) - gsdeSigmaOf(x - h, useExpln)) / (2 * h);
        assert.ok(Math.abs(gsdeSigmaDerivative(x, useExpln) - numeric) < 1e-6, `x ${x} expln ${useExpln}`);
      }
    }
  });

  test('shared σ (fullStd false) is one value per latent feature for every action', () => {
    const out = new Float32Array(6);
    gsdeSigma({ logStdInit: 0, fullStd: false, useExpln: false }, new Float32Array([-1, 0, 1]), 3, 2, out);
    assert.deepEqual(Array.from(out), [Math.exp(-1), Math.exp(-1), 1, 1, Math.exp(1), Math.exp(1)].map(Math.fround));
  });
});

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

function gsdeNoise(epsilon: Float32Array): UpdateNoise {
  return { nextEpsilon: null, currentEpsilon: null, gsdeEpsilon: epsilon, targetEpsilon: null };
}

/** log π of a = tanh(μ + z·E) for E = σ ⊙ ε, straight from the definition, in float64. */
function directLogProb(
  latent: ArrayLike<number>,
  mean: ArrayLike<number>,
  sigma: ArrayLike<number>,
  epsilon: ArrayLike<number>,
  L: number,
  A: number,
): { logProb: number; action: number[] } {
  let logProb = 0;
  const action: number[] = [];
  for (let j = 0; j < A; j++) {
    let noise = 0;
    let variance = 1e-6;
    for (let i = 0; i < L; i++) {
      const z = latent[i];
      const s = sigma[i * A + j];
      noise += z * s * epsilon[i * A + j];
      variance += z * z * s * s;
    }
    const a = Math.tanh(mean[j] + noise);
    action.push(a);
    logProb += -(noise * noise) / (2 * variance) - 0.5 * Math.log(variance) - HALF_LOG_TWO_PI - Math.log(1 - a * a + 1e-6);
  }
  return { logProb, action };
}

describe('gSDE log-probabilities = direct computation', () => {
  for (const gsde of [
    { logStdInit: -1, fullStd: true, useExpln: false },
    { logStdInit: 0.2, fullStd: false, useExpln: true },
  ] satisfies GsdeOptions[]) {
    test(`kernel and autodiff engines, fullStd ${gsde.fullStd}, expln ${gsde.useExpln}`, () => {
      const spec: ActorSpec = { obsDim: 4, actionDim: 2, hidden: [12, 10], layerNorm: false, head: 'gsde', gsde };
      const layout = actorLayout(spec);
      const rng = new Rng(FC_SEED);
      const params = initActorParams(layout, rng);
      const logStdSlot = layout.gsdeLogStd;
      assert.ok(logStdSlot !== null);
      for (let i = logStdSlot.offset; i < logStdSlot.offset + logStdSlot.length; i++) params[i] = gsde.logStdInit + 0.3 * rng.normal();
      const weights = actorWeightsFromParams(layout, params, 0);
      const L = layout.latentDim;
      const A = spec.actionDim;
      const rows = 16;
      const obs = new Float32Array(rows * spec.obsDim).map(() => 2 * rng.normal());
      const epsilon = new Float32Array(L * A).map(() => rng.normal());
      const sigma = gsdeSigma(gsde, weights.gsdeLogStd as Float32Array, L, A, new Float32Array(L * A));

      // Latent features and clipped means from the JavaScript actor (equal to the tfjs actor, see policy-actor).
      const actor = new ActorForward(weights);
      const latent = new Float32Array(rows * L);
      const mean = new Float32Array(rows * A);
      const direct: { logProb: number; action: number[] }[] = [];
      for (let r = 0; r < rows; r++) {
        const out = actor.forward(obs.subarray(r * spec.obsDim, (r + 1) * spec.obsDim));
        latent.set(out.latent, r * L);
        mean.set(out.mean, r * A);
        direct.push(directLogProb(out.latent, out.mean, sigma, epsilon, L, A));
      }

      // Kernel engine head, on a pass holding the latent features and the means.
      const kernels = WasmKernels.fromTfjsBackend();
      try {
        const pass = new MlpPass(kernels, mlpLayout(0, 1, [L], A, false), rows, false);
        const logStd = kernels.allocate(logStdSlot.length);
        const gradLogStd = kernels.allocate(logStdSlot.length);
        kernels.heap.set(mean, pass.output.offset);
        kernels.heap.set(latent, (pass.hidden[0] as { offset: number }).offset);
        kernels.heap.set(weights.gsdeLogStd as Float32Array, logStd.offset);
        const head = new GsdePolicyHead(kernels, gsde, rows, L, A, logStd.offset, gradLogStd.offset);
        head.beginStep(gsdeNoise(epsilon));
        const sampled = head.sample(pass, 'current');
        direct.forEach((expected, r) => {
          assert.ok(
            Math.abs(sampled.logProb[r] - expected.logProb) < 1e-4 * Math.max(1, Math.abs(expected.logProb)),
            `kernels row ${r}: ${sampled.logProb[r]} vs ${expected.logProb}`,
          );
          for (let j = 0; j < A; j++) assert.ok(Math.abs(sampled.action[r * A + j] - expected.action[j]) < 1e-5);
        });
      } finally {
        kernels.dispose();
      }

      // Autodiff engine.
      const tfActor = new TfSacActor(layout, params);
      const { logProb, action } = tf.tidy(() => {
        const sample = tfActor.sample(tf.tensor2d(obs, [rows, spec.obsDim]), null, tf.tensor2d(epsilon, [L, A]));
        return { logProb: sample.logProb.dataSync() as Float32Array, action: sample.action.dataSync() as Float32Array };
      });
      tfActor.network.dispose();
      direct.forEach((expected, r) => {
        assert.ok(
          Math.abs(logProb[r] - expected.logProb) < 1e-4 * Math.max(1, Math.abs(expected.logProb)),
          `autodiff row ${r}: ${logProb[r]} vs ${expected.logProb}`,
        );
        for (let j = 0; j < A; j++) assert.ok(Math.abs(action[r * A + j] - expected.action[j]) < 1e-5);
      });
    });
  }
});

describe('gSDE log-probability is the density of the sampled actions', () => {
  test('histogram of tanh(μ + z·E), E ~ N(0, σ²), against exp(log π) (seeded Monte Carlo)', () => {
    const L = 6;
    const gsde: GsdeOptions = { logStdInit: -0.5, fullStd: true, useExpln: false };
    const z = [0.9, 0, 0.4, 1.3, 0.2, 0.7];
    const mu = 0.3;
    const logStd = new Float32Array(L).map((_, i) => -0.5 + 0.1 * i);
    const sigma = gsdeSigma(gsde, logStd, L, 1, new Float32Array(L));
    let variance = 0;
    for (let i = 0; i < L; i++) variance += z[i] ** 2 * sigma[i] ** 2;

    // Empirical: E resampled for every draw, as at exploration time.
    const rng = new Rng(FC_SEED);
    const draws = 200_000;
    const bins = 40;
    const counts = new Float64Array(bins);
    for (let d = 0; d < draws; d++) {
      let noise = 0;
      for (let i = 0; i < L; i++) noise += z[i] * sigma[i] * rng.normal();
      const a = Math.tanh(mu + noise);
      counts[Math.min(bins - 1, Math.floor(((a + 1) / 2) * bins))]++;
    }

    // The engine's log π at any action a = tanh(u): one-row batches whose ε makes z·E = u − μ. Each
    // bin is integrated in u (where the density is smooth) by Simpson's rule:
    // P(bin) = ∫ π(tanh u) · (1 − tanh² u) du.
    const kernels = WasmKernels.fromTfjsBackend();
    try {
      const pass = new MlpPass(kernels, mlpLayout(0, 1, [L], 1, false), 1, false);
      const logStdRegion = kernels.allocate(L);
      const gradLogStd = kernels.allocate(L);
      kernels.heap.set(logStd, logStdRegion.offset);
      kernels.heap.set(z, (pass.hidden[0] as { offset: number }).offset);
      kernels.heap[pass.output.offset] = mu;
      const head = new GsdePolicyHead(kernels, gsde, 1, L, 1, logStdRegion.offset, gradLogStd.offset);
      const densityInU = (u: number): number => {
        head.beginStep(gsdeNoise(new Float32Array(L).map((_, i) => ((u - mu) * z[i] * sigma[i]) / variance)));
        const a = Math.tanh(u);
        return Math.exp(head.sample(pass, 'current').logProb[0]) * (1 - a * a);
      };
      const intervals = 20;
      for (let b = 0; b < bins; b++) {
        const low = b === 0 ? -12 : Math.atanh(-1 + (2 * b) / bins);
        const high = b === bins - 1 ? 12 : Math.atanh(-1 + (2 * (b + 1)) / bins);
        const h = (high - low) / intervals;
        let integral = densityInU(low) + densityInU(high);
        for (let k = 1; k < intervals; k++) integral += (k % 2 === 1 ? 4 : 2) * densityInU(low + k * h);
        const expected = (integral * h) / 3;
        const observed = counts[b] / draws;
        const tolerance = 4 * Math.sqrt((expected * (1 - expected)) / draws) + 1e-4;
        assert.ok(
          Math.abs(observed - expected) <= tolerance,
          `bin ${b}: observed ${observed.toFixed(5)}, exp(log π) gives ${expected.toFixed(5)}`,
        );
      }
    } finally {
      kernels.dispose();
    }
  });
});
