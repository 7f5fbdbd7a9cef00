/**
 * The host bugs of issue #15, end to end: robo-train over a socat pseudo-terminal pair against
 * `robo-train sim-device` (the simulated firmware) made to misbehave as a real device could. Every
 * wait is for an event with a generous limit, and both watchdogs are long (CI runs two test files at
 * once on two cores: a held-up process must not trip a watchdog these tests are not about).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from './support.js';
import { readRun } from './store.js';

after(cleanup);

/** sim-reacher has two joints. */
const JOINTS = 2;

/** A sim-device serving the sim-reacher twin on one end of a fresh pty pair, with these faults; the other end for robo-train. */
async function deviceWithFaults(...faults: string[]): Promise<{ folder: string; host: string; device: RoboTrain }> {
  const folder = tempFolder('robo-train-errata-');
  const pair = await PtyPair.open(folder);
  const device = new RoboTrain([
    'sim-device',
    '--port',
    pair.device,
    '--twin',
    'sim-reacher',
    '--watchdog-ms',
    '5000',
    ...faults.flatMap((fault) => ['--fault', fault]),
  ]);
  // Starting node and MuJoCo takes a few seconds of CPU, minutes on a machine shared many ways.
  await device.output(/sim-device: 'sim-reacher' on /, 180_000);
  return { folder, host: pair.host, device };
}

function train(host: string, db: string, ...extra: string[]): RoboTrain {
  return new RoboTrain([
    '--port',
    host,
    '--robot',
    'sim-reacher',
    '--watchdog-ms',
    '2000',
    '--hidden',
    '32,32',
    '--db',
    db,
    '--seed',
    '1',
    ...extra,
  ]);
}

/** The run's expected failure: exactly one line on stderr, no stack trace. */
function oneLineError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  return lines[0];
}

/** The session figures of the run's last 'link' event (the whole run). */
function lastLinkReport(db: string): { sessions: number; lostFrames: number; refusedStates: number } {
  const links = readRun(db).events.filter((event) => event.kind === 'link');
  assert.ok(links.length > 0, 'a link event');
  return (JSON.parse(links[links.length - 1].detail) as { session: { sessions: number; lostFrames: number; refusedStates: number } })
    .session;
}

/** Every stored position, velocity and observation: float32 values, none of them NaN, JOINTS of each per joint row. */
function assertNoNaNStored(db: string): number {
  const store = openDatabase(db, { readonly: true });
  try {
    const rows = store.prepare('SELECT position, velocity, obs FROM steps WHERE run_id = 1').all() as {
      position: Buffer;
      velocity: Buffer;
      obs: Buffer;
    }[];
    for (const row of rows) {
      assert.equal(row.position.length, JOINTS * 4, 'one float32 per joint');
      for (const blob of [row.position, row.velocity, row.obs]) {
        const values = new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.length));
        assert.ok(
          values.every((value) => Number.isFinite(value)),
          `a stored row holds ${Array.from(values).join(', ')}`,
        );
      }
    }
    return rows.length;
  } finally {
    store.close();
  }
}

