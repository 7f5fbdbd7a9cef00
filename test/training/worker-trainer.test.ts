import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NoNoise } from '../../src/rl/exploration/none.js';
import { resolveLearnerConfig } from '../../src/rl/learner/index.js';
import type { Transition } from '../../src/rl/replay-buffer.js';
import { WorkerTrainer } from '../../src/training/worker-trainer.js';
import { Rng } from '../../src/util/rng.js';

const learner = resolveLearnerConfig({ algo: 'sac', obsDim: 3, actionDim: 1, actorHidden: [16, 16], seed: 1 });

function start(learningStarts = 10): Promise<WorkerTrainer> {
  return WorkerTrainer.start(
    {
      learner,
      backend: 'auto',
      schedule: { trainEvery: 2, gradientSteps: 3, learningStarts, batchSize: 32 },
      bufferSize: 1000,
      seed: 7,
      adaptEvery: null,
      weightSyncMs: 5,
    },
    new NoNoise(1),
  );
}

function feed(trainer: WorkerTrainer, count: number, rng: Rng, reward?: number): void {
  const transition: Transition = {
    obs: new Float32Array(3),
    action: new Float32Array(1),
    reward: 0,
    nextObs: new Float32Array(3),
    terminated: false,
    truncated: false,
  };
  for (let i = 0; i < count; i++) {
    rng.fillNormal(transition.obs);
    transition.action[0] = Math.tanh(rng.normal());
    transition.reward = reward ?? -Math.abs(transition.obs[0]);
    rng.fillNormal(transition.nextObs);
    trainer.onTransition(transition);
  }
}

describe('worker trainer', () => {
  test('trains beside the caller at the configured ratio and hands the weights back', async () => {
    const trainer = await start();
    try {
      const before = Array.from(trainer.policy.weights.mean.kernel);
      feed(trainer, 200, new Rng(1));
      trainer.onEpisodeEnd();
      await trainer.catchUp();
      // Every 2 steps, 3 gradient steps, from the round in which 10 transitions were reached: rounds at
      // steps 10, 12, ..., 200 → 96 rounds × 3.
      assert.equal(trainer.updates, 96 * 3);
      assert.equal(trainer.collected, 200);
      assert.notDeepEqual(Array.from(trainer.policy.weights.mean.kernel), before, 'the policy holds the trained weights');
      assert.equal(trainer.policy.weights.updates, 288);
    } finally {
      await trainer.close();
    }
  });

  test('snapshot and restore carry the learner, the replay buffer and the counters', async () => {
    const trainer = await start();
    let snapshot;
    try {
      feed(trainer, 100, new Rng(2));
      await trainer.catchUp();
      snapshot = await trainer.snapshot(true);
      assert.equal(snapshot.collected, 100);
      assert.equal(snapshot.replay?.reward.length, 100);
    } finally {
      await trainer.close();
    }
    const restored = await start();
    try {
      await restored.restore(snapshot);
      assert.equal(restored.collected, 100);
      assert.equal(restored.updates, snapshot.learner.updates);
      const again = await restored.snapshot(false);
      assert.deepEqual(Array.from(again.learner.arrays.actor), Array.from(snapshot.learner.arrays.actor));
    } finally {
      await restored.close();
    }
  });

  test('a diverging learner stops the caller with the learner’s own error', async () => {
    const trainer = await start(0);
    try {
      feed(trainer, 40, new Rng(3), Number.NaN);
      await assert.rejects(trainer.catchUp(), (error: Error) => {
        assert.equal(error.name, 'LearnerDivergedError');
        assert.match(error.message, /^learner: /);
        return true;
      });
      assert.throws(() => feed(trainer, 1, new Rng(4)), /learner: /, 'later transitions are refused too');
    } finally {
      await trainer.close();
    }
  });
});
