import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanup, freePort, haveTools, Mosquitto, RoboTrain, tempFolder } from './support.js';
import { readRun, reportedSteps } from './store.js';

after(cleanup);

/** The simulated firmware and a training run, both clients of the broker at `url`. */
async function trainThrough(url: string, folder: string, robotId: string): Promise<void> {
  const device = new RoboTrain(['sim-device', '--mqtt', url, '--twin', 'sim-reacher', '--robot', robotId]);
  await device.output(new RegExp(`sim-device: '${robotId}' on ${url.replace(/[.]/g, '\\.')} as device of ${robotId}`), 30_000);
  // The calibration names the robot: a copy under the MQTT id the device serves.
  const db = join(folder, `${robotId}.db`);
  const train = new RoboTrain([
    '--mqtt',
    url,
    '--robot',
    'sim-reacher',
    '--steps',
    '200',
    '--episode-steps',
    '50',
    '--hidden',
    '32,32',
    '--db',
    db,
  ]);
  const code = await train.exited;
  assert.equal(code, 0, `${train.stdout}\n${train.stderr}`);
  assert.match(train.stdout, new RegExp(`robot: connected to '${robotId}' .* over ${url.replace(/[.]/g, '\\.')} as host of sim-reacher`));
  const run = readRun(db);
  assert.equal(run.status, 'finished');
  assert.equal(run.stepRows, reportedSteps(train.stdout));
  assert.equal(run.stepRows, 200);
  assert.equal(await device.stop(), 0);
}

describe('training over MQTT against the simulated firmware', () => {
  test('through the embedded broker (robo-train broker)', async () => {
    const folder = tempFolder('robo-train-mqtt-');
    const port = await freePort();
    const broker = new RoboTrain(['broker', '--port', String(port)]);
    await broker.output(/broker: listening on mqtt:\/\/127\.0\.0\.1:\d+/, 20_000);
    await trainThrough(`mqtt://127.0.0.1:${port}`, folder, 'sim-reacher');
    assert.equal(await broker.stop(), 0);
  });

  test("through Debian's mosquitto (MQTT 5)", async (t) => {
    if (!haveTools(t, 'mosquitto')) return;
    const folder = tempFolder('robo-train-mosquitto-');
    const broker = await Mosquitto.start(folder);
    await trainThrough(broker.url, folder, 'sim-reacher');
    await broker.stop();
  });
});
