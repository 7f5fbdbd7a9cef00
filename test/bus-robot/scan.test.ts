/**
 * `ports --scan`'s bus scan against the emulated Koch (Dynamixel) and SO-101 (Feetech) chains, and the
 * command itself over a pseudo-terminal against `sim-device --bus`.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { scanBus, type FoundServo } from '../../src/bus-robot/scan.js';
import { loadCalibration } from '../../src/calibration/load.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from '../hardware/support.js';
import { ChainLink, chainFor } from './support.js';

after(cleanup);

test('a Dynamixel scan (one broadcast Ping) lists the Koch arm: ids 1-6, XL430-W250 and XL330-M288', async () => {
  const { chain } = chainFor(loadCalibration('koch'));
  // A servo left at another id (say a spare never set up) is found all the same.
  chain.servo(4)?.memory.set('id', 14);
  const link = new ChainLink(chain);
  const found = await scanBus(link, 'dynamixel', 1_000_000, 1);
  assert.deepEqual(
    found.map((servo) => [servo.id, servo.model, servo.firmwareVersion]),
    [
      [1, 'XL430-W250 (model 1060)', 52],
      [2, 'XL430-W250 (model 1060)', 52],
      [3, 'XL330-M288 (model 1200)', 52],
      [5, 'XL330-M288 (model 1200)', 52],
      [6, 'XL330-M288 (model 1200)', 52],
      [14, 'XL330-M288 (model 1200)', 52],
    ],
  );
});

test('a Feetech scan (a Ping to every id) lists the SO-101 arm: ids 1-6, STS3215', async () => {
  const link = new ChainLink(chainFor(loadCalibration('so101')).chain);
  const found = await scanBus(link, 'feetech', 1_000_000, 1);
  assert.deepEqual(
    found.map((servo) => [servo.id, servo.model]),
    [1, 2, 3, 4, 5, 6].map((id) => [id, 'STS3215 (model 777)']),
  );
  assert.ok(found.every((servo) => servo.protocol === 'feetech' && servo.baudRate === 1_000_000));
});

test('robo-train ports --scan over a pseudo-terminal: the emulated Koch (sim-device --bus dynamixel) is listed id by id, as a table and as JSON', async (t) => {
  if (!haveTools(t, 'socat')) return;
  const pty = await PtyPair.open(tempFolder('scan-bus-'));
  const device = new RoboTrain(['sim-device', '--bus', 'dynamixel', '--twin', 'koch', '--port', pty.device]);
  await device.output(/ servos \(ids 1, 2, 3, 4, 5, 6\) at 1000000 Bd/, 60_000);
  // A latency timer far above the FTDI default: a round trip through socat on two loaded cores takes up to ~120 ms.
  const scan = ['ports', '--scan', pty.host, '--protocol', 'dynamixel', '--baud', '1000000', '--latency-ms', '100'];
  const table = new RoboTrain(scan);
  assert.equal(await table.exited, 0, table.stderr);
  assert.match(table.stderr, /^scanning .* dynamixel at 1000000 Bd …$/m);
  const rows = table.stdout.split('\n').filter((line) => line.startsWith('dynamixel'));
  assert.deepEqual(
    rows.map((line) => line.split(/ {2,}/)),
    [1, 2, 3, 4, 5, 6].map((id) => [
      'dynamixel',
      '1000000',
      String(id),
      id <= 2 ? 'XL430-W250 (model 1060)' : 'XL330-M288 (model 1200)',
      '52',
    ]),
  );
  const json = new RoboTrain([...scan, '--json']);
  assert.equal(await json.exited, 0, json.stderr);
  assert.deepEqual(
    json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as FoundServo)
      .map((servo) => [servo.protocol, servo.baudRate, servo.id, servo.modelNumber]),
    [1, 2, 3, 4, 5, 6].map((id) => ['dynamixel', 1_000_000, id, id <= 2 ? 1060 : 1200]),
  );
  assert.equal(await device.stop(), 0);
});
