/**
 * `robo-train sim-device --bus ...` end to end: the process serves the twin's servos on one end of a
 * socat pair, the test drives them from the other with the bus masters.
 */
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { loadCalibration } from '../../src/calibration/load.js';
import { rawRadFromTicks } from '../../src/calibration/servo.js';
import { systemClock } from '../../src/core/clock.js';
import { dynamixel, feetech, ServoBusError } from '../../src/servo-bus/index.js';
import { SerialByteLink } from '../../src/transport/serial-bytes.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from '../hardware/support.js';
import { BAUD, kochTables, LATENCY_MS, untilAnswering } from './support.js';

after(cleanup);

test('sim-device --bus feetech: so101 servos answer; the hand sweeps the free joints; faults from stdin', async (t: TestContext) => {
  if (!haveTools(t, 'socat')) return;
  const pty = await PtyPair.open(tempFolder('bus-cli-'));
  const device = new RoboTrain(
    ['sim-device', '--bus', 'feetech', '--twin', 'so101', '--port', pty.device, '--hand-period', '2', '--hand-duration', '2', '--commands'],
    { stdin: true },
  );
  await device.output(/6 feetech servos \(ids 1, 2, 3, 4, 5, 6\) at 1000000 Bd/, 15_000);
  const link = await SerialByteLink.open({ path: pty.host, baudRate: BAUD });
  const ids = [1, 2, 3, 4, 5, 6];
  const bus = new feetech.FtBus({
    link,
    clock: systemClock,
    baudRate: BAUD,
    servos: new Map(ids.map((id) => [id, feetech.STS3215])),
    latencyMs: LATENCY_MS,
  });
  try {
    await untilAnswering(() => bus.ping(1), 5000);
    for (const id of ids) assert.equal((await bus.ping(id)).modelNumber, 777);
    // The hand started with the first packet: torque is off, so it sweeps every joint through its range
    // (wrist_roll's path runs at 5.5 rad/s, the servo's no-load speed: it lags and misses the ends).
    const calibration = loadCalibration('so101');
    const low = ids.map(() => Infinity);
    const high = ids.map(() => -Infinity);
    const started = Date.now();
    while (Date.now() - started < 2100) {
      const state = await bus.syncRead(ids, ['presentPosition']);
      ids.forEach((id, j) => {
        const rad = rawRadFromTicks(state.get(id)!.values.presentPosition);
        low[j] = Math.min(low[j], rad);
        high[j] = Math.max(high[j], rad);
      });
      await delay(20);
    }
    calibration.joints.forEach((joint, j) => {
      const { minPositionRad, maxPositionRad } = joint.limits;
      const span = maxPositionRad! - minPositionRad!;
      assert.ok(high[j] - low[j] > 0.7 * span, `${joint.name} swept ${low[j]}..${high[j]} of ${minPositionRad}..${maxPositionRad}`);
    });
    await delay(400);
    const rest = await bus.syncRead(ids, ['presentPosition']);
    calibration.joints.forEach((joint, j) => {
      const rad = rawRadFromTicks(rest.get(ids[j])!.values.presentPosition);
      assert.ok(Math.abs(rad - joint.homeRad) < 0.1, `${joint.name} back home: ${rad} vs ${joint.homeRad}`);
    });

    device.type('silent 2');
    await delay(200);
    const error = await bus.ping(2).then(
      () => assert.fail('id 2 still answers'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ServoBusError && error.kind === 'timeout', String(error));
    assert.equal((await bus.ping(3)).modelNumber, 777);
  } finally {
    bus.close();
    await link.close();
  }
  assert.equal(await device.stop(), 0);
  assert.match(device.stdout, /silent 2/);
  assert.match(device.stdout, /stopped by SIGINT/);
});

test('sim-device --bus dynamixel: koch servos; a scheduled overheat trips after torque on', async (t: TestContext) => {
  if (!haveTools(t, 'socat')) return;
  const pty = await PtyPair.open(tempFolder('bus-cli-'));
  const device = new RoboTrain(['sim-device', '--bus', 'dynamixel', '--twin', 'koch', '--port', pty.device, '--fault', 'overheat@0.3:2']);
  await device.output(/6 dynamixel servos/, 15_000);
  const link = await SerialByteLink.open({ path: pty.host, baudRate: BAUD });
  const tables = kochTables();
  const ids = [...tables.keys()];
  const bus = new dynamixel.DxlBus({ link, clock: systemClock, baudRate: BAUD, servos: tables, latencyMs: LATENCY_MS });
  try {
    await untilAnswering(() => bus.ping(1), 5000);
    assert.deepEqual((await bus.ping(2)).alert, false);
    await bus.syncWrite(
      ids,
      'torqueEnable',
      ids.map(() => 1),
    );
    await delay(600);
    const state = await bus.syncRead(ids, ['presentPosition'], { fast: true });
    assert.equal(state.get(2)!.alert, true, 'shoulder_lift overheated');
    assert.equal(state.get(1)!.alert, false);
    assert.deepEqual(await bus.hardwareError(2), ['overheating']);
    assert.equal((await bus.read(2, 'torqueEnable')).value, 0);
  } finally {
    bus.close();
    await link.close();
  }
  assert.equal(await device.stop(), 0);
  assert.match(device.stdout, /overheat 2/);
});

test('sim-device --bus must match the calibration: exit 2 naming both protocols', async () => {
  const wrong = new RoboTrain(['sim-device', '--bus', 'dynamixel', '--twin', 'so101', '--port', '/nonexistent/tty']);
  assert.equal(await wrong.exited, 2);
  assert.match(wrong.stderr, /--bus dynamixel does not match .*so101\.json, whose bus\.protocol is feetech: give --bus feetech/);
  const none = new RoboTrain(['sim-device', '--bus', 'feetech', '--twin', 'sim-reacher', '--port', '/nonexistent/tty']);
  assert.equal(await none.exited, 2);
  assert.match(none.stderr, /has no servo bus/);
});
