import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { readCheckpoint } from '../../src/training/checkpoint.js';
import { resolveTrainConfig } from '../../src/training/config.js';
import { runTraining } from '../../src/training/run.js';

const dir = mkdtempSync(join(tmpdir(), 'robo-train-repro-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const silent = { log: () => {} };

function stepRows(db: string, runId: number): { raw_action: Buffer; command: Buffer; reward: number | null }[] {
  const store = openDatabase(db, { readonly: true });
  try {
    return store.prepare('SELECT raw_action, command, reward FROM steps WHERE run_id = ? ORDER BY episode, step').all(runId) as {
      raw_action: Buffer;
      command: Buffer;
      reward: number | null;
    }[];
  } finally {
    store.close();
  }
}

describe('reproducibility and resume', () => {
  for (const noise of ['gaussian', 'gsde', 'param'] as const) {
    test(`same seed, same options: the same run, step for step (${noise})`, async () => {
      const db = join(dir, `same-${noise}.db`);
      const options = {
        sim: 'sim-reacher',
        steps: 450,
        hidden: '16,16',
        batchSize: 32,
        learningStarts: 50,
        noise,
        interval: 4,
        adaptive: noise === 'param',
        paramAdaptEvery: 20,
        seed: 11,
        db,
        quiet: true,
      };
      const first = await runTraining(resolveTrainConfig(options), silent, new AbortController().signal);
      const second = await runTraining(resolveTrainConfig(options), silent, new AbortController().signal);
      const a = stepRows(db, first.runId);
      const b = stepRows(db, second.runId);
      assert.equal(a.length, 450);
      assert.deepEqual(b, a, 'identical actions, commands and rewards');
      const other = await runTraining(resolveTrainConfig({ ...options, seed: 12 }), silent, new AbortController().signal);
      assert.notDeepEqual(
        stepRows(db, other.runId).map((row) => row.raw_action),
        a.map((row) => row.raw_action),
        'another seed, another run',
      );
    });
  }

  test('a --realtime twin takes its control period per step in wall time and learns the same run', async () => {
    const db = join(dir, 'realtime.db');
    const options = { sim: 'sim-reacher', steps: 150, hidden: '16,16', batchSize: 32, learningStarts: 50, seed: 3, db, quiet: true };
    const free = await runTraining(resolveTrainConfig({ ...options, learner: 'inline' }), silent, new AbortController().signal);
    const started = performance.now();
    const paced = await runTraining(
      resolveTrainConfig({ ...options, realtime: true, learner: 'inline' }),
      silent,
      new AbortController().signal,
    );
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds >= 150 / 50, `150 steps at 50 Hz take at least 3 s (took ${seconds.toFixed(2)} s)`);
    assert.deepEqual(stepRows(db, paced.runId), stepRows(db, free.runId), 'the same actions, commands and rewards');
    assert.throws(() => resolveTrainConfig({ port: '/dev/ttyUSB0', robot: 'arm', realtime: true }), /--realtime paces a twin/);
  });

  test('--resume continues from the checkpoint: learner, replay buffer, counters', async () => {
    const db = join(dir, 'resume.db');
    const base = { sim: 'sim-reacher', hidden: '16,16', batchSize: 32, learningStarts: 50, seed: 5, db, quiet: true, saveReplay: true };
    const first = await runTraining(resolveTrainConfig({ ...base, steps: 300 }), silent, new AbortController().signal);
    const checkpoint = readCheckpoint(first.checkpointPath!);
    assert.equal(checkpoint.meta.totalSteps, 300);
    assert.equal(checkpoint.meta.collected, 300);
    assert.equal(checkpoint.replay?.reward.length, 300);
    assert.equal(checkpoint.learner.updates, 251, 'one gradient step per step from the 50th');

    const second = await runTraining(
      resolveTrainConfig({ ...base, steps: 500, resume: first.checkpointPath }),
      silent,
      new AbortController().signal,
    );
    assert.equal(second.totalSteps, 500, 'the step budget counts the steps before the checkpoint');
    const resumed = readCheckpoint(second.checkpointPath!);
    assert.equal(resumed.meta.collected, 500);
    assert.equal(resumed.replay?.reward.length, 500);
    assert.equal(resumed.learner.updates, 451);
    assert.equal(stepRows(db, second.runId).length, 200, 'the new run holds the 200 new steps');
  });
});
