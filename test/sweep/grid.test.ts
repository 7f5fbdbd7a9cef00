import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandCells, parseCellKey, trainArgs } from '../../src/sweep/cells.js';
import { GridError, parseGrid } from '../../src/sweep/grid.js';
import { presetGrids, STUDY_SCHEDULE } from '../../src/sweep/presets.js';
import { estimateSecondsLeft, formatDuration, formatSweepProgress } from '../../src/sweep/progress.js';
import { configMismatches } from '../../src/sweep/store.js';
import { resolveTrainConfig } from '../../src/training/config.js';

// As the CLI plans a sweep: the twin's default task written in (cli/sweep.ts).
const BASE = { sim: 'sim-reacher', task: 'reach', steps: 300 };

describe('grid syntax', () => {
  test('axes, values, ranges, on/off, episode and hidden widths', () => {
    const block = parseGrid(
      'noise=gaussian,param,gsde; interval=1,8,episode;layer-norm=on,off;seed=0..2;hidden=16x16,32;train-every=episode,8',
    );
    assert.deepEqual(
      block.map((axis) => [axis.key, axis.values]),
      [
        ['noise', ['gaussian', 'param', 'gsde']],
        ['interval', ['1', '8', -1]],
        ['layerNorm', [true, false]],
        ['seed', [0, 1, 2]],
        ['hidden', ['16,16', '32']],
        ['trainEvery', ['episode', '8']],
      ],
    );
    assert.deepEqual(parseGrid('paramTarget=0.1,0.2')[0].key, 'paramTarget');
    assert.deepEqual(parseGrid(''), []);
  });

  test('errors name the bad axis', () => {
    const cases: [string, RegExp][] = [
      ['nosie=gsde', /grid axis 'nosie' is not a training option \(did you mean noise\?\)/],
      ['noise=brown', /grid axis 'noise': --noise must be one of none, gaussian, ou, pink, param, gsde \(got 'brown'\)/],
      ['noise=gsde;interval=0', /grid axis 'interval': --interval must be a positive whole number/],
      ['layer-norm=maybe', /grid axis 'layer-norm' takes on or off \(got 'maybe'\)/],
      ['seed=3..1', /grid axis 'seed': the range 3\.\.1 is empty/],
      ['interval', /grid axis 'interval': write it as name=value/],
      ['noise=gsde,', /grid axis 'noise' has an empty value/],
      ['noise=gsde;noise=param', /grid axis 'noise' appears twice/],
      ['interval=8,8', /grid axis 'interval' lists 8 twice/],
      ['sim=arm', /grid axis 'sim' cannot vary within a sweep: give it once, as --sim/],
      ['db=x.db', /grid axis 'db' cannot vary/],
      ['steps=ten', /grid axis 'steps': --steps must be a number/],
    ];
    for (const [spec, message] of cases)
      assert.throws(
        () => parseGrid(spec),
        (error: unknown) => error instanceof GridError && message.test(error.message),
        spec,
      );
  });
});

