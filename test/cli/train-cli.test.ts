import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/database.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function robotrain(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('robo-train CLI', () => {
  test('a short run on the twin: progress lines, runs in the store, a checkpoint, then `runs` lists it', () => {
    const db = join(dir, 'short.db');
    const run = robotrain(['--sim', 'sim-reacher', '--steps', '250', '--hidden', '32,32', '--db', db, '--seed', '4']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /backend: /);
    assert.match(run.stdout, /^ep 0 +steps 100 +return -?\d/m);
    assert.match(run.stdout, /run 1 finished: 250 steps, 3 episodes; checkpoint .*checkpoint\.json/);
    assert.ok(existsSync(join(dir, 'runs', 'short-1', 'checkpoint.json')));
    const store = openDatabase(db, { readonly: true });
    assert.equal((store.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n, 250);
    const last = store.prepare('SELECT termination, reason FROM episodes ORDER BY episode DESC LIMIT 1').get() as {
      termination: string;
      reason: string;
    };
    assert.deepEqual(last, { termination: 'interrupted', reason: 'step budget (--steps) reached' });
    store.close();

    const runs = robotrain(['runs', '--db', db]);
    assert.equal(runs.status, 0, runs.stderr);
    assert.match(runs.stdout, /^ +1 +finished +sim +sim-reacher +reach +sac +gaussian +1 +4 +3 +250 /m);
    const json = robotrain(['runs', '--db', db, '--json', '--noise', 'gaussian']);
    assert.equal(JSON.parse(json.stdout.trim()).steps, 250);
  });

  test('evaluation rounds end with their mean return, computed from their episodes', () => {
    const run = robotrain([
      '--sim',
      'sim-reacher',
      '--steps',
      '200',
      '--hidden',
      '16,16',
      '--eval-every',
      '1',
      '--eval-episodes',
      '2',
      '--db',
      join(dir, 'eval.db'),
    ]);
    assert.equal(run.status, 0, run.stderr);
    const rounds = [
      ...run.stdout.matchAll(/((?:^eval \d+ .*\n)+)^evaluation after (\d+) steps: return (\S+) ± (\S+) \(mean ± std of 2 episodes\)$/gm),
    ];
    assert.deepEqual(
      rounds.map((round) => Number(round[2])),
      [100, 200],
      run.stdout,
    );
    for (const round of rounds) {
      const returns = [...round[1].matchAll(/return (\S+)/g)].map((match) => Number(match[1]));
      const mean = (returns[0] + returns[1]) / 2;
      assert.ok(Math.abs(Number(round[3]) - mean) <= 0.01 + 1e-3 * Math.abs(mean), `${round[3]} vs ${mean}`);
      assert.ok(Math.abs(Number(round[4]) - Math.abs(returns[0] - returns[1]) / 2) <= 0.01 + 1e-3 * Math.abs(mean));
    }
  });

  /** The training steps after which a 100-step-episode reacher run with `--steps` evaluated (every 2nd episode). */
  const evaluationRounds = (steps: number): number[] => {
    const run = robotrain([
      '--sim',
      'sim-reacher',
      '--steps',
      String(steps),
      '--hidden',
      '16,16',
      '--eval-every',
      '2',
      '--eval-episodes',
      '1',
      '--db',
      join(dir, `final-eval-${steps}.db`),
    ]);
    assert.equal(run.status, 0, run.stderr);
    return [...run.stdout.matchAll(/^evaluation after (\d+) steps:/gm)].map((round) => Number(round[1]));
  };

  test('the step budget ends with an evaluation round, however its episodes fall against --eval-every', () => {
    assert.deepEqual(evaluationRounds(300), [200, 300], 'after every 2nd training episode of 100 steps, and after the last one');
  });

  test('a budget that ends inside an episode still ends with an evaluation round', () => {
    // The third episode is cut at 50 steps by the budget (stored as interrupted), as happens whenever
    // episodes end early (furuta) or a robot's episode is aborted.
    assert.deepEqual(evaluationRounds(250), [200, 250]);
  });

  test('SIGINT stops cleanly: episode interrupted, rows flushed, checkpoint written, exit 0', async () => {
    const db = join(dir, 'signal.db');
    const child = spawn(process.execPath, [bin, '--sim', 'sim-reacher', '--hidden', '32,32', '--db', db], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // Interrupt once a few episodes have been reported.
        if (/^ep 2 /m.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (code) => resolve(code));
    });
    assert.equal(exitCode, 0, stderr);
    assert.match(stderr, /SIGINT received, stopping cleanly/);
    assert.match(stdout, /run 1 interrupted \(stopped by SIGINT\)/);
    const store = openDatabase(db, { readonly: true });
    const run = store.prepare('SELECT status, exit_reason FROM runs').get() as { status: string; exit_reason: string };
    assert.deepEqual(run, { status: 'interrupted', exit_reason: 'stopped by SIGINT' });
    const last = store.prepare('SELECT episode, steps, termination FROM episodes ORDER BY episode DESC LIMIT 1').get() as {
      episode: number;
      steps: number;
      termination: string;
    };
    assert.equal(last.termination, 'interrupted');
    const stepRows = (store.prepare('SELECT COUNT(*) AS n FROM steps WHERE episode = ?').get(last.episode) as { n: number }).n;
    assert.equal(stepRows, last.steps, 'every step of the interrupted episode is in the database');
    store.close();
    assert.ok(existsSync(join(dir, 'runs', 'signal-1', 'checkpoint.json')));
  });

  test('--interval episode/4: the run resamples at the resolved k, stores it and the share as written', () => {
    const db = join(dir, 'share.db');
    // sim-reacher's reach: 100-step episodes, so episode/4 is k = 25.
    const run = robotrain([
      '--sim',
      'sim-reacher',
      '--steps',
      '150',
      '--hidden',
      '16,16',
      '--noise',
      'gsde',
      '--interval',
      'episode/4',
      '--db',
      db,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^run 1 → .*noise gsde every 25 steps \(episode\/4\), seed 0/m);
    const store = openDatabase(db, { readonly: true });
    const row = store
      .prepare(
        `SELECT noise_interval, json_extract(config, '$.interval') AS setting, json_extract(config, '$.exploration.interval') AS k FROM runs`,
      )
      .get() as { noise_interval: number; setting: string; k: number };
    store.close();
    assert.deepEqual(row, { noise_interval: 25, setting: 'episode/4', k: 25 });
    const inspect = robotrain(['inspect', '1', '--db', db]);
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stdout, /^ +learner +sac, noise gsde every 25 steps \(episode\/4\), seed 0$/m);
  });

  test('bad input: a clear message and exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['--sim', 'sim-reacher', '--interval', '0'], /--interval must be a positive whole number of steps, or -1/],
      [['--sim', 'no-such-robot'], /no calibration named 'no-such-robot'/],
      [['--sim', 'sim-reacher', '--noise', 'brown'], /Invalid values:[\s\S]*noise/],
      [
        ['--sim', 'sim-reacher', '--interval', 'episode/0'],
        /^robo-train: --interval episode\/0: N must be a whole number of resamplings per episode, at least 1/m,
      ],
      [['--sim', 'sim-reacher', '--interval', 'episode/x'], /^robo-train: --interval episode\/x: N must be a whole number/m],
      [
        ['--sim', 'sim-reacher', '--interval', 'episode/101', '--steps', '10'],
        /^robo-train: --interval episode\/101 asks for 101 resamplings in an episode of 100 steps: N may be at most 100/m,
      ],
      [['--steps', '10'], /exactly one of --sim NAME, --port PATH or --mqtt URL/],
      [['--sim', 'sim-reacher', '--algo', 'td3', '--noise', 'gsde'], /--noise gsde needs --algo sac/],
    ];
    for (const [args, message] of cases) {
      const run = robotrain([...args, '--db', join(dir, 'unused.db')]);
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace for a usage error');
    }
  });
});
