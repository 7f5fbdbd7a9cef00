/**
 * `robo-train --port ... --robot so101|koch` end to end: the daemon trains the twin served as a chain of
 * emulated servos (`sim-device --bus`) over a socat pseudo-terminal, through the bus faults a desk arm
 * shows: the cable pulled out of the adapter, a servo that overheats, a servo missing at start.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { readRun, reportedSteps } from '../hardware/store.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from '../hardware/support.js';

after(cleanup);

interface Bus {
  pty: PtyPair;
  device: RoboTrain;
  db: string;
}

async function serveTwin(t: TestContext, twin: 'so101' | 'koch', bus: 'feetech' | 'dynamixel', faults: string[]): Promise<Bus | null> {
  if (!haveTools(t, 'socat')) return null;
  const folder = tempFolder(`train-bus-${twin}-`);
  const pty = await PtyPair.open(folder);
  const device = new RoboTrain(['sim-device', '--bus', bus, '--twin', twin, '--port', pty.device, '--commands', ...faults], {
    stdin: true,
  });
  await device.output(/ servos \(ids 1, 2, 3, 4, 5, 6\) at 1000000 Bd/, 20_000);
  return { pty, device, db: join(folder, 'runs.db') };
}

function train(bus: Bus, robot: string, steps: number, ...extra: string[]): RoboTrain {
  return new RoboTrain(['--port', bus.pty.host, '--robot', robot, '--steps', String(steps), '--hidden', '32,32', '--db', bus.db, ...extra]);
}

/** Per step row: how many lack the servos' current or temperature (every bus robot reports both). */
function wearGaps(db: string): { rows: number; withoutCurrent: number; withoutTemperature: number } {
  const store = openDatabase(db, { readonly: true });
  try {
    return store
      .prepare(
        'SELECT COUNT(*) AS rows, SUM(current IS NULL) AS withoutCurrent, SUM(temperature IS NULL) AS withoutTemperature FROM steps WHERE run_id = 1',
      )
      .get() as { rows: number; withoutCurrent: number; withoutTemperature: number };
  } finally {
    store.close();
  }
}

function wear(db: string): {
  episodes: { episode: number; current: number | null; temperature: number | null }[];
  run: { mean_abs_current_a: number | null; peak_temperature_c: number | null };
} {
  const store = openDatabase(db, { readonly: true });
  try {
    return {
      episodes: store
        .prepare(
          'SELECT episode, mean_abs_current_a AS current, peak_temperature_c AS temperature FROM episodes WHERE run_id = 1 AND steps > 0 ORDER BY episode',
        )
        .all() as { episode: number; current: number | null; temperature: number | null }[],
      run: store.prepare('SELECT mean_abs_current_a, peak_temperature_c FROM run_wear WHERE run = 1').get() as {
        mean_abs_current_a: number | null;
        peak_temperature_c: number | null;
      },
    };
  } finally {
    store.close();
  }
}

test('so101 on a Feetech bus: training goes on after the bus cable is pulled for a second; every step is stored with its wear', async (t) => {
  const bus = await serveTwin(t, 'so101', 'feetech', ['--fault', 'unplug@2:1']);
  if (!bus) return;
  const run = train(bus, 'so101', 300);
  assert.equal(await run.exited, 0, run.stderr);
  assert.equal(run.stderr.trim(), '');
  assert.doesNotMatch(run.stdout, /watchdog armed/, 'an STS3215 has no watchdog to arm');
  assert.match(
    run.stdout,
    /robot: bus: \d+ ticks, bus time p50 [\d.]+ ms, p99 [\d.]+ ms; host work p50 [\d.]+ ms, p99 [\d.]+ ms; \d+ missed ticks/,
  );

  const stored = readRun(bus.db);
  assert.equal(stored.status, 'finished');
  assert.equal(stored.source, 'hardware');
  assert.equal(reportedSteps(run.stdout), 300);
  assert.equal(stored.stepRows, 300, 'no row lost to the fault');
  assert.equal(
    stored.episodes.reduce((sum, episode) => sum + episode.steps, 0),
    300,
  );
  const lost = stored.episodes.findIndex((episode) => episode.termination === 'aborted');
  assert.ok(lost >= 0, JSON.stringify(stored.episodes));
  assert.match(stored.episodes[lost].reason ?? '', /joint 'shoulder_pan' \(id 1, STS3215\) stopped answering on .* at 1000000 Bd/);
  assert.ok(
    stored.episodes.slice(lost + 1).some((episode) => episode.steps > 0 && episode.termination !== 'aborted'),
    `training resumed after the cable was back: ${JSON.stringify(stored.episodes)}`,
  );

  const gaps = wearGaps(bus.db);
  assert.deepEqual(gaps, { rows: 300, withoutCurrent: 0, withoutTemperature: 0 });
  const { episodes, run: total } = wear(bus.db);
  for (const episode of episodes) {
    assert.ok(episode.current !== null && episode.current > 0, `episode ${episode.episode} draws current: ${episode.current} A`);
    assert.ok(episode.temperature !== null && episode.temperature >= 20, `episode ${episode.episode}: ${episode.temperature} °C`);
  }
  assert.ok(total.mean_abs_current_a !== null && total.mean_abs_current_a > 0);
  assert.ok(total.peak_temperature_c !== null);
  assert.equal(await bus.device.stop(), 0);
});

