/**
 * The bus robot against emulated servo chains (the vendors' control tables and status rules, an
 * ideal plant) on an in-memory link in real time: homing, telemetry, the start-up checks, a servo
 * that drops out, hardware errors. The same over a pseudo-terminal against the MuJoCo-backed
 * emulator is in test/hardware/.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BusRobot } from '../../src/bus-robot/bus-robot.js';
import { BusJoints } from '../../src/bus-robot/bus-joints.js';
import { DynamixelDriver } from '../../src/bus-robot/dynamixel-driver.js';
import { FeetechDriver } from '../../src/bus-robot/feetech-driver.js';
import { loadCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { RobotLinkError } from '../../src/device/errors.js';
import type { IdealPlant } from '../../src/servo-bus/index.js';
import { ChainLink, chainFor } from './support.js';

interface Rig {
  robot: BusRobot;
  link: ChainLink;
  plant: IdealPlant;
  log: string[];
  events: [string, string][];
}

function rig(calibration: Calibration, options: { reconnectTimeoutMs?: number; startRad?: number[] } = {}): Rig {
  const { chain, plant } = chainFor(calibration);
  calibration.joints.forEach((joint, j) =>
    plant.setSensing(joint.servo?.id ?? -1, { positionRad: options.startRad?.[j] ?? joint.homeRad }),
  );
  const link = new ChainLink(chain);
  const tables = new BusJoints(calibration).tables;
  const baud = calibration.bus?.baudRate ?? 1_000_000;
  const log: string[] = [];
  const events: [string, string][] = [];
  const robot = new BusRobot({
    calibration,
    where: 'the test link',
    openLink: () => {
      link.isOpen = true;
      return Promise.resolve(link);
    },
    createDriver: (l, clock) =>
      calibration.bus?.protocol === 'dynamixel' ? new DynamixelDriver(l, clock, baud, tables) : new FeetechDriver(l, clock, baud, tables),
    reconnectTimeoutMs: options.reconnectTimeoutMs ?? 2000,
    watchdogMs: 200,
    log: (line) => log.push(line),
    event: (kind, detail) => events.push([kind, detail]),
  });
  return { robot, link, plant, log, events };
}

/** Lets the bytes written last reach the emulated chain. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

const rejection = async (promise: Promise<unknown>): Promise<RobotLinkError> => {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RobotLinkError, `expected a RobotLinkError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
};

for (const name of ['koch', 'so101']) {
  describe(`bus robot: ${name}`, () => {
    const calibration = loadCalibration(name);
    const home = Float64Array.from(calibration.joints.map((joint) => joint.homeRad));

    test('homes from where the arm stands without a jump, steps at the control rate, reports telemetry, stops with torque off', async () => {
      const start = calibration.joints.map((joint) => joint.homeRad + 0.2 * Math.sign(-joint.homeRad || 1));
      const { robot, plant, events, link: chainLink, log } = rig(calibration, { startRad: start });
      let state = await robot.startEpisode({ positionRad: home, velocityRadS: null });
      // The Dynamixel Bus Watchdog is armed on every servo (200 ms in its 20 ms units); an STS3215 has none to arm.
      if (name === 'koch') {
        const watchdogs = calibration.joints.map((joint) => chainLink.chain.servo(joint.servo?.id ?? -1)?.memory.get('busWatchdog'));
        assert.deepEqual(watchdogs, new Array(home.length).fill(10));
        assert.ok(log.some((line) => /servo bus watchdog armed: a servo stops by itself after 200 ms/.test(line)));
      } else {
        assert.ok(!log.some((line) => /watchdog armed/.test(line)));
      }
      // Torque went on with every goal where its servo stood, not where a previous goal was.
      const firstOn = plant.actuations.filter((a) => a.actuation.torqueEnabled);
      for (const [j, joint] of calibration.joints.entries()) {
        const first = firstOn.find((a) => a.id === joint.servo?.id);
        assert.ok(first, `${joint.name} got torque`);
        assert.ok(
          Math.abs(first.actuation.goalPositionRad - start[j]) < 0.002,
          `${joint.name}: first goal ${first.actuation.goalPositionRad} at ${start[j]}`,
        );
      }
      for (let j = 0; j < home.length; j++) assert.ok(Math.abs(state.positionRad[j] - home[j]) < 0.02, `joint ${j} at home`);
      const telemetry = state.telemetry;
      assert.ok(telemetry !== null);
      assert.deepEqual(Array.from(telemetry.voltageV), new Array(home.length).fill(6.5));
      assert.deepEqual(Array.from(telemetry.temperatureC), new Array(home.length).fill(30));
      calibration.joints.forEach((joint, j) => {
        // Current where the model measures it (XL330, STS3215), load where it measures load (XL430, STS3215).
        const measuresCurrent = joint.servo?.model !== 'xl430-w250';
        assert.equal(Number.isNaN(telemetry.currentA[j]), !measuresCurrent, `${joint.name} current`);
        assert.equal(Number.isNaN(telemetry.loadFraction[j]), joint.servo?.model === 'xl330-m288', `${joint.name} load`);
      });

      const target = Float64Array.from(home, (h, j) => (j === 0 ? h + 0.05 : h));
      const periodMs = 1000 / calibration.controlHz;
      const began = performance.now();
      for (let k = 0; k < 10; k++) state = await robot.step({ mode: 'position', target, answersSeq: state.seq });
      const elapsed = performance.now() - began;
      assert.ok(elapsed > 9 * periodMs && elapsed < 100 * periodMs, `10 ticks took ${elapsed.toFixed(1)} ms at ${periodMs} ms per tick`);
      assert.ok(Math.abs(state.positionRad[0] - (home[0] + 0.05)) < 0.002);

      await robot.stop('end of test');
      await settle();
      const last = new Map(plant.actuations.map((a) => [a.id, a.actuation.torqueEnabled]));
      assert.deepEqual([...last.values()], new Array(home.length).fill(false), 'torque off on every servo');
      const link = events.find(([kind]) => kind === 'link');
      assert.ok(link, 'bus figures recorded');
      assert.ok((JSON.parse(link[1]) as { busTime: { count: number } }).busTime.count >= 10);
      await robot.close();
    });

    test('a servo of another model is refused at once, naming the joint, the id and what answered', async () => {
      const wrong = structuredClone(calibration);
      const servo = wrong.joints[2].servo;
      assert.ok(servo);
      const expected = servo.model;
      servo.model = name === 'koch' ? 'xl430-w250' : 'xl330-m288';
      // The emulated chain is the real arm: build it from the right calibration.
      const { robot } = rigWithChainOf(calibration, wrong);
      const error = await rejection(robot.startEpisode({ positionRad: home, velocityRadS: null }));
      assert.equal(error.kind, 'device_mismatch');
      assert.equal(error.fatal, true);
      assert.match(error.message, new RegExp(`joint '${wrong.joints[2].name}' \\(id 3, .*\\) answered Ping on the test link as`));
      assert.match(error.message, name === 'koch' ? /XL330-M288 \(model 1200\)/ : /STS3215 \(model 777\)/);
      assert.ok(expected);
      await robot.close();
    });

    test('a missing servo at start: retried until --reconnect-s, then the run fails naming it', async () => {
      const { robot, link } = rig(calibration, { reconnectTimeoutMs: 600 });
      link.unplug(4);
      const began = performance.now();
      const error = await rejection(robot.startEpisode({ positionRad: home, velocityRadS: null }));
      assert.equal(error.kind, 'link_down');
      assert.match(error.message, new RegExp(`joint '${calibration.joints[3].name}' \\(id 4, [^)]+\\) does not answer Ping`));
      assert.match(error.message, /gave up after 0\.6 s/);
      assert.ok(performance.now() - began >= 500);
      await robot.close();
    });

    test('a servo that drops out mid-episode ends the episode naming it; the next episode starts once it is back', async () => {
      const { robot, link } = rig(calibration);
      let state = await robot.startEpisode({ positionRad: home, velocityRadS: null });
      link.unplug(5);
      const error = await rejection(robot.step({ mode: 'position', target: home, answersSeq: state.seq }));
      assert.equal(error.kind, 'link_lost');
      assert.equal(error.fatal, false);
      assert.match(error.message, new RegExp(`joint '${calibration.joints[4].name}' \\(id 5, [^)]+\\) stopped answering`));
      // Later steps of the episode fail the same way without touching the bus.
      await rejection(robot.step({ mode: 'position', target: home, answersSeq: state.seq }));
      await robot.stop(error.message);
      setTimeout(() => link.plugIn(5), 300);
      state = await robot.startEpisode({ positionRad: home, velocityRadS: null });
      state = await robot.step({ mode: 'position', target: home, answersSeq: state.seq });
      assert.ok(Math.abs(state.positionRad[0] - home[0]) < 0.02);
      await robot.close();
    });

    test('an overheating servo ends the episode in words with torque off everywhere; the next start refuses it', async () => {
      const { robot, plant } = rig(calibration);
      const state = await robot.startEpisode({ positionRad: home, velocityRadS: null });
      plant.setSensing(2, { temperatureC: 95 });
      const error = await rejection(robot.step({ mode: 'position', target: home, answersSeq: state.seq }));
      await settle();
      assert.equal(error.kind, 'fault');
      assert.match(
        error.message,
        new RegExp(`joint '${calibration.joints[1].name}' \\(id 2, [^)]+\\) reports (overheating|overheat); torque is off on every servo`),
      );
      const torque = new Map(plant.actuations.map((a) => [a.id, a.actuation.torqueEnabled]));
      assert.deepEqual([...torque.values()], new Array(home.length).fill(false));
      await robot.stop(error.message);
      const again = await rejection(robot.startEpisode({ positionRad: home, velocityRadS: null }));
      assert.equal(again.kind, 'reboot_required');
      assert.match(again.message, /id 2/);
      await robot.close();
    });
  });
}

/** A robot configured by `configured` driving the chain of the real arm `real`. */
function rigWithChainOf(real: Calibration, configured: Calibration): Rig {
  const { chain, plant } = chainFor(real);
  real.joints.forEach((joint) => plant.setSensing(joint.servo?.id ?? -1, { positionRad: joint.homeRad }));
  const link = new ChainLink(chain);
  const tables = new BusJoints(configured).tables;
  const baud = configured.bus?.baudRate ?? 1_000_000;
  const robot = new BusRobot({
    calibration: configured,
    where: 'the test link',
    openLink: () => Promise.resolve(link),
    createDriver: (l, clock) =>
      configured.bus?.protocol === 'dynamixel' ? new DynamixelDriver(l, clock, baud, tables) : new FeetechDriver(l, clock, baud, tables),
    reconnectTimeoutMs: 1000,
    watchdogMs: 200,
  });
  return { robot, link, plant, log: [], events: [] };
}
