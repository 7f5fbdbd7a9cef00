/**
 * `export-policy`: the ONNX model run by onnxruntime-node, the C function compiled by the system C
 * compiler and the JSON layers evaluated here all give robo-train's own deterministic action
 * tanh(μ(s)) to 1e-5, for SAC (Gaussian and gSDE heads) and TD3 actors of several shapes, with and
 * without layer normalisation. The C export also builds for an ATmega328P with README's AVR flags,
 * its weights in flash.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createLearner, initBackend, resolveLearnerConfig, type LearnerConfigInput } from '../../src/rl/learner/index.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import type { PolicyJson } from '../../src/rl/policy/export-json.js';
import { DEFAULT_TRAIN_CONFIG } from '../../src/training/config.js';
import { writeCheckpoint } from '../../src/training/checkpoint.js';
import { Rng } from '../../src/util/rng.js';
import { haveTools } from '../hardware/support.js';
import { robotrain } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'robo-train-export-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await initBackend('wasm');
});

const OBSERVATIONS = 64;
const TOLERANCE = 1e-5;

interface Case {
  name: string;
  input: Omit<LearnerConfigInput, 'seed'>;
}

const CASES: Case[] = [
  { name: 'SAC gaussian [16, 16]', input: { algo: 'sac', obsDim: 6, actionDim: 2, actorHidden: [16, 16] } },
  {
    name: 'SAC gSDE [24] with layer norm',
    input: { algo: 'sac', obsDim: 5, actionDim: 3, actorHidden: [24], gsde: true, layerNorm: true },
  },
  { name: 'TD3 [8, 16, 12] with layer norm', input: { algo: 'td3', obsDim: 4, actionDim: 2, actorHidden: [8, 16, 12], layerNorm: true } },
  { name: 'TD3 [32, 32]', input: { algo: 'td3', obsDim: 9, actionDim: 4, actorHidden: [32, 32] } },
];

interface Exported {
  checkpoint: string;
  /** The learner's own actor, loaded from the same state. */
  actor: ActorForward;
}

/**
 * A checkpoint whose actor holds random weights (wider than an initialisation: layer-norm gains and
 * biases away from 1 and 0, means large enough to reach the gSDE clip and saturate tanh).
 */
async function checkpointWithRandomActor(index: number, input: Case['input']): Promise<Exported> {
  const learner = await createLearner(resolveLearnerConfig({ ...input, seed: index }));
  try {
    const state = learner.getState();
    const rng = new Rng(100 + index);
    for (let i = 0; i < state.arrays.actor.length; i++) state.arrays.actor[i] = rng.normal() * 0.6;
    learner.setState(state);
    const checkpoint = join(dir, `run-${index}`);
    writeCheckpoint(checkpoint, {
      meta: {
        format: 1,
        runId: index,
        createdAt: new Date().toISOString(),
        config: { ...DEFAULT_TRAIN_CONFIG, sim: 'sim-reacher', algo: input.algo ?? 'sac' },
        collected: 0,
        updates: state.updates,
        episodes: 0,
        totalSteps: 0,
        exploration: { rng: null, values: {} },
        rngs: {},
      },
      learner: state,
      replay: null,
    });
    return { checkpoint, actor: new ActorForward(learner.actorWeights()) };
  } finally {
    learner.dispose();
  }
}

/** robo-train's own deterministic action tanh(μ(s)) for each observation (row-major). */
function ownActions(actor: ActorForward, observations: Float32Array): Float64Array {
  const { obsDim, actionDim } = actor.spec;
  const count = observations.length / obsDim;
  const out = new Float64Array(count * actionDim);
  for (let n = 0; n < count; n++) {
    const { mean } = actor.forward(observations.subarray(n * obsDim, (n + 1) * obsDim));
    for (let j = 0; j < actionDim; j++) out[n * actionDim + j] = Math.tanh(mean[j]);
  }
  return out;
}

