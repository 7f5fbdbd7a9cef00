import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { DeviceRobot } from '../../src/device/device-robot.js';
import { RobotLinkError } from '../../src/device/errors.js';
import { expectationFromCalibration } from '../../src/device/joint-map.js';
import { DeviceSession } from '../../src/device/session.js';
import type { JointCommand, JointState } from '../../src/core/joint-state.js';
import { SimDevice } from '../../src/firmware-sim/device.js';
import { FrameDecoder, MessageType, seqDelta } from '../../src/protocol/index.js';
import { MemoryWire } from '../../src/transport/memory.js';
import { VirtualClock } from './virtual-clock.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers) await close();
});

/** The simulated firmware on one end of an in-memory wire, the robot on the other, all in virtual time. */
async function rig(robot = 'sim-reacher') {
  const calibration = loadCalibration(robot);
  const clock = new VirtualClock();
  const wire = new MemoryWire({ clock });
  const device = await SimDevice.create({ calibration, transport: wire.device, clock, seed: 3 });
  const session = new DeviceSession({ transport: wire.host, expectation: expectationFromCalibration(calibration), clock });
  const log: string[] = [];
  const robotUnderTest = new DeviceRobot({ calibration, session, reconnectTimeoutMs: 20_000, log: (line) => log.push(line) });
  const sentToDevice = wire.record('host');
  await device.start();
  session.start();
  closers.push(async () => {
    await robotUnderTest.close();
    await device.close();
  });
  /** Advances virtual time until `promise` settles (or `limitMs` passes). */
  const drive = async <T>(promise: Promise<T>, limitMs = 20_000): Promise<T> => {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    watched.catch(() => undefined);
    await clock.advanceUntil(() => settled, limitMs, 5);
    assert.ok(settled, `still pending after ${limitMs} ms of virtual time`);
    return watched;
  };
  return { calibration, clock, wire, device, session, robot: robotUnderTest, log, sentToDevice, drive };
}

/** Targets of the JOINT_COMMANDs among recorded frames, shape (commands, joints). */
function commandTargets(frames: Uint8Array[]): number[][] {
  const targets: number[][] = [];
  const decoder = new FrameDecoder((message) => {
    if (message.type === MessageType.JOINT_COMMAND) targets.push([...message.target]);
  });
  for (const frame of frames) decoder.push(frame);
  return targets;
}

function hold(state: JointState, joints: number): JointCommand {
  return { mode: 'position', target: state.positionRad.slice(0, joints), answersSeq: state.seq };
}

