/**
 * Protocol 1.1's wear fields end to end over a socat pseudo-terminal pair: the simulated firmware
 * reports its joints' current, temperature and voltage (`sim-device --wear-servo`), and they reach the
 * step rows' wear columns and the episodes' wear summaries, as a servo bus robot's telemetry does. A
 * firmware without wear sensors sends the 1.0 layout and its rows keep NULL there.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { cleanup, haveTools, PtyPair, RoboTrain, tempFolder } from './support.js';
import { reportedSteps } from './store.js';

after(cleanup);

interface WearRows {
  rows: number;
  withoutCurrent: number;
  withoutTemperature: number;
  withoutVoltage: number;
  /** Load values stored: the protocol carries none, so every one is NaN. */
  loads: Float32Array[];
  /** Over every stored float of the run: the lowest temperature and voltage, the highest |current|. */
  temperatures: Float32Array[];
  voltages: Float32Array[];
  episodes: {
    mean_abs_current_a: number | null;
    peak_temperature_c: number | null;
    min_voltage_v: number | null;
    energy_j: number | null;
  }[];
}

function readWear(db: string): WearRows {
  const store = openDatabase(db, { readonly: true });
  try {
    const counts = store
      .prepare(
        `SELECT COUNT(*) AS rows, SUM(current IS NULL) AS withoutCurrent, SUM(temperature IS NULL) AS withoutTemperature,
                SUM(voltage IS NULL) AS withoutVoltage FROM steps WHERE run_id = 1`,
      )
      .get() as Pick<WearRows, 'rows' | 'withoutCurrent' | 'withoutTemperature' | 'withoutVoltage'>;
    const blobs = store.prepare('SELECT temperature, voltage, load FROM steps WHERE run_id = 1 AND temperature IS NOT NULL').all() as {
      temperature: Buffer;
      voltage: Buffer;
      load: Buffer | null;
    }[];
    const floats = (blob: Buffer): Float32Array => new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
    return {
      ...counts,
      temperatures: blobs.map((row) => floats(row.temperature)),
      voltages: blobs.map((row) => floats(row.voltage)),
      loads: blobs.map((row) => (row.load === null ? new Float32Array(0) : floats(row.load))),
      episodes: store
        .prepare('SELECT mean_abs_current_a, peak_temperature_c, min_voltage_v, energy_j FROM episodes WHERE run_id = 1 AND steps > 0')
        .all() as WearRows['episodes'],
    };
  } finally {
    store.close();
  }
}

describe('wear fields of the firmware protocol (1.1) over a serial link', () => {
  test('a firmware that reports wear fills every step row and the episode summaries; one that does not leaves them NULL', async (t) => {
    if (!haveTools(t, 'socat')) return;
    const folder = tempFolder('robo-train-wear-');
    const pair = await PtyPair.open(folder);
    const device = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher', '--seed', '3', '--wear-servo', 'sts3215']);
    await device.output(/sim-device: 'sim-reacher' on /, 30_000);
    const db = join(folder, 'wear.db');
    const args = ['--port', pair.host, '--robot', 'sim-reacher', '--hidden', '16,16', '--seed', '1'];
    const train = new RoboTrain([...args, '--steps', '120', '--db', db]);
    assert.equal(await train.exited, 0, `${train.stdout}\n${train.stderr}`);
    assert.match(train.stdout, /robot: connected to 'sim-reacher' \(firmware 1\.0\.0, protocol 1\.1\)/);
    const steps = reportedSteps(train.stdout);
    const wear = readWear(db);
    assert.equal(wear.rows, steps, 'one stored row per step');
    assert.deepEqual(
      [wear.withoutCurrent, wear.withoutTemperature, wear.withoutVoltage],
      [0, 0, 0],
      'every step row has current, temperature and voltage',
    );
    for (const loads of wear.loads) for (const load of loads) assert.ok(Number.isNaN(load), 'the protocol carries no load');
    // The servo model's physics: temperature from 25 °C ambient upwards, the STS3215's 12 V supply sagging under load.
    for (const temperatures of wear.temperatures) for (const c of temperatures) assert.ok(c >= 25 && c < 100, `temperature ${c} °C`);
    for (const voltages of wear.voltages) for (const v of voltages) assert.ok(v > 6 && v <= 12, `voltage ${v} V`);
    assert.ok(wear.episodes.length > 0);
    for (const episode of wear.episodes) {
      assert.ok(episode.mean_abs_current_a !== null && episode.mean_abs_current_a > 0, `mean |current| ${episode.mean_abs_current_a} A`);
      assert.ok(episode.peak_temperature_c !== null && episode.peak_temperature_c >= 25, `peak ${episode.peak_temperature_c} °C`);
      assert.ok(episode.energy_j !== null && episode.energy_j > 0, `energy ${episode.energy_j} J`);
    }
    assert.equal(await device.stop(), 0);

    // The same twin without wear sensors: the 1.0 layout, no wear in the store.
    const plain = new RoboTrain(['sim-device', '--port', pair.device, '--twin', 'sim-reacher', '--seed', '3']);
    await plain.output(/sim-device: 'sim-reacher' on /, 30_000);
    const plainDb = join(folder, 'plain.db');
    const plainTrain = new RoboTrain([...args, '--steps', '40', '--db', plainDb]);
    assert.equal(await plainTrain.exited, 0, `${plainTrain.stdout}\n${plainTrain.stderr}`);
    const none = readWear(plainDb);
    assert.ok(none.rows > 0);
    assert.deepEqual([none.withoutCurrent, none.withoutTemperature, none.withoutVoltage], [none.rows, none.rows, none.rows]);
    assert.equal(await plain.stop(), 0);
  });
});
