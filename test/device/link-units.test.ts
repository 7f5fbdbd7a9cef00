import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Heartbeat, feedingPeriodMs } from '../../src/device/heartbeat.js';
import { HostWatchdog } from '../../src/device/host-watchdog.js';
import { RoundTripMeter } from '../../src/device/round-trip.js';
import { VirtualClock } from './virtual-clock.js';

describe('host watchdog', () => {
  test('states every 20 ms keep it quiet; 500 ms without one trips it once, counted from the last state', async () => {
    const clock = new VirtualClock();
    const trips: { atMs: number; quietMs: number }[] = [];
    const watchdog = new HostWatchdog(clock, 500, (quietMs) => trips.push({ atMs: clock.nowMs(), quietMs }));
    watchdog.start();
    for (let t = 20; t <= 2000; t += 20) {
      await clock.advance(20);
      watchdog.stateAt(clock.nowMs());
    }
    assert.deepEqual(trips, []);
    await clock.advance(2000);
    assert.deepEqual(trips, [{ atMs: 2500, quietMs: 500 }]);
  });

  test('a late timer looks at the states that arrived meanwhile before it trips', async () => {
    const clock = new VirtualClock();
    const trips: number[] = [];
    const watchdog = new HostWatchdog(clock, 500, () => trips.push(clock.nowMs()));
    watchdog.start();
    // Due at the same moment as the watchdog's timer, after it: the state read once the timer has fired.
    clock.setTimer(() => watchdog.stateAt(clock.nowMs()), 500);
    await clock.advance(999);
    assert.deepEqual(trips, []);
    await clock.advance(1);
    assert.deepEqual(trips, [1000]);
  });

  test('stopped, it stays quiet, even with a check already waiting for I/O; start watches again from then', async () => {
    const clock = new VirtualClock();
    const trips: number[] = [];
    const watchdog = new HostWatchdog(clock, 500, () => trips.push(clock.nowMs()));
    watchdog.start();
    clock.setTimer(() => watchdog.stop(), 500);
    await clock.advance(3000);
    assert.deepEqual(trips, []);
    watchdog.start();
    await clock.advance(1000);
    assert.deepEqual(trips, [3500]);
  });
});

describe('heartbeat', () => {
  test('feeds every third of the device watchdog, at most every second', () => {
    assert.equal(feedingPeriodMs(300), 100);
    assert.equal(feedingPeriodMs(6000), 1000);
    assert.equal(feedingPeriodMs(null), 1000, 'a device that says nothing is assumed to wait 3 s');
  });

  test('beats while nothing else feeds the device; commands that feed it keep it silent', async () => {
    const clock = new VirtualClock();
    const beats: number[] = [];
    const heartbeat = new Heartbeat(
      clock,
      () => 300,
      (nowMs) => beats.push(nowMs) > 0,
    );
    heartbeat.start();
    await clock.advance(350);
    assert.deepEqual(beats, [0, 100, 200, 300]);
    for (let t = 0; t < 500; t += 20) {
      heartbeat.fedAt(clock.nowMs());
      await clock.advance(20);
    }
    assert.deepEqual(beats, [0, 100, 200, 300], 'no heartbeat while commands feed the device');
    await clock.advance(150);
    assert.deepEqual(beats.slice(4), [950], 'the first check a period after the last command');
    heartbeat.stop();
    await clock.advance(1000);
    assert.equal(beats.length, 5);
  });

  test('a beat the link could not take is tried again at the next check; the period follows the device watchdog as it becomes known', async () => {
    const clock = new VirtualClock();
    let open = false;
    let deviceWatchdogMs: number | null = null;
    const beats: number[] = [];
    const heartbeat = new Heartbeat(
      clock,
      () => deviceWatchdogMs,
      (nowMs) => open && beats.push(nowMs) > 0,
    );
    heartbeat.start();
    await clock.advance(1200);
    assert.deepEqual(beats, []);
    open = true;
    await clock.advance(400);
    assert.deepEqual(beats, [1500], 'checked every 500 ms while the device watchdog is unknown (1 s period)');
    deviceWatchdogMs = 150;
    heartbeat.start();
    await clock.advance(120);
    assert.deepEqual(beats, [1500, 1600, 1650, 1700]);
    heartbeat.stop();
  });
});

describe('round-trip meter', () => {
  test('command sent → first state naming it, measured once per command', () => {
    const meter = new RoundTripMeter();
    meter.sent(5, 0);
    meter.sent(6, 10);
    meter.seen(5, 30);
    meter.seen(5, 40);
    meter.seen(6, 22);
    meter.seen(7, 50);
    const summary = meter.summary();
    assert.equal(summary.count, 2);
    assert.equal(summary.maxMs, 30);
    assert.equal(summary.p50Ms, 12);
  });

  test('forgets commands the device never named once 16 newer ones were sent', () => {
    const meter = new RoundTripMeter();
    for (let seq = 0; seq < 17; seq++) meter.sent(seq, seq);
    meter.seen(0, 100);
    assert.equal(meter.summary().count, 0);
    meter.seen(1, 100);
    assert.equal(meter.summary().count, 1);
  });
});
