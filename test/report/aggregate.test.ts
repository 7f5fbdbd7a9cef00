import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { learningCurves, summariseConfigurations } from '../../src/report/aggregate.js';
import { compareWithPublished } from '../../src/report/compare.js';
import { runFigures, type EpisodeRow } from '../../src/report/data.js';
import { questionContrasts } from '../../src/report/contrasts.js';
import { matchedGroups } from '../../src/report/doc.js';
import { episodePosition, paretoSpec } from '../../src/report/plots.js';
import { contrastTable, contrastVerdict, csvTable, markdownTable } from '../../src/report/tables.js';
import { run } from './support.js';

function episode(index: number, fields: Partial<EpisodeRow>): EpisodeRow {
  return {
    episode: index,
    evaluation: 0,
    steps: 100,
    return: 0,
    termination: 'truncated',
    raw_continuity_cost: 1,
    continuity_cost: 0.5,
    safety_clipped_steps: 0,
    mean_squared_jerk: null,
    high_freq_share: null,
    mean_abs_noise: null,
    param_std: null,
    param_distance: null,
    ...fields,
  };
}

describe('one run: final return, continuity, interventions', () => {
  test('runs that evaluated: the last evaluation round', () => {
    const episodes = [
      episode(0, { return: -10, raw_continuity_cost: 2, continuity_cost: 1, safety_clipped_steps: 10, mean_squared_jerk: 4 }),
      episode(1, { return: -8, raw_continuity_cost: 4, continuity_cost: 3, safety_clipped_steps: 0, high_freq_share: 0.2 }),
      episode(2, { evaluation: 1, return: -100, mean_abs_noise: 9 }), // an earlier round: not the final one
      episode(3, { return: -6, raw_continuity_cost: 6, continuity_cost: 5, safety_clipped_steps: 20, mean_abs_noise: 0.3, steps: 200 }),
      episode(4, { evaluation: 1, return: -3 }),
      episode(5, { evaluation: 1, return: -5 }),
    ];
    const figures = runFigures(episodes)!;
    assert.equal(figures.returnSource, 'evaluation');
    assert.equal(figures.finalReturn, -4);
    assert.equal(figures.returnEpisodes, 2);
    assert.equal(figures.rawContinuity, 4);
    assert.equal(figures.appliedContinuity, 3);
    assert.equal(figures.steps, 400);
    assert.equal(figures.interventionsPct, 7.5);
    assert.deepEqual(figures.curve, [
      { steps: 100, return: -10 },
      { steps: 200, return: -8 },
      { steps: 400, return: -6 },
    ]);
    // Training episodes only, each of those that stored it; the area weights returns by steps: (−10·100 − 8·100 − 6·200) / 400.
    assert.equal(figures.meanSquaredJerk, 4);
    assert.equal(figures.highFrequencyShare, 0.2);
    assert.equal(figures.meanAbsNoise, 0.3);
    assert.equal(figures.trainingReturnArea, -7.5);
    assert.deepEqual(figures.paramNoise, []);
    // The evaluation curve: each round at the training steps before it (the second round's two episodes averaged).
    assert.deepEqual(figures.evaluations, [
      { steps: 200, return: -100 },
      { steps: 400, return: -4 },
    ]);
  });

  test('runs that never evaluated: the last 10 % of complete training episodes (at least one)', () => {
    // 25 complete episodes → ceil(2.5) = 3 last ones (returns 22, 23, 24); the interrupted 26th is not complete.
    const episodes = Array.from({ length: 25 }, (_, index) => episode(index, { return: index }));
    episodes.push(episode(25, { return: 1000, steps: 40, termination: 'interrupted', raw_continuity_cost: 99 }));
    const figures = runFigures(episodes)!;
    assert.equal(figures.returnSource, 'training');
    assert.equal(figures.returnEpisodes, 3);
    assert.equal(figures.finalReturn, 23);
    assert.equal(figures.rawContinuity, 1, 'the interrupted episode does not count');
    assert.equal(figures.steps, 2540, 'but its steps do');
    assert.equal(runFigures([episode(0, { return: 7 })])!.finalReturn, 7);
    assert.equal(runFigures([episode(0, { termination: 'aborted' })]), null);
  });

  test("parameter noise: σ and d at each training episode's end, against the steps taken", () => {
    const figures = runFigures([
      episode(0, { param_std: 0.1, param_distance: 0.3 }),
      episode(1, { evaluation: 1 }),
      episode(2, { param_std: 0.08, param_distance: null, steps: 50, termination: 'interrupted' }),
    ])!;
    assert.deepEqual(figures.paramNoise, [
      { steps: 100, std: 0.1, distance: 0.3 },
      { steps: 150, std: 0.08, distance: Number.NaN },
    ]);
  });
});