/** The JSON export's layers, evaluated as README.md documents them. */
function jsonActions(policy: PolicyJson, observations: Float32Array): Float64Array {
  const count = observations.length / policy.observation_dim;
  const out = new Float64Array(count * policy.action_dim);
  for (let n = 0; n < count; n++) {
    let x = Array.from(observations.subarray(n * policy.observation_dim, (n + 1) * policy.observation_dim));
    for (const layer of policy.layers) {
      switch (layer.type) {
        case 'dense':
          x = layer.bias.map((bias, o) => x.reduce((sum, xi, i) => sum + xi * layer.kernel[i][o], bias));
          break;
        case 'layer_norm': {
          const mean = x.reduce((a, b) => a + b, 0) / x.length;
          const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
          x = x.map((v, i) => ((v - mean) / Math.sqrt(variance + layer.epsilon)) * layer.gain[i] + layer.bias[i]);
          break;
        }
        case 'relu':
          x = x.map((v) => Math.max(0, v));
          break;
        case 'clip':
          x = x.map((v) => Math.min(layer.max, Math.max(layer.min, v)));
          break;
        case 'tanh':
          x = x.map(Math.tanh);
          break;
      }
    }
    out.set(x, n * policy.action_dim);
  }
  return out;
}

/** Reads "count obsDim" then the observations on stdin, prints each action value on its own line. */
const C_HARNESS = `#include <stdio.h>
#include "policy.h"
int main(void) {
  int count;
  if (scanf("%d", &count) != 1) return 1;
  for (int n = 0; n < count; n++) {
    float observation[ROBO_POLICY_OBS_DIM];
    float action[ROBO_POLICY_ACTION_DIM];
    for (int i = 0; i < ROBO_POLICY_OBS_DIM; i++) if (scanf("%f", &observation[i]) != 1) return 1;
    robo_policy_act(observation, action);
    for (int j = 0; j < ROBO_POLICY_ACTION_DIM; j++) printf("%.9g\\n", action[j]);
  }
  return 0;
}
`;

