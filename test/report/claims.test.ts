import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { summariseConfigurations } from '../../src/report/aggregate.js';
import { compareWithPublished } from '../../src/report/compare.js';
import { claimPair, PUBLISHED_CLAIMS, testClaims, type ClaimResult } from '../../src/report/claims.js';
import { equalContinuityPairs } from '../../src/report/contrasts.js';
import { claimTable, claimTally } from '../../src/report/tables.js';
import { run } from './support.js';

const bootstrap = { reps: 500, confidence: 0.95, seed: 5 };
/** Per-seed returns of unstructured Gaussian noise; the other configurations are built from them. */
const base = [-210, -190, -205, -180, -200, -195, -185, -215, -170, -220];
/** Zero-mean per-seed jitter: "the same return" up to seed noise. */
const jitter = [3, -3, 2, -2, 1, -1, 4, -4, 0, 0];

describe('published claims against a sweep', () => {
  const runs = base.flatMap((value, seed) => [
    run('', seed, value, 6 + jitter[seed] / 10, {}),
    // gSDE k = 8: 5 higher on every seed and smoother.
    run('noise=gsde;interval=8', seed, value + 5, 2 + jitter[seed] / 10, { noise: 'gsde', interval: 8 }),
    // gSDE once per episode: the return of k = 8 exactly, smoother still.
    run('noise=gsde;interval=-1', seed, value + 5, 1 + jitter[seed] / 10, { noise: 'gsde', interval: -1 }),
    // Parameter noise: the Gaussian return up to seed noise.
    run('noise=param;interval=-1;adaptive=on', seed, value + jitter[seed], 1, { noise: 'param', interval: -1, adaptive: true }),
    // Pink noise: 10 lower on every seed, against its paper's claim.
    run('noise=pink', seed, value - 10, 5, { noise: 'pink' }),
  ]);
  const results = testClaims(summariseConfigurations(runs, bootstrap), bootstrap);
  const outcome = (says: RegExp): ClaimResult => {
    const found = results.filter((result) => says.test(result.claim.says));
    assert.equal(found.length, 1, `one claim says ${says}`);
    return found[0];
  };

  test('a claim borne out on its side agrees; on the other side it is contradicted', () => {
    assert.equal(outcome(/every 8 steps is smoother than unstructured/).outcome, 'agrees');
    assert.equal(outcome(/every 8 steps loses no return/).outcome, 'agrees');
    assert.equal(outcome(/once per episode is smoother/).outcome, 'agrees');
    assert.equal(outcome(/higher return than parameter noise/).outcome, 'agrees');
    assert.equal(outcome(/pink noise reaches a higher return than white/).outcome, 'contradicts');
  });

  test('equal up to seed noise: no difference established, in either direction of the claim', () => {
    assert.equal(outcome(/once per episode loses return/).outcome, 'no difference established');
    assert.equal(outcome(/parameter noise reaches a higher return than unstructured/).outcome, 'no difference established');
  });

  test('a claim whose configurations the sweep lacks is not tested', () => {
    assert.equal(outcome(/higher return than Ornstein/).outcome, 'not in this sweep');
    assert.equal(outcome(/layer normalisation/).outcome, 'not in this sweep', 'the sweep does not vary layer norm');
    assert.equal(outcome(/layer normalisation/).contrast, null);
  });

  test('the claims of one metric are one Holm family: five return claims, two continuity claims', () => {
    const tested = results.filter((result) => result.contrast !== null);
    const coverage = (metric: string): number[] =>
      tested
        .filter((result) => result.claim.metric === metric)
        .map((result) => result.contrast!.difference!.confidence)
        .sort();
    // The first Holm round computes every interval at 1 − 0.05/r: 0.99 with five open, 0.975 with two.
    assert.equal(Math.max(...coverage('return')), 0.99);
    assert.deepEqual(coverage('continuity cost'), [0.975, 0.975]);
  });

  test('the table lists the tested claims with their outcome; the tally counts them', () => {
    const table = claimTable(results);
    const lines = table.split('\n');
    assert.equal(lines.length, 2 + 7);
    const cells = (line: string): number => line.split(/(?<!\\)\|/).length;
    assert.ok(
      lines.every((line) => cells(line) === cells(lines[0])),
      "every row has the header's columns",
    );
    assert.match(lines[0], /^\| question \| source \| claim \|/);
    assert.match(
      table,
      /\| 3 \| Eberhard et al\., ICLR 2023 \| pink noise reaches a higher return than white[^|]*\| `pink k=1` \| `gaussian k=1` \| return \| higher \| -10\.00 \[-10\.00, -10\.00\] at \d+(\.\d+)? % \|[^|]*\| \*\*contradicts\*\* \|/,
    );
    assert.equal(claimTally(results), '4 agree, 1 contradicts, 2 with no difference established (of 7 claims checked)');
  });
});