describe('over seeds', () => {
  const runs = [
    ...[-200, -150, -160, -155, -152, -100].map((value, seed) =>
      run('noise=gsde;interval=8', seed, value, 2 + seed, { noise: 'gsde', interval: 8 }),
    ),
    ...[-300, -290, -310].map((value, seed) => run('', seed, value, 10, {})),
  ];
  const bootstrap = { reps: 500, confidence: 0.95, seed: 3 };
  const summaries = summariseConfigurations(runs, bootstrap);

  test('mean ± std and IQM (hand-computed); no CI from 6 seeds', () => {
    const gsde = summaries.find((summary) => summary.noise === 'gsde')!;
    assert.equal(gsde.label, 'gsde k=8');
    assert.deepEqual(gsde.seeds, [0, 1, 2, 3, 4, 5]);
    // Sorted: -200 -160 -155 -152 -150 -100; cut 1 each side → mean(-160, -155, -152, -150) = -154.25.
    assert.equal(gsde.finalReturn.iqm, -154.25);
    assert.ok(Math.abs(gsde.finalReturn.mean - -152.8333333333) < 1e-9);
    // Squared deviations from the mean sum to 5080.8333 (47.17² + 2.83² + 7.17² + 2.17² + 0.83² + 52.83²), over n − 1 = 5.
    assert.ok(Math.abs(gsde.finalReturn.std - Math.sqrt(5080.833333333333 / 5)) < 1e-9);
    // Fewer than 10 seeds: the interval is not estimated rather than a [min, max] that looks like a 95 % CI.
    assert.ok(Number.isNaN(gsde.finalReturn.ci.low) && Number.isNaN(gsde.finalReturn.ci.high));
    // Continuity 2..7: IQM mean(3, 4, 5, 6) = 4.5.
    assert.equal(gsde.rawContinuity.iqm, 4.5);
    // Every run's last evaluation round is 4 above the one before.
    assert.equal(gsde.lastRoundGain.iqm, 4);
    assert.equal(gsde.axes['noise'], 'gsde');
    assert.equal(gsde.axes['interval'], '8');
    const gaussian = summaries.find((summary) => summary.configuration === '')!;
    assert.equal(gaussian.label, 'gaussian k=1');
    assert.equal(gaussian.axes['noise'], 'gaussian', 'options not in the key come from the stored config');
    assert.equal(gaussian.finalReturn.iqm, -300, 'three runs: nothing trimmed');
  });

  test('tables: Markdown with units and CIs, CSV with every statistic', () => {
    const markdown = markdownTable(summaries);
    assert.match(markdown, /\| `gsde k=8` \| 6 \| -154\.3 \[CI not estimated: 6 seeds\]/);
    assert.match(markdown, /raw continuity %: IQM \[95 % CI\]/);
    const csv = csvTable(summaries).trim().split('\n');
    const header = csv[0].split(',');
    const row = csv[1].split(',');
    assert.equal(row[header.indexOf('return_iqm')], '-154.25');
    assert.equal(row[header.indexOf('raw_continuity_pct_iqm')], '4.5');
    assert.equal(row[header.indexOf('axis_interval')], '8');
    assert.equal(row[header.indexOf('seeds')], '0 1 2 3 4 5');
  });

  test('learning curves: IQM per step bin, and each evaluation round at its steps', () => {
    const points = learningCurves(runs, 2, bootstrap).filter((point) => point.configuration === '');
    assert.deepEqual(
      points.map((point) => [point.kind, point.steps, point.iqm, point.runs]),
      [
        ['training', 500, -310, 3],
        ['training', 1000, -300, 3],
        // The rounds are 4 below the final return, then at it (support.ts): −304 and −300 over the three seeds.
        ['evaluation', 500, -304, 3],
        ['evaluation', 1000, -300, 3],
      ],
    );
  });

  test('comparison with the published figure: continuity normalised to Gaussian = 1', () => {
    const comparison = compareWithPublished(summaries)!;
    assert.deepEqual(
      comparison.rows.map((row) => row.published.label),
      ['unstructured Gaussian', 'gSDE-8'],
    );
    assert.equal(comparison.rows[0].continuityNorm, 1);
    assert.equal(comparison.rows[1].continuityNorm, 0.45);
    assert.deepEqual([comparison.rows[0].returnNorm, comparison.rows[1].returnNorm], [0, 1]);
    assert.ok(comparison.findings.some((finding) => /return orders the compared configurations as published/.test(finding)));
  });

  test('matched groups isolate one question', () => {
    assert.deepEqual(matchedGroups(summaries, ['layer-norm']), []);
    assert.equal(matchedGroups(summaries, ['noise', 'interval'])[0].length, 2);
  });

  test('the Pareto plot marks the front', () => {
    const spec = JSON.stringify(paretoSpec(summaries, { sweep: 's', robot: 'pendulum', task: 'swingup' }));
    assert.match(spec, /"front":"on the Pareto front","label":"gsde k=8"|"label":"gsde k=8"[^}]*"front":"on the Pareto front"/);
    assert.match(spec, /"label":"gaussian k=1"[^}]*"front":"dominated"/);
  });

  test('once per episode sits at the episode length, or an octave past the longest interval', () => {
    assert.equal(episodePosition([1, 2, 64], 200), 200);
    assert.equal(episodePosition([1, 2, 64], 50), 128);
  });
});