function cActions(folder: string, observations: Float32Array, obsDim: number): Float64Array {
  writeFileSync(join(folder, 'main.c'), C_HARNESS);
  const binary = join(folder, 'policy-test');
  const compile = spawnSync(
    'cc',
    ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Werror', '-O2', '-o', binary, join(folder, 'main.c'), join(folder, 'policy.c'), '-lm'],
    { encoding: 'utf8' },
  );
  assert.equal(compile.status, 0, `cc failed: ${compile.stderr}`);
  // %.9g round-trips a float32, so the C function sees exactly the observations the others do.
  const input = `${observations.length / obsDim}\n`;
  const run = spawnSync(binary, { input: `${input}${Array.from(observations, (v) => v.toPrecision(9)).join(' ')}\n`, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Float64Array.from(run.stdout.trim().split('\n'), Number);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('export-policy', () => {
  CASES.forEach(({ name, input }, index) => {
    test(name, async () => {
      const { checkpoint, actor } = await checkpointWithRandomActor(index, input);
      const { obsDim, actionDim } = actor.spec;
      const rng = new Rng(7 + index);
      const observations = new Float32Array(OBSERVATIONS * obsDim);
      for (let i = 0; i < observations.length; i++) observations[i] = rng.normal() * 2;
      const own = ownActions(actor, observations);
      // The random weights must reach both the linear part and the saturation of tanh.
      assert.ok(
        own.some((a) => Math.abs(a) < 0.5) && own.some((a) => Math.abs(a) > 0.9),
        `actions cover too little of [-1, 1]: ${Array.from(own, (a) => a.toFixed(2)).join(' ')}`,
      );

      const onnxPath = join(dir, `policy-${index}.onnx`);
      const exported = await robotrain(['export-policy', checkpoint, '--format', 'onnx', '--out', onnxPath]);
      assert.equal(exported.status, 0, exported.stderr);
      const session = await ort.InferenceSession.create(onnxPath);
      assert.deepEqual(session.inputNames, ['observation']);
      assert.deepEqual(session.outputNames, ['action']);
      const result = await session.run({ observation: new ort.Tensor('float32', observations, [OBSERVATIONS, obsDim]) });
      const onnx = result['action'];
      assert.deepEqual(onnx.dims, [OBSERVATIONS, actionDim]);
      const onnxActions = onnx.data as Float32Array;
      assert.ok(maxAbsDiff(onnxActions, own) <= TOLERANCE, `ONNX differs from robo-train's actor by ${maxAbsDiff(onnxActions, own)}`);
      await session.release();

      const cFolder = join(dir, `c-${index}`);
      rmSync(cFolder, { recursive: true, force: true });
      mkdirSync(cFolder);
      assert.equal((await robotrain(['export-policy', checkpoint, '--format', 'c', '--out', join(cFolder, 'policy.c')])).status, 0);
      const c = cActions(cFolder, observations, obsDim);
      assert.ok(maxAbsDiff(c, onnxActions) <= TOLERANCE, `C differs from ONNX by ${maxAbsDiff(c, onnxActions)}`);

      const jsonPath = join(dir, `policy-${index}.json`);
      assert.equal((await robotrain(['export-policy', checkpoint, '--format', 'json', '--out', jsonPath])).status, 0);
      const policy = JSON.parse(readFileSync(jsonPath, 'utf8')) as PolicyJson;
      assert.equal(policy.metadata['algo'], input.algo);
      const json = jsonActions(policy, observations);
      assert.ok(maxAbsDiff(json, own) <= TOLERANCE, `JSON differs from robo-train's actor by ${maxAbsDiff(json, own)}`);
    });
  });

  test("the C export builds for an ATmega328P with README's AVR flags, its weights in flash", async (t) => {
    if (!haveTools(t, 'avr-gcc', 'avr-size')) return;
    // The README's example: a [64, 64] actor of the 2-joint arm, about 19 KB of weights, 10 times an ATmega328P's 2 KB of RAM.
    const { checkpoint } = await checkpointWithRandomActor(8, { algo: 'sac', obsDim: 8, actionDim: 2, actorHidden: [64, 64] });
    const folder = join(dir, 'avr');
    mkdirSync(folder);
    assert.equal((await robotrain(['export-policy', checkpoint, '--format', 'c', '--out', join(folder, 'policy.c')])).status, 0);
    writeFileSync(
      join(folder, 'main.c'),
      `#include "policy.h"
volatile float sink[ROBO_POLICY_ACTION_DIM];
int main(void) {
  float observation[ROBO_POLICY_OBS_DIM] = {0};
  float action[ROBO_POLICY_ACTION_DIM];
  robo_policy_act(observation, action);
  for (int j = 0; j < ROBO_POLICY_ACTION_DIM; j++) sink[j] = action[j];
  return 0;
}
`,
    );
    const elf = join(folder, 'policy.elf');
    const flags = ['-DROBO_POLICY_STORAGE=PROGMEM', '-DROBO_POLICY_READ(p)=pgm_read_float(p)', '-include', 'avr/pgmspace.h'];
    const compile = spawnSync(
      'avr-gcc',
      ['-mmcu=atmega328p', '-std=c99', '-Os', '-Wall', '-Wextra', '-Werror', ...flags, '-o', elf, 'main.c', 'policy.c', '-lm'],
      { cwd: folder, encoding: 'utf8' },
    );
    assert.equal(compile.status, 0, `avr-gcc failed: ${compile.stderr}`);
    const size = spawnSync('avr-size', [elf], { encoding: 'utf8' });
    assert.equal(size.status, 0, size.stderr);
    // "   text	   data	    bss	    dec	    hex	filename" and one line of numbers.
    const [text, data, bss] = size.stdout.trim().split('\n')[1].trim().split(/\s+/).map(Number);
    // The deterministic actor's float32s: two hidden layers and the mean head, kernels and biases.
    const weightBytes = 4 * (8 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    assert.ok(text > weightBytes && text <= 32 * 1024, `flash: ${text} bytes for ${weightBytes} bytes of weights`);
    assert.ok(data + bss < 256, `RAM: ${data} + ${bss} bytes: the weights must stay in flash`);
  });

  test('refuses a C output not named .c, and a missing checkpoint, as usage errors', async () => {
    const { checkpoint } = await checkpointWithRandomActor(9, CASES[0].input);
    const wrongName = await robotrain(['export-policy', checkpoint, '--format', 'c', '--out', join(dir, 'policy.h')]);
    assert.equal(wrongName.status, 2);
    assert.match(wrongName.stderr, /--out NAME\.c/);
    const missing = await robotrain(['export-policy', join(dir, 'nowhere'), '--format', 'onnx', '--out', join(dir, 'x.onnx')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no checkpoint at/);
  });
});
