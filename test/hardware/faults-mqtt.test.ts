import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { assertRecovered, runFaults } from './faults.js';
import { cleanup, freePort, RoboTrain, tempFolder } from './support.js';
import { readRun, reportedSteps } from './store.js';

after(cleanup);

describe('faults over MQTT: the broker crashes and restarts, the device drops off the network', () => {
  test('each time: the episode is aborted with its reason, both sides reconnect, training goes on', async () => {
    const folder = tempFolder('robo-train-faults-mqtt-');
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    let broker = new RoboTrain(['broker', '--port', String(port)]);
    await broker.output(/broker: listening/, 20_000);
    // The faults here are the broker's and the network's: a 2 s device watchdog keeps a machine busy with
    // other tests (three processes and a broker on two cores) from tripping it first and ending the
    // episode the fault was meant to end. The watchdogs have tests of their own (faults-pty, firmware-sim, arduino-simavr).
    const device = new RoboTrain(['sim-device', '--mqtt', url, '--twin', 'sim-reacher', '--watchdog-ms', '2000', '--commands'], {
      stdin: true,
    });
    await device.output(/sim-device: 'sim-reacher' on /, 30_000);
    const db = join(folder, 'run.db');
    const train = new RoboTrain([
      '--mqtt',
      url,
      '--robot',
      'sim-reacher',
      '--steps',
      '500',
      '--episode-steps',
      '60',
      '--hidden',
      '32,32',
      '--db',
      db,
      '--reconnect-s',
      '30',
    ]);

    await runFaults(train, [
      {
        name: 'broker restart',
        inject: async () => {
          broker.kill();
          await broker.exited;
          await new Promise((resolve) => setTimeout(resolve, 1000));
          broker = new RoboTrain(['broker', '--port', String(port)]);
          await broker.output(/broker: listening/, 20_000);
        },
        abort: /episode \d+ aborted \(link_lost\): .*lost the broker/,
      },
      {
        name: 'device offline',
        inject: () => device.type('disconnect 1'),
        abort: /episode \d+ aborted \(link_lost\): the device went offline/,
      },
    ]);
    assert.equal(await train.exited, 0, `${train.stdout}\n${train.stderr}`);
    const run = readRun(db);
    assertRecovered(run, train.stdout, reportedSteps(train.stdout), ['link_lost']);
    assert.equal(run.stepRows, 500);
    assert.match(device.stdout, /sim-device: link lost \(.*lost the broker/, 'the device saw the broker go too');
    assert.equal(await device.stop(), 0);
    assert.equal(await broker.stop(), 0);
  });
});
