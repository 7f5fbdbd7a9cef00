/**
 * The bus emulator on a real socat pseudo-terminal pair, driven from the host's end by the project's
 * own bus masters (`FtBus`, `DxlBus`) over a `SerialByteLink`, as a real arm on a USB adapter would be.
 */
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { BusSimDevice } from '../../src/bus-sim/device.js';
import { loadCalibration } from '../../src/calibration/load.js';
import { rawRadFromTicks, ticksFromRawRad } from '../../src/calibration/servo.js';
import { systemClock } from '../../src/core/clock.js';
import { dynamixel, feetech, ServoBusError } from '../../src/servo-bus/index.js';
import { SerialByteLink } from '../../src/transport/serial-bytes.js';
import { cleanup, haveTools, PtyPair, tempFolder } from '../hardware/support.js';
import { BAUD, kochTables, LATENCY_MS, untilAnswering } from './support.js';

after(cleanup);

interface Rig {
  device: BusSimDevice;
  pty: PtyPair;
  link: SerialByteLink;
  ids: number[];
  close(): Promise<void>;
}

async function rig(robot: 'so101' | 'koch'): Promise<Rig> {
  const pty = await PtyPair.open(tempFolder('bus-sim-'));
  const device = await BusSimDevice.create({ calibration: loadCalibration(robot), port: pty.device, baudRate: BAUD });
  await device.start();
  const link = await SerialByteLink.open({ path: pty.host, baudRate: BAUD });
  const rigged: Rig = {
    device,
    pty,
    link,
    ids: device.ids,
    async close() {
      await rigged.link.close();
      await device.close();
      await pty.unplug();
    },
  };
  return rigged;
}

