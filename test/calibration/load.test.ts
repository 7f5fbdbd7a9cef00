import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { CalibrationError, loadCalibration, parseCalibration, resolveCalibrationPath } from '../../src/calibration/load.js';
import { CENTRE_TICKS, rawRadFromTicks, ticksFromRawRad } from '../../src/calibration/servo.js';
import { buildCalibrationJson } from '../../src/device/calibrate.js';

const reacherPath = resolveCalibrationPath('sim-reacher');
const reacher = (): Record<string, any> => JSON.parse(readFileSync(reacherPath, 'utf8'));

describe('calibration files', () => {
  test('the shipped sim-reacher loads', () => {
    const calibration = loadCalibration('sim-reacher');
    assert.equal(calibration.robot, 'sim-reacher');
    assert.equal(calibration.joints.length, 2);
    assert.equal(calibration.commandMode, 'position');
    assert.ok(calibration.twin?.mjcf.endsWith('sim-reacher.xml'));
  });

  const cases: [string, (json: Record<string, any>) => void, RegExp][] = [
    ['negative velocity limit', (j) => (j.joints[1].limits.maxVelocityRadS = -1), /joints\[1\]\.limits\.maxVelocityRadS must be between 0\.001 and 10000 rad\/s \(got -1\)/],
    ['a velocity limit of 1e-300', (j) => (j.joints[0].limits.maxVelocityRadS = 1e-300), /joints\[0\]\.limits\.maxVelocityRadS must be between 0\.001 and 10000 rad\/s \(got 1e-300\)/],
    ['a latency of 1e9 ticks', (j) => (j.twin.realism.latencyTicks = 1e9), /twin\.realism\.latencyTicks must be a whole number from 0 to 100 \(got 1000000000\)/],
    ['a control rate of 1e9 Hz', (j) => (j.controlHz = 1e9), /controlHz must be between 1 and 2000 Hz \(got 1000000000\)/],
    ['a position beyond 1000 rad', (j) => (j.joints[0].limits.maxPositionRad = 1e12), /joints\[0\]\.limits\.maxPositionRad must be between -1000 and 1000 rad/],
    ['a joint name too long for the protocol', (j) => (j.joints[0].name = 'j'.repeat(17)), /joints\[0\]\.name must be 1 to 16 letters/],
    [
      '40 joints',
      (j) => (j.joints = Array.from({ length: 40 }, (_, i) => ({ ...j.joints[0], name: `j${i}` }))),
      /joints and passiveJoints list 40 joints: at most 32/,
    ],
    ['missing field', (j) => delete j.joints[0].limits.maxJerkRadS3, /joints\[0\]\.limits\.maxJerkRadS3 is missing/],
    ['wrong type', (j) => (j.controlHz = 'fast'), /controlHz must be a number \(got 'fast'\)/],
    ['home outside soft range', (j) => (j.joints[0].homeRad = 2.55), /joints\[0\]\.homeRad must lie inside the soft position range/],
    ['bad direction', (j) => (j.joints[0].direction = 0), /joints\[0\]\.direction must be 1 or -1/],
    ['duplicate joint name', (j) => (j.joints[1].name = 'shoulder'), /joints\[1\]\.name repeats 'shoulder'/],
    ['unknown command mode', (j) => (j.commandMode = 'velocity'), /commandMode must be one of position, effort/],
    ['future schema', (j) => (j.schemaVersion = 2), /schemaVersion must be 1/],
    ['continuous joint in position mode', (j) => {
      j.joints[0].limits.minPositionRad = null;
      j.joints[0].limits.maxPositionRad = null;
    }, /joints\[0\]\.limits\.minPositionRad is required \(not null\) when commandMode is "position"/],
    ['margin eats the range', (j) => (j.joints[0].limits.softMarginRad = 3), /maxPositionRad must exceed minPositionRad by more than twice softMarginRad/],
    ['missing MJCF', (j) => (j.twin.mjcf = 'nope.xml'), /twin\.mjcf names a file that does not exist/],
    ['negative latency', (j) => (j.twin.realism.latencyTicks = -1), /twin\.realism\.latencyTicks must not be negative/],
    ['a default task that is no name', (j) => (j.defaultTask = 'swing up'), /defaultTask must be 1 to 64 letters, digits/],
    ['a default task that is no string', (j) => (j.defaultTask = 3), /defaultTask must be a string \(got 3\)/],
  ];
  for (const [name, corrupt, message] of cases) {
    test(`rejects ${name}, naming the field`, () => {
      const json = reacher();
      corrupt(json);
      assert.throws(() => parseCalibration(json, reacherPath), (error: unknown) => {
        assert.ok(error instanceof CalibrationError);
        assert.match(error.message, message);
        assert.ok(error.message.startsWith(reacherPath), 'the message names the file');
        return true;
      });
    });
  }

  test('each twin names its default task; a task module is found beside the calibration', () => {
    const defaults = ['sim-reacher', 'arm', 'pendulum', 'furuta', 'so101', 'koch'].map((robot) => loadCalibration(robot).defaultTask);
    assert.deepEqual(defaults, ['reach', 'reach', 'swingup', 'furuta', 'reach', 'reach']);
    const json = reacher();
    json.defaultTask = './tasks/mine.mjs';
    assert.equal(parseCalibration(json, reacherPath).defaultTask, join(dirname(reacherPath), 'tasks', 'mine.mjs'));
    delete json.defaultTask;
    assert.equal(parseCalibration(json, reacherPath).defaultTask, null);
  });

  test('unknown robot name lists where it looked', () => {
    assert.throws(() => loadCalibration('no-such-robot'), /no calibration named 'no-such-robot'/);
  });
});

