import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { RealTimeRobot } from '../../src/sim/real-time-robot.js';
import { SimRobot } from '../../src/sim/sim-robot.js';
import { VirtualClock } from '../device/virtual-clock.js';
import type { JointCommand } from '../../src/core/joint-state.js';

const start = { positionRad: new Float64Array([0.5]), velocityRadS: null };
const command: JointCommand = { mode: 'effort', target: new Float64Array([0.3]), answersSeq: 0 };

/** Advances `clock` until `promise` settles; returns the virtual milliseconds it took. */
async function timed<T>(clock: VirtualClock, promise: Promise<T>): Promise<number> {
  const from = clock.nowMs();
  let settled = false;
  void promise.finally(() => (settled = true));
  assert.ok(await clock.advanceUntil(() => settled, 10_000, 1), 'the step answers');
  return clock.nowMs() - from;
}

test('a real-time twin answers each step one control period after the previous one, and does not make up for a late start with a burst', async () => {
  const calibration = loadCalibration('pendulum');
  const periodMs = 1000 / calibration.controlHz;
  const clock = new VirtualClock();
  const robot = new RealTimeRobot(await SimRobot.create(calibration, 0), calibration.controlHz, clock);
  try {
    robot.startEpisode(start);
    for (let i = 0; i < 5; i++)
      assert.ok(Math.abs((await timed(clock, robot.step(command))) - periodMs) <= 1, `step ${i} takes one period`);
    // The host is away for ten periods: the next step is one period from now, not ten steps at once.
    await clock.advance(10 * periodMs);
    assert.ok(Math.abs((await timed(clock, robot.step(command))) - periodMs) <= 1, 'after a pause, one period');
    assert.ok(Math.abs((await timed(clock, robot.step(command))) - periodMs) <= 1, 'and the next one too');
  } finally {
    robot.close();
  }
});

test('a real-time twin moves as the free-running twin does', async () => {
  const calibration = loadCalibration('pendulum');
  const clock = new VirtualClock();
  const paced = new RealTimeRobot(await SimRobot.create(calibration, 0), calibration.controlHz, clock);
  const free = await SimRobot.create(calibration, 0);
  try {
    paced.startEpisode(start);
    free.startEpisode(start);
    for (let i = 0; i < 20; i++) {
      const step = paced.step(command);
      await timed(clock, step);
      assert.deepEqual([...(await step).positionRad], [...free.step(command).positionRad]);
    }
  } finally {
    paced.close();
    free.close();
  }
});