async function rejectsWith(promise: Promise<unknown>, kind: string, what: string): Promise<ServoBusError> {
  const error = await promise.then(
    () => assert.fail(`${what}: expected a ${kind} failure`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ServoBusError, `${what}: ${String(error)}`);
  assert.equal(error.kind, kind, `${what}: ${error.message}`);
  return error;
}

/** Joint angles of the twin (offset 0, direction 1 in both calibrations: joint = raw servo angle). */
function twinRad(device: BusSimDevice): Float64Array {
  return device.plant.jointPositions();
}

test('feetech: the so101 twin as six STS3215 servos', async (t: TestContext) => {
  if (!haveTools(t, 'socat')) return;
  const r = await rig('so101');
  t.after(() => r.close());
  const table = feetech.STS3215;
  const bus = new feetech.FtBus({
    link: r.link,
    clock: systemClock,
    baudRate: BAUD,
    servos: new Map(r.ids.map((id) => [id, table])),
    latencyMs: LATENCY_MS,
  });
  const read = (): Promise<Map<number, feetech.FtSyncReadEntry>> => bus.syncRead(r.ids, ['presentPosition', 'presentCurrent']);

  await t.test('every id answers Ping with the STS3215 model number', async () => {
    await untilAnswering(() => bus.ping(1), 5000);
    for (const id of r.ids) assert.equal((await bus.ping(id)).modelNumber, 777, `id ${id}`);
  });

  let unloadedVoltage = 0;
  await t.test('torque off: no current, the supply voltage, ambient temperature', async () => {
    const state = await read();
    for (const id of r.ids) {
      const v = state.get(id)!.values;
      assert.equal(v.presentCurrent, 0, `id ${id}`);
      assert.equal(v.presentTemperature, 25, `id ${id}`);
      assert.equal(v.presentVoltage, 74, `id ${id}: 7.4 V`);
    }
    unloadedVoltage = state.get(1)!.values.presentVoltage;
  });

  await t.test('torque on: the arm holds, sync read positions are the twin', async () => {
    await bus.syncWrite(
      r.ids,
      'torqueEnable',
      r.ids.map(() => 1),
    );
    await delay(400);
    const state = await read();
    const twin = twinRad(r.device);
    r.ids.forEach((id, j) => {
      const rad = rawRadFromTicks(state.get(id)!.values.presentPosition);
      assert.ok(Math.abs(rad - twin[j]) < 0.005, `id ${id}: read ${rad}, twin ${twin[j]}`);
    });
  });

  await t.test('gravity load: the elbow draws current, the free pan does not, the supply sags', async () => {
    const state = await read();
    const elbow = state.get(3)!.values;
    const pan = state.get(1)!.values;
    const elbowA = (elbow.presentCurrent * 6.5) / 1000;
    assert.ok(elbowA > 0.3 && elbowA < 0.9, `elbow ${elbowA} A (0.39 N·m of gravity at home)`);
    assert.ok(Math.abs(elbow.presentLoad) > 100 && Math.abs(elbow.presentLoad) < 400, `elbow load ${elbow.presentLoad} (0.1 %)`);
    assert.ok((pan.presentCurrent * 6.5) / 1000 < 0.05, `pan ${pan.presentCurrent}`);
    assert.ok(pan.presentVoltage < unloadedVoltage, `supply ${pan.presentVoltage} under load vs ${unloadedVoltage}`);
  });

  await t.test('sync write of goals moves the arm', async () => {
    const before = await read();
    const goals = r.ids.map((id) => before.get(id)!.values.presentPosition);
    goals[0] = ticksFromRawRad(0.5);
    goals[4] = ticksFromRawRad(-0.4);
    await bus.syncWrite(r.ids, 'goalPosition', goals);
    await delay(700);
    const after = await read();
    assert.ok(Math.abs(rawRadFromTicks(after.get(1)!.values.presentPosition) - 0.5) < 0.03, 'pan reached 0.5 rad');
    assert.ok(Math.abs(rawRadFromTicks(after.get(5)!.values.presentPosition) + 0.4) < 0.03, 'wrist_roll reached -0.4 rad');
    assert.ok(Math.abs(twinRad(r.device)[0] - 0.5) < 0.03);
  });

  await t.test('overheat: the status bit trips and the servo drops its torque', async () => {
    r.device.inject({ kind: 'overheat', amount: 3 });
    const state = await read();
    assert.deepEqual(state.get(3)!.errors, ['overheat']);
    assert.equal(state.get(3)!.values.presentTemperature, 75);
    assert.deepEqual(state.get(2)!.errors, []);
    assert.equal((await bus.read(3, 'torqueEnable')).value, 0);
    assert.equal((await bus.read(2, 'torqueEnable')).value, 1);
  });

  await t.test('reboot: deaf for its restart, then back with torque off; still hot, it trips again', async () => {
    await bus.write(2, 'torqueEnable', 0);
    r.device.inject({ kind: 'reboot', amount: 3 });
    r.device.inject({ kind: 'reboot', amount: 2 });
    await rejectsWith(bus.ping(3), 'timeout', 'ping during the restart');
    await delay(850);
    assert.deepEqual((await bus.ping(2)).errors, []);
    assert.deepEqual((await bus.ping(3)).errors, ['overheat'], 'the servo is still above its limit (it cools over minutes)');
    assert.equal((await bus.read(3, 'torqueEnable')).value, 0);
  });

  await t.test('corrupt: replies fail their checksum, then the bus recovers', async () => {
    r.device.inject({ kind: 'corrupt', amount: 0.3 });
    await rejectsWith(bus.ping(1), 'corrupt', 'ping with a corrupted reply');
    await delay(350);
    assert.equal((await bus.ping(1)).modelNumber, 777);
  });

  await t.test('unplug: nothing answers for a while, then everything does', async () => {
    r.device.inject({ kind: 'unplug', amount: 0.3 });
    await rejectsWith(read(), 'timeout', 'sync read while unplugged');
    await delay(350);
    assert.equal((await read()).size, 6);
  });

  await t.test('silent: one servo stops answering for good, the others carry on', async () => {
    r.device.inject({ kind: 'silent', amount: 4 });
    await rejectsWith(bus.ping(4), 'timeout', 'ping of the silent servo');
    const error = await rejectsWith(read(), 'timeout', 'sync read with a silent servo');
    assert.deepEqual(error.missingIds, [4]);
    assert.deepEqual(
      (await bus.syncRead([1, 2, 3, 5, 6], ['presentPosition'])).size,
      5,
      'the other servos still answer a sync read without id 4',
    );
  });
  bus.close();

  await t.test('the link comes back: a new pseudo-terminal under the same name is opened again, the servos kept their state', async () => {
    await r.link.close();
    await r.pty.unplug();
    await r.pty.plug();
    r.link = await SerialByteLink.open({ path: r.pty.host, baudRate: BAUD });
    const again = new feetech.FtBus({
      link: r.link,
      clock: systemClock,
      baudRate: BAUD,
      servos: new Map(r.ids.map((id) => [id, table])),
      latencyMs: LATENCY_MS,
    });
    await untilAnswering(() => again.ping(1), 3000);
    assert.equal((await again.read(1, 'torqueEnable')).value, 1, 'torque stayed on');
    assert.equal((await again.read(3, 'torqueEnable')).value, 0, 'the overheated servo stayed off');
    again.close();
  });
});

test('dynamixel: the koch twin as XL430-W250 and XL330-M288 servos', async (t: TestContext) => {
  if (!haveTools(t, 'socat')) return;
  const r = await rig('koch');
  t.after(() => r.close());
  const tables = kochTables();
  const bus = new dynamixel.DxlBus({ link: r.link, clock: systemClock, baudRate: BAUD, servos: tables, latencyMs: LATENCY_MS });
  const read = (): Promise<Map<number, dynamixel.DxlSyncReadEntry>> =>
    bus.syncRead(r.ids, ['presentLoad', 'presentTemperature'], { fast: true });

  await t.test('every id answers Ping with its model number', async () => {
    await untilAnswering(() => bus.ping(1), 5000);
    const models = [];
    for (const id of r.ids) models.push((await bus.ping(id)).modelNumber);
    assert.deepEqual(models, [1060, 1060, 1200, 1200, 1200, 1200]);
  });

  await t.test('torque on, fast sync read: positions are the twin, the elbow carries its load', async () => {
    await bus.syncWrite(
      r.ids,
      'torqueEnable',
      r.ids.map(() => 1),
    );
    await delay(400);
    const state = await read();
    const twin = twinRad(r.device);
    r.ids.forEach((id, j) => {
      const rad = rawRadFromTicks(state.get(id)!.values.presentPosition);
      assert.ok(Math.abs(rad - twin[j]) < 0.005, `id ${id}: read ${rad}, twin ${twin[j]}`);
      assert.equal(state.get(id)!.values.presentTemperature, 25);
    });
    const elbowMa = state.get(3)!.values.presentCurrent;
    // 0.12 N·m of gravity at home over 0.354 N·m/A.
    assert.ok(Math.abs(elbowMa) > 200 && Math.abs(elbowMa) < 600, `elbow ${elbowMa} mA`);
    assert.ok(Math.abs(state.get(1)!.values.presentLoad) < 20, `pan load ${state.get(1)!.values.presentLoad}`);
    assert.ok(state.get(3)!.values.presentInputVoltage < 50, 'the 5 V supply sags under the elbow');
    assert.equal(state.get(1)!.values.presentInputVoltage, 120, 'the 12 V supply of the unloaded XL430s');
  });

  await t.test('sync write of goals moves the arm', async () => {
    const before = await read();
    const goals = r.ids.map((id) => before.get(id)!.values.presentPosition);
    goals[0] = ticksFromRawRad(-0.6);
    await bus.syncWrite(r.ids, 'goalPosition', goals);
    await delay(600);
    const after = await read();
    assert.ok(Math.abs(rawRadFromTicks(after.get(1)!.values.presentPosition) + 0.6) < 0.03, 'pan reached -0.6 rad');
  });

  await t.test('overheat: Hardware Error Status says so, the alert bit is set, torque is off', async () => {
    r.device.inject({ kind: 'overheat', amount: 4 });
    const state = await read();
    assert.equal(state.get(4)!.alert, true);
    assert.equal(state.get(4)!.values.presentTemperature, 75);
    assert.equal(state.get(3)!.alert, false);
    assert.deepEqual(await bus.hardwareError(4), ['overheating']);
    assert.equal((await bus.read(4, 'torqueEnable')).value, 0);
    r.device.inject({ kind: 'reboot', amount: 4 });
    assert.deepEqual(await bus.hardwareError(4), ['overheating'], 'a reboot clears it, but the servo is still hot: it trips again');
  });

  await t.test('bus watchdog: a servo whose host falls silent stops by itself, between packets', async () => {
    await bus.write(1, 'busWatchdog', 1);
    await bus.write(1, 'goalPosition', ticksFromRawRad(1.5));
    // No packet for id 1 from here: after 20 ms its watchdog stops it where it is.
    await delay(500);
    assert.equal((await bus.read(1, 'busWatchdog')).value, -1);
    const pan = rawRadFromTicks((await bus.read(1, 'presentPosition')).value);
    assert.ok(pan < 1, `pan stopped short of its goal of 1.5 rad: ${pan}`);
    assert.ok(Math.abs(twinRad(r.device)[0] - pan) < 0.01, 'and stays there');
  });

  await t.test('silent: a fast sync read stops at the silent servo and names it and the ones after', async () => {
    r.device.inject({ kind: 'silent', amount: 5 });
    const error = await rejectsWith(read(), 'timeout', 'fast sync read with a silent servo');
    assert.deepEqual(error.missingIds, [5, 6]);
    assert.equal((await bus.syncRead([1, 2, 3, 4, 6], ['presentPosition'])).size, 5);
  });
  bus.close();

  await t.test('a servo the host renumbers keeps its joint', async () => {
    const renumbering = new dynamixel.DxlBus({
      link: r.link,
      clock: systemClock,
      baudRate: BAUD,
      servos: new Map([
        [4, dynamixel.XL330_M288],
        [9, dynamixel.XL330_M288],
      ]),
      latencyMs: LATENCY_MS,
    });
    // Servo 4's torque is off (it overheated), so its EEPROM, where the ID lives, is writable.
    await renumbering.write(4, 'id', 9);
    await rejectsWith(renumbering.ping(4), 'timeout', 'ping of the old id');
    assert.equal((await renumbering.ping(9)).modelNumber, 1200);
    const rad = rawRadFromTicks((await renumbering.read(9, 'presentPosition')).value);
    assert.ok(Math.abs(rad - twinRad(r.device)[3]) < 0.01, `wrist_flex as id 9: ${rad} vs ${twinRad(r.device)[3]}`);
    renumbering.close();
  });
});
