/**
 * What SAC and TD3 updates do, on small fixed problems: losses fall, targets move by τ, the entropy
 * coefficient moves towards its target, TD3 delays its actor, layer norm is learned, checkpoints
 * resume exactly, non-finite numbers stop the learner with a useful error, nothing leaks.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  deserializeLearnerState,
  LearnerDivergedError,
  serializeLearnerState,
  type EngineName,
  type LearnerConfigInput,
  type OffPolicyLearner,
} from '../../src/rl/learner/index.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import { learnerFor, maxAbsDiff, randomBatch, Rng, wasmBackend } from './learner-fixtures.js';

before(wasmBackend);

const SMALL = { obsDim: 3, actionDim: 1, actorHidden: [32, 32], criticHidden: [32, 32], seed: 3 };
const ENGINES: EngineName[] = ['kernels', 'autodiff'];

async function withLearner(input: LearnerConfigInput, body: (learner: OffPolicyLearner) => void | Promise<void>): Promise<void> {
  const learner = await learnerFor(input);
  try {
    await body(learner);
  } finally {
    learner.dispose();
  }
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('critic regression on a fixed batch', () => {
  for (const algo of ['sac', 'td3'] as const) {
    test(`${algo}: the critic loss falls`, async () => {
      await withLearner({ ...SMALL, algo, learningRate: 1e-3 }, (learner) => {
        const batch = randomBatch(new Rng(1), 64, 3, 1);
        const losses: number[] = [];
        for (let u = 0; u < 300; u++) losses.push(learner.update(batch).criticLoss);
        const start = mean(losses.slice(0, 5));
        const end = mean(losses.slice(-5));
        assert.ok(end < 0.5 * start, `critic loss ${start.toFixed(4)} → ${end.toFixed(4)}`);
      });
    });
  }
});

describe('target networks', () => {
  test('SAC: after one update, target = (1 − τ)·target + τ·critic', async () => {
    await withLearner({ ...SMALL, algo: 'sac', tau: 0.1 }, (learner) => {
      const before = learner.getState().arrays;
      learner.update(randomBatch(new Rng(2), 32, 3, 1));
      const after = learner.getState().arrays;
      const expected = before.criticTarget.map((target, i) => 0.9 * target + 0.1 * after.critic[i]);
      assert.ok(maxAbsDiff(after.criticTarget, expected) < 1e-6, 'target is not the Polyak average');
      assert.ok(maxAbsDiff(after.criticTarget, before.criticTarget) > 1e-5, 'target did not move');
    });
  });

  test('TD3: the actor and every target move only every policyDelay updates', async () => {
    await withLearner({ ...SMALL, algo: 'td3', td3: { policyDelay: 2 }, tau: 0.1 }, (learner) => {
      const rng = new Rng(4);
      const start = learner.getState().arrays;
      const first = learner.update(randomBatch(rng, 32, 3, 1));
      assert.equal(first.actorLoss, null);
      const afterFirst = learner.getState();
      assert.equal(afterFirst.actorUpdates, 0);
      assert.deepEqual(afterFirst.arrays.actor, start.actor);
      assert.deepEqual(afterFirst.arrays.actorTarget, start.actorTarget);
      assert.deepEqual(afterFirst.arrays.criticTarget, start.criticTarget);
      assert.ok(maxAbsDiff(afterFirst.arrays.critic, start.critic) > 0, 'the critic must learn every update');
      const second = learner.update(randomBatch(rng, 32, 3, 1));
      assert.equal(typeof second.actorLoss, 'number');
      const afterSecond = learner.getState();
      assert.equal(afterSecond.actorUpdates, 1);
      const expectedActorTarget = start.actorTarget.map((target, i) => 0.9 * target + 0.1 * afterSecond.arrays.actor[i]);
      assert.ok(maxAbsDiff(afterSecond.arrays.actorTarget, expectedActorTarget) < 1e-6);
      const expectedCriticTarget = start.criticTarget.map((target, i) => 0.9 * target + 0.1 * afterSecond.arrays.critic[i]);
      assert.ok(maxAbsDiff(afterSecond.arrays.criticTarget, expectedCriticTarget) < 1e-6);
    });
  });
});

describe('entropy coefficient', () => {
  for (const [targetEntropy, direction] of [
    [10, 'up'],
    [-10, 'down'],
  ] as const) {
    test(`moves ${direction} when the target entropy is ${targetEntropy}`, async () => {
      await withLearner({ ...SMALL, algo: 'sac', sac: { targetEntropy } }, (learner) => {
        const rng = new Rng(6);
        const first = learner.update(randomBatch(rng, 32, 3, 1));
        assert.equal(first.entCoef, 1, 'α starts at entCoefInit = 1');
        let last = first;
        for (let u = 0; u < 20; u++) last = learner.update(randomBatch(rng, 32, 3, 1));
        const alpha = last.entCoef ?? Number.NaN;
        assert.ok(direction === 'up' ? alpha > 1.003 : alpha < 0.997, `α = ${alpha}`);
      });
    });
  }

  test('a fixed coefficient stays fixed and has no loss', async () => {
    await withLearner({ ...SMALL, algo: 'sac', sac: { entCoef: 0.05 } }, (learner) => {
      const stats = learner.update(randomBatch(new Rng(7), 32, 3, 1));
      assert.equal(stats.entCoef, 0.05);
      assert.equal(stats.entCoefLoss, null);
      assert.equal(learner.getState().entropy, null);
    });
  });
});

describe('layer normalisation in the actor', () => {
  test('its parameters are present, learned, and change the policy', async () => {
    await withLearner({ ...SMALL, algo: 'sac', layerNorm: true }, (learner) => {
      const initial = learner.actorWeights();
      assert.equal(initial.layerNorms.length, 2);
      for (const norm of initial.layerNorms) {
        assert.ok(norm.gain.every((g) => g === 1));
        assert.ok(norm.bias.every((b) => b === 0));
      }
      const rng = new Rng(8);
      for (let u = 0; u < 5; u++) learner.update(randomBatch(rng, 32, 3, 1));
      const trained = learner.actorWeights();
      const norm = trained.layerNorms[1];
      assert.ok(norm !== undefined);
      assert.ok(norm.gain.some((g) => g !== 1) && norm.bias.some((b) => b !== 0), 'layer norm parameters received no gradient');
      const observation = [0.3, -0.2, 0.5];
      const before = Array.from(new ActorForward(trained).forward(observation).mean);
      norm.gain.fill(3);
      const after = Array.from(new ActorForward(trained).forward(observation).mean);
      assert.notDeepEqual(after, before, 'the layer norm gain does not affect the output');
    });
  });

  test('the critics have none', async () => {
    await withLearner({ ...SMALL, algo: 'sac', layerNorm: true }, (learner) => {
      const layerNormLess = 2 * ((4 + 1) * 32 + 33 * 32 + 33);
      assert.equal(learner.getState().arrays.critic.length, layerNormLess);
    });
  });
});

describe('checkpoints', () => {
  for (const engine of ENGINES) {
    for (const variant of [
      { algo: 'sac', gsde: true },
      { algo: 'td3', td3: { policyDelay: 3 } },
    ] as const) {
      test(`${engine} ${variant.algo}: an update after save/serialise/restore equals an update without`, async () => {
        const input = { ...SMALL, ...variant, engine };
        const rng = new Rng(9);
        const batches = Array.from({ length: 5 }, () => randomBatch(rng, 32, 3, 1));
        await withLearner(input, async (original) => {
          original.update(batches[0]);
          original.update(batches[1]);
          const bytes = serializeLearnerState(original.getState());
          await withLearner({ ...input, seed: 99 }, (restored) => {
            restored.setState(deserializeLearnerState(bytes));
            assert.equal(restored.updates, 2);
            for (const batch of batches.slice(2)) assert.deepEqual(restored.update(batch), original.update(batch));
            const a = original.getState();
            const b = restored.getState();
            assert.deepEqual(b.arrays, a.arrays);
            assert.deepEqual(b.rng, a.rng);
            assert.deepEqual(b.entropy, a.entropy);
            assert.equal(b.actorUpdates, a.actorUpdates);
          });
        });
      });
    }
  }

  test('a state of another architecture is refused', async () => {
    await withLearner({ ...SMALL, algo: 'sac' }, async (learner) => {
      const state = learner.getState();
      await withLearner({ ...SMALL, algo: 'sac', actorHidden: [16, 16] }, (other) => {
        assert.throws(() => other.setState(state), /another learner/);
      });
    });
  });
});

describe('non-finite numbers', () => {
  for (const engine of ENGINES) {
    test(`${engine}: a NaN in the batch is refused with its place named, and the learner stays usable`, async () => {
      await withLearner({ ...SMALL, algo: 'sac', engine }, (learner) => {
        const batch = randomBatch(new Rng(10), 32, 3, 1);
        const before = learner.getState();
        batch.reward[17] = Number.NaN;
        assert.throws(
          () => learner.update(batch),
          (error: unknown) =>
            error instanceof LearnerDivergedError &&
            error.quantity === 'batch' &&
            error.message.includes('batch.reward[17] = NaN') &&
            /observation and reward pipeline/.test(error.message),
        );
        assert.deepEqual(learner.getState(), before, 'the learner changed');
        batch.reward[17] = 0;
        batch.nextObs[4] = Number.POSITIVE_INFINITY;
        assert.throws(() => learner.update(batch), /batch\.nextObs\[1\]\[1\] = Infinity/);
        batch.nextObs[4] = 0;
        assert.equal(learner.update(batch).updates, 1);
      });
    });

    test(`${engine}: an overflowing loss stops the learner until a checkpoint is restored`, async () => {
      await withLearner({ ...SMALL, algo: 'sac', engine }, (learner) => {
        const good = randomBatch(new Rng(11), 32, 3, 1);
        learner.update(good);
        const checkpoint = learner.getState();
        const huge = randomBatch(new Rng(12), 32, 3, 1);
        huge.reward.fill(3e38);
        let caught: unknown = null;
        try {
          learner.update(huge);
        } catch (error) {
          caught = error;
        }
        assert.ok(caught instanceof LearnerDivergedError, `expected LearnerDivergedError, got ${String(caught)}`);
        assert.ok(['critic loss', 'critic parameters'].includes(caught.quantity), caught.quantity);
        assert.match(caught.message, /critic learning rate/);
        assert.throws(
          () => learner.update(good),
          (error: unknown) => error === caught,
        );
        assert.throws(
          () => learner.actorWeights(),
          (error: unknown) => error === caught,
        );
        assert.throws(
          () => learner.getState(),
          (error: unknown) => error === caught,
        );
        learner.setState(checkpoint);
        assert.equal(learner.update(good).updates, 2);
        assert.ok(learner.actorWeights().hidden.every((layer) => layer.kernel.every(Number.isFinite)));
      });
    });
  }
});

describe('memory', () => {
  test('kernels: 1000 updates leave tensors, buffers and the WASM heap unchanged', async () => {
    await withLearner({ ...SMALL, algo: 'sac', gsde: true, layerNorm: true, engine: 'kernels' }, (learner) => {
      const rng = new Rng(13);
      const batches = Array.from({ length: 4 }, () => randomBatch(rng, 64, 3, 1));
      for (let u = 0; u < 10; u++) learner.update(batches[u % 4]);
      const before = learner.memoryStats();
      for (let u = 0; u < 1000; u++) learner.update(batches[u % 4]);
      assert.deepEqual(learner.memoryStats(), before);
    });
  });

  test('kernels: changing the batch size frees the buffers of the previous one', async () => {
    await withLearner({ ...SMALL, algo: 'td3', engine: 'kernels' }, (learner) => {
      const rng = new Rng(14);
      learner.update(randomBatch(rng, 64, 3, 1));
      const count = learner.memoryStats().kernelBuffers;
      learner.update(randomBatch(rng, 16, 3, 1));
      learner.update(randomBatch(rng, 64, 3, 1));
      assert.equal(learner.memoryStats().kernelBuffers, count);
    });
  });

  test('autodiff: 1000 updates leave the tfjs tensor count unchanged', async () => {
    await withLearner(
      { obsDim: 3, actionDim: 1, actorHidden: [8], criticHidden: [8], algo: 'sac', gsde: true, engine: 'autodiff' },
      (learner) => {
        const batch = randomBatch(new Rng(15), 16, 3, 1);
        learner.update(batch);
        const before = learner.tensorCount();
        for (let u = 0; u < 1000; u++) learner.update(batch);
        assert.equal(learner.tensorCount(), before);
      },
    );
  });
});
