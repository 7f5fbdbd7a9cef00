/**
 * `robo-train run --checkpoint ... --port PTY`: a trained actor drives the simulated firmware over a
 * real serial link (a socat pseudo-terminal pair, `robo-train sim-device` on the other end), with no
 * learning, through the safety layer; every step is stored in a run flagged as not learning. The same
 * through a broker (`--mqtt`, mosquitto).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { ActionMap } from '../../src/control/action-map.js';
import { STEP_FLAGS } from '../../src/core/step-sink.js';
import { ActorForward } from '../../src/rl/policy/actor.js';
import { readFloat32Blob } from '../../src/store/codec.js';
import { openDatabase } from '../../src/store/database.js';
import { readCheckpointActor } from '../../src/training/checkpoint.js';
import { cleanup, haveTools, Mosquitto, PtyPair, RoboTrain, tempFolder } from './support.js';

after(cleanup);

interface StepRow {
  obs: Uint8Array;
  raw_action: Uint8Array;
  command: Uint8Array;
  flags: number;
}

/** A checkpoint of a short training on the twin, in `folder`. */
async function trainedCheckpoint(folder: string): Promise<string> {
  const trained = new RoboTrain([
    '--sim',
    'sim-reacher',
    '--steps',
    '20',
    '--hidden',
    '8',
    '--seed',
    '2',
    '--quiet',
    '--db',
    join(folder, 'train.db'),
  ]);
  assert.equal(await trained.exited, 0, trained.stderr);
  return join(folder, 'runs', 'train-1');
}

/**
 * The policy run in `db` (run 1, `stepsReported` steps): stored as a hardware run without learning, its
 * actions the checkpoint's deterministic actor on the stored observations, its commands their mapped
 * actions unless the safety layer's flag says it changed them.
 */
function checkPolicyRun(db: string, checkpoint: string, stepsReported: number): void {
  const store = openDatabase(db, { readonly: true });
  let rows: StepRow[];
  try {
    assert.deepEqual(store.prepare('SELECT source, status, learning FROM runs WHERE id = 1').get(), {
      source: 'hardware',
      status: 'finished',
      learning: 0,
    });
    rows = store.prepare('SELECT obs, raw_action, command, flags FROM steps WHERE run_id = 1 ORDER BY episode, step').all() as StepRow[];
  } finally {
    store.close();
  }
  assert.equal(rows.length, stepsReported, 'one stored row per step');
  assert.ok(rows.length > 0);
  const actor = new ActorForward(readCheckpointActor(checkpoint).weights);
  const actionMap = new ActionMap(loadCalibration('sim-reacher'));
  const target = new Float64Array(2);
  let acted = 0;
  for (const [step, row] of rows.entries()) {
    const action = readFloat32Blob(row.raw_action);
    // A step the robot held (a late state on a loaded machine) has no actor decision to compare.
    if ((row.flags & (STEP_FLAGS.staleState | STEP_FLAGS.estop)) !== 0) continue;
    acted++;
    const mean = actor.forward(readFloat32Blob(row.obs)).mean;
    for (let j = 0; j < action.length; j++) assert.ok(Math.abs(action[j] - Math.tanh(mean[j])) < 1e-6, `step ${step}: ${action[j]}`);
    actionMap.toJoint(action, target);
    const changed = readFloat32Blob(row.command).some((value, j) => Math.abs(value - target[j]) > 1e-5);
    assert.equal(changed, (row.flags & STEP_FLAGS.safetyClipped) !== 0, `step ${step}`);
  }
  assert.ok(acted > rows.length / 2, `the actor decided ${acted} of ${rows.length} steps`);
}

test("run --port: a checkpoint's actor drives sim-device over a pseudo-terminal, no learning, through the safety layer", async (t) => {
  if (!haveTools(t, 'socat')) return;
  const folder = tempFolder('robo-train-run-pty-');
  const checkpoint = await trainedCheckpoint(folder);

  const pair = await PtyPair.open(folder);
  const device = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher', '--seed', '5']);
  await device.output(/sim-device: 'sim-reacher' on /, 30_000);
  const db = join(folder, 'policy.db');
  const run = new RoboTrain([
    'run',
    '--checkpoint',
    checkpoint,
    '--port',
    pair.host,
    '--robot',
    'sim-reacher',
    '--episodes',
    '1',
    '--db',
    db,
  ]);
  assert.equal(await run.exited, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /robot: connected to 'sim-reacher' \(firmware 1\.0\.0, protocol 1\.1\) over .*tty-host/);
  const finished = /^run 1 finished: (\d+) steps, 1 episodes, no learning$/m.exec(run.stdout);
  assert.ok(finished, run.stdout);
  assert.match(device.stdout, /torque on[\s\S]*torque off \(TORQUE disable\)/, 'the run ends with the robot in its safe state');
  checkPolicyRun(db, checkpoint, Number(finished[1]));
  assert.equal(await device.stop(), 0);
});

test("run --mqtt: a checkpoint's actor drives sim-device through mosquitto, no learning, through the safety layer", async (t) => {
  if (!haveTools(t, 'mosquitto')) return;
  const folder = tempFolder('robo-train-run-mqtt-');
  const checkpoint = await trainedCheckpoint(folder);
  const broker = await Mosquitto.start(folder);
  const device = new RoboTrain(['sim-device', '--mqtt', broker.url, '--twin', 'sim-reacher', '--seed', '5']);
  await device.output(/sim-device: 'sim-reacher' on mqtt:/, 30_000);
  const db = join(folder, 'policy.db');
  const run = new RoboTrain([
    'run',
    '--checkpoint',
    checkpoint,
    '--mqtt',
    broker.url,
    '--robot',
    'sim-reacher',
    '--episodes',
    '1',
    '--db',
    db,
  ]);
  assert.equal(await run.exited, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /robot: connected to 'sim-reacher' .* over mqtt:\/\/127\.0\.0\.1:\d+ as host of sim-reacher/);
  const finished = /^run 1 finished: (\d+) steps, 1 episodes, no learning$/m.exec(run.stdout);
  assert.ok(finished, run.stdout);
  assert.match(device.stdout, /torque on[\s\S]*torque off \(TORQUE disable\)/, 'the run ends with the robot in its safe state');
  checkPolicyRun(db, checkpoint, Number(finished[1]));
  assert.equal(await device.stop(), 0);
  await broker.stop();
});
