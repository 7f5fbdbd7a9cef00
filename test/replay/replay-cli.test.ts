import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCalibration } from '../../src/calibration/load.js';
import { main } from '../../src/cli/main.js';
import { replayOpenLoop } from '../../src/replay/analyse.js';
import { readFixture } from '../../src/replay/fixture.js';
import type { ReplayReport } from '../../src/replay/replay.js';
import { openDatabase } from '../../src/store/database.js';
import { resolveTrainConfig } from '../../src/training/config.js';
import { runTraining } from '../../src/training/run.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-replay-'));
const db = join(dir, 'runs.db');
after(() => rmSync(dir, { recursive: true, force: true }));

/** The installed command in a child process: the real end to end path. */
function spawnJson(args: string[]): ReplayReport {
  const run = spawnSync(process.execPath, [bin, 'replay', '--db', db, '--json', ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as ReplayReport;
}

/** The same CLI in this process (what bin/robo-train.js calls), with its output captured: cheaper than a child. */
async function robotrain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...values: unknown[]) => out.push(values.join(' '));
  console.error = (...values: unknown[]) => err.push(values.join(' '));
  try {
    const code = await main(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('robo-train replay and fixture, end to end', () => {
  before(async () => {
    // A short run of its own: three episodes of 100 steps, SAC learning from step 100.
    const config = resolveTrainConfig({ sim: 'sim-reacher', steps: 300, hidden: '32,32', seed: 5, db, quiet: true });
    const result = await runTraining(config, { log: () => {} }, new AbortController().signal);
    assert.equal(result.status, 'finished');
  });

  test('open loop: the twin tracks its own log within sensor noise, continuity as stored, limits held; stored as a replay run', () => {
    const report = spawnJson(['--run', '1', '--episode', '1']);
    assert.equal(report.mode, 'open-loop');
    assert.equal(report.steps, 100);
    assert.equal(report.taskGoalReproduced, true);
    assert.equal(report.replayRunId, 2);
    // Same twin, same commands: only the sensor noise of both readings differs (see fixtures.test.ts for the bound).
    for (const joint of report.tracking) assert.ok(joint.rmsRad < 2e-3 && joint.maxRad < 5e-3, JSON.stringify(joint));
    assert.ok(Math.abs(report.continuity.logged / report.continuity.loggedStored! - 1) < 1e-5);
    assert.equal(report.continuity.replayed, report.continuity.logged);
    assert.ok(
      Math.abs(report.return.replayed - report.return.logged!) < 0.02 * Math.abs(report.return.logged!),
      `returns ${report.return.logged} vs ${report.return.replayed}`,
    );
    for (const joint of report.compliance.logged) assert.ok(joint.jerk! <= 1.001 && joint.position! < 1, JSON.stringify(joint));

    const store = openDatabase(db, { readonly: true });
    const run = store.prepare('SELECT source, robot, task, algo, status, config FROM runs WHERE id = 2').get() as Record<string, string>;
    assert.deepEqual(
      { ...run, config: undefined },
      { source: 'replay', robot: 'sim-reacher', task: 'reach', algo: 'open-loop', status: 'finished', config: undefined },
    );
    assert.deepEqual(JSON.parse(run['config']).replayOf.runId, 1);
    assert.deepEqual(JSON.parse(run['config']).replayOf.episode, 1);
    assert.equal((store.prepare('SELECT COUNT(*) AS n FROM steps WHERE run_id = 2').get() as { n: number }).n, 100);
    const episode = store.prepare('SELECT steps, continuity_cost FROM episodes WHERE run_id = 2').get() as {
      steps: number;
      continuity_cost: number;
    };
    assert.equal(episode.steps, 100);
    assert.ok(Math.abs(episode.continuity_cost - report.continuity.replayed) < 1e-12);
    store.close();
  });

  test('human output: tables of tracking error and limit compliance', async () => {
    const run = await robotrain(['replay', '--db', db, '--run', '1', '--episode', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^replay of run 1 episode 2 \(sim-reacher, task reach, 100 steps/m);
    assert.match(run.stdout, /^joint +rms \[rad\] +max \[rad\]$/m);
    assert.match(run.stdout, /^shoulder +\d/m);
    assert.match(run.stdout, /^joint +position +velocity +acceleration +jerk$/m);
    assert.match(run.stdout, /every limit held/);
  });

  test('--policy: the checkpoint acts deterministically, closed loop through the safety stage, from the logged start', async () => {
    const first = spawnJson(['--run', '1', '--episode', '2', '--policy']);
    const again = await robotrain(['replay', '--db', db, '--json', '--run', '1', '--episode', '2', '--policy']);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as ReplayReport;
    assert.equal(first.mode, 'policy');
    assert.ok(first.checkpoint?.endsWith('checkpoint.json') && existsSync(first.checkpoint));
    assert.equal(first.steps, 100);
    assert.equal(first.taskGoalReproduced, true);
    assert.equal(second.return.replayed, first.return.replayed, 'deterministic actions, seeded sensor noise: the same episode twice');
    // The safety stage shaped the commands: within every limit.
    for (const joint of first.compliance.replayed)
      assert.ok(joint.jerk! <= 1 + 1e-9 && joint.velocity! <= 1 + 1e-9 && joint.position! < 1, JSON.stringify(joint));
    // Another policy than the exploring one of the log: the paths part.
    assert.ok(first.tracking.some((joint) => joint.maxRad > 0.01));
    const store = openDatabase(db, { readonly: true });
    const run = store.prepare('SELECT source, algo, config FROM runs WHERE id = ?').get(first.replayRunId) as Record<string, string>;
    assert.equal(run['source'], 'replay');
    assert.equal(run['algo'], 'sac');
    assert.equal(JSON.parse(run['config']).mode, 'policy');
    const noise = store.prepare('SELECT COUNT(*) AS n FROM steps WHERE run_id = ?').get(first.replayRunId) as { n: number };
    assert.equal(noise.n, 100);
    store.close();
  });

  test('fixture: writes the episode, which replays like the stored one', async () => {
    const out = join(dir, 'fixtures', 'reacher.json');
    const run = await robotrain(['fixture', '--db', db, '--run', '1', '--episode', '1', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /wrote .*reacher\.json: sim-reacher, 100 steps at 50 Hz/);
    const fixture = readFixture(out);
    assert.equal(fixture.command.length, 100);
    assert.deepEqual(fixture.source.runId, 1);
    const replay = await replayOpenLoop(loadCalibration('sim-reacher'), fixture, fixture.source.seed);
    const storedRun = await robotrain(['replay', '--db', db, '--json', '--run', '1', '--episode', '1']);
    const stored = JSON.parse(storedRun.stdout) as ReplayReport;
    replay.tracking.forEach((joint, j) =>
      assert.ok(Math.abs(joint.rmsRad - stored.tracking[j].rmsRad) < 1e-9, 'the same replay from the fixture and from the store'),
    );
  });

  test('bad input: a clear message and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['replay', '--db', db, '--run', '1', '--episode', '99'], /run 1 has no episode 99 \(it has \d+ episodes, numbered from 0\)/],
      [['replay', '--db', db, '--run', '42', '--episode', '0'], /no run 42 in .* \(runs 1 to \d+\)/],
      [['replay', '--db', db, '--run', '1.5', '--episode', '0'], /--run must be a run id/],
      [['replay', '--db', db, '--episode', '0'], /Missing required argument: run/],
      [['fixture', '--db', db, '--run', '1', '--episode', '0'], /Missing required argument: out/],
    ];
    for (const [args, message] of cases) {
      const run = await robotrain(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
    }
  });
});