describe('host bugs of #15 over a serial link (socat pair) against sim-device', () => {
  test(
    'states with fewer joints than DEVICE_INFO announced: refused and counted, the episode aborted naming both counts, no NaN stored, the run stops with one line',
    { timeout: 400_000 },
    async (t) => {
      if (!haveTools(t, 'socat')) return;
      const { folder, host, device } = await deviceWithFaults('joints@1:1');
      const db = join(folder, 'run.db');
      const run = train(host, db, '--steps', '500', '--reconnect-s', '3');
      assert.equal(await run.exited, 1, `${run.stdout}\n${run.stderr}`);
      const what = /the device sent a state with 1 joints, its DEVICE_INFO announced 2: state refused/;
      assert.match(
        oneLineError(run.stderr),
        /^robo-train: the robot did not come back in time .*last attempt: the device sent a state with 1 joints, its DEVICE_INFO announced 2/,
      );
      assert.match(
        run.stdout,
        /^episode \d+ aborted \(protocol_error\): the device sent a state with 1 joints, its DEVICE_INFO announced 2/m,
      );
      const stored = readRun(db);
      assert.equal(stored.status, 'failed');
      assert.ok(
        stored.episodes.some((episode) => episode.termination === 'aborted' && what.test(episode.reason ?? '')),
        JSON.stringify(stored.episodes),
      );
      assert.ok(
        stored.events.some((event) => event.kind === 'protocol_error' && what.test(event.detail)),
        JSON.stringify(stored.events),
      );
      assert.ok(assertNoNaNStored(db) > 0, 'steps before the fault were stored');
      assert.ok(lastLinkReport(db).refusedStates >= 1);
      assert.equal(await device.stop(), 0);
    },
  );

  test(
    'a device that resets mid-run, its boot DEVICE_INFO lost: its restarted sequence numbers are a reboot (new handshake, the missed frame counted lost); at the end TORQUE disable is sent once',
    { timeout: 400_000 },
    async (t) => {
      if (!haveTools(t, 'socat')) return;
      const { folder, host, device } = await deviceWithFaults('reset@1');
      const db = join(folder, 'run.db');
      const run = train(host, db, '--steps', '200', '--episode-steps', '50', '--reconnect-s', '30');
      assert.equal(await run.exited, 0, `${run.stdout}\n${run.stderr}`);
      // The reset comes right after a state; the command answering it meets a device without a session,
      // whose refusal carries sequence number 1 (its DEVICE_INFO took 0).
      assert.match(
        run.stdout,
        /^episode \d+ aborted \(link_lost\): the device rebooted \(its sequence numbers restarted: 1 after \d+\); opening a new session/m,
      );
      assert.match(run.stdout, /connected to 'sim-reacher'[\s\S]*the device rebooted[\s\S]*connected to 'sim-reacher'/);
      const report = lastLinkReport(db);
      assert.equal(report.sessions, 2);
      assert.ok(report.lostFrames >= 1, `the lost DEVICE_INFO counted: ${JSON.stringify(report)}`);
      assert.match(device.stdout, /sim-device: reset 0\n[\s\S]*sim-device: HELLO: session opened/);
      assert.equal(readRun(db).status, 'finished');
      assert.equal(assertNoNaNStored(db), 200);

      // The run stopped: one TORQUE disable, whatever torque was then.
      const end = device.stdout.slice(device.stdout.lastIndexOf('sim-device: torque on'));
      assert.match(run.stdout, /^robot: stopping \(run finished\): torque off$/m);
      assert.equal(end.match(/TORQUE disable/g)?.length, 1, device.stdout);
      assert.equal(await device.stop(), 0);
      assert.equal(device.stdout.match(/TORQUE disable/g)?.length, 1, 'nothing more sent on the way out');
    },
  );

  test(
    'a fault that needs a power cycle: the run stops with one line, and says it sent no torque off (the session is over), and sends none',
    { timeout: 400_000 },
    async (t) => {
      if (!haveTools(t, 'socat')) return;
      const { folder, host, device } = await deviceWithFaults('reboot-fault@1');
      const db = join(folder, 'run.db');
      const run = train(host, db, '--steps', '500');
      assert.equal(await run.exited, 1, `${run.stdout}\n${run.stderr}`);
      assert.match(oneLineError(run.stderr), /^robo-train: .*OVERCURRENT/);
      assert.match(
        run.stdout,
        /^robot: stopping \(.*\): torque off not sent: the session failed \(.*\); the device holds its own safe state$/m,
      );
      assert.doesNotMatch(run.stdout, /: torque off$/m);
      assert.match(device.stdout, /sim-device: torque off \(fault 0x[0-9a-f]+ latched\)/);
      assert.equal(await device.stop(), 0);
      assert.doesNotMatch(device.stdout, /TORQUE disable/);
      assert.equal(readRun(db).status, 'failed');
    },
  );
});
