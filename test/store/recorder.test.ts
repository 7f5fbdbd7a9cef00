import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { readFloat32Blob } from '../../src/store/codec.js';
import { openDatabase, StoreError } from '../../src/store/database.js';
import { listRuns } from '../../src/store/queries.js';
import type { EpisodeSummary } from '../../src/core/step-sink.js';
import { RunRecorder } from '../../src/store/recorder.js';
import type { RunInfo } from '../../src/store/run-info.js';
import { RunWriter } from '../../src/store/run-writer.js';
import { StepRing } from '../../src/store/step-ring.js';

const dir = mkdtempSync(join(tmpdir(), 'robo-train-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const info: RunInfo = {
  name: 'test-run',
  source: 'sim',
  robot: 'sim-reacher',
  task: 'reach',
  algo: 'sac',
  noise: 'gaussian',
  noiseInterval: 8,
  seed: 3,
  sweep: null,
  jointNames: ['shoulder', 'elbow'],
  config: { noise: 'gaussian', interval: 8 },
  calibration: { robot: 'sim-reacher' },
  codeVersion: 'test',
};

const summary = (steps: number): EpisodeSummary => ({
  steps,
  return: -12.5,
  termination: 'truncated',
  reason: null,
  continuityCost: 0.75,
  continuityPerJoint: [0.5, 1.0],
  rawContinuityCost: 3.5,
  meanSquaredJerk: 12,
  highFrequencyShare: 0.1,
  safetyClippedSteps: 2,
  safetyClips: { velocity: 2, jerk: 1 },
  seconds: 0.5,
  wear: null,
  meanAbsNoise: 0.25,
  explorationScale: { std: 0.125, distance: 0.5 },
});

function stepRow(episode: number, step: number) {
  return {
    episode,
    step,
    deviceTimeS: step * 0.02,
    positionRad: [step, -step],
    velocityRadS: [0.5, -0.5],
    obs: [1, 2, 3, 4, 5, 6, 7, 8],
    rawAction: [0.25, -0.25],
    noise: [0.125, 0],
    command: [0.3, -0.3],
    reward: step === 19 ? null : -step,
    flags: step === 19 ? 16 : 0,
    telemetry: null,
  };
}

const count = (db: Database.Database, sql: string, ...values: unknown[]): number => (db.prepare(sql).get(...values) as { n: number }).n;

/** Polls `condition` until it holds, for at most `timeoutMs`. */
async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return condition();
}

