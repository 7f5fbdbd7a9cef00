import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration, parseCalibration } from '../../src/calibration/load.js';
import { Backoff } from '../../src/device/backoff.js';
import { buildCalibrationJson } from '../../src/device/calibrate.js';
import { deviceMismatches, expectationFromCalibration, JointMap } from '../../src/device/joint-map.js';
import { LatencyRecorder } from '../../src/device/latency.js';
import { createJointState } from '../../src/core/joint-state.js';
import { CommandModeBit, MessageType, type JointStateMessage } from '../../src/protocol/index.js';

describe('backoff', () => {
  test('doubles from 250 ms up to 4 s, and starts over after a success', () => {
    const backoff = new Backoff();
    assert.deepEqual(
      Array.from({ length: 7 }, () => backoff.next()),
      [250, 500, 1000, 2000, 4000, 4000, 4000],
    );
    assert.equal(backoff.failures, 7);
    backoff.reset();
    assert.equal(backoff.next(), 250);
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 1, factor: 2 }), /initialMs > 0/);
  });
});

describe('joint map', () => {
  const rawState = (positions: number[]): JointStateMessage => ({
    type: MessageType.JOINT_STATE,
    deviceTimeUs: 0,
    deviceStatus: 0,
    lastCommandSeq: 0,
    commandsRejected: 0,
    activeMode: 0,
    positionRad: Float32Array.from(positions),
    velocityRadS: Float32Array.from(positions.map((p) => 10 * p)),
    effortNm: new Float32Array(positions.length),
    jointStatus: new Uint8Array(positions.length),
  });

  test('device order and raw units ↔ calibration order and joint angles, both ways', () => {
    const calibration = loadCalibration('sim-reacher');
    calibration.joints[1].offsetRad = 0.25;
    calibration.joints[1].direction = -1;
    // The device lists the elbow first.
    const map = new JointMap(calibration, ['elbow', 'shoulder']);
    const state = createJointState(2);
    map.toJointState(rawState([0.75, -0.5]), state);
    assert.deepEqual([...state.positionRad], [-0.5, -(0.75 - 0.25)]);
    assert.deepEqual(
      [...state.velocityRadS].map((v) => Math.fround(v)),
      [Math.fround(-5), Math.fround(-7.5)],
    );
    const out = new Float32Array(2);
    map.toDeviceTargets([0.1, -0.5], true, rawState([0, 0]), out);
    assert.deepEqual([...out], [Math.fround(0.75), Math.fround(0.1)], 'raw = direction × angle + offset');
    map.toDeviceTargets([0.3, 0.2], false, rawState([0, 0]), out);
    assert.deepEqual([...out], [Math.fround(-0.2), Math.fround(0.3)], 'efforts only turn with the direction');
  });

  test('a DEVICE_INFO that breaks its own ranges (PROTOCOL.md § 6.2) is refused naming the field', () => {
    const device = {
      deviceId: 'x',
      jointNames: ['elbow', 'shoulder'],
      supportedModes: 0,
      minStateRateHz: 100,
      maxStateRateHz: 10,
      defaultStateRateHz: 50,
      defaultWatchdogMs: 5,
    };
    const problems = deviceMismatches(device, { jointNames: null, commandMode: 0, stateRateHz: 0 });
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^supported_modes: the device announces no command mode \(0\)$/);
    assert.match(problems[1], /^state rates: the device announces min 100, default 50, max 10 Hz/);
    assert.match(problems[2], /^default_watchdog_ms: the device announces 5 ms \(it must be 10–10000\)$/);
    assert.deepEqual(
      deviceMismatches(
        { ...device, supportedModes: CommandModeBit.POSITION, minStateRateHz: 10, maxStateRateHz: 100, defaultWatchdogMs: 10 },
        { jointNames: null, commandMode: 0, stateRateHz: 0 },
      ),
      [],
    );
  });

  test('a device is checked against the calibration: joints, mode, rate', () => {
    const expectation = expectationFromCalibration(loadCalibration('sim-reacher'));
    const device = {
      deviceId: 'x',
      jointNames: ['elbow', 'shoulder'],
      supportedModes: CommandModeBit.POSITION,
      minStateRateHz: 10,
      maxStateRateHz: 100,
      defaultStateRateHz: 50,
      defaultWatchdogMs: 500,
    };
    assert.deepEqual(deviceMismatches(device, expectation), []);
    const problems = deviceMismatches(
      {
        ...device,
        jointNames: ['shoulder'],
        supportedModes: CommandModeBit.EFFORT | CommandModeBit.VELOCITY,
        maxStateRateHz: 20,
        defaultStateRateHz: 20,
      },
      expectation,
    );
    assert.equal(problems.length, 3);
    assert.match(problems[0], /missing elbow/);
    assert.match(problems[1], /needs position, the device accepts velocity, effort/);
    assert.match(problems[2], /runs at 50 Hz, the device streams 10–20 Hz/);
    assert.deepEqual(
      deviceMismatches(device, { jointNames: null, commandMode: 0, stateRateHz: 0 }),
      [],
      'calibration of a new robot accepts any device',
    );
  });
});