describe('cells', () => {
  test('the product of a block, keyed by the options that differ from the base, seed last', () => {
    const cells = expandCells([parseGrid('noise=gaussian,gsde;interval=1,episode')], BASE, 'demo', [0, 1]);
    assert.deepEqual(
      cells.map((cell) => cell.key),
      [
        'seed=0',
        'seed=1',
        'interval=-1;seed=0',
        'interval=-1;seed=1',
        'noise=gsde;seed=0',
        'noise=gsde;seed=1',
        'noise=gsde;interval=-1;seed=0',
        'noise=gsde;interval=-1;seed=1',
      ],
    );
    const cell = cells[6];
    assert.equal(cell.configuration, 'noise=gsde;interval=-1');
    assert.equal(cell.config.sweep, 'demo');
    assert.equal(cell.config.sweepCell, 'noise=gsde;interval=-1;seed=0');
    assert.equal(cell.config.quiet, true);
    assert.deepEqual(parseCellKey(cell.key), [
      ['noise', 'gsde'],
      ['interval', '-1'],
      ['seed', '0'],
    ]);
  });

  test('train flags reproduce the cell: parsed back they give the same config', () => {
    const [cell] = expandCells(
      [parseGrid('noise=param;interval=episode;layer-norm=on;hidden=16x16;train-every=episode;gradient-steps=-1')],
      BASE,
      'demo',
    );
    assert.ok(cell);
    assert.ok(cell.args.includes('--interval=-1'));
    assert.ok(cell.args.includes('--layer-norm'));
    assert.ok(cell.args.includes(`--sweep-cell=${cell.key}`));
    const parsed: Record<string, unknown> = {};
    for (const arg of cell.args) {
      const match = /^--(no-)?([a-z-]+)(?:=(.*))?$/.exec(arg)!;
      const key = match[2].replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
      parsed[key] = match[1] ? false : match[3] === undefined ? true : match[3];
    }
    assert.deepEqual(resolveTrainConfig(parsed), cell.config);
  });

  test('blocks make a union; a cell reached twice runs once', () => {
    const cells = expandCells([parseGrid('noise=gsde;interval=1,8'), parseGrid('noise=gsde,param;interval=8')], BASE, 'demo');
    assert.deepEqual(
      cells.map((cell) => cell.key),
      ['noise=gsde;seed=0', 'noise=gsde;interval=8;seed=0', 'noise=param;interval=8;seed=0'],
    );
  });

  test('an explicit seed axis wins over --seeds; a bad combination names the cell', () => {
    const cells = expandCells([parseGrid('noise=ou;seed=5')], BASE, 'demo', [0, 1, 2]);
    assert.deepEqual(
      cells.map((cell) => cell.key),
      ['noise=ou;seed=5'],
    );
    assert.throws(
      () => expandCells([parseGrid('noise=gsde')], { ...BASE, algo: 'td3' }, 'demo'),
      /cell noise=gsde: --noise gsde needs --algo sac/,
    );
  });

  test("the study presets: the four questions' union, with baselines and the episode schedule", () => {
    const cells = expandCells(presetGrids(['study']).map(parseGrid), { ...STUDY_SCHEDULE, ...BASE }, 'study');
    const configurations = cells.map((cell) => cell.configuration);
    assert.equal(new Set(configurations).size, configurations.length, 'no configuration twice');
    assert.equal(cells.length, 37);
    for (const expected of [
      'noise=none',
      'train-every=8;gradient-steps=8;noise=none',
      '', // Gaussian noise resampled every step: the defaults
      'noise=param;interval=-1;layer-norm=on;adaptive=on',
      'noise=param;interval=-1;adaptive=on;param-target=0.4',
      'noise=param;interval=-1;param-std=0.05',
      'noise=gsde;interval=64',
      'noise=gsde;interval=-1',
      'noise=gsde;interval=8;layer-norm=on',
      'noise=ou',
      'noise=pink',
      'noise=param;interval=-1;layer-norm=on',
      'interval=8',
      'noise=ou;interval=-1',
      'noise=pink;interval=8',
    ]) {
      assert.ok(configurations.includes(expected), `missing ${expected}`);
    }
    assert.ok(cells.every((cell) => cell.config.trainEvery === (cell.configuration.includes('train-every=8') ? 8 : 'episode')));
    assert.throws(
      () => presetGrids(['speed']),
      /unknown preset 'speed'; presets: baselines, layer-norm, adaptation, interval, key, key-intervals, compromise, study/,
    );
  });

  test('the key preset: Gaussian k = 1, gSDE k = 8, adaptive parameter noise once per episode, no noise', () => {
    const cells = expandCells(presetGrids(['key']).map(parseGrid), { ...STUDY_SCHEDULE, ...BASE }, 'key');
    assert.deepEqual(cells.map((cell) => cell.configuration).sort(), [
      '',
      'noise=gsde;interval=8',
      'noise=none',
      'noise=param;interval=-1;adaptive=on',
    ]);
  });

  test('a stored run that differs from the planned cell is named flag by flag', () => {
    const [cell] = expandCells([parseGrid('noise=gsde')], BASE, 'demo');
    const stored: Record<string, unknown> = {
      ...cell.config,
      task: { task: 'reach', episodeSteps: 100 },
      backend: { name: 'wasm' },
      db: '/elsewhere.db',
    };
    assert.deepEqual(configMismatches(stored, cell), []);
    // A run stored before an option existed ran with that option's default.
    const older = Object.fromEntries(Object.entries(stored).filter(([key]) => key !== 'gsdeExpln'));
    assert.deepEqual(configMismatches(older, cell), []);
    assert.deepEqual(configMismatches(older, { ...cell, config: { ...cell.config, gsdeExpln: true } }), [
      '--gsde-expln off (stored) vs on (now)',
    ]);
    assert.deepEqual(configMismatches({ ...stored, steps: 5000, hidden: [64, 64] }, cell), [
      '--hidden 64,64 (stored) vs 256,256 (now)',
      '--steps 5000 (stored) vs 300 (now)',
    ]);
  });
});

