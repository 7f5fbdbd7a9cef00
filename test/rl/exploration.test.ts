import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GaussianNoise } from '../../src/rl/exploration/gaussian.js';
import { GsdeExploration } from '../../src/rl/exploration/gsde.js';
import { ParameterNoise } from '../../src/rl/exploration/param.js';
import { NoNoise } from '../../src/rl/exploration/none.js';
import { OrnsteinUhlenbeckNoise } from '../../src/rl/exploration/ou.js';
import { coloredNoise, PinkNoise } from '../../src/rl/exploration/pink.js';
import { ResampleClock, type ExplorationStrategy, type Policy } from '../../src/rl/exploration/strategy.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import type { ActorWeights } from '../../src/rl/types.js';
import { Rng } from '../../src/util/rng.js';

/** A real actor whose weights are all zero: mean 0 and (gaussian head) log std 0, i.e. σ = 1. */
function constantPolicy(actionDim: number, head: 'gaussian' | 'deterministic'): Policy {
  const dense = (inputs: number, outputs: number) => ({
    inputs,
    outputs,
    kernel: new Float32Array(inputs * outputs),
    bias: new Float32Array(outputs),
  });
  const weights: ActorWeights = {
    spec: { obsDim: 3, actionDim, hidden: [4], layerNorm: false, head, gsde: null },
    hidden: [dense(3, 4)],
    layerNorms: [],
    mean: dense(4, actionDim),
    logStd: head === 'gaussian' ? dense(4, actionDim) : null,
    gsdeLogStd: null,
    updates: 0,
  };
  return new ActorForward(weights);
}

function noiseSequence(strategy: ExplorationStrategy, policy: Policy, steps: number, actionDim: number): number[][] {
  const action = new Float32Array(actionDim);
  const noise = new Float32Array(actionDim);
  const obs = new Float32Array(3);
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    strategy.act(policy, obs, action, noise);
    out.push(Array.from(noise));
  }
  return out;
}

describe('resample clock', () => {
  test('draws at the first step and then exactly every k steps', () => {
    for (const k of [1, 2, 3, 8]) {
      const clock = new ResampleClock(k);
      const due = Array.from({ length: 20 }, () => clock.tick());
      due.forEach((isDue, step) => assert.equal(isDue, step % k === 0, `k=${k} step=${step}`));
      clock.reset();
      assert.equal(clock.tick(), true, 'a reset starts over');
    }
  });

  test('-1 draws once per episode', () => {
    const clock = new ResampleClock(-1);
    const due = Array.from({ length: 50 }, () => clock.tick());
    assert.deepEqual(
      due.map((d, i) => (d ? i : -1)).filter((i) => i >= 0),
      [0],
    );
  });

  test('rejects 0, fractions and other negatives', () => {
    for (const bad of [0, -2, 1.5, Number.NaN]) assert.throws(() => new ResampleClock(bad), /--interval/);
  });
});

