import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { assertRecovered, runFaults } from './faults.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from './support.js';
import { readRun, reportedSteps } from './store.js';

after(cleanup);

describe('faults on a serial link: the firmware stalls, sends garbage, latches a fault, the cable is pulled', () => {
  test('each time: no crash, the robot stopped, the episode aborted with its reason, no row lost, training goes on', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-faults-pty-');
    const pair = await PtyPair.open(folder);
    const device = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher', '--commands'], { stdin: true });
    await device.output(/sim-device: 'sim-reacher' on /, 30_000);
    const db = join(folder, 'run.db');
    const train = new RoboTrain([
      '--port',
      pair.host,
      '--robot',
      'sim-reacher',
      '--steps',
      '800',
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
      { name: 'stall', inject: () => device.type('stall 1.5'), abort: /episode \d+ aborted \(watchdog\): no state frame for 500 ms/ },
      { name: 'garbage', inject: () => device.type('garbage 1.2'), abort: /episode \d+ aborted \(watchdog\): no state frame for 500 ms/ },
      {
        name: 'fault',
        inject: () => device.type('fault'),
        abort: /episode \d+ aborted \(fault\): the device reports FOLLOWING_ERROR on joint 0/,
      },
      {
        name: 'unplug',
        inject: async () => {
          await pair.unplug();
          await new Promise((resolve) => setTimeout(resolve, 1000));
          await pair.plug();
        },
        abort: /episode \d+ aborted \(link_lost\): .*the link failed/,
      },
    ]);
    assert.equal(await train.exited, 0, `${train.stdout}\n${train.stderr}`);
    const run = readRun(db);
    assertRecovered(run, train.stdout, reportedSteps(train.stdout), ['watchdog', 'fault', 'link_lost']);
    assert.ok(run.stepRows === 800);
    // The robot was stopped each time: by its own watchdog (stall), by the host's e-stop (garbage),
    // by its fault latch, by losing power (unplug); then brought back.
    assert.match(device.stdout, /sim-device: torque off \(watchdog expired after 500 ms\)/);
    assert.match(device.stdout, /sim-device: ESTOP: latched/);
    assert.match(device.stdout, /sim-device: torque off \(fault 0x7 latched\)/);
    assert.match(device.stdout, /sim-device: ESTOP_CLEAR: released/);
    assert.match(train.stdout, /robot: stopping \(.*\): torque off/);
    assert.equal(await device.stop(), 0);
  });
});