describe('servo-bus fields', () => {
  /** sim-reacher as if its two joints were STS3215 servos 1 and 2 on a Feetech bus. */
  const onBus = (): Record<string, any> => {
    const json = reacher();
    json.bus = { protocol: 'feetech', baudRate: 1_000_000 };
    json.joints[0].servo = { id: 1, model: 'sts3215' };
    json.joints[1].servo = { id: 2, model: 'sts3215' };
    return json;
  };

  test('a bus robot loads with its bus and each joint\'s servo; other robots have none', () => {
    const calibration = parseCalibration(onBus(), reacherPath);
    assert.deepEqual(calibration.bus, { protocol: 'feetech', baudRate: 1_000_000 });
    assert.deepEqual(calibration.joints.map((joint) => joint.servo), [{ id: 1, model: 'sts3215' }, { id: 2, model: 'sts3215' }]);
    const plain = loadCalibration('sim-reacher');
    assert.equal(plain.bus, null);
    assert.deepEqual(plain.joints.map((joint) => joint.servo), [null, null]);
  });

  const cases: [string, (json: Record<string, any>) => void, RegExp][] = [
    ['servos without a bus', (j) => delete j.bus, /: bus is missing: joints\[0\] \('shoulder'\) names a servo/],
    ['a bus with a joint that names no servo', (j) => delete j.joints[1].servo, /: joints\[1\]\.servo is missing: joint 'elbow' needs one/],
    ['a bus and no servo at all', (j) => j.joints.forEach((joint: Record<string, unknown>) => delete joint.servo), /: joints\[0\]\.servo is missing: joint 'shoulder'/],
    ['two joints on one id', (j) => (j.joints[1].servo.id = 1), /: joints\[1\]\.servo\.id repeats id 1 of joints\[0\] \('shoulder'\)/],
    ['an id above 252', (j) => (j.joints[0].servo.id = 253), /: joints\[0\]\.servo\.id of joint 'shoulder' must be a whole number from 0 to 252 \(got 253\)/],
    ['a negative id', (j) => (j.joints[1].servo.id = -1), /: joints\[1\]\.servo\.id of joint 'elbow' must be a whole number from 0 to 252 \(got -1\)/],
    ['a fractional id', (j) => (j.joints[0].servo.id = 1.5), /: joints\[0\]\.servo\.id of joint 'shoulder' must be a whole number/],
    ['an id that is not a number', (j) => (j.joints[0].servo.id = '1'), /: joints\[0\]\.servo\.id must be a number \(got '1'\)/],
    ['an unknown model', (j) => (j.joints[1].servo.model = 'sts3250'), /: joints\[1\]\.servo\.model of joint 'elbow' must be one of sts3215, xl430-w250, xl330-m288 \(got 'sts3250'\)/],
    ['a missing model', (j) => delete j.joints[0].servo.model, /: joints\[0\]\.servo\.model is missing/],
    ['a model of the other protocol', (j) => (j.joints[0].servo.model = 'xl430-w250'), /: joints\[0\]\.servo\.model 'xl430-w250' of joint 'shoulder' is a dynamixel servo, but bus\.protocol is 'feetech'/],
    ['an unknown protocol', (j) => (j.bus.protocol = 'herkulex'), /: bus\.protocol must be one of feetech, dynamixel \(got 'herkulex'\)/],
    ['a fractional baud rate', (j) => (j.bus.baudRate = 115200.5), /: bus\.baudRate must be a whole number of bit\/s/],
    ['no baud rate', (j) => delete j.bus.baudRate, /: bus\.baudRate is missing/],
    ['a zero baud rate', (j) => (j.bus.baudRate = 0), /: bus\.baudRate must be positive/],
  ];
  for (const [name, corrupt, message] of cases) {
    test(`rejects ${name}, naming the file, the field and the joint`, () => {
      const json = onBus();
      corrupt(json);
      assert.throws(() => parseCalibration(json, reacherPath), (error: unknown) => {
        assert.ok(error instanceof CalibrationError);
        assert.ok(error.message.startsWith(`${reacherPath}: `), 'the message names the file');
        assert.match(error.message, message);
        return true;
      });
    });
  }

  test('robo-train calibrate keeps the servos and the bus of its template (the operator cannot show them)', () => {
    const template = loadCalibration('so101');
    const recordings = template.joints.map((joint) => ({ name: joint.name, minRaw: joint.limits.minPositionRad! + 0.3, maxRaw: joint.limits.maxPositionRad! + 0.3, homeRaw: joint.homeRad + 0.3 }));
    const json = buildCalibrationJson({ robot: 'my-so101', joints: recordings, defaultStateRateHz: 50, supportsPosition: true, supportsEffort: false, template, twinMjcf: 'so101.xml' });
    const calibration = parseCalibration(json, template.sourcePath.replace(/so101\.json$/, 'my-so101.json'));
    assert.deepEqual(calibration.bus, template.bus);
    assert.deepEqual(calibration.joints.map((joint) => joint.servo), template.joints.map((joint) => joint.servo));
    assert.ok(calibration.joints.every((joint) => Math.abs(joint.offsetRad - 0.3) < 1e-9), 'the offsets come from the recordings');
  });

  test('ticks and raw angles: 2048 is 0 rad, 4096 ticks a turn, whole ticks round-trip (multi-turn too)', () => {
    assert.equal(rawRadFromTicks(CENTRE_TICKS), 0);
    assert.equal(rawRadFromTicks(3072), Math.PI / 2);
    assert.equal(rawRadFromTicks(0), -Math.PI);
    assert.equal(rawRadFromTicks(2049), (2 * Math.PI) / 4096);
    for (let ticks = -4096; ticks < 2 * 4096; ticks++) assert.equal(ticksFromRawRad(rawRadFromTicks(ticks)), ticks);
    assert.equal(ticksFromRawRad(0.4 * (2 * Math.PI) / 4096), 2048, 'a raw angle rounds to the nearest tick');
    assert.equal(ticksFromRawRad(-0.6 * (2 * Math.PI) / 4096), 2047);
  });
});

test('a calibration file of megabytes is refused before it is parsed', () => {
  const folder = mkdtempSync(join(tmpdir(), 'robo-train-calibration-'));
  try {
    const huge = join(folder, 'huge.json');
    writeFileSync(huge, JSON.stringify({ ...reacher(), description: 'x'.repeat(2_000_000) }));
    assert.throws(() => loadCalibration(huge), /huge\.json: file is \d+ bytes: a calibration is a few kilobytes \(at most 1000000\)/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
