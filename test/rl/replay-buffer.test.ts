import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplayBuffer, type Transition } from '../../src/rl/replay-buffer.js';
import { ScheduleCounter, validateSchedule } from '../../src/rl/schedule.js';
import { Rng } from '../../src/util/rng.js';

function transition(i: number): Transition {
  return {
    obs: Float32Array.of(i, i + 0.5),
    action: Float32Array.of(i / 100),
    reward: -i,
    nextObs: Float32Array.of(i + 1, i + 1.5),
    terminated: i % 7 === 0,
    truncated: i % 5 === 0,
  };
}

describe('replay buffer', () => {
  test('samples only stored transitions, with their fields aligned', () => {
    const buffer = new ReplayBuffer(10, 2, 1);
    for (let i = 1; i <= 25; i++) buffer.add(transition(i));
    assert.equal(buffer.size, 10);
    assert.equal(buffer.added, 25);
    const batch = buffer.sample(64, new Rng(1));
    for (let b = 0; b < 64; b++) {
      const i = batch.obs[2 * b];
      assert.ok(i >= 16 && i <= 25, `only the newest 10 remain (got ${i})`);
      assert.equal(batch.reward[b], -i);
      assert.equal(batch.nextObs[2 * b], i + 1);
      assert.ok(Math.abs(batch.action[b] - i / 100) < 1e-6);
      assert.equal(batch.terminated[b], i % 7 === 0 ? 1 : 0, 'truncation alone does not stop bootstrapping');
    }
  });

  test('snapshot and restore keep the order and the newest transitions', () => {
    const buffer = new ReplayBuffer(8, 2, 1);
    for (let i = 1; i <= 13; i++) buffer.add(transition(i));
    const snapshot = buffer.snapshot();
    assert.deepEqual(Array.from(snapshot.reward), [-6, -7, -8, -9, -10, -11, -12, -13]);
    const smaller = new ReplayBuffer(4, 2, 1);
    smaller.restore(snapshot);
    assert.deepEqual(Array.from(smaller.snapshot().reward), [-10, -11, -12, -13]);
    assert.equal(smaller.added, 13);
  });

  test('refuses to sample when empty', () => {
    assert.throws(() => new ReplayBuffer(4, 1, 1).sample(2, new Rng(0)), /empty/);
  });
});

describe('training schedule', () => {
  test('every n steps, after learning starts', () => {
    const counter = new ScheduleCounter(validateSchedule({ trainEvery: 4, gradientSteps: 2, learningStarts: 10, batchSize: 8 }));
    const due = Array.from({ length: 20 }, () => counter.onStep());
    // rounds at steps 4, 8 (before learning starts: nothing), 12, 16, 20
    assert.deepEqual(due.map((g, i) => (g > 0 ? `${i + 1}:${g}` : '')).filter(Boolean), ['12:2', '16:2', '20:2']);
  });

  test('at episode end, as many gradient steps as steps collected with -1', () => {
    const counter = new ScheduleCounter(validateSchedule({ trainEvery: 'episode', gradientSteps: -1, learningStarts: 0, batchSize: 8 }));
    for (let i = 0; i < 37; i++) assert.equal(counter.onStep(), 0);
    assert.equal(counter.onEpisodeEnd(), 37);
    assert.equal(counter.onEpisodeEnd(), 0, 'nothing new, nothing to train');
  });

  test('rejects impossible schedules by flag name', () => {
    assert.throws(() => validateSchedule({ trainEvery: 0, gradientSteps: 1, learningStarts: 0, batchSize: 1 }), /--train-every/);
    assert.throws(() => validateSchedule({ trainEvery: 1, gradientSteps: 0, learningStarts: 0, batchSize: 1 }), /--gradient-steps/);
  });
});
