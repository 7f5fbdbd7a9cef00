import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from './support.js';

after(cleanup);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('robo-train calibrate', () => {
  test('guides the operator (torque off, each joint through its range, home pose) and writes a valid calibration file', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-calibrate-');
    const pair = await PtyPair.open(folder);
    // The simulated operator sweeps every joint through its range (3 s a sweep) for 12 s, then holds
    // the home pose: each 3.3 s recording window holds a whole sweep, however late the prompts come.
    const device = new RoboTrain([
      'sim-device',
      '--port',
      pair.device,
      '--twin',
      'sim-reacher',
      '--hand-period',
      '3',
      '--hand-duration',
      '12',
    ]);
    await device.output(/sim-device: 'sim-reacher' on /, 30_000);
    const out = join(folder, 'test-arm.json');
    const calibrate = new RoboTrain(['calibrate', '--port', pair.host, '--robot', 'test-arm', '--from', 'sim-reacher', '--out', out], {
      stdin: true,
    });

    await calibrate.output(/torque is off, the joints move freely by hand/, 30_000);
    await calibrate.output(/\[1\/2\] move 'shoulder' slowly through its whole range/, 5000);
    await sleep(3300);
    calibrate.type('');
    await calibrate.output(/\[2\/2\] move 'elbow'/, 5000);
    await sleep(3300);
    calibrate.type('');
    await calibrate.output(/put the robot in its home pose/, 5000);
    await device.output(/sim-device: operator: the arm is back in its home pose/, 20_000);
    await sleep(500);
    calibrate.type('');
    await calibrate.output(/write .*test-arm\.json\? \[y\/N\]/, 5000);
    calibrate.type('y');
    assert.equal(await calibrate.exited, 0, `${calibrate.stdout}\n${calibrate.stderr}`);
    assert.match(calibrate.stdout, /shoulder: -2\.\d+ \.\. 2\.\d+ rad \(raw\)/);
    assert.match(device.stdout, /sim-device: HELLO: session opened/);

    const calibration = loadCalibration(out);
    assert.equal(calibration.robot, 'test-arm');
    assert.equal(calibration.controlHz, 50);
    assert.equal(calibration.commandMode, 'position');
    for (const joint of calibration.joints) {
      const hard = loadCalibration('sim-reacher').joints.find((j) => j.name === joint.name)!.limits;
      assert.ok(Math.abs(joint.offsetRad) < 0.05, `${joint.name}: offset ${joint.offsetRad} (home is the twin's zero)`);
      assert.ok(
        Math.abs(joint.limits.minPositionRad! - (hard.minPositionRad! + 0.03)) < 0.1,
        `${joint.name}: min ${joint.limits.minPositionRad}`,
      );
      assert.ok(
        Math.abs(joint.limits.maxPositionRad! - (hard.maxPositionRad! - 0.03)) < 0.1,
        `${joint.name}: max ${joint.limits.maxPositionRad}`,
      );
      assert.equal(joint.limits.maxVelocityRadS, hard.maxVelocityRadS, 'from the template');
    }
    assert.equal(calibration.twin?.mjcf, loadCalibration('sim-reacher').twin?.mjcf, 'the twin, relative to the new file');
    assert.equal(await device.stop(), 0);
  });

  test('nothing is written when the input ends before the calibration is complete', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-calibrate-');
    const pair = await PtyPair.open(folder);
    const device = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher']);
    await device.output(/sim-device: 'sim-reacher' on /, 30_000);
    const out = join(folder, 'never.json');
    const calibrate = new RoboTrain(['calibrate', '--port', pair.host, '--robot', 'never', '--out', out], { stdin: true });
    await calibrate.output(/\[1\/2\] move 'shoulder'/, 30_000);
    calibrate.closeInput();
    assert.equal(await calibrate.exited, 1);
    assert.match(calibrate.stderr, /calibration failed: the input ended before the calibration was complete/);
    assert.throws(() => loadCalibration(out), /cannot be read/);
    assert.equal(await device.stop(), 0);
  });
});
