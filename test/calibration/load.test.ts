import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CalibrationError, loadCalibration, parseCalibration, resolveCalibrationPath } from '../../src/calibration/load.js';

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
    ['negative velocity limit', (j) => (j.joints[1].limits.maxVelocityRadS = -1), /joints\[1\]\.limits\.maxVelocityRadS must be positive \(got -1\)/],
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

  test('unknown robot name lists where it looked', () => {
    assert.throws(() => loadCalibration('no-such-robot'), /no calibration named 'no-such-robot'/);
  });
});