describe('device robot over the simulated firmware (virtual time)', () => {
  test('startEpisode homes the arm to the start pose, jerk-limited, and step answers each state', async () => {
    const { robot, drive, sentToDevice, calibration, clock } = await rig();
    const target = Float64Array.of(1.0, -0.8);
    const start = await drive(robot.startEpisode({ positionRad: target, velocityRadS: Float64Array.of(3, 3) }));
    for (let j = 0; j < 2; j++)
      assert.ok(Math.abs(start.positionRad[j] - target[j]) < 0.03, `joint ${j} at ${start.positionRad[j]} rad, target ${target[j]}`);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(start.velocityRadS[j]) < 0.1, 'at rest: the start velocity is ignored on hardware');
    // The homing commands move no faster than half the velocity limit (the homing scale).
    const homing = commandTargets(sentToDevice);
    const maxStepRad = (0.5 * calibration.joints[0].limits.maxVelocityRadS) / calibration.controlHz;
    assert.ok(homing.length >= 1.0 / maxStepRad, `${homing.length} commands cannot cover 1 rad at half speed`);
    for (let i = 1; i < homing.length; i++) {
      for (let j = 0; j < 2; j++)
        assert.ok(Math.abs(homing[i][j] - homing[i - 1][j]) <= maxStepRad + 1e-6, `command ${i} joint ${j} jumps`);
    }
    let state = start;
    for (let i = 0; i < 25; i++) {
      const answered = state.seq;
      // The robot hands out one state object, updated in place (the loop copies what it keeps).
      const next = await drive(robot.step(hold(state, 2)));
      assert.equal(seqDelta(next.seq, answered), 1, 'the next state, none skipped');
      assert.equal(next.deviceFault, false);
      assert.ok(next.ageUs < 1000, `age ${next.ageUs} µs`);
      state = next;
    }
    assert.equal(robot.report().skippedStates, 0);
    // A tick that comes late: a newer state arrived meanwhile, and the one before it was never answered.
    await clock.advance(25);
    await drive(robot.step(hold(state, 2)));
    const report = robot.report();
    assert.equal(report.skippedStates, 1);
    assert.ok(report.tick.count > 60);
    assert.equal(report.session.naks.STALE ?? 0, 0);
    assert.ok(Math.abs(report.stateInterval.p50Ms - 20) < 1, `state interval ${report.stateInterval.p50Ms} ms at 50 Hz`);
  });

  test('a stalled device: the pending step rejects (watchdog), the next episode starts once it is back', async () => {
    const { robot, drive, device, log } = await rig();
    let state = await drive(robot.startEpisode({ positionRad: Float64Array.of(0.3, 0.3), velocityRadS: null }));
    state = await drive(robot.step(hold(state, 2)));
    device.inject({ kind: 'stall', amount: 1.5 });
    const error = await drive(
      robot.step(hold(state, 2)).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    assert.ok(error instanceof RobotLinkError, String(error));
    assert.equal(error.kind, 'watchdog');
    assert.equal(error.fatal, false);
    await drive(robot.stop(error.message));
    const again = await drive(robot.startEpisode({ positionRad: Float64Array.of(0, 0), velocityRadS: null }));
    assert.ok(Math.abs(again.positionRad[0]) < 0.03);
    assert.ok(
      log.some((line) => /watchdog: no state frame for 500 ms/.test(line)),
      log.join('\n'),
    );
  });

  test('a latched device fault rejects the step; the next episode clears it and moves again', async () => {
    const { robot, drive, device, sentToDevice } = await rig();
    let state = await drive(robot.startEpisode({ positionRad: Float64Array.of(0.2, 0), velocityRadS: null }));
    device.inject({ kind: 'fault', amount: 0 });
    let error: unknown = null;
    for (let i = 0; i < 5 && error === null; i++) {
      await drive(
        robot.step(hold(state, 2)).then(
          (next) => (state = next),
          (e: unknown) => (error = e),
        ),
      );
    }
    assert.ok(error instanceof RobotLinkError);
    assert.equal(error.kind, 'fault');
    assert.match(error.message, /FOLLOWING_ERROR on joint 0/);
    const frames = sentToDevice.length;
    await drive(robot.startEpisode({ positionRad: Float64Array.of(0, 0), velocityRadS: null }));
    assert.ok(sentToDevice.length > frames);
    assert.equal(device.firmware.torqueEnabled, true);
  });

  test('stop puts the device in its safe state (torque off)', async () => {
    const { robot, drive, device } = await rig();
    await drive(robot.startEpisode({ positionRad: Float64Array.of(0, 0), velocityRadS: null }));
    assert.equal(device.firmware.torqueEnabled, true);
    await drive(robot.stop('test'));
    assert.equal(device.firmware.torqueEnabled, false);
  });

  test('an effort-driven robot is not positioned: it gets zero effort and starts once at rest', async () => {
    const { robot, drive, sentToDevice } = await rig('pendulum');
    const start = await drive(robot.startEpisode({ positionRad: Float64Array.of(2), velocityRadS: null }));
    const efforts = commandTargets(sentToDevice).flat();
    // 250 ms of rest at 20 Hz: five periods.
    assert.ok(efforts.length >= 5, `${efforts.length} commands`);
    assert.ok(
      efforts.every((effort) => effort === 0),
      'zero effort only',
    );
    assert.ok(Math.abs(start.velocityRadS[0]) <= 0.05);
    assert.ok(Math.abs(start.positionRad[0] - 2) > 1, 'not driven to the requested pose');
  });
});
