import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readFloat32Blob } from '../../src/store/codec.js';
import { robotrain } from './capture.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-store-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'runs.db');

// The reading commands run in-process through `main` (`robotrain` in capture.ts): starting the CLI costs seconds.

/** A short real training run on the twin, in its own process. */
function train(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [bin, '--sim', 'sim-reacher', '--steps', '300', '--hidden', '32,32', '--seed', '2', '--db', db, ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Run ids by noise: the two runs write into the one file at the same time, so either may be run 1. */
const ids = { gaussian: '', pink: '' };

before(async () => {
  for (const run of await Promise.all([train('--noise', 'gaussian'), train('--noise', 'pink')])) assert.equal(run.code, 0, run.stderr);
  const runs = (await robotrain(['runs', '--db', db, '--json'])).stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { run: number; noise: string });
  for (const run of runs) ids[run.noise as keyof typeof ids] = String(run.run);
  assert.ok(ids.gaussian && ids.pink, JSON.stringify(runs));
});

describe('robo-train runs / inspect / compare / export', () => {
  test('runs lists both, filters by noise, and prints JSON for scripts', async () => {
    const table = await robotrain(['runs', '--db', db]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^ +${ids.gaussian} +finished +sim +sim-reacher +reach +sac +gaussian +1 +2 +3 +300 `, 'm'));
    assert.match(table.stdout, new RegExp(`^ +${ids.pink} +finished +sim +sim-reacher +reach +sac +pink +1 +2 +3 +300 `, 'm'));
    const json = (await robotrain(['runs', '--db', db, '--json', '--noise', 'pink'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { run: number });
    assert.deepEqual(
      json.map((run) => String(run.run)),
      [ids.pink],
    );
  });

  test('inspect: the run, its summary (continuity raw and applied, jerk, high-frequency share, interventions by limit), episodes and events', async () => {
    const out = await robotrain(['inspect', ids.gaussian, '--db', db]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^run ${ids.gaussian} +sim-reacher-sac-gaussian1-s2-`, 'm'));
    assert.match(out.stdout, /^ +status +finished$/m);
    assert.match(out.stdout, /^ +joints +shoulder, elbow$/m);
    assert.match(out.stdout, /^ +training +3 episodes, 300 steps, mean return -\d/m);
    assert.match(out.stdout, /^ +continuity +\d[\d.]* % raw \(policy\), \d[\d.e-]* % applied \(after safety\)$/m);
    assert.match(out.stdout, /^ +smoothness +mean squared jerk \d+, high-frequency share \d/m);
    assert.match(out.stdout, /^ +safety +\d+ of 300 steps changed \(.*velocity \d+/m);
    assert.match(
      out.stdout,
      /^episode +eval +steps +return +raw cont\. % +applied cont\. % +jerk +hf share +clipped +termination +reason$/m,
    );
    assert.match(out.stdout, /^ +0 +100 +-\d+\.\d+ .* +100 +truncated +-$/m);
    assert.match(out.stdout, /^events\nat +episode +step +kind +detail\n[- ]+\n.* +\d+ +- +checkpoint +\S+checkpoint\.json$/m);

    const json = JSON.parse((await robotrain(['inspect', ids.gaussian, '--db', db, '--json'])).stdout) as {
      run: { name: string; joint_names: string[] };
      training: { steps: number; raw_continuity_cost: number };
      interventions: Record<string, number>;
      episodes: unknown[];
      events: { kind: string }[];
    };
    assert.deepEqual(json.run.joint_names, ['shoulder', 'elbow']);
    assert.equal(json.training.steps, 300);
    assert.ok(json.training.raw_continuity_cost > 0);
    assert.ok(Object.keys(json.interventions).length > 0);
    assert.equal(json.episodes.length, 3);
    assert.ok(json.events.some((event) => event.kind === 'checkpoint'));
    const byName = await robotrain(['inspect', json.run.name, '--db', db, '--json']);
    assert.equal(
      byName.stdout,
      (await robotrain(['inspect', ids.gaussian, '--db', db, '--json'])).stdout,
      'a run can be named by its name too',
    );
  });

  test('compare: side by side with source and robot; the numbers are those of inspect', async () => {
    const out = await robotrain(['compare', ids.gaussian, ids.pink, '--db', db]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^ +run ${ids.gaussian} +run ${ids.pink}$`, 'm'));
    assert.match(out.stdout, /^source +sim +sim$/m);
    assert.match(out.stdout, /^robot +sim-reacher +sim-reacher$/m);
    assert.match(out.stdout, /^noise +gaussian k=1 +pink k=1$/m);
    for (const label of [
      'mean return',
      'raw continuity %',
      'applied continuity %',
      'mean squared jerk',
      'high-frequency share',
      'clipped steps %',
      '  clipped by velocity',
    ]) {
      assert.match(out.stdout, new RegExp(`^${label} +-?[\\d.e-]+ +-?[\\d.e-]+$`, 'm'), label);
    }
    const json = (await robotrain(['compare', ids.gaussian, ids.pink, '--db', db, '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { run: { noise: string }; training: { continuity_cost: number } });
    assert.deepEqual(
      json.map((report) => report.run.noise),
      ['gaussian', 'pink'],
    );
    const inspected = JSON.parse((await robotrain(['inspect', ids.pink, '--db', db, '--json'])).stdout) as {
      training: { continuity_cost: number };
    };
    assert.equal(json[1].training.continuity_cost, inspected.training.continuity_cost);
  });

  test('export: steps with named columns (CSV to stdout and file, JSON lines) matching the stored rows, and episodes', async () => {
    // Once through the real command line, to stdout.
    const csv = spawnSync(process.execPath, [bin, 'export', ids.gaussian, '--db', db, '--format', 'csv'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(csv.status, 0, csv.stderr);
    const lines = csv.stdout.trim().split('\n');
    const header = lines[0].split(',');
    assert.deepEqual(header.slice(0, 10), [
      'episode',
      'step',
      'device_time_s',
      'reward',
      'flags',
      'reward_age_s',
      'position_shoulder',
      'position_elbow',
      'velocity_shoulder',
      'velocity_elbow',
    ]);
    for (const column of ['obs_0', 'raw_action_shoulder', 'noise_elbow', 'command_shoulder', 'command_elbow'])
      assert.ok(header.includes(column), column);
    assert.equal(lines.length, 301);

    const store = new Database(db, { readonly: true });
    const stored = store
      .prepare('SELECT command, obs FROM steps WHERE run_id = ? AND episode = 1 AND step = 7')
      .get(Number(ids.gaussian)) as { command: Buffer; obs: Buffer };
    store.close();
    const cells = lines.find((line) => line.startsWith('1,7,'))!.split(',');
    const at = (column: string): number => Number(cells[header.indexOf(column)]);
    assert.equal(Math.fround(at('command_elbow')), readFloat32Blob(stored.command)[1]);
    assert.equal(Math.fround(at('obs_3')), readFloat32Blob(stored.obs)[3]);

    const out = join(dir, 'run.csv');
    assert.equal((await robotrain(['export', ids.gaussian, '--db', db, '--out', out])).status, 0);
    assert.equal(readFileSync(out, 'utf8'), csv.stdout);
    const episodes = readFileSync(join(dir, 'run.episodes.csv'), 'utf8').trim().split('\n');
    assert.equal(episodes.length, 4);
    assert.match(episodes[0], /^episode,evaluation,.*,continuity_shoulder,continuity_elbow,.*,clipped_velocity/);

    const jsonlPath = join(dir, 'run.jsonl');
    assert.equal((await robotrain(['export', ids.gaussian, '--db', db, '--format', 'jsonl', '--out', jsonlPath])).status, 0);
    const records = readFileSync(jsonlPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(records.filter((record) => record['table'] === 'episodes').length, 3);
    const steps = records.filter((record) => record['table'] === 'steps');
    assert.equal(steps.length, 300);
    const step = steps.find((record) => record['episode'] === 1 && record['step'] === 7)!;
    assert.equal(Math.fround(step['command_elbow'] as number), readFloat32Blob(stored.command)[1]);
  });

  test('an unknown run, too few runs to compare, or a missing database: a clear message and a non-zero exit', async () => {
    for (const args of [
      ['inspect', '99'],
      ['compare', ids.gaussian, '99'],
      ['export', '99', '--format', 'csv'],
      ['inspect', 'no-such-name'],
    ]) {
      const out = await robotrain([...args, '--db', db]);
      assert.equal(out.status, 2, args.join(' '));
      assert.match(out.stderr, /^robo-train: no run '(99|no-such-name)' in .*runs\.db \('robo-train runs --db .*' lists them\)$/m);
    }
    const one = await robotrain(['compare', ids.gaussian, '--db', db]);
    assert.equal(one.status, 2);
    assert.match(one.stderr, /compare needs at least two runs/);
    const missing = await robotrain(['inspect', '1', '--db', join(dir, 'missing.db')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no run database at .*missing\.db: check --db/);
    assert.ok(!existsSync(join(dir, 'missing.db')), 'reading does not create a database');
  });
});
