/**
 * Single-observation action latency on the control tick, per exploration strategy: the JavaScript
 * actor's forward pass plus the noise (`ExplorationStrategy.act`), for [64, 64] and [256, 256]
 * networks with 6 joints and a 24-value observation, interval 1 (the worst case: new noise every
 * tick). SB3's stochastic `predict` takes about 0.14 ms (p50) on this machine (anchors.md).
 */
import { createExploration, NOISE_NAMES } from '../src/rl/exploration/index.js';
import { resolveLearnerConfig } from '../src/rl/learner/index.js';
import { ActorForward } from '../src/rl/policy/actor.js';
import type { ActorWeights, DenseWeights } from '../src/rl/types.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/training/config.js';
import { Rng } from '../src/util/rng.js';
import type { BenchResult } from './registry.js';

const OBS_DIM = 24;
const ACTION_DIM = 6;
const TICKS = 20_000;

function randomWeights(hidden: number[], head: 'gaussian' | 'gsde' | 'deterministic', rng: Rng): ActorWeights {
  const config = resolveLearnerConfig({
    algo: head === 'deterministic' ? 'td3' : 'sac',
    obsDim: OBS_DIM,
    actionDim: ACTION_DIM,
    actorHidden: hidden,
    gsde: head === 'gsde',
  });
  const dense = (inputs: number, outputs: number): DenseWeights => ({
    inputs,
    outputs,
    kernel: Float32Array.from({ length: inputs * outputs }, () => rng.normal() / Math.sqrt(inputs)),
    bias: new Float32Array(outputs),
  });
  const widths = [OBS_DIM, ...hidden];
  const latent = hidden[hidden.length - 1];
  return {
    spec: config.actor,
    hidden: hidden.map((width, l) => dense(widths[l], width)),
    layerNorms: [],
    mean: dense(latent, ACTION_DIM),
    logStd: head === 'gaussian' ? dense(latent, ACTION_DIM) : null,
    gsdeLogStd: head === 'gsde' ? new Float32Array(latent * ACTION_DIM).fill(-2) : null,
    updates: 0,
  };
}

export async function* run(): AsyncGenerator<BenchResult> {
  for (const hidden of [
    [64, 64],
    [256, 256],
  ]) {
    for (const noise of NOISE_NAMES) {
      const rng = new Rng(1);
      const head = noise === 'gsde' ? 'gsde' : 'gaussian';
      const policy = new ActorForward(randomWeights(hidden, head, rng));
      const strategy = createExploration(
        { ...DEFAULT_TRAIN_CONFIG, noise, interval: 1 },
        { rng, actionDim: ACTION_DIM, episodeSteps: 1000, controlPeriodS: 0.02, head },
      );
      strategy.reset();
      const obs = new Float32Array(OBS_DIM);
      const action = new Float32Array(ACTION_DIM);
      const added = new Float32Array(ACTION_DIM);
      const samples = new Float64Array(TICKS);
      for (let t = 0; t < TICKS; t++) {
        rng.fillNormal(obs);
        if (t % 1000 === 0) strategy.reset();
        const start = performance.now();
        strategy.act(policy, obs, action, added);
        samples[t] = performance.now() - start;
      }
      // The first thousand ticks warm the JIT up.
      const sorted = Array.from(samples.subarray(1000)).sort((a, b) => a - b);
      const quantile = (q: number): number => Math.round(sorted[Math.floor(q * (sorted.length - 1))] * 1000 * 10) / 10;
      yield {
        noise,
        interval: 1,
        arch: hidden,
        obs_dim: OBS_DIM,
        action_dim: ACTION_DIM,
        p50_us: quantile(0.5),
        p99_us: quantile(0.99),
        max_us: quantile(1),
        sb3_predict_p50_us: 136,
      };
    }
  }
}
