import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { createJointState } from '../../src/core/joint-state.js';
import { SafetyFilter } from '../../src/safety/index.js';
import { MujocoTwin } from '../../src/sim/twin.js';

const calibration = loadCalibration('arm');
const home = calibration.joints.map((joint) => joint.homeRad);
const GRAVITY = 9.81;

/**
 * Gravity torque on the three pitch joints [N·m] (positive = toward larger pitch), by hand from the
 * link masses and centres of mass of calibration/arm.xml: upper arm 0.11 kg at 0.07 m, forearm
 * 0.10 kg at 0.08 m after 0.116 m, hand 0.12 kg at 0.05 m after 0.135 m; pitch 0 = link vertical, so
 * a centre of mass at pitch φ lies r·sin φ in front of the joint.
 */
function gravityTorqueNm(shoulder: number, elbow: number, wrist: number): [number, number, number] {
  const forearmPitch = shoulder + elbow;
  const handPitch = forearmPitch + wrist;
  const handFromWrist = 0.12 * 0.05 * Math.sin(handPitch);
  const fromElbow = 0.1 * 0.08 * Math.sin(forearmPitch) + 0.12 * 0.135 * Math.sin(forearmPitch) + handFromWrist;
  const fromShoulder = 0.11 * 0.07 * Math.sin(shoulder) + (0.1 + 0.12) * 0.116 * Math.sin(shoulder) + fromElbow;
  return [GRAVITY * fromShoulder, GRAVITY * fromElbow, GRAVITY * handFromWrist];
}

describe('arm twin', () => {
  test('loads from its calibration and steps at 50 Hz (10 physics steps of 2 ms)', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      assert.equal(twin.jointCount, 4);
      assert.equal(twin.actuatedCount, 4);
      assert.equal(twin.substeps, 10);
      twin.resetTo(home);
      const state = createJointState(4);
      for (let t = 0; t < 50; t++) {
        twin.command(home);
        twin.advance();
      }
      twin.read(state);
      assert.ok(Math.abs(state.deviceTimeS - 1) < 1e-9, `50 control periods = 1 s (got ${state.deviceTimeS})`);
      const lsb = calibration.twin!.realism.encoderResolutionRad;
      for (const value of state.positionRad)
        assert.ok(Math.abs(value / lsb - Math.round(value / lsb)) < 1e-6, `readings come in encoder steps: ${value}`);
    } finally {
      twin.dispose();
    }
  });

  test('holds its home pose under gravity: small sag, servos carry the hand-computed gravity torque', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      twin.resetTo(home);
      const state = createJointState(4);
      const position = new Float64Array(4);
      const velocity = new Float64Array(4);
      for (let t = 0; t < 150; t++) {
        twin.command(home);
        twin.advance();
      }
      twin.trueState(position, velocity);
      twin.read(state);
      // Sag = gravity torque / kp (30 N·m/rad) ≈ 0.014 rad at the shoulder: a hobby servo's compliance.
      for (let j = 0; j < 4; j++) {
        assert.ok(Math.abs(position[j] - home[j]) < 0.03, `joint ${j} stays within 0.03 rad of home (at ${position[j]}, home ${home[j]})`);
        assert.ok(Math.abs(velocity[j]) < 1e-3, `joint ${j} at rest (${velocity[j]} rad/s)`);
      }
      assert.ok(position[1] - home[1] > 0.005, 'gravity pulls the forward-leaning shoulder further forward');
      const gravity = gravityTorqueNm(position[1], position[2], position[3]);
      assert.ok(gravity[0] > 0.3, `the home pose loads the shoulder (${gravity[0]} N·m)`);
      // Statics: servo torque = −gravity torque, up to the joint's friction loss (0.05 N·m).
      for (let j = 0; j < 3; j++) {
        const servo = state.effortNm[j + 1];
        assert.ok(
          Math.abs(servo + gravity[j]) < 0.06,
          `joint ${j + 1}: servo ${servo.toFixed(3)} N·m vs gravity ${gravity[j].toFixed(3)} N·m`,
        );
      }
      assert.ok(Math.abs(state.effortNm[0]) < 0.06, 'gravity does not load the base yaw');
    } finally {
      twin.dispose();
    }
  });

  test('tracks a position step: a raw step settles in 0.2 s, and limit-respecting moves stay within the servo torque', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      const position = new Float64Array(4);
      const velocity = new Float64Array(4);
      twin.resetTo(home);
      const step = [0.3, home[1], home[2], home[3]];
      let peak = 0;
      let settledAt = -1;
      for (let t = 0; t < 50; t++) {
        twin.command(step);
        twin.advance();
        twin.trueState(position, velocity);
        peak = Math.max(peak, position[0]);
        const inBand = Math.abs(position[0] - 0.3) < 0.006;
        if (inBand && settledAt < 0) settledAt = t;
        if (!inBand) settledAt = -1;
      }
      assert.ok(settledAt >= 0 && settledAt < 10, `base yaw within 2 % of a 0.3 rad step after ${settledAt + 1} ticks`);
      assert.ok(peak < 0.3 * 1.05, `overshoot below 5 % (peak ${peak})`);

      // Moves to far corners of the soft range through the safety filter: the command obeys the
      // calibration's velocity, acceleration and jerk limits, which the servos must be able to follow.
      const targets = [
        [1.9, 1.6, 0.0, 0.0],
        [-1.9, -1.6, -2.0, -1.7],
        [0.0, 1.6, -1.0, 1.7],
      ];
      const state = createJointState(4);
      for (const target of targets) {
        twin.resetTo(home);
        twin.read(state);
        const filter = SafetyFilter.fromCalibration(calibration);
        filter.reset(state.positionRad);
        const maxEffort = new Float64Array(4);
        const maxLag = new Float64Array(4);
        for (let t = 0; t < 150; t++) {
          filter.step(Float64Array.from(target), { positionRad: state.positionRad, velocityRadS: state.velocityRadS, ageUs: 0 });
          const command = filter.output.applied;
          twin.command(command);
          twin.advance();
          twin.read(state);
          twin.trueState(position, velocity);
          for (let j = 0; j < 4; j++) {
            maxEffort[j] = Math.max(maxEffort[j], Math.abs(state.effortNm[j]));
            maxLag[j] = Math.max(maxLag[j], Math.abs(command[j] - position[j]));
          }
        }
        for (let j = 0; j < 4; j++) {
          const limit = calibration.joints[j].limits.maxEffortNm!;
          assert.ok(maxEffort[j] < 0.7 * limit, `to ${target}: joint ${j} needs at most ${maxEffort[j].toFixed(2)} N·m of ${limit}`);
          assert.ok(maxLag[j] < 0.1, `to ${target}: joint ${j} lags the command by at most ${maxLag[j].toFixed(3)} rad`);
          assert.ok(Math.abs(position[j] - target[j]) < 0.03, `to ${target}: joint ${j} ends at ${position[j]}`);
        }
      }
    } finally {
      twin.dispose();
    }
  });
});