test('koch on a Dynamixel bus: a servo that overheats stops the robot; the run fails in one line, every step kept', async (t) => {
  const bus = await serveTwin(t, 'koch', 'dynamixel', ['--fault', 'overheat@2:3']);
  if (!bus) return;
  const run = train(bus, 'koch', 2000);
  assert.equal(await run.exited, 1, run.stdout);
  const message = "joint 'elbow_flex' (id 3, XL330-M288) reports overheating";
  assert.equal(
    run.stderr.trim(),
    `robo-train: ${message}: the servo keeps its torque off until the cause is gone and it is power-cycled; let it cool or check the supply, then start again`,
  );
  assert.match(run.stdout, /servo bus watchdog armed: a servo stops by itself after 200 ms without the host/);
  assert.match(run.stdout, /torque off/);

  const stored = readRun(bus.db);
  assert.equal(stored.status, 'failed');
  assert.match(stored.reason ?? '', /reports overheating/);
  const [first] = stored.episodes;
  assert.equal(first.termination, 'aborted');
  assert.equal(first.reason, `${message}; torque is off on every servo`);
  assert.ok(first.steps > 0);
  assert.equal(
    stored.stepRows,
    stored.episodes.reduce((sum, episode) => sum + episode.steps, 0),
  );
  assert.equal(wearGaps(bus.db).withoutTemperature, 0);
  assert.equal(await bus.device.stop(), 0);
});

test('a servo missing at start: the daemon names it and gives up after --reconnect-s, nothing trained', async (t) => {
  const bus = await serveTwin(t, 'so101', 'feetech', []);
  if (!bus) return;
  bus.device.type('silent 4');
  await bus.device.output(/silent 4/, 5000);
  const run = train(bus, 'so101', 100, '--reconnect-s', '1');
  assert.equal(await run.exited, 1, run.stdout);
  assert.match(run.stderr.trim(), /^robo-train: joint 'wrist_flex' \(id 4, STS3215\) .*\(gave up after 1 s: --reconnect-s\)$/);
  assert.doesNotMatch(run.stderr, /\n.*\n/, 'one line, no stack trace');
  const stored = readRun(bus.db);
  assert.equal(stored.status, 'failed');
  assert.equal(stored.stepRows, 0);
  assert.equal(await bus.device.stop(), 0);
});

test('a servo that drops out mid-episode ends it with its name; the run waits --reconnect-s for it, then fails, every step kept', async (t) => {
  const bus = await serveTwin(t, 'so101', 'feetech', ['--fault', 'silent@2:4']);
  if (!bus) return;
  const run = train(bus, 'so101', 2000, '--reconnect-s', '1');
  assert.equal(await run.exited, 1, run.stdout);
  assert.match(run.stderr.trim(), /^robo-train: joint 'wrist_flex' \(id 4, STS3215\) .*\(gave up after 1 s: --reconnect-s\)$/);
  const stored = readRun(bus.db);
  assert.equal(stored.status, 'failed');
  const [first] = stored.episodes;
  assert.equal(first.termination, 'aborted');
  assert.match(first.reason ?? '', /^joint 'wrist_flex' \(id 4, STS3215\) stopped answering/);
  assert.doesNotMatch(first.reason ?? '', /shoulder_pan|elbow_flex/, 'only the servo that left is named');
  assert.ok(first.steps > 0);
  assert.equal(
    stored.stepRows,
    stored.episodes.reduce((sum, episode) => sum + episode.steps, 0),
  );
  assert.equal(await bus.device.stop(), 0);
});