describe('run recorder', () => {
  test('runs, episodes, steps and events round-trip through the writer; arrays come back exactly as float32', async () => {
    const db = openDatabase(join(dir, 'roundtrip.db'));
    const recorder = await RunRecorder.open(db, info, { maxBatchRows: 7, maxBatchAgeMs: 60_000 });
    recorder.beginEpisode(0, false);
    for (let step = 0; step < 20; step++) recorder.step(stepRow(0, step));
    recorder.endEpisode(0, summary(20));
    recorder.event('safety', 'velocity limit clipped joint elbow', 0, 3);
    recorder.beginEpisode(1, true);
    recorder.endEpisode(1, { ...summary(0), return: -2 });
    await recorder.flush();
    assert.equal(recorder.stepsWritten, 20);
    assert.equal(recorder.stepsPending, 0);
    await recorder.finish('finished', null);

    const [run] = listRuns(db);
    assert.equal(run.status, 'finished');
    assert.equal(run.episodes, 1, 'evaluation episodes are not counted as training');
    assert.equal(run.steps, 20);
    assert.equal(run.mean_return, -12.5);
    const row = db.prepare('SELECT * FROM steps WHERE run_id = ? AND episode = 0 AND step = 5').get(recorder.runId) as Record<
      string,
      Buffer | number
    >;
    assert.deepEqual(Array.from(readFloat32Blob(row['position'] as Buffer)), [5, -5]);
    assert.deepEqual(Array.from(readFloat32Blob(row['obs'] as Buffer)), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(Array.from(readFloat32Blob(row['command'] as Buffer)), [Math.fround(0.3), Math.fround(-0.3)]);
    assert.equal(row['reward'], -5);
    assert.equal(row['device_time_s'], 0.1);
    const last = db.prepare('SELECT reward, flags FROM steps WHERE step = 19').get() as { reward: number | null; flags: number };
    assert.deepEqual(last, { reward: null, flags: 16 });

    const episode = db.prepare('SELECT * FROM episode_summary WHERE episode = 0').get() as Record<string, unknown>;
    assert.equal(episode['continuity_cost'], 0.75);
    assert.equal(episode['interval'], 8);
    assert.deepEqual(db.prepare('SELECT mean_abs_noise, param_std, param_distance FROM episodes WHERE episode = 0').get(), {
      mean_abs_noise: 0.25,
      param_std: 0.125,
      param_distance: 0.5,
    });
    assert.equal(db.prepare('SELECT * FROM recent_events').all().length, 1);
    const curve = db.prepare('SELECT episode, evaluation, training_steps, return_mean10 FROM learning_curve ORDER BY episode').all();
    assert.deepEqual(curve, [
      { episode: 0, evaluation: 0, training_steps: 20, return_mean10: -12.5 },
      { episode: 1, evaluation: 1, training_steps: 20, return_mean10: -2 },
    ]);
    const interventions = db.prepare('SELECT episode, limit_name, steps FROM interventions WHERE evaluation = 0 ORDER BY limit_name').all();
    assert.deepEqual(interventions, [
      { episode: 0, limit_name: 'jerk', steps: 1 },
      { episode: 0, limit_name: 'velocity', steps: 2 },
    ]);
    const smoothness = db
      .prepare('SELECT episodes, steps, raw_continuity_cost, continuity_cost, mean_squared_jerk, clipped_share FROM run_smoothness')
      .get();
    assert.deepEqual(smoothness, {
      episodes: 1,
      steps: 20,
      raw_continuity_cost: 3.5,
      continuity_cost: 0.75,
      mean_squared_jerk: 12,
      clipped_share: 0.1,
    });
    db.close();
  });

  test('step rows reach the disk within maxBatchAgeMs without a flush, and in batches of maxBatchRows', async () => {
    const db = openDatabase(join(dir, 'age.db'));
    const reader = new Database(join(dir, 'age.db'), { readonly: true });
    const recorder = await RunRecorder.open(db, info, { maxBatchRows: 50, maxBatchAgeMs: 100 });
    recorder.beginEpisode(0, false);
    for (let step = 0; step < 10; step++) recorder.step(stepRow(0, step));
    assert.ok(
      await eventually(() => count(reader, 'SELECT COUNT(*) AS n FROM steps') === 10, 5000),
      'the age bound commits a partial batch',
    );
    assert.equal(recorder.stepsWritten, 10);
    await recorder.finish('finished', null);

    const big = await RunRecorder.open(db, info, { maxBatchRows: 50, maxBatchAgeMs: 60_000 });
    for (let step = 0; step < 120; step++) big.step(stepRow(0, step));
    assert.ok(await eventually(() => big.stepsWritten === 120, 5000), 'a full batch is committed without waiting for the age bound');
    await big.finish('finished', null);
    reader.close();
    db.close();
  });

  test('telemetry: per-step current, load, temperature and voltage as float32 arrays, the episode wear, run_wear; NULL without telemetry', async () => {
    const path = join(dir, 'telemetry.db');
    const db = openDatabase(path);
    const recorder = await RunRecorder.open(db, info);
    recorder.beginEpisode(0, false);
    for (let step = 0; step < 10; step++) {
      recorder.step({
        ...stepRow(0, step),
        telemetry: { currentA: [0.1 * step, -0.2], loadFraction: [0.3, -0.4], temperatureC: [40 + step, 39], voltageV: [12, 11.5] },
      });
    }
    const wear = { meanAbsCurrentA: 0.325, meanAbsLoad: 0.35, peakTemperatureC: 49, minVoltageV: 11.5, energyJ: 0.9 };
    recorder.endEpisode(0, { ...summary(10), wear });
    await recorder.finish('finished', null);
    const row = db.prepare('SELECT current, load, temperature, voltage FROM steps WHERE step = 3').get() as Record<string, Buffer>;
    assert.deepEqual(Array.from(readFloat32Blob(row['current'])), [Math.fround(0.3), Math.fround(-0.2)]);
    assert.deepEqual(Array.from(readFloat32Blob(row['temperature'])), [43, 39]);
    assert.deepEqual(Array.from(readFloat32Blob(row['voltage'])), [12, 11.5]);
    const runWear = db
      .prepare('SELECT mean_abs_current_a, peak_temperature_c, min_voltage_v, energy_j, energy_j_per_step FROM run_wear')
      .get();
    assert.deepEqual(runWear, {
      mean_abs_current_a: 0.325,
      peak_temperature_c: 49,
      min_voltage_v: 11.5,
      energy_j: 0.9,
      energy_j_per_step: 0.09,
    });
    // A robot without telemetry: NULL arrays and no wear.
    const plain = await RunRecorder.open(db, info);
    plain.beginEpisode(0, false);
    plain.step(stepRow(0, 0));
    plain.endEpisode(0, summary(1));
    await plain.finish('finished', null);
    const bare = db.prepare('SELECT current, voltage FROM steps WHERE run_id = ?').get(plain.runId);
    assert.deepEqual(bare, { current: null, voltage: null });
    db.close();

    // What inspect and compare show of it.
    const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
    const inspect = spawnSync(process.execPath, [bin, 'inspect', String(recorder.runId), '--db', path], { encoding: 'utf8' });
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(
      inspect.stdout,
      /^ +wear +mean \|current\| 0\.325 A, mean \|load\| 35 %, peak 49 °C, lowest 11\.50 V, 0\.0900 J per step$/m,
    );
    const compare = spawnSync(process.execPath, [bin, 'compare', String(recorder.runId), String(plain.runId), '--db', path], {
      encoding: 'utf8',
    });
    assert.equal(compare.status, 0, compare.stderr);
    assert.match(compare.stdout, /^peak temperature °C +49 +-$/m);
  });

  test('episode ends and events are committed at once, with the step rows queued before them', async () => {
    const path = join(dir, 'prompt.db');
    const db = openDatabase(path);
    const reader = new Database(path, { readonly: true });
    // Step rows alone would wait a minute: only the episode end can commit them.
    const recorder = await RunRecorder.open(db, info, { maxBatchRows: 10_000, maxBatchAgeMs: 60_000 });
    recorder.beginEpisode(0, false);
    for (let step = 0; step < 20; step++) recorder.step(stepRow(0, step));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(count(reader, 'SELECT COUNT(*) AS n FROM steps'), 0, 'no batch is due yet');
    recorder.endEpisode(0, summary(20));
    recorder.event('fault', 'joint 2 over temperature', 0, 19);
    const ended = (): boolean =>
      count(reader, `SELECT COUNT(*) AS n FROM episodes WHERE termination IS NOT NULL`) === 1 &&
      count(reader, 'SELECT COUNT(*) AS n FROM events') === 1;
    assert.ok(await eventually(ended, 2000), 'the episode end and the event are on disk without flush or finish');
    assert.equal(count(reader, 'SELECT COUNT(*) AS n FROM steps'), 20, 'the episode end carried its step rows');
    await recorder.finish('finished', null);
    reader.close();
    db.close();
  });

  test('back-pressure: warned at half the queue, then a StoreError when it is full; the tick never waits and nothing is dropped', async () => {
    const path = join(dir, 'pressure.db');
    const db = openDatabase(path);
    const warnings: [number, number][] = [];
    const recorder = await RunRecorder.open(db, info, {
      maxBatchRows: 8,
      maxBatchAgeMs: 10,
      maxQueuedRows: 64,
      onBackpressure: (queued, limit) => warnings.push([queued, limit]),
    });
    // Another connection holds the write lock, as a slow disk or a busy neighbour would.
    const blocker = new Database(path);
    blocker.prepare('BEGIN IMMEDIATE').run();
    recorder.beginEpisode(0, false);
    let accepted = 0;
    let refused: unknown = null;
    for (let step = 0; step < 100 && refused === null; step++) {
      try {
        recorder.step(stepRow(0, step));
        accepted++;
      } catch (error) {
        refused = error;
      }
    }
    assert.equal(accepted, 64);
    assert.ok(refused instanceof StoreError);
    assert.match(refused.message, /cannot keep up: 64 step rows wait to be written .*the run stops rather than drop rows/);
    assert.throws(() => recorder.step(stepRow(0, 64)), /cannot keep up/, 'refuses every later row too');
    assert.equal(recorder.backpressureWarnings, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings, [[32, 64]], 'the callback runs once, outside the tick');
    blocker.prepare('COMMIT').run();
    blocker.close();
    await recorder.finish('failed', refused.message);
    assert.equal(count(db, 'SELECT COUNT(*) AS n FROM steps'), 64, 'every accepted row is on disk');
    const run = db.prepare('SELECT status, exit_reason FROM runs').get() as { status: string; exit_reason: string };
    assert.equal(run.status, 'failed');
    assert.match(db.prepare(`SELECT detail FROM events WHERE kind = 'store'`).pluck().get() as string, /falling behind: 32 step rows wait/);
    const episode = db.prepare('SELECT termination, reason FROM episodes').get() as { termination: string; reason: string };
    assert.equal(episode.termination, 'aborted', 'finish closes the episode the failure left open');
    assert.match(episode.reason, /cannot keep up/);
    db.close();
  });

  test('a full disk is a StoreError that says so', () => {
    const path = join(dir, 'full.db');
    const db = openDatabase(path);
    const runId = Number(
      db
        .prepare(
          `INSERT INTO runs (name, started_at, status, source, robot, task, algo, noise, noise_interval, seed, joint_names, config, calibration, code_version, host, pid, heartbeat_at)
      VALUES ('full', 'now', 'running', 'sim', 'r', 't', 'sac', 'none', 1, 0, '[]', '{}', '{}', 'test', 'h', 1, 'now')`,
        )
        .run().lastInsertRowid,
    );
    // SQLite's own cap on the file's pages fails a write exactly as a full disk does.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const ring = StepRing.create(400, [2, 2, 8, 2, 2, 2, 0, 0, 0, 0]);
    const writer = new RunWriter(db, runId, 1000);
    writer.attach(ring.layout);
    for (let step = 0; step < 400; step++) ring.push(stepRow(0, step));
    assert.throws(
      () => writer.commit(400),
      (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(
          error.message,
          /could not write step rows in .*full\.db: .*\(the disk is full: free space or point --db at another disk\)/,
        );
        return true;
      },
    );
    assert.equal(writer.committed, 0, 'nothing is released that was not committed');
    db.close();
  });

  test('an unwritable database path is a clear error', () => {
    // A folder that cannot exist: its parent is a regular file (permissions would not stop root).
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, '');
    assert.throws(() => openDatabase(join(blocker, 'runs.db')), /cannot open the run database .*Check that the folder is writable/);
  });
});
