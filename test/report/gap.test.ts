/**
 * The "Robot next to twin" analysis on synthetic stored runs in a real SQLite file: which runs pair,
 * the paired difference and its bootstrap interval, Holm's correction across configurations, the
 * robot's wear, and the refusal of pairs that do not compare like with like.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Db } from '../../src/store/database.js';
import { writeGapReport } from '../../src/report/gap-write.js';
import { mean, percentileInterval, stratifiedBootstrapDistribution } from '../../src/report/stats.js';
import { ReportError } from '../../src/report/write.js';
import { Rng } from '../../src/util/rng.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-gap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BOOTSTRAP = { reps: 1000, confidence: 0.95, seed: 7 };
const SEEDS = Array.from({ length: 10 }, (_, seed) => seed);

interface Side {
  sweep: string;
  source: 'hardware' | 'sim';
  where: Record<string, unknown>;
  trainer: 'worker' | 'inline';
}

const ROBOT: Side = { sweep: 'arm-robot', source: 'hardware', where: { port: '/dev/ttyUSB0', robot: 'arm', sim: null }, trainer: 'worker' };
const TWIN: Side = { sweep: 'arm-twin', source: 'sim', where: { sim: 'arm', realtime: true, port: null, robot: null }, trainer: 'worker' };

/** One finished run of `configuration` with two complete training episodes of the given figures. */
function insertRun(
  db: Db,
  side: Side,
  configuration: Record<string, string | number>,
  seed: number,
  figures: { raw: number; applied: number; jerk: number; current: number | null; temperature: number | null },
  overrides: Record<string, unknown> = {},
): number {
  const key = [...Object.entries(configuration).map(([flag, value]) => `${flag}=${value}`), `seed=${seed}`].join(';');
  const config = {
    ...side.where,
    noise: configuration['noise'],
    interval: configuration['interval'] ?? 1,
    steps: 200,
    seed,
    hidden: [64, 64],
    task: { task: 'reach', episodeSteps: 100 },
    actionMode: 'delta',
    trainer: side.trainer,
    sweep: side.sweep,
    sweepCell: key,
    ...overrides,
  };
  const now = new Date().toISOString();
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO runs (name, started_at, ended_at, status, source, robot, task, algo, noise, noise_interval, seed, sweep, joint_names, config, calibration, code_version, host, pid, heartbeat_at)
       VALUES (?, ?, ?, 'finished', ?, 'arm', 'reach', 'sac', ?, ?, ?, ?, '[]', ?, '{}', 'test', 'host', 1, ?)`,
    )
    .run('run', now, now, side.source, config.noise, config.interval, seed, side.sweep, JSON.stringify(config), now);
  const runId = Number(lastInsertRowid);
  for (const episode of [0, 1]) {
    db.prepare(
      `INSERT INTO episodes (run_id, episode, started_at, ended_at, evaluation, steps, return, termination, continuity_cost, raw_continuity_cost,
                             mean_squared_jerk, high_freq_share, mean_abs_current_a, peak_temperature_c)
       VALUES (?, ?, ?, ?, 0, 100, -50, 'truncated', ?, ?, ?, 0.1, ?, ?)`,
    ).run(runId, episode, now, now, figures.applied, figures.raw, figures.jerk, figures.current, figures.temperature);
  }
  return runId;
}

const GSDE = { noise: 'gsde', interval: 8 };
const GAUSSIAN = { noise: 'gaussian', interval: 1 };

/** The robot's raw continuity exceeds the twin's by about 1 % with gSDE; with Gaussian noise the two differ by zero-mean noise. */
function fillSweeps(db: Db): { gsdeDifferences: number[]; gaussianDifferences: number[] } {
  const rng = new Rng(1);
  const gsdeDifferences: number[] = [];
  const gaussianDifferences: number[] = [];
  for (const seed of SEEDS) {
    const twinRaw = 5 + rng.normal();
    const gsdeGap = 1 + 0.1 * rng.normal();
    insertRun(db, TWIN, GSDE, seed, { raw: twinRaw, applied: 0.5, jerk: 100, current: null, temperature: null });
    insertRun(db, ROBOT, GSDE, seed, { raw: twinRaw + gsdeGap, applied: 0.5, jerk: 120, current: 0.25 + 0.01 * seed, temperature: 30 });
    gsdeDifferences.push(twinRaw + gsdeGap - twinRaw);
    const gaussianGap = seed % 2 === 0 ? 0.3 : -0.3;
    insertRun(db, TWIN, GAUSSIAN, seed, { raw: 20, applied: 2, jerk: 300, current: null, temperature: null });
    insertRun(db, ROBOT, GAUSSIAN, seed, { raw: 20 + gaussianGap, applied: 2, jerk: 300, current: 0.5, temperature: 32 });
    gaussianDifferences.push(20 + gaussianGap - 20);
  }
  // A configuration the twin sweep never ran, and a seed of gSDE on the robot only: neither pairs.
  insertRun(db, ROBOT, { noise: 'none' }, 0, { raw: 0, applied: 0, jerk: 0, current: 0.1, temperature: 25 });
  insertRun(db, ROBOT, GSDE, 10, { raw: 99, applied: 99, jerk: 999, current: 9, temperature: 99 });
  return { gsdeDifferences, gaussianDifferences };
}

describe('robot next to twin', () => {
  const path = join(dir, 'runs.db');
  const db = openDatabase(path, { check: true });
  const expected = fillSweeps(db);
  after(() => db.close());

  test('pairs runs by configuration and seed, and corrects across configurations with Holm', () => {
    const report = writeGapReport(db, ROBOT.sweep, TWIN.sweep, join(dir, 'out'), BOOTSTRAP);
    const raw = report.analysis.rows.filter((row) => row.metric === 'rawContinuity');
    assert.deepEqual(
      raw.map((row) => [row.label, row.pairs]),
      [
        ['gsde k=8', 10],
        ['gaussian k=1', 10],
      ],
    );
    const [gsde, gaussian] = raw;
    // gSDE's gap is established in Holm's first round, at coverage 1 − 0.05/2; Gaussian's is then tested alone at 0.95.
    assert.ok(gsde.difference && gaussian.difference);
    assert.ok(Math.abs(gsde.difference.estimate - mean(expected.gsdeDifferences)) < 1e-9);
    assert.equal(gsde.difference.confidence, 0.975);
    assert.equal(gsde.difference.established, true);
    assert.ok(gsde.difference.interval.low > 0.8 && gsde.difference.interval.high < 1.2, JSON.stringify(gsde.difference.interval));
    // The interval is the percentile interval of the bootstrap over the paired seeds, test 0 of the family seeded with the report's seed.
    const distribution = stratifiedBootstrapDistribution([expected.gsdeDifferences], (strata) => mean(strata[0]), BOOTSTRAP);
    assert.deepEqual(gsde.difference.interval, percentileInterval(distribution, 0.975));
    assert.ok(Math.abs(gaussian.difference.estimate) < 1e-9);
    assert.equal(gaussian.difference.confidence, 0.95);
    assert.equal(gaussian.difference.established, false);
    assert.ok(gaussian.difference.interval.low < 0 && gaussian.difference.interval.high > 0);
    // Jerk: gSDE +20 on every seed (established), Gaussian 0 on every seed (a zero-width interval at 0: not established).
    const jerk = report.analysis.rows.filter((row) => row.metric === 'meanSquaredJerk');
    assert.deepEqual(
      jerk.map((row) => [row.difference?.estimate, row.difference?.established]),
      [
        [20, true],
        [0, false],
      ],
    );
    // The robot's wear: means over the paired runs only (seed 10 of gSDE is left out).
    assert.deepEqual(
      report.analysis.wear.map((row) => [row.label, row.runs, Number(row.currentA.toFixed(6)), row.temperatureC]),
      [
        ['gsde k=8', 10, 0.295, 30],
        ['gaussian k=1', 10, 0.5, 32],
      ],
    );
    assert.match(report.markdown, /## Robot next to twin: arm-robot − arm-twin/);
    assert.match(report.markdown, /\| `gaussian k=1` \| continuity of raw actions \[%\] \| 10 \| .* \| no difference established \|/);
    assert.match(report.markdown, /\| `gsde k=8` \| continuity of raw actions \[%\] \| 10 \| .* at 97\.5 % \| higher on the robot \|/);
    assert.match(report.markdown, /Not paired \(on one side only\): `noise=none`/);
    assert.equal(readFileSync(report.file, 'utf8'), report.markdown);
  });

  test('refuses pairs whose options differ beyond where the robot is', () => {
    const other = openDatabase(join(dir, 'mismatch.db'), { check: true });
    try {
      for (const seed of SEEDS) {
        insertRun(other, ROBOT, GSDE, seed, { raw: 1, applied: 1, jerk: 1, current: 0.2, temperature: 30 });
        // The twin's learner ran inline (a twin without --realtime) and one seed had another budget.
        insertRun(
          other,
          { ...TWIN, trainer: 'inline' },
          GSDE,
          seed,
          { raw: 1, applied: 1, jerk: 1, current: null, temperature: null },
          seed === 3 ? { steps: 400 } : {},
        );
      }
      assert.throws(
        () => writeGapReport(other, ROBOT.sweep, TWIN.sweep, join(dir, 'out2'), BOOTSTRAP),
        (error: unknown) =>
          error instanceof ReportError &&
          /do not compare like with like: learner placement worker \(robot\) vs inline \(twin\)/.test(error.message),
      );
      other.prepare(`UPDATE runs SET config = json_set(config, '$.trainer', 'worker')`).run();
      assert.throws(
        () => writeGapReport(other, ROBOT.sweep, TWIN.sweep, join(dir, 'out2'), BOOTSTRAP),
        (error: unknown) =>
          error instanceof ReportError && /seed=3 do not compare like with like: --steps 200 \(robot\) vs 400 \(twin\)/.test(error.message),
      );
    } finally {
      other.close();
    }
  });

  test('robo-train report --pair writes the section, also into the study document; a malformed pair is refused in one line', () => {
    const out = join(dir, 'reports');
    const doc = join(dir, 'docs', 'study.md');
    const ok = spawnSync(
      process.execPath,
      [bin, 'report', 'arm-twin', '--pair', 'arm-robot=arm-twin', '--db', path, '--out', out, '--doc', doc, '--reps', '300'],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    assert.equal(ok.status, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.match(ok.stdout, /## Robot next to twin: arm-robot − arm-twin/);
    assert.ok(existsSync(join(out, 'arm-robot-vs-arm-twin', 'gap.md')));
    // The study document ends with the section, after the twins' own.
    const text = readFileSync(doc, 'utf8');
    assert.ok(text.indexOf('## Robot next to twin: arm-robot − arm-twin') > text.indexOf('## Method'), 'the section closes the document');
    const bad = spawnSync(process.execPath, [bin, 'report', '--pair', 'arm-robot', '--db', path, '--out', out], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trim(), 'robo-train: --pair arm-robot: give the robot sweep and its twin sweep as ROBOTSWEEP=TWINSWEEP');
  });
});
