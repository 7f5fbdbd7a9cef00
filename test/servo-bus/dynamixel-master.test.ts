/**
 * The Dynamixel bus master against the emulated chain, through an in-memory wire in virtual time
 * (nothing here waits on the wall clock): typed helpers on a Koch-like chain (2 x XL430-W250,
 * 4 x XL330-M288), the per-transaction timeout, a missing id, a corrupted status packet, a status
 * error, the hardware error alert, one transaction at a time, and closing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dynamixel, IdealPlant, ServoBusError, ticksToRad, transactionTimeoutMs, type ControlTable } from '../../src/servo-bus/index.js';
import { VirtualClock } from '../device/virtual-clock.js';
import { EmulatedLink } from './support.js';

const { DxlBus, DxlChain, DxlServo, XL430_W250, XL330_M288, HardwareError } = dynamixel;
const BAUD = 1_000_000;
const KOCH: [number, ControlTable][] = [
  [1, XL430_W250],
  [2, XL430_W250],
  [3, XL330_M288],
  [4, XL330_M288],
  [5, XL330_M288],
  [6, XL330_M288],
];

function setup(present: readonly number[] = [1, 2, 3, 4, 5, 6]) {
  const clock = new VirtualClock();
  const plant = new IdealPlant();
  for (const [id] of KOCH)
    plant.setSensing(id, { positionRad: ticksToRad(2000 + 10 * id), velocityRadS: 0.5, currentA: 0.1 * id, loadFraction: 0.05 * id });
  const chain = new DxlChain(
    KOCH.filter(([id]) => present.includes(id)).map(([id, table]) => new DxlServo({ table, id })),
    { plant },
  );
  const link = new EmulatedLink(clock, chain, BAUD);
  const bus = new DxlBus({ link, clock, baudRate: BAUD, servos: new Map(KOCH) });
  return { clock, plant, chain, link, bus };
}

/** Runs `call` while advancing virtual time by `ms`, returning its value or its error. */
async function run<T>(clock: VirtualClock, call: Promise<T>, ms = 100): Promise<T | ServoBusError> {
  const settled = call.catch((error: unknown) => {
    if (error instanceof ServoBusError) return error;
    throw error;
  });
  await clock.advance(ms);
  return settled;
}

