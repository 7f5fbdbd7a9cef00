import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { CALIBRATION_DIR, loadCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { MujocoTwin } from '../../src/sim/twin.js';

const so101 = loadCalibration('so101');
const koch = loadCalibration('koch');

/** `calibration` with one joint's limits changed. */
function withLimits(calibration: Calibration, joint: number, change: Partial<Calibration['joints'][number]['limits']>): Calibration {
  return { ...calibration, joints: calibration.joints.map((j, i) => (i === joint ? { ...j, limits: { ...j.limits, ...change } } : j)) };
}

describe('twin and calibration agree', () => {
  test('every shipped calibration with a twin loads it: ranges, servo type and force limits agree', async () => {
    const names = readdirSync(CALIBRATION_DIR)
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length));
    assert.ok(names.includes('so101') && names.includes('koch') && names.includes('arm'));
    for (const name of names) {
      const calibration = loadCalibration(name);
      if (!calibration.twin) continue;
      const twin = await MujocoTwin.create(calibration, 0);
      twin.dispose();
    }
  });

  const cases: [string, Calibration, RegExp][] = [
    [
      'a hard range beyond the mechanical range and the servo',
      withLimits(so101, 0, { maxPositionRad: 1.95 }),
      /joint 'shoulder_pan': hard range \[-1\.91986, 1\.95\] reaches beyond the MJCF joint range \[-1\.9198\d*, 1\.9198\d*\]; joint 'shoulder_pan': hard range \[-1\.91986, 1\.95\] reaches beyond the servo's ctrlrange \[-1\.91986, 1\.91986\]/,
    ],
    [
      // Koch's gripper: the designer's servo range lies inside the mechanical one.
      'a hard range beyond the servo only',
      withLimits(koch, 5, { minPositionRad: -1.55 }),
      /joint 'gripper': hard range \[-1\.55, 0\.03\] reaches beyond the servo's ctrlrange \[-1\.52, 0\.03\]$/,
    ],
    [
      'an effort limit above the servo',
      withLimits(so101, 3, { maxEffortNm: 2.5 }),
      /joint 'wrist_flex': maxEffortNm 2\.5, but the MJCF limits the actuator to \[-1\.91, 1\.91\] N·m/,
    ],
    [
      'effort commands to position servos',
      { ...so101, commandMode: 'effort' },
      /joint 'shoulder_pan': commandMode "effort" needs a <motor> with gain 1, the MJCF has another actuator/,
    ],
  ];
  for (const [name, calibration, message] of cases) {
    test(`refuses ${name}, naming the joint and both numbers`, async () => {
      await assert.rejects(MujocoTwin.create(calibration, 0), (error: Error) => {
        const robot = calibration.robot;
        assert.match(error.message, new RegExp(`${robot}\\.xml disagrees with .*${robot}\\.json: `));
        assert.match(error.message, message);
        return true;
      });
    });
  }

  test('position commands to torque motors are refused', async () => {
    const pendulum = loadCalibration('pendulum');
    const positionMode: Calibration = {
      ...pendulum,
      commandMode: 'position',
      joints: pendulum.joints.map((j) => ({ ...j, limits: { ...j.limits, minPositionRad: -3, maxPositionRad: 3 } })),
    };
    await assert.rejects(
      MujocoTwin.create(positionMode, 0),
      /joint 'hinge': commandMode "position" needs a <position> servo, the MJCF has another actuator/,
    );
  });
});
