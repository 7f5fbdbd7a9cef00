/** `ports --scan`'s bus scan against the emulated Koch (Dynamixel) and SO-101 (Feetech) chains. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanBus } from '../../src/bus-robot/scan.js';
import { loadCalibration } from '../../src/calibration/load.js';
import { ChainLink, chainFor } from './support.js';

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