describe('Dynamixel bus master on an emulated Koch chain', () => {
  test('ping: model number and firmware', async () => {
    const { clock, bus } = setup();
    assert.deepEqual(await run(clock, bus.ping(1)), { modelNumber: 1060, firmwareVersion: 52, alert: false });
    assert.deepEqual(await run(clock, bus.ping(4)), { modelNumber: 1200, firmwareVersion: 52, alert: false });
  });

  test('read and write by register name', async () => {
    const { clock, bus, chain } = setup();
    assert.deepEqual(await run(clock, bus.read(3, 'presentPosition')), { value: 2030, alert: false });
    assert.deepEqual(await run(clock, bus.write(3, 'goalPosition', 2500)), { alert: false });
    assert.equal(chain.servo(3)?.memory.get('goalPosition'), 2500);
    assert.deepEqual(await run(clock, bus.read(3, 'goalPosition')), { value: 2500, alert: false });
  });

  for (const fast of [false, true]) {
    test(`${fast ? 'fast ' : ''}sync read of present values decodes each servo with its own model`, async () => {
      const { clock, bus } = setup();
      const result = await run(clock, bus.syncRead([1, 2, 3, 4, 5, 6], ['presentLoad', 'presentTemperature'], { fast }));
      assert.ok(!(result instanceof ServoBusError));
      assert.deepEqual([...result.keys()], [1, 2, 3, 4, 5, 6]);
      const one = result.get(1);
      const three = result.get(3);
      assert.equal(one?.values['presentLoad'], 50);
      assert.equal(one?.values['presentCurrent'], undefined);
      assert.equal(three?.values['presentCurrent'], 300);
      assert.equal(three?.values['presentPosition'], 2030);
      assert.equal(three?.values['presentVelocity'], 21);
      assert.equal(three?.values['presentInputVoltage'], 65);
      assert.equal(three?.values['presentTemperature'], 30);
      assert.equal(three?.alert, false);
    });
  }

  test('sync write of goal positions reaches every servo', async () => {
    const { clock, bus, chain } = setup();
    await run(clock, bus.syncWrite([1, 2, 3, 4, 5, 6], 'goalPosition', [1000, 1100, 1200, 1300, 1400, 1500]));
    assert.deepEqual(
      chain.servos.map((s) => s.memory.get('goalPosition')),
      [1000, 1100, 1200, 1300, 1400, 1500],
    );
  });

  test('a missing id: timeout naming it, at the computed time', async () => {
    const { clock, bus, link } = setup([1, 2, 3, 5, 6]);
    const started = clock.nowMs();
    let failedAt = NaN;
    const call = bus.syncRead([1, 2, 3, 4, 5, 6], ['presentPosition']).catch((e: unknown) => {
      failedAt = clock.nowMs();
      return e;
    });
    await clock.advance(200);
    const error = await call;
    assert.ok(error instanceof ServoBusError);
    assert.equal(error.kind, 'timeout');
    assert.deepEqual(error.missingIds, [4]);
    const expected = transactionTimeoutMs({
      baudRate: BAUD,
      txBytes: link.requests[0].length,
      rxBytes: 6 * 15,
      replies: 6,
      returnDelayUs: 500,
      latencyMs: 16,
    });
    assert.ok(Math.abs(failedAt - started - expected) < 1e-9, `failed after ${failedAt - started} ms, timeout ${expected} ms`);
  });

  test('fast sync read with an absent servo: timeout naming it and the ones after it; the parts before it are valid', async () => {
    const { clock, bus, link } = setup([1, 2, 3, 5, 6]);
    const error = await run(clock, bus.syncRead([1, 2, 3, 4, 5, 6], ['presentPosition'], { fast: true }));
    assert.ok(error instanceof ServoBusError);
    assert.equal(error.kind, 'timeout');
    assert.deepEqual(error.missingIds, [4, 5, 6]);
    link.corruptNextReply(12);
    const corrupt = await run(clock, bus.syncRead([1, 2, 3], ['presentPosition'], { fast: true }));
    assert.ok(corrupt instanceof ServoBusError);
    assert.equal(corrupt.kind, 'corrupt', 'a complete packet with a bad CRC');
  });

  test('a corrupted status packet: corrupt, naming the id and the CRC drop', async () => {
    const { clock, bus, link } = setup();
    link.corruptNextReply(10, 1);
    const error = await run(clock, bus.syncRead([1, 2, 3], ['presentPosition']));
    assert.ok(error instanceof ServoBusError);
    assert.equal(error.kind, 'corrupt');
    assert.deepEqual(error.missingIds, [2]);
    assert.equal(error.rejected['checksum'], 1);
    assert.deepEqual(
      await run(clock, bus.ping(2)),
      { modelNumber: 1060, firmwareVersion: 52, alert: false },
      'the next transaction is clean',
    );
  });

  test('a status error number fails the call with its name', async () => {
    const { clock, bus } = setup();
    await run(clock, bus.write(5, 'torqueEnable', 1));
    const error = await run(clock, bus.write(5, 'returnDelayTime', 0));
    assert.ok(error instanceof ServoBusError);
    assert.equal(error.kind, 'status');
    assert.equal(error.id, 5);
    assert.equal(error.errorNumber, 7);
    assert.equal(error.errorName, 'access error');
    const range = await run(clock, bus.write(5, 'goalPosition', 5000));
    assert.ok(range instanceof ServoBusError && range.errorName === 'data limit error');
  });

  test('hardware error: the alert comes with valid data; hardwareError() says which', async () => {
    const { clock, bus, chain } = setup();
    chain.raiseHardwareError(2, HardwareError.OVERLOAD | HardwareError.OVERHEATING, 0);
    const result = await run(clock, bus.syncRead([1, 2], ['presentPosition']));
    assert.ok(!(result instanceof ServoBusError));
    assert.equal(result.get(1)?.alert, false);
    assert.equal(result.get(2)?.alert, true);
    assert.equal(result.get(2)?.values['presentPosition'], 2020);
    assert.deepEqual(await run(clock, bus.hardwareError(2)), ['overheating', 'overload']);
    assert.deepEqual(await run(clock, bus.reboot(2)), { alert: true });
    assert.deepEqual(await run(clock, bus.hardwareError(2)), []);
  });

  test('one transaction at a time, in call order, whatever the chunking and noise', async () => {
    const { clock, bus, link } = setup();
    link.maxChunk = 3;
    const calls = [bus.ping(1), bus.read(2, 'id'), bus.syncRead([3, 4], ['presentPosition'])];
    link.inject(Uint8Array.of(0xff, 0xff, 0xfd, 0x00, 0x07, 0xee));
    const results = await run(clock, Promise.all(calls));
    assert.ok(!(results instanceof ServoBusError));
    const [ping, id, sync] = results;
    assert.deepEqual(ping, { modelNumber: 1060, firmwareVersion: 52, alert: false });
    assert.deepEqual(
      link.requests.map((r) => r[7]),
      [0x01, 0x02, 0x82],
    );
    assert.deepEqual(id, { value: 2, alert: false });
    assert.equal((sync as Map<number, unknown>).size, 2);
    assert.equal(bus.stats.transactions, 3);
  });

  test('close fails the pending call', async () => {
    const { clock, bus } = setup([]);
    const call = bus.ping(1).catch((e: unknown) => e);
    await clock.advance(1);
    bus.close();
    const error = await call;
    assert.ok(error instanceof ServoBusError && error.kind === 'closed');
    const after = await bus.ping(1).catch((e: unknown) => e);
    assert.ok(after instanceof ServoBusError && after.kind === 'closed');
  });
});

describe('transaction timeout', () => {
  test('wire time of request and answers, return delays, twice the latency timer plus 2 ms', () => {
    const fast = transactionTimeoutMs({ baudRate: 1_000_000, txBytes: 20, rxBytes: 90, replies: 6, returnDelayUs: 500, latencyMs: 16 });
    assert.ok(Math.abs(fast - (1.1 + 3 + 34)) < 1e-12);
    const slow = transactionTimeoutMs({ baudRate: 57_600, txBytes: 10, rxBytes: 14, replies: 1, returnDelayUs: 0, latencyMs: 1 });
    assert.ok(Math.abs(slow - ((24 * 10_000) / 57_600 + 4)) < 1e-12);
  });
});
