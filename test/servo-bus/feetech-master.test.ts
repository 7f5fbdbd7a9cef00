/**
 * The Feetech bus master against the emulated chain of an SO-101 (6 x STS3215 at 1 Mbaud) through an
 * in-memory wire in virtual time: ping, read/write by name, sync read/write, a missing id, a
 * corrupted response, status bits, reboot holding the bus.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../src/core/clock.js';
import { feetech, IdealPlant, ServoBusError, ticksToRad, type ByteDuplex } from '../../src/servo-bus/index.js';
import { VirtualClock } from '../device/virtual-clock.js';
import { EmulatedLink } from './support.js';

const { FtBus, FtChain, FtServo, STS3215, StatusBit } = feetech;
const BAUD = 1_000_000;
const IDS = [1, 2, 3, 4, 5, 6];

function setup(present: readonly number[] = IDS) {
  const clock = new VirtualClock();
  const plant = new IdealPlant();
  for (const id of IDS) plant.setSensing(id, { positionRad: ticksToRad(2000 + id), velocityRadS: -0.1 * id });
  const chain = new FtChain(
    present.map((id) => new FtServo({ table: STS3215, id })),
    { plant },
  );
  const link = new EmulatedLink(clock, chain, BAUD);
  const bus = new FtBus({ link, clock, baudRate: BAUD, servos: new Map(IDS.map((id) => [id, STS3215])) });
  return { clock, plant, chain, link, bus };
}

async function run<T>(clock: VirtualClock, call: Promise<T>, ms = 100): Promise<T | ServoBusError> {
  const settled = call.catch((error: unknown) => {
    if (error instanceof ServoBusError) return error;
    throw error;
  });
  await clock.advance(ms);
  return settled;
}

describe('Feetech bus master on an emulated SO-101 chain', () => {
  test('ping: model number 777 and firmware version', async () => {
    const { clock, bus } = setup();
    assert.deepEqual(await run(clock, bus.ping(3)), { modelNumber: 777, firmwareMajor: 3, firmwareMinor: 10, status: 0, errors: [] });
  });

  test('read and write by name, sign-magnitude decoded', async () => {
    const { clock, bus, chain } = setup();
    assert.deepEqual(await run(clock, bus.read(2, 'presentSpeed')), { value: -3, status: 0, errors: [] });
    await run(clock, bus.write(2, 'goalSpeed', -40));
    assert.equal(chain.servo(2)?.memory.get('goalSpeed'), -40);
    assert.deepEqual(chain.servo(2)?.memory.read(46, 2), Uint8Array.of(40, 0x80));
  });

  test('sync read of the present block and sync write of goal positions', async () => {
    const { clock, bus, chain } = setup();
    const result = await run(clock, bus.syncRead(IDS, ['presentPosition', 'presentCurrent']));
    assert.ok(!(result instanceof ServoBusError));
    assert.deepEqual(
      [...result.values()].map((e) => e.values['presentPosition']),
      [2001, 2002, 2003, 2004, 2005, 2006],
    );
    assert.equal(result.get(6)?.values['presentSpeed'], -8);
    assert.equal(result.get(6)?.values['presentVoltage'], 65);
    await run(clock, bus.syncWrite(IDS, 'goalPosition', [100, 200, 300, 400, 500, 600]));
    assert.deepEqual(
      chain.servos.map((s) => s.memory.get('goalPosition')),
      [100, 200, 300, 400, 500, 600],
    );
  });

  test('a missing id times out naming it; a corrupted response is reported as corrupt', async () => {
    const { clock, bus, link } = setup([1, 2, 4, 5, 6]);
    const missing = await run(clock, bus.syncRead(IDS, ['presentPosition']));
    assert.ok(missing instanceof ServoBusError && missing.kind === 'timeout');
    assert.deepEqual(missing.missingIds, [3]);
    link.corruptNextReply(5);
    const corrupt = await run(clock, bus.read(1, 'presentPosition'));
    assert.ok(corrupt instanceof ServoBusError && corrupt.kind === 'corrupt');
    assert.deepEqual(corrupt.missingIds, [1]);
    assert.equal(corrupt.rejected['checksum'], 1);
  });

  test('status bits come back with the values, in words', async () => {
    const { clock, bus, chain } = setup();
    chain.raiseStatus(4, StatusBit.OVERLOAD, 0);
    const result = await run(clock, bus.syncRead([3, 4], ['presentPosition']));
    assert.ok(!(result instanceof ServoBusError));
    assert.deepEqual(result.get(4)?.errors, ['overload']);
    assert.equal(result.get(4)?.values['presentPosition'], 2004);
    assert.deepEqual(result.get(3)?.errors, []);
  });

  test('reboot holds the bus for the restart: the next call waits for it', async () => {
    const { clock, bus } = setup();
    const reboot = bus.reboot(1);
    const ping = bus.ping(1);
    await clock.advance(790);
    let answered = false;
    void ping.then(() => (answered = true));
    await clock.advance(1);
    assert.equal(answered, false, 'still restarting');
    const result = await run(clock, ping, 100);
    await reboot;
    assert.ok(!(result instanceof ServoBusError));
    assert.equal(result.modelNumber, 777);
  });
});

/**
 * A host busy (another process on its cores) from now until `untilMs`: its timers due meanwhile fire
 * at that moment, and what the link received meanwhile reaches it `readTurnMs` later, as a serial
 * port's does (a readable poll first, then a read in libuv's thread pool: a turn after the timers).
 */