describe('intervals as shares of the episode', () => {
  test('interval=episode/8 is a value of its own, kept as written in the cell key and the config', () => {
    const [axis] = parseGrid('interval=1,episode/8,episode');
    assert.deepEqual(axis.values, ['1', 'episode/8', -1]);
    const cells = expandCells([parseGrid('noise=gsde;interval=8,episode/8')], BASE, 'demo');
    assert.deepEqual(
      cells.map((cell) => cell.key),
      ['noise=gsde;interval=8;seed=0', 'noise=gsde;interval=episode/8;seed=0'],
    );
    assert.equal(cells[1].config.interval, 'episode/8');
    assert.ok(cells[1].args.includes('--interval=episode/8'));
  });

  test('bad shares name the axis', () => {
    for (const [spec, message] of [
      ['interval=episode/0', /^grid axis 'interval': --interval episode\/0: N must be a whole number/],
      ['interval=episode/x', /^grid axis 'interval': --interval episode\/x: N must be a whole number/],
    ] as const)
      assert.throws(
        () => parseGrid(spec),
        (error: unknown) => error instanceof GridError && message.test(error.message),
        spec,
      );
  });

  test('stored runs still match their cells: absolute k as before, a share as written', () => {
    const [absolute, share] = expandCells([parseGrid('noise=gsde;interval=8,episode/8')], BASE, 'demo');
    const stored = (cell: typeof absolute): Record<string, unknown> => ({
      ...cell.config,
      task: { task: 'reach', episodeSteps: 100 },
      backend: { name: 'wasm' },
    });
    // A run stored before shares existed: its interval a JSON number, as runs store it still.
    assert.deepEqual(configMismatches(JSON.parse(JSON.stringify(stored(absolute))) as Record<string, unknown>, absolute), []);
    assert.deepEqual(configMismatches(JSON.parse(JSON.stringify(stored(share))) as Record<string, unknown>, share), []);
    // A share that resolves to the same k is still another configuration.
    assert.deepEqual(configMismatches({ ...stored(absolute), sweepCell: share.key }, share), ['--interval 8 (stored) vs episode/8 (now)']);
  });

  test('the key-intervals preset: gSDE at 1, 8, episode/16, episode/4 and once per episode; Gaussian k = 1; no noise', () => {
    const cells = expandCells(presetGrids(['key-intervals']).map(parseGrid), { ...STUDY_SCHEDULE, ...BASE }, 'key-intervals');
    assert.deepEqual(
      cells.map((cell) => cell.configuration),
      [
        'noise=gsde',
        'noise=gsde;interval=8',
        'noise=gsde;interval=episode/16',
        'noise=gsde;interval=episode/4',
        'noise=gsde;interval=-1',
        '',
        'noise=none',
      ],
    );
  });
});

describe('progress', () => {
  test('time left from finished durations, pending and running cells', () => {
    // Mean 10 s; 4 pending → 40 s of work, running ones 4 s and 0 s (started 6 s and 12 s ago); 2 at a time.
    assert.equal(estimateSecondsLeft([8, 12], 4, [6, 12], 2), 22);
    assert.equal(estimateSecondsLeft([], 3, [1], 2), null);
    assert.equal(estimateSecondsLeft([5], 0, [], 2), 0);
    // One cell left: it runs alone whatever the jobs.
    assert.equal(estimateSecondsLeft([30], 1, [], 8), 30);
  });

  test('one line', () => {
    assert.equal(
      formatSweepProgress({ total: 48, done: 12, running: 2, failed: 1, elapsedS: 252, leftS: 720 }, 8),
      '[##------] 12/48 cells  2 running  1 failed  4m12s elapsed  ~12m00s left',
    );
    assert.match(formatSweepProgress({ total: 4, done: 0, running: 2, failed: 0, elapsedS: 3, leftS: null }), /time left unknown$/);
    assert.equal(formatDuration(3 * 3600 + 5 * 60 + 9), '3h05m');
  });
});

test('trainArgs: only non-default options, negative numbers attached', () => {
  const args = trainArgs(
    resolveTrainConfig({ sim: 'pendulum', interval: -1, noise: 'gsde', gsdeLogStdInit: -2, sweep: 's', sweepCell: 'interval=-1;seed=0' }),
  );
  assert.deepEqual(args, [
    '--sim=pendulum',
    '--noise=gsde',
    '--interval=-1',
    '--gsde-log-std-init=-2',
    '--seed=0',
    '--db=logs/robo-train.db',
    '--sweep=s',
    '--sweep-cell=interval=-1;seed=0',
  ]);
});
