import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainPendulum } from './pendulum-support.js';

// "Learns": a random policy scores about -1,200 to -1,500 on Pendulum-v1; SB3's published SAC and
// TD3 reach about -150 after 20,000 steps. -400 leaves room for one unlucky seed without letting a
// broken learner through.
const LEARNED = -400;

test('SAC with Gaussian noise (resampled every step, trained every step) learns Pendulum', async (t) => {
  const outcome = await trainPendulum({ noise: 'gaussian', interval: 1, seed: 0 });
  t.diagnostic(
    `evaluation ${outcome.evaluation.toFixed(1)}, first episodes ${outcome.firstEpisodes.toFixed(1)}, ${outcome.seconds.toFixed(0)} s`,
  );
  assert.ok(outcome.evaluation >= LEARNED, `evaluation return ${outcome.evaluation.toFixed(1)}`);
});

test('TD3 with adaptive parameter noise (resampled once per episode) learns Pendulum', async (t) => {
  const outcome = await trainPendulum({
    algo: 'td3',
    noise: 'param',
    adaptive: true,
    paramStd: 0.2,
    paramTarget: 0.2,
    interval: -1,
    seed: 0,
  });
  t.diagnostic(
    `evaluation ${outcome.evaluation.toFixed(1)}, first episodes ${outcome.firstEpisodes.toFixed(1)}, ${outcome.seconds.toFixed(0)} s`,
  );
  assert.ok(outcome.evaluation >= LEARNED, `evaluation return ${outcome.evaluation.toFixed(1)}`);
});
