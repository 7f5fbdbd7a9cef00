import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RoboTrain } from './support.js';

describe('robo-train ports', () => {
  test('lists the serial ports (a table, or says there is none) and exits 0; --json prints one object per port', async () => {
    const table = new RoboTrain(['ports']);
    assert.equal(await table.exited, 0, table.stderr);
    assert.match(table.stdout, /^(port +usb id +manufacturer +serial +stable name$|no serial ports found)/m);
    const json = new RoboTrain(['ports', '--json']);
    assert.equal(await json.exited, 0, json.stderr);
    for (const line of json.stdout.split('\n').filter(Boolean)) {
      const port = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(Object.keys(port).sort(), ['byId', 'manufacturer', 'path', 'productId', 'serialNumber', 'vendorId']);
    }
  });
});