function busyHost(clock: VirtualClock, link: ByteDuplex, untilMs: number, readTurnMs: number): { clock: Clock; link: ByteDuplex } {
  return {
    clock: {
      nowMs: () => clock.nowMs(),
      setTimer: (callback, delayMs) => clock.setTimer(callback, Math.max(delayMs, untilMs - clock.nowMs())),
      afterIo: (callback) => clock.afterIo(callback),
    },
    link: {
      write: (bytes) => link.write(bytes),
      onData: (listener) =>
        link.onData((bytes) => {
          const waitMs = untilMs + readTurnMs - clock.nowMs();
          if (waitMs <= 0) listener(bytes);
          else clock.setTimer(() => listener(bytes), waitMs);
        }),
    },
  };
}

describe('Feetech bus master on a busy host', () => {
  function busySetup() {
    const { clock, chain } = setup();
    const emulated = new EmulatedLink(clock, chain, BAUD);
    // Busy for 20 ms from the request on, well past a Ping's 4.1 ms timeout at a 1 ms latency timer.
    const host = busyHost(clock, emulated, 20, 0.5);
    const bus = new FtBus({ link: host.link, clock: host.clock, baudRate: BAUD, servos: new Map(), latencyMs: 1 });
    return { clock, bus };
  }

  test('a servo that answered while the host was busy past the timeout is found: the answer gets its time again once the host is back', async () => {
    const { clock, bus } = busySetup();
    const answer = await run(clock, bus.ping(3));
    assert.ok(!(answer instanceof ServoBusError), answer instanceof ServoBusError ? answer.message : '');
    assert.equal(answer.modelNumber, 777);
  });

  test('an absent servo still times out on a busy host, one timeout after the host is back', async () => {
    const { clock, bus } = busySetup();
    const started = clock.nowMs();
    let settledAt = -1;
    const missing = run(
      clock,
      bus.ping(9).finally(() => (settledAt = clock.nowMs())),
    );
    const error = await missing;
    assert.ok(error instanceof ServoBusError && error.kind === 'timeout', JSON.stringify(error));
    assert.ok(settledAt - started > 20 && settledAt - started < 30, `timed out ${settledAt - started} ms after the Ping`);
  });

  test('on a host late at every deadline, an absent servo still times out: its answers get their time again only once', async () => {
    const { clock, chain } = setup();
    const emulated = new EmulatedLink(clock, chain, BAUD);
    // Every timer fires 10 ms late, far beyond the host allowance.
    const lateHost: Clock = {
      nowMs: () => clock.nowMs(),
      setTimer: (callback, delayMs) => clock.setTimer(callback, delayMs + 10),
      afterIo: (callback) => clock.afterIo(callback),
    };
    const bus = new FtBus({ link: emulated, clock: lateHost, baudRate: BAUD, servos: new Map(), latencyMs: 1 });
    const started = clock.nowMs();
    let settledAt = -1;
    const error = await run(
      clock,
      bus.ping(9).finally(() => (settledAt = clock.nowMs())),
    );
    assert.ok(error instanceof ServoBusError && error.kind === 'timeout', JSON.stringify(error));
    // Two timeouts of about 4 ms, each seen 10 ms late.
    assert.ok(settledAt - started > 20 && settledAt - started < 40, `timed out ${settledAt - started} ms after the Ping`);
  });
});
