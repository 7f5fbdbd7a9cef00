import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParameterNoise } from '../../src/rl/exploration/param.js';
import type { Policy } from '../../src/rl/exploration/strategy.js';
import { createLearner, resolveLearnerConfig } from '../../src/rl/learner/index.js';
import type { Transition } from '../../src/rl/replay-buffer.js';
import { InlineTrainer } from '../../src/training/trainer.js';
import { Rng } from '../../src/util/rng.js';

/** Parameter noise that records when it adapts and which actor version it measured. */
class CountingParameterNoise extends ParameterNoise {
  readonly measuredVersions: number[] = [];

  override adapt(policy: Policy, observations: Float32Array, count: number): number {
    this.measuredVersions.push(policy.weights.updates);
    return super.adapt(policy, observations, count);
  }
}

test('adaptive parameter noise adapts every N gradient steps, inside a training round too, against the current actor', async () => {
  const learner = await createLearner(resolveLearnerConfig({ algo: 'td3', obsDim: 3, actionDim: 1, actorHidden: [8, 8], seed: 2 }));
  const noise = new CountingParameterNoise(new Rng(1), -1, {
    initialStd: 0.1,
    adaptive: true,
    targetDistance: 0.1,
    adaptEvery: 10,
    adaptFactor: 1.01,
  });
  const trainer = new InlineTrainer(
    learner,
    noise,
    { trainEvery: 'episode', gradientSteps: -1, learningStarts: 0, batchSize: 16 },
    new Rng(3),
    1000,
  );
  try {
    const rng = new Rng(4);
    const transition: Transition = {
      obs: new Float32Array(3),
      action: new Float32Array(1),
      reward: 0,
      nextObs: new Float32Array(3),
      terminated: false,
      truncated: false,
    };
    for (let i = 0; i < 45; i++) {
      rng.fillNormal(transition.obs);
      rng.fillNormal(transition.nextObs);
      transition.reward = rng.normal();
      trainer.onTransition(transition);
    }
    trainer.onEpisodeEnd();
    assert.equal(trainer.updates, 45, 'one round of 45 gradient steps at the episode end');
    assert.deepEqual(
      noise.measuredVersions,
      [10, 20, 30, 40],
      'adapted every 10 steps within the round, each time on the actor of that step',
    );
    assert.equal(trainer.policy.weights.updates, 45, 'the tick gets the weights of the end of the round');
  } finally {
    await trainer.close();
  }
});