describe('action noises honour --interval', () => {
  const strategies: [string, (interval: number) => ExplorationStrategy][] = [
    ['gaussian', (k) => new GaussianNoise(new Rng(1), 2, k, 'gaussian', 0.1)],
    ['ou', (k) => new OrnsteinUhlenbeckNoise(new Rng(1), 2, k, 'gaussian', 0.1)],
    ['pink', (k) => new PinkNoise(new Rng(1), 2, k, 'gaussian', 0.1, 100)],
  ];
  for (const [name, make] of strategies) {
    test(`${name}: noise changes exactly at every k-th step and not between`, () => {
      for (const k of [1, 4, 8]) {
        const strategy = make(k);
        strategy.reset();
        const sequence = noiseSequence(strategy, constantPolicy(2, 'gaussian'), 40, 2);
        for (let t = 1; t < sequence.length; t++) {
          const changed = sequence[t].some((value, j) => value !== sequence[t - 1][j]);
          assert.equal(changed, t % k === 0, `${name} k=${k} step ${t}`);
        }
      }
    });
  }

  test('once per episode: constant within an episode, new after reset', () => {
    const strategy = new GaussianNoise(new Rng(5), 1, -1, 'gaussian', 0.1);
    strategy.reset();
    const first = noiseSequence(strategy, constantPolicy(1, 'gaussian'), 30, 1);
    assert.ok(first.every((value) => value[0] === first[0][0]));
    strategy.reset();
    const second = noiseSequence(strategy, constantPolicy(1, 'gaussian'), 2, 1);
    assert.notEqual(second[0][0], first[0][0]);
  });

  test('SAC composition: a = tanh(μ + σ ε); TD3: a = clip(tanh μ + σ_a ε)', () => {
    const sac = new GaussianNoise(new Rng(9), 1, 1, 'gaussian', 0.1);
    const td3 = new GaussianNoise(new Rng(9), 1, 1, 'deterministic', 0.5);
    sac.reset();
    td3.reset();
    const epsilon = new Rng(9).normal();
    const [sacNoise] = noiseSequence(sac, constantPolicy(1, 'gaussian'), 1, 1);
    const [td3Noise] = noiseSequence(td3, constantPolicy(1, 'deterministic'), 1, 1);
    assert.ok(Math.abs(sacNoise[0] - Math.tanh(epsilon)) < 1e-6);
    assert.ok(Math.abs(td3Noise[0] - Math.max(-1, Math.min(1, 0.5 * epsilon))) < 1e-6);
  });

  test('state round-trip continues the same noise sequence', () => {
    for (const [, make] of strategies) {
      const strategy = make(3);
      strategy.reset();
      const policy = constantPolicy(2, 'gaussian');
      noiseSequence(strategy, policy, 7, 2);
      const saved = JSON.parse(JSON.stringify(strategy.getState()));
      const expected = noiseSequence(strategy, policy, 10, 2);
      const restored = make(3);
      restored.setState(saved);
      assert.deepEqual(noiseSequence(restored, policy, 10, 2), expected);
    }
  });

  test('none: the mean action, zero noise', () => {
    const strategy = new NoNoise(3);
    strategy.reset();
    assert.deepEqual(noiseSequence(strategy, constantPolicy(2, 'gaussian'), 3, 2), [
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('noise statistics', () => {
  test('OU: unit stationary variance and lag-1 correlation exp(-θ dt)', () => {
    const theta = 5;
    const dt = 0.05; // correlation exp(-0.25) ≈ 0.7788 per draw
    // Read ε through TD3's composition with σ_a = 1e-3 so that no clipping occurs: noise = 1e-3 ε.
    const scaled = new OrnsteinUhlenbeckNoise(new Rng(11), 1, 1, 'deterministic', 1e-3, theta, dt);
    scaled.reset();
    // The first 100 draws climb from 0 (see the next test); the statistics are of the stationary part.
    const values = noiseSequence(scaled, constantPolicy(1, 'deterministic'), 100_000, 1)
      .slice(100)
      .map((v) => v[0] / 1e-3);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    let lagged = 0;
    for (let t = 1; t < values.length; t++) lagged += (values[t] - mean) * (values[t - 1] - mean);
    const correlation = lagged / (values.length - 1) / variance;
    assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
    assert.ok(Math.abs(correlation - Math.exp(-0.25)) < 0.02, `correlation ${correlation}`);
  });

  test('OU starts at 0 every episode (SB3): draw n of an episode has variance 1 − exp(−2 θ dt n)', () => {
    const theta = 0.15;
    const dt = 0.01;
    const episodes = 4000;
    const steps = 100;
    const sumSq = new Float64Array(steps);
    const ou = new OrnsteinUhlenbeckNoise(new Rng(5), 1, 1, 'deterministic', 1e-3, theta, dt);
    for (let e = 0; e < episodes; e++) {
      ou.reset();
      noiseSequence(ou, constantPolicy(1, 'deterministic'), steps, 1).forEach((v, n) => (sumSq[n] += (v[0] / 1e-3) ** 2));
    }
    for (const n of [1, 10, 100]) {
      const expected = 1 - Math.exp(-2 * theta * dt * n);
      const measured = sumSq[n - 1] / episodes;
      // 4000 episodes: the variance estimate is within ±10 % (about 4.5 standard errors).
      assert.ok(Math.abs(measured / expected - 1) < 0.1, `draw ${n}: variance ${measured}, expected ${expected}`);
    }
    // SB3's defaults: after a 100-step episode the noise has not reached half its stationary std.
    assert.ok(Math.sqrt(sumSq[99] / episodes) < 0.55);
  });

  test('OU --ou-control-period: dt is the control period times the interval', () => {
    const correlationOf = (interval: number): number => {
      const ou = new OrnsteinUhlenbeckNoise(new Rng(3), 1, interval, 'deterministic', 1e-3, 2, 0.01, 0.05);
      ou.reset();
      // One value per draw: every `interval`-th step, from the stationary part.
      const values = noiseSequence(ou, constantPolicy(1, 'deterministic'), 60_000 * interval, 1)
        .filter((_, t) => t % interval === 0)
        .slice(200)
        .map((v) => v[0] / 1e-3);
      let product = 0;
      let square = 0;
      for (let t = 1; t < values.length; t++) {
        product += values[t] * values[t - 1];
        square += values[t - 1] ** 2;
      }
      return product / square;
    };
    assert.ok(Math.abs(correlationOf(1) - Math.exp(-2 * 0.05)) < 0.02, `k=1: ${correlationOf(1)}`);
    assert.ok(Math.abs(correlationOf(4) - Math.exp(-2 * 0.05 * 4)) < 0.02, `k=4: ${correlationOf(4)}`);
    assert.equal(new OrnsteinUhlenbeckNoise(new Rng(3), 1, 4, 'gaussian', 0.1, 2, 0.01, 0.05).describe()['ouDt'], 0.2);
  });

  test('colored noise: unit variance, and β sets the spectral slope', () => {
    const rng = new Rng(2);
    for (const beta of [0, 1, 2]) {
      let sumSq = 0;
      let lowPower = 0;
      let highPower = 0;
      const runs = 200;
      const length = 256;
      for (let r = 0; r < runs; r++) {
        const x = coloredNoise(length, beta, rng);
        for (const v of x) sumSq += v * v;
        // Power at two frequencies an octave-decade apart: k = 4 and k = 64.
        const power = (k: number): number => {
          let re = 0;
          let im = 0;
          for (let t = 0; t < length; t++) {
            re += x[t] * Math.cos((2 * Math.PI * k * t) / length);
            im -= x[t] * Math.sin((2 * Math.PI * k * t) / length);
          }
          return re * re + im * im;
        };
        lowPower += power(4);
        highPower += power(64);
      }
      const variance = sumSq / (runs * length);
      assert.ok(Math.abs(variance - 1) < 0.15, `β=${beta}: variance ${variance}`);
      // PSD ∝ f^-β: the ratio of powers at k=4 and k=64 is 16^β.
      const slope = Math.log(lowPower / highPower) / Math.log(16);
      assert.ok(Math.abs(slope - beta) < 0.25, `β=${beta}: measured slope ${slope}`);
    }
  });
});

/** A small random actor with every head and layer norm available. */
function randomActor(head: 'gaussian' | 'gsde' | 'deterministic', layerNorm: boolean, seed = 1): Policy {
  const rng = new Rng(seed);
  const dense = (inputs: number, outputs: number) => ({
    inputs,
    outputs,
    kernel: Float32Array.from({ length: inputs * outputs }, () => rng.normal() / Math.sqrt(inputs)),
    bias: Float32Array.from({ length: outputs }, () => 0.1 * rng.normal()),
  });
  const weights: ActorWeights = {
    spec: {
      obsDim: 3,
      actionDim: 2,
      hidden: [8, 8],
      layerNorm,
      head,
      gsde: head === 'gsde' ? { logStdInit: -1, fullStd: true, useExpln: false } : null,
    },
    hidden: [dense(3, 8), dense(8, 8)],
    layerNorms: layerNorm
      ? [0, 1].map(() => ({
          gain: Float32Array.from({ length: 8 }, () => 1 + 0.1 * rng.normal()),
          bias: Float32Array.from({ length: 8 }, () => 0.1 * rng.normal()),
        }))
      : [],
    mean: dense(8, 2),
    logStd: head === 'gaussian' ? dense(8, 2) : null,
    gsdeLogStd: head === 'gsde' ? new Float32Array(16).fill(-1) : null,
    updates: 0,
  };
  return new ActorForward(weights);
}

describe('gSDE exploration', () => {
  test('noise = z(s)·E with E held for k steps: a smooth function of the state in between', () => {
    const policy = randomActor('gsde', false);
    const gsde = new GsdeExploration(new Rng(3), 4, { logStdInit: -1, fullStd: true, useExpln: false });
    gsde.reset();
    const action = new Float32Array(2);
    const noise = new Float32Array(2);
    const obs = Float32Array.of(0.2, -0.1, 0.4);
    gsde.act(policy, obs, action, noise);
    const matrix = Float32Array.from(gsde.getState().values['matrix']);
    const sigma = gsde.currentSigma();
    assert.ok(
      sigma.every((value) => Math.abs(value - Math.exp(-1)) < 1e-6),
      'σ = exp(log σ)',
    );
    for (let t = 1; t < 4; t++) {
      obs[0] = 0.2 + 0.1 * t;
      gsde.act(policy, obs, action, noise);
      assert.deepEqual(Array.from(gsde.getState().values['matrix']), Array.from(matrix), `E held at step ${t}`);
      const output = policy.forward(obs);
      for (let j = 0; j < 2; j++) {
        let expected = 0;
        for (let i = 0; i < 8; i++) expected += output.latent[i] * matrix[i * 2 + j];
        assert.ok(Math.abs(action[j] - Math.tanh(output.mean[j] + expected)) < 1e-6);
      }
    }
    gsde.act(policy, obs, action, noise);
    assert.notDeepEqual(Array.from(gsde.getState().values['matrix']), Array.from(matrix), 'E drawn anew at step k');
  });

  test('E has the variance σ² that the learned log σ says', () => {
    const policy = randomActor('gsde', false);
    const gsde = new GsdeExploration(new Rng(4), 1, { logStdInit: -1, fullStd: true, useExpln: false });
    gsde.reset();
    const action = new Float32Array(2);
    const noise = new Float32Array(2);
    let sumSq = 0;
    let count = 0;
    for (let t = 0; t < 5000; t++) {
      gsde.act(policy, Float32Array.of(0.1, 0.2, 0.3), action, noise);
      for (const value of gsde.getState().values['matrix']) {
        sumSq += value * value;
        count++;
      }
    }
    assert.ok(Math.abs(Math.sqrt(sumSq / count) - Math.exp(-1)) < 0.005, `std ${Math.sqrt(sumSq / count)}`);
  });
});

describe('parameter noise', () => {
  const options = { initialStd: 0.3, adaptive: true, targetDistance: 0.1, adaptEvery: 1, adaptFactor: 1.01 };

  test('perturbs every dense weight and bias, never the layer-norm parameters, and holds for k steps', () => {
    const policy = randomActor('gaussian', true);
    const noise = new ParameterNoise(new Rng(5), 3, options);
    noise.reset();
    const action = new Float32Array(2);
    const added = new Float32Array(2);
    const obs = Float32Array.of(0.3, 0.1, -0.2);
    const seen: number[][] = [];
    for (let t = 0; t < 7; t++) {
      noise.act(policy, obs, action, added);
      seen.push(Array.from(action));
    }
    assert.deepEqual(seen[1], seen[0]);
    assert.deepEqual(seen[2], seen[0]);
    assert.notDeepEqual(seen[3], seen[0], 'new perturbation at step k = 3');
    assert.deepEqual(seen[5], seen[3]);
    const perturbed = (noise as unknown as { perturbed: ActorForward }).perturbed.weights;
    const clean = policy.weights;
    perturbed.layerNorms.forEach((norm, l) => {
      assert.deepEqual(Array.from(norm.gain), Array.from(clean.layerNorms[l].gain), 'layer-norm gains untouched');
      assert.deepEqual(Array.from(norm.bias), Array.from(clean.layerNorms[l].bias), 'layer-norm biases untouched');
    });
    const changed = (a: Float32Array, b: Float32Array): number => a.filter((value, i) => value !== b[i]).length;
    for (let l = 0; l < 2; l++) {
      assert.equal(
        changed(perturbed.hidden[l].kernel, clean.hidden[l].kernel),
        clean.hidden[l].kernel.length,
        `every weight of layer ${l}`,
      );
      assert.equal(changed(perturbed.hidden[l].bias, clean.hidden[l].bias), clean.hidden[l].bias.length);
    }
    assert.equal(changed(perturbed.mean.kernel, clean.mean.kernel), clean.mean.kernel.length, 'the output layer too');
    assert.deepEqual(Array.from(policy.weights.hidden[0].kernel), Array.from(clean.hidden[0].kernel), 'the clean actor is not modified');
  });

  test('the adaptive scale moves toward the target action-space distance and settles around it', () => {
    const policy = randomActor('gaussian', true);
    const rng = new Rng(6);
    const observations = Float32Array.from({ length: 64 * 3 }, () => rng.normal());
    for (const [initialStd, direction] of [
      [1.0, 'down'],
      [0.001, 'up'],
    ] as const) {
      const noise = new ParameterNoise(new Rng(7), 1, { ...options, initialStd, adaptFactor: 1.05 });
      const distances: number[] = [];
      for (let step = 0; step < 400; step++) distances.push(noise.adapt(policy, observations, 64));
      if (direction === 'down')
        assert.ok(distances[0] > 0.1 && noise.currentStd < initialStd, `σ shrinks while the distance ${distances[0]} exceeds δ`);
      else assert.ok(distances[0] < 0.1 && noise.currentStd > initialStd, `σ grows while the distance ${distances[0]} is below δ`);
      const late = distances.slice(-100);
      const meanLate = late.reduce((a, b) => a + b, 0) / late.length;
      assert.ok(Math.abs(meanLate - 0.1) < 0.03, `settles near δ = 0.1 (mean of the last 100: ${meanLate})`);
    }
  });

  test('layer normalisation makes the distance of a given σ far less dependent on the weights’ scale', () => {
    // Scale the first layer's weights up 10×: without layer norm the same σ then moves the actions
    // differently; with layer norm the normalisation absorbs the scale.
    const scaled = (layerNorm: boolean, factor: number): Policy => {
      const policy = randomActor('gaussian', layerNorm, 9);
      policy.weights.hidden[0].kernel.forEach((value, i, array) => (array[i] = value * factor));
      return policy;
    };
    const rng = new Rng(10);
    const observations = Float32Array.from({ length: 128 * 3 }, () => rng.normal());
    const distance = (policy: Policy): number =>
      new ParameterNoise(new Rng(11), 1, { ...options, adaptive: false, initialStd: 0.05 }).adapt(policy, observations, 128);
    const withNorm = Math.abs(Math.log(distance(scaled(true, 10)) / distance(scaled(true, 1))));
    const withoutNorm = Math.abs(Math.log(distance(scaled(false, 10)) / distance(scaled(false, 1))));
    assert.ok(withNorm < withoutNorm, `log-ratio of distances with layer norm ${withNorm.toFixed(3)}, without ${withoutNorm.toFixed(3)}`);
  });
});
