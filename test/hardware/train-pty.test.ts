import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from './support.js';
import { readRun, reportedSteps } from './store.js';

after(cleanup);

describe('training over a serial link (socat pseudo-terminal pair) against the simulated firmware', () => {
  test('usage errors name the flag: a link without --robot, a watchdog below 10 ms (exit code 2, nothing started)', async () => {
    const noRobot = new RoboTrain(['--port', '/dev/ttyUSB0']);
    assert.equal(await noRobot.exited, 2);
    assert.match(noRobot.stderr, /--port and --mqtt need --robot NAME/);
    const watchdog = new RoboTrain(['--mqtt', 'mqtt://127.0.0.1:1', '--robot', 'sim-reacher', '--watchdog-ms', '5']);
    assert.equal(await watchdog.exited, 2);
    assert.match(watchdog.stderr, /--watchdog-ms must be at least 10 ms \(got 5\)/);
  });

  test('a few hundred steps end to end: handshake, homing, every step stored; Ctrl-C leaves the robot with torque off', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-pty-');
    const pair = await PtyPair.open(folder);
    const device = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher', '--seed', '2']);
    await device.output(/sim-device: 'sim-reacher' on /, 30_000);

    const db = join(folder, 'run.db');
    const train = new RoboTrain([
      '--port',
      pair.host,
      '--robot',
      'sim-reacher',
      '--steps',
      '300',
      '--hidden',
      '32,32',
      '--db',
      db,
      '--seed',
      '1',
    ]);
    assert.equal(await train.exited, 0, `${train.stdout}\n${train.stderr}`);
    assert.match(train.stdout, /robot: connected to 'sim-reacher' \(firmware 1\.0\.0, protocol 1\.0\) over .*tty-host at 1000000 Bd/);
    assert.match(train.stdout, /robot: link: \d+ ticks, state in → command out p50 /);
    const steps = reportedSteps(train.stdout);
    assert.equal(steps, 300);
    const run = readRun(db);
    assert.equal(run.status, 'finished');
    assert.equal(run.source, 'hardware');
    assert.equal(run.stepRows, steps, 'one stored row per step');
    assert.ok(run.episodes.filter((episode) => episode.termination === 'truncated').length >= 2, JSON.stringify(run.episodes));
    for (const episode of run.episodes.filter((e) => e.termination === 'aborted')) {
      // A loaded machine may abort an episode (a late command, say); it must say why and be recorded.
      assert.ok(episode.reason, 'an aborted episode has its reason');
      assert.ok(
        run.events.some((event) => event.episode === episode.episode),
        `an event for aborted episode ${episode.episode}`,
      );
    }
    assert.match(device.stdout, /sim-device: torque off \(TORQUE disable\)/, 'the run ends with the robot in its safe state');

    // Ctrl-C in the middle of an episode: the run stops cleanly and the robot gets its safe state first.
    const interruptedDb = join(folder, 'interrupted.db');
    const before = device.stdout.length;
    const interrupted = new RoboTrain(['--port', pair.host, '--robot', 'sim-reacher', '--hidden', '32,32', '--db', interruptedDb]);
    await interrupted.output(/^ep 0 /m, 60_000);
    const code = await interrupted.stop();
    assert.equal(code, 0, interrupted.stderr);
    assert.match(interrupted.stdout, /run 1 interrupted \(stopped by SIGINT\)/);
    assert.match(device.stdout.slice(before), /torque on[\s\S]*torque off \(TORQUE disable\)/);
    const stopped = readRun(interruptedDb);
    assert.equal(stopped.status, 'interrupted');
    assert.equal(
      stopped.stepRows,
      stopped.episodes.reduce((sum, episode) => sum + episode.steps, 0),
    );

    assert.equal(await device.stop(), 0);
    assert.match(device.stdout, /sim-device: stopped by SIGINT/);
  });

  test('a robot that never answers fails the run after --reconnect-s, with a clear message and exit code 1', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-pty-');
    const pair = await PtyPair.open(folder);
    const db = join(folder, 'silent.db');
    const train = new RoboTrain([
      '--port',
      pair.host,
      '--robot',
      'sim-reacher',
      '--steps',
      '100',
      '--hidden',
      '32,32',
      '--db',
      db,
      '--reconnect-s',
      '7',
    ]);
    assert.equal(await train.exited, 1, train.stdout);
    assert.match(
      train.stderr,
      /robo-train: the robot did not answer in time on .*tty-host at 1000000 Bd; last attempt: no answer to HELLO within 5 s .* \(gave up after 7 s: --reconnect-s\)/,
    );
    assert.match(
      train.stdout,
      /no answer to HELLO within 5 s on .*tty-host at 1000000 Bd: is the robot powered, does its firmware speak the robo-train protocol, is the baud rate right \(--baud\)\?/,
    );
    const run = readRun(db);
    assert.equal(run.status, 'failed');
    assert.match(run.reason ?? '', /did not answer in time/);
    assert.equal(run.stepRows, 0);
    assert.deepEqual(run.episodes, [], 'a failed handshake begins no episode');
  });
});