describe('intervals: k in steps and as a share of the episode', () => {
  // A 200-step episode: episode/8 ran at k = 25 (runs.noise_interval), k = 8 is 4 %, once per episode all of it.
  const runs = [
    ...[0, 1].map((seed) => ({
      ...run('noise=gsde;interval=episode/8', seed, -150, 2, { noise: 'gsde', interval: 'episode/8' }),
      intervalSteps: 25,
    })),
    ...[0, 1].map((seed) => run('noise=gsde;interval=8', seed, -160, 2, { noise: 'gsde', interval: 8 })),
    ...[0, 1].map((seed) => run('noise=gsde;interval=-1', seed, -170, 2, { noise: 'gsde', interval: -1 })),
    ...[0, 1].map((seed) => run('noise=none', seed, -300, 1, { noise: 'none' })),
  ];
  const summaries = summariseConfigurations(runs, { reps: 100, confidence: 0.95, seed: 1 });

  test('the summary keeps k as run and the share as written; the label says the share', () => {
    const share = summaries.find((summary) => summary.configuration === 'noise=gsde;interval=episode/8')!;
    assert.equal(share.interval, 25);
    assert.equal(share.intervalSetting, 'episode/8');
    assert.equal(share.label, 'gsde k=ep/8');
  });

  test('the Markdown table has a column of k [steps] (of an episode)', () => {
    const markdown = markdownTable(summaries);
    const header = markdown.split('\n')[0].split(' | ');
    assert.equal(header.at(-1), 'k [steps] (of an episode) |');
    const lastCell = (label: string): string => {
      const line = markdown.split('\n').find((row) => row.startsWith(`| \`${label}\` |`))!;
      return line.split(' | ').at(-1)!.replace(/ \|$/, '');
    };
    assert.equal(lastCell('gsde k=ep/8'), '25 (12.5 %, episode/8)');
    assert.equal(lastCell('gsde k=8'), '8 (4 %)');
    assert.equal(lastCell('gsde k=ep'), '200 (once per episode)');
    assert.equal(lastCell('none'), '-');
  });

  test('the CSV has interval_steps and episode_steps', () => {
    const [header, ...rows] = csvTable(summaries)
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const column = (name: string): string[] => rows.map((row) => row[header.indexOf(name)]);
    assert.deepEqual(column('label'), ['gsde k=ep/8', 'gsde k=8', 'gsde k=ep', 'none']);
    assert.deepEqual(column('interval_steps'), ['25', '8', '200', '']);
    assert.deepEqual(column('episode_steps'), ['200', '200', '200', '200']);
  });
});

describe('ten seeds: CIs and contrasts', () => {
  // Return of gsde k=8 is that of gaussian k=1 plus 5 on every seed; continuity is equal on every seed.
  const base = [-210, -190, -205, -180, -200, -195, -185, -215, -170, -220];
  const runs = [
    ...base.map((value, seed) => run('noise=gsde;interval=8', seed, value + 5, 3, { noise: 'gsde', interval: 8 })),
    ...base.map((value, seed) => run('', seed, value, 3, {})),
  ];
  const bootstrap = { reps: 500, confidence: 0.95, seed: 3 };
  const summaries = summariseConfigurations(runs, bootstrap);

  test('the IQM gets a CI around it', () => {
    const gsde = summaries.find((summary) => summary.noise === 'gsde')!;
    assert.ok(gsde.finalReturn.ci.low <= gsde.finalReturn.iqm && gsde.finalReturn.iqm <= gsde.finalReturn.ci.high);
    assert.match(markdownTable(summaries), /\| `gsde k=8` \| 10 \| -192\.5 \[-\d/);
  });

  test('contrasts: the paired difference of 5 is established, equal continuity is not a difference', () => {
    const contrasts = questionContrasts(matchedGroups(summaries, ['noise', 'interval']), bootstrap);
    assert.deepEqual(
      contrasts.map((contrast) => contrast.metric),
      ['return', 'training return area', 'continuity cost'],
    );
    // The training return area follows the return (support.ts: 5 below it): the same difference of 5.
    assert.equal(contrasts[1].difference!.estimate, 5);
    const ret = contrasts.find((contrast) => contrast.metric === 'return')!;
    assert.equal(ret.pairs, 10);
    assert.deepEqual([ret.difference!.estimate, ret.difference!.interval.low, ret.difference!.interval.high], [5, 5, 5]);
    assert.equal(contrastVerdict(ret), 'return higher with `gsde k=8`');
    const cost = contrasts.find((contrast) => contrast.metric === 'continuity cost')!;
    assert.equal(cost.improvement!.estimate, 0.5);
    assert.equal(contrastVerdict(cost), 'no difference established');
    assert.match(contrastTable(contrasts), /\| `gsde k=8` \| `gaussian k=1` \| return \| 10 \| 5\.00 \[5\.00, 5\.00\] at 95 % \|/);
  });
});