describe('latency recorder', () => {
  test('nearest-rank percentiles, maximum and samples over the deadline', () => {
    const recorder = new LatencyRecorder(1000);
    for (let i = 1; i <= 100; i++) recorder.add(i / 10);
    const summary = recorder.summary(9.5);
    assert.deepEqual(summary, { count: 100, p50Ms: 5, p99Ms: 9.9, maxMs: 10, missed: 5 });
    const small = new LatencyRecorder(4);
    [50, 1, 2, 3, 4].forEach((value) => small.add(value));
    assert.equal(small.summary().p99Ms, 4, 'keeps the newest samples');
    assert.equal(small.summary().maxMs, 50, 'the maximum covers every sample');
  });
});

describe('calibration from recordings', () => {
  const recordings = [
    { name: 'shoulder', minRaw: -2.3, maxRaw: 2.9, homeRaw: 0.3 },
    { name: 'elbow', minRaw: -2.4, maxRaw: 2.4, homeRaw: 0 },
  ];

  test('with a template: offsets put home at its homeRad, ranges inset, the rest from the template; valid', () => {
    const template = loadCalibration('sim-reacher');
    const json = buildCalibrationJson({
      robot: 'arm-2',
      joints: recordings,
      defaultStateRateHz: 100,
      supportsPosition: true,
      supportsEffort: false,
      template,
      twinMjcf: '../calibration/sim-reacher.xml',
    });
    const calibration = parseCalibration(json, `${template.sourcePath.replace(/[^/]+$/, '')}arm-2.json`);
    const shoulder = calibration.joints[0];
    assert.equal(shoulder.offsetRad, 0.3);
    assert.deepEqual([shoulder.limits.minPositionRad, shoulder.limits.maxPositionRad], [-2.58, 2.58]);
    assert.equal(shoulder.limits.maxVelocityRadS, template.joints[0].limits.maxVelocityRadS);
    assert.equal(calibration.controlHz, 50);
    assert.equal(calibration.robot, 'arm-2');
  });

  test('without a template: conservative limits, the device rate, position mode; effort robots need one', () => {
    const json = buildCalibrationJson({
      robot: 'new-arm',
      joints: recordings,
      defaultStateRateHz: 100,
      supportsPosition: true,
      supportsEffort: true,
      template: null,
      twinMjcf: null,
    });
    const calibration = parseCalibration(json, '/tmp/new-arm.json');
    assert.equal(calibration.controlHz, 100);
    assert.equal(calibration.commandMode, 'position');
    assert.equal(calibration.joints[1].limits.maxVelocityRadS, 1);
    assert.equal(calibration.twin, null);
    assert.throws(
      () =>
        buildCalibrationJson({
          robot: 'x',
          joints: recordings,
          defaultStateRateHz: 20,
          supportsPosition: false,
          supportsEffort: true,
          template: null,
          twinMjcf: null,
        }),
      /effort-driven robot needs a template/,
    );
  });
});
