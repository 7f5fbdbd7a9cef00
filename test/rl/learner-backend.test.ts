/**
 * Backend selection: 'auto' falls back to WASM (tfjs-node is not installed here) and says why; the
 * WASM binaries are found from a worker thread and from any working directory; the learner runs in a
 * worker and hands its actor over as transferable arrays.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { initBackend } from '../../src/rl/learner/index.js';
import type { ActorWeights } from '../../src/rl/types.js';

const learnerUrl = new URL('../../src/rl/learner/index.js', import.meta.url).href;

describe('initBackend', () => {
  test("'node' fails clearly without tfjs-node; 'auto' then uses WASM with SIMD on one thread and says why", async () => {
    await assert.rejects(initBackend('node'), /@tensorflow\/tfjs-node is not installed/);
    const info = await initBackend('auto');
    assert.equal(info.name, 'wasm');
    assert.equal(info.simd, true);
    assert.equal(info.threads, 1);
    assert.match(info.tfjsVersion, /^4\./);
    assert.match(info.note ?? '', /tfjs-node not used/);
    assert.equal(await initBackend('auto'), info, 'a second call returns the same selection');
  });

  test('from another working directory, in a fresh process', () => {
    const script = `const L = await import(${JSON.stringify(learnerUrl)}); const info = await L.initBackend('wasm'); process.stdout.write(JSON.stringify(info));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    const info = JSON.parse(result.stdout) as { name: string; simd: boolean };
    assert.equal(info.name, 'wasm');
    assert.equal(info.simd, true);
  });
});

describe('the learner in a worker thread', () => {
  test('initialises, updates and transfers its actor weights', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const L = await import(workerData.learnerUrl);
        const info = await L.initBackend('auto');
        const learner = await L.createLearner(L.resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, actorHidden: [16, 16], criticHidden: [16, 16], gsde: true, layerNorm: true }));
        const B = 32;
        const batch = { batchSize: B, obs: new Float32Array(B * 3).fill(0.5), action: new Float32Array(B).fill(0.1), reward: new Float32Array(B).fill(-1), nextObs: new Float32Array(B * 3).fill(0.4), terminated: new Float32Array(B) };
        const stats = learner.update(batch);
        const weights = learner.actorWeights();
        const buffers = [...weights.hidden.flatMap((l) => [l.kernel.buffer, l.bias.buffer]), ...weights.layerNorms.flatMap((n) => [n.gain.buffer, n.bias.buffer]), weights.mean.kernel.buffer, weights.mean.bias.buffer, weights.gsdeLogStd.buffer];
        parentPort.postMessage({ info, engine: learner.engine, stats, weights }, buffers);
        learner.dispose();
      })().catch((error) => parentPort.postMessage({ error: String(error && error.stack) }));
    `;
    const worker = new Worker(code, { eval: true, workerData: { learnerUrl } });
    const message = await new Promise<{
      error?: string;
      info: { name: string };
      engine: string;
      stats: { updates: number; criticLoss: number };
      weights: ActorWeights;
    }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(message.error, undefined, message.error);
    assert.equal(message.info.name, 'wasm');
    assert.equal(message.engine, 'kernels');
    assert.equal(message.stats.updates, 1);
    assert.ok(Number.isFinite(message.stats.criticLoss));
    assert.equal(message.weights.spec.head, 'gsde');
    assert.equal(message.weights.hidden[0]?.kernel.length, 3 * 16);
    assert.ok(message.weights.gsdeLogStd instanceof Float32Array);
  });
});
