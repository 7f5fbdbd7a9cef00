/**
 * `robo-train calibrate --robot so101` on a servo bus, end to end: the simulated operator moves the
 * emulated SO-101's joints with torque off, calibrate records them, writes the file and each servo's own
 * limit registers, and the daemon then trains with the new file.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCalibration } from '../../src/calibration/load.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from '../hardware/support.js';

after(cleanup);

test('calibrate a Feetech arm by hand, store the limits in its servos, then train with the file it wrote', async (t) => {
  if (!haveTools(t, 'socat')) return;
  const folder = tempFolder('calibrate-bus-');
  const pty = await PtyPair.open(folder);
  // The hand sweeps every joint (3 s a sweep, resting at each stop) for 20 s from the first packet,
  // then holds the home pose: each 3.3 s recording window holds a whole sweep.
  const device = new RoboTrain([
    'sim-device',
    '--bus',
    'feetech',
    '--twin',
    'so101',
    '--port',
    pty.device,
    '--hand-period',
    '3',
    '--hand-duration',
    '20',
  ]);
  await device.output(/6 feetech servos/, 20_000);
  const out = join(folder, 'my-so101.json');
  const calibrate = new RoboTrain(['calibrate', '--port', pty.host, '--robot', 'my-so101', '--from', 'so101', '--out', out], {
    stdin: true,
  });
  await calibrate.output(/torque is off, the joints move freely by hand/, 20_000);
  const template = loadCalibration('so101');
  for (const [j, joint] of template.joints.entries()) {
    await calibrate.output(new RegExp(`\\[${j + 1}/6\\] move '${joint.name}'`), 5000);
    await sleep(3300);
    calibrate.type('');
  }
  await calibrate.output(/put the robot in its home pose/, 5000);
  await device.output(/operator: the arm is back in its home pose/, 20_000);
  await sleep(500);
  calibrate.type('');
  await calibrate.output(/write .*my-so101\.json\? \[y\/N\]/, 5000);
  calibrate.type('y');
  assert.equal(await calibrate.exited, 0, `${calibrate.stdout}\n${calibrate.stderr}`);

  const calibration = loadCalibration(out);
  assert.equal(calibration.bus?.protocol, 'feetech');
  for (const [j, joint] of calibration.joints.entries()) {
    const shipped = template.joints[j];
    assert.deepEqual(joint.servo, shipped.servo, 'ids and models from the template');
    assert.equal(joint.homeRad, shipped.homeRad);
    // The operator reached the stops (the shipped range is stop to stop); calibrate keeps 0.02 rad inside.
    for (const end of ['minPositionRad', 'maxPositionRad'] as const)
      assert.ok(
        Math.abs(joint.limits[end]! - shipped.limits[end]!) < 0.12,
        `${joint.name} ${end}: ${joint.limits[end]} vs ${shipped.limits[end]}`,
      );
    assert.match(calibrate.stdout, new RegExp(`${joint.name} \\(id ${joint.servo!.id}\\): servo limits \\d+\\.\\.\\d+ ticks`));
  }

  const db = join(folder, 'runs.db');
  const run = new RoboTrain(['--port', pty.host, '--robot', out, '--steps', '100', '--hidden', '32,32', '--db', db]);
  assert.equal(await run.exited, 0, run.stderr);
  assert.match(run.stdout, /\(my-so101, reach, sac,/);
  assert.match(run.stdout, /run 1 finished: 100 steps/);
  assert.equal(await device.stop(), 0);
});