describe('which configurations a claim compares', () => {
  // Every cell's stored options: the study's schedule, no layer norm, unless its key says otherwise.
  const stored = { trainEvery: 'episode', gradientSteps: -1, layerNorm: false };
  const summaries = summariseConfigurations(
    [0, 1].flatMap((seed) => [
      run('noise=gsde;interval=8;layer-norm=on', seed, -100, 1, { ...stored, noise: 'gsde', interval: 8, layerNorm: true }),
      run('noise=gsde;interval=8', seed, -100, 1, { ...stored, noise: 'gsde', interval: 8 }),
      run('noise=none;train-every=8;gradient-steps=8', seed, -100, 1, { ...stored, noise: 'none', trainEvery: 8, gradientSteps: 8 }),
      run('noise=none', seed, -100, 1, { ...stored, noise: 'none' }),
      run('layer-norm=off', seed, -100, 1, stored),
    ]),
    bootstrap,
  );
  const claim = (says: RegExp) => PUBLISHED_CLAIMS.find((candidate) => says.test(candidate.says))!;

  test('the two sides are equal in every option the claim does not name', () => {
    const pair = claimPair(summaries, claim(/every 8 steps is smoother than unstructured/))!;
    assert.deepEqual(
      pair.map((summary) => summary.label),
      ['gsde k=8', 'gaussian k=1 no-layer-norm'],
      'gSDE with layer norm differs from the Gaussian cell in layer norm too',
    );
  });

  test('the schedule baseline is matched on both training options it changes', () => {
    const pair = claimPair(summaries, claim(/training every 8 steps/))!;
    assert.deepEqual(
      pair.map((summary) => summary.configuration),
      ['noise=none;train-every=8;gradient-steps=8', 'noise=none'],
    );
  });

  test('no pair with different values in an option the claim does not name', () => {
    assert.equal(claimPair(summaries, { a: { noise: 'gsde', 'layer-norm': 'on' }, b: { noise: 'none' } }), null);
  });
});

describe('gSDE against parameter noise at equal continuity', () => {
  const stored = { trainEvery: 'episode', gradientSteps: -1, layerNorm: false };
  const summaries = summariseConfigurations(
    [0, 1].flatMap((seed) => [
      run('noise=gsde;interval=1', seed, -100, 9, { ...stored, noise: 'gsde', interval: 1 }),
      run('noise=gsde;interval=8', seed, -100, 4, { ...stored, noise: 'gsde', interval: 8 }),
      run('noise=gsde;interval=-1', seed, -100, 1, { ...stored, noise: 'gsde', interval: -1 }),
      // gSDE with layer norm: the only partner of parameter noise with layer norm (continuity 8), though gSDE k = 1 (9) is nearer.
      run('noise=gsde;interval=8;layer-norm=on', seed, -100, 2, { ...stored, noise: 'gsde', interval: 8, layerNorm: true }),
      run('noise=param;interval=-1;adaptive=on', seed, -100, 5, { ...stored, noise: 'param', interval: -1, adaptive: true }),
      run('noise=param;interval=1;adaptive=on', seed, -100, 1.5, { ...stored, noise: 'param', interval: 1, adaptive: true }),
      run('noise=param;interval=-1;adaptive=on;layer-norm=on', seed, -100, 8, {
        ...stored,
        noise: 'param',
        interval: -1,
        adaptive: true,
        layerNorm: true,
      }),
      // Fixed σ: not the reference implementation's parameter noise, not paired.
      run('noise=param;interval=-1;adaptive=off', seed, -100, 4, { ...stored, noise: 'param', interval: -1, adaptive: false }),
    ]),
    bootstrap,
  );

  test('each adaptive parameter configuration meets the gSDE nearest in continuity with the same shared options', () => {
    assert.deepEqual(
      equalContinuityPairs(summaries).map(([gsde, param]) => [gsde.label, param.label]),
      [
        ['gsde k=8', 'param k=ep adaptive'],
        ['gsde k=ep', 'param k=1 adaptive'],
        ['gsde k=8 layer-norm', 'param k=ep adaptive layer-norm'],
      ],
    );
  });
});

describe("the gSDE paper's figure: which cell stands for parameter noise", () => {
  test('the adaptive cell, as in the reference implementation, though the fixed-σ cell changes fewer options', () => {
    const summaries = summariseConfigurations(
      [0, 1].flatMap((seed) => [
        run('', seed, -100, 4, {}),
        run('noise=param;interval=-1', seed, -100, 1, { noise: 'param', interval: -1, adaptive: false }),
        run('noise=param;interval=-1;adaptive=on', seed, -100, 2, { noise: 'param', interval: -1, adaptive: true }),
      ]),
      bootstrap,
    );
    const row = compareWithPublished(summaries)!.rows.find((candidate) => candidate.published.label === 'parameter noise')!;
    assert.equal(row.ours.label, 'param k=ep adaptive');
    assert.equal(row.continuityNorm, 0.5);
  });
});
