import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, resolveTrainConfig } from '../../src/training/config.js';
import { describeInterval, episodeShare, IntervalError, parseInterval, resolveInterval } from '../../src/training/interval.js';

describe('--interval: k steps, -1, or episode/N', () => {
  test('whole numbers stay numbers (as the command line, a config file or a grid gives them)', () => {
    assert.equal(parseInterval(8), 8);
    assert.equal(parseInterval('8'), 8);
    assert.equal(parseInterval(-1), -1);
    assert.equal(parseInterval('-1'), -1);
  });

  test('a share of the episode is kept as written, normalised', () => {
    assert.equal(parseInterval('episode/8'), 'episode/8');
    assert.equal(parseInterval('episode/08'), 'episode/8');
    assert.equal(episodeShare('episode/16'), 16);
    assert.equal(episodeShare(8), null);
  });

  test('bad values: one line that says what is accepted', () => {
    const cases: [unknown, RegExp][] = [
      ['episode/0', /^--interval episode\/0: N must be a whole number of resamplings per episode, at least 1 \(e\.g\. episode\/8\)$/],
      ['episode/x', /^--interval episode\/x: N must be a whole number/],
      ['episode/', /^--interval episode\/: N must be a whole number/],
      ['episode/2.5', /^--interval episode\/2\.5: N must be a whole number/],
      ['episode/-4', /^--interval episode\/-4: N must be/],
      [0, /^--interval must be a positive whole number of steps, or -1 for once per episode, or episode\/N .*\(got '0'\)$/],
      [-2, /\(got '-2'\)$/],
      [2.5, /\(got '2\.5'\)$/],
      ['eight', /\(got 'eight'\)$/],
      ['', /\(got ''\)$/],
    ];
    for (const [value, message] of cases) {
      assert.throws(
        () => parseInterval(value),
        (error: unknown) => error instanceof IntervalError && message.test(error.message) && !error.message.includes('\n'),
        String(value),
      );
    }
  });

  test('k = max(1, round(episode steps / N)); whole numbers and -1 pass through', () => {
    assert.equal(resolveInterval('episode/8', 200), 25);
    assert.equal(resolveInterval('episode/16', 500), 31); // 31.25
    assert.equal(resolveInterval('episode/4', 500), 125);
    assert.equal(resolveInterval('episode/3', 500), 167); // 166.67 rounds up
    assert.equal(resolveInterval('episode/1', 500), 500);
    assert.equal(resolveInterval('episode/500', 500), 1);
    assert.equal(resolveInterval('episode/300', 500), 2); // 1.67
    assert.equal(resolveInterval('episode/400', 500), 1); // 1.25
    assert.equal(resolveInterval(8, 500), 8);
    assert.equal(resolveInterval(-1, 500), -1);
  });

  test('more resamplings than steps in an episode are refused, naming both', () => {
    assert.throws(
      () => resolveInterval('episode/501', 500),
      (error: unknown) =>
        error instanceof IntervalError &&
        error.message ===
          '--interval episode/501 asks for 501 resamplings in an episode of 500 steps: N may be at most 500 (or give k in steps)',
    );
  });

  test('described with k in steps and the share as written', () => {
    assert.equal(describeInterval('episode/8', 25), 'every 25 steps (episode/8)');
    assert.equal(describeInterval(8, 8), 'every 8 steps');
    assert.equal(describeInterval(-1, -1), 'once per episode');
  });

  test('the training config takes it through --interval, and refuses bad values as a ConfigError', () => {
    assert.equal(resolveTrainConfig({ sim: 'furuta', interval: 'episode/4' }).interval, 'episode/4');
    assert.equal(resolveTrainConfig({ sim: 'furuta', interval: '8' }).interval, 8);
    assert.equal(resolveTrainConfig({ sim: 'furuta' }).interval, 1);
    assert.throws(() => resolveTrainConfig({ sim: 'furuta', interval: 'episode/0' }), ConfigError);
  });
});
