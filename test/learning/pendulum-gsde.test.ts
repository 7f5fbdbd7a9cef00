import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainPendulum, type PendulumOutcome } from './pendulum-support.js';

test('SAC + gSDE reaches a mean evaluation return of at least -200 within 20,000 steps for at least 2 of 3 seeds', async (t) => {
  const outcomes: PendulumOutcome[] = [];
  for (const seed of [0, 1, 2]) {
    // The zoo's gSDE Pendulum recipe: log σ starts at -2, training once per episode with as many
    // gradient steps as steps collected; the exploration matrix is resampled every 8 steps.
    const outcome = await trainPendulum({ noise: 'gsde', interval: 8, gsdeLogStdInit: -2, trainEvery: 'episode', gradientSteps: -1, seed });
    t.diagnostic(
      `seed ${seed}: evaluation ${outcome.evaluation.toFixed(1)}, first episodes ${outcome.firstEpisodes.toFixed(1)}, ${outcome.seconds.toFixed(0)} s`,
    );
    outcomes.push(outcome);
  }
  for (const outcome of outcomes)
    assert.ok(
      outcome.firstEpisodes < -900,
      `untrained episodes should score like a random policy (got ${outcome.firstEpisodes.toFixed(1)})`,
    );
  const solved = outcomes.filter((outcome) => outcome.evaluation >= -200).length;
  assert.ok(solved >= 2, `solved ${solved} of 3 seeds: ${outcomes.map((o) => o.evaluation.toFixed(1)).join(', ')}`);
});
