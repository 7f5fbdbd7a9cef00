import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { createJointState } from '../../src/core/joint-state.js';
import { loadMjcf } from '../../src/sim/mujoco.js';
import { MujocoTwin } from '../../src/sim/twin.js';
import {
  filteredMoves,
  planarGravityTorqueNm,
  softCorners,
  stepResponse,
  TICK_RAD,
  trainThroughCli,
  type PlanarLink,
  type ServoDatasheet,
} from './servo-arm.js';

const calibration = loadCalibration('so101');
const home = calibration.joints.map((joint) => joint.homeRad);
const NAMES = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];

/** Feetech STS3215 (C001, 1:345) at 7.4 V: 19.5 kg·cm stall, 0.192 s/60° without load. */
const STS3215: ServoDatasheet = { stallTorqueNm: 19.5 * 0.0980665, noLoadSpeedRadS: Math.PI / 3 / 0.192 };
/** Stall torque on the 5 V supply of the standard kit: 16.5 kg·cm at 6 V (maker's README), scaled with the voltage. */
const STALL_AT_5V_NM = (16.5 * 0.0980665 * 5) / 6;
/** Servo gain of so101.xml [N·m/rad] and the joints' friction loss [N·m]. */
const KP = 5.1;
const FRICTION_NM = 0.05;

/**
 * The pitch joints of the SO-101 with pan, roll and gripper at 0, by hand from the masses and centres
 * of mass of so101.xml (the maker's CAD values), in each link's frame: (x forward, z up) at angle 0.
 * The gripper body and its jaw ride on the wrist link when roll and gripper are at 0.
 */
const PITCH_CHAIN: PlanarLink[] = [
  { jointXM: 0.0388 + 0.0304, jointZM: 0.0624 + 0.0542, parts: [{ massKg: 0.103, xM: 0.0084, zM: 0.0899 }] },
  { jointXM: 0.028, jointZM: 0.1126, parts: [{ massKg: 0.104, xM: 0.0981, zM: 0.0032 }] },
  {
    jointXM: 0.1349,
    jointZM: 0.0052,
    parts: [
      { massKg: 0.079, xM: 0.0387, zM: 0.0001 },
      { massKg: 0.087, xM: 0.0611 + 0.0252, zM: 0.0002 },
      { massKg: 0.012, xM: 0.0611 + 0.0234 + 0.0301, zM: 0.0211 - 0.0025 },
    ],
  },
];

describe('so101 twin', () => {
  test('calibration: six STS3215 servos, ids 1-6 in LeRobot order, on a 1 Mbaud Feetech bus', () => {
    assert.deepEqual(
      calibration.joints.map((joint) => joint.name),
      NAMES,
    );
    assert.deepEqual(
      calibration.joints.map((joint) => joint.servo),
      NAMES.map((_, i) => ({ id: i + 1, model: 'sts3215' })),
    );
    assert.deepEqual(calibration.bus, { protocol: 'feetech', baudRate: 1_000_000 });
    assert.equal(calibration.controlHz, 50);
    assert.equal(calibration.commandMode, 'position');
    assert.equal(calibration.twin!.realism.encoderResolutionRad, TICK_RAD);
  });

  test('limits follow the datasheet: effort = stall torque, velocity below the no-load speed, home inside the soft range', () => {
    for (const joint of calibration.joints) {
      const { maxEffortNm, maxVelocityRadS } = joint.limits;
      assert.ok(Math.abs(maxEffortNm! - STS3215.stallTorqueNm) < 0.005, `${joint.name}: maxEffortNm ${maxEffortNm}`);
      assert.ok(
        maxVelocityRadS <= 0.5 * STS3215.noLoadSpeedRadS,
        `${joint.name}: ${maxVelocityRadS} rad/s leaves the servo torque to accelerate and to carry the arm`,
      );
    }
  });

  test('joints and actuators match the calibration: hinge order, servo per joint, ctrlrange = hard range, forcerange = stall, hard range = mechanical range (as calibrate records it)', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    assert.equal(twin.jointCount, 6);
    assert.equal(twin.actuatedCount, 6);
    assert.equal(twin.substeps, 10, '50 Hz over 2 ms physics steps');
    twin.dispose();
    const loaded = await loadMjcf(calibration.twin!.mjcf);
    const { mujoco, model } = loaded;
    try {
      const jointRange = model.jnt_range as Float64Array;
      const ctrlRange = model.actuator_ctrlrange as Float64Array;
      const forceRange = model.actuator_forcerange as Float64Array;
      const trnId = model.actuator_trnid as Int32Array;
      assert.equal(model.nu, 6);
      calibration.joints.forEach((joint, i) => {
        const j = mujoco.mj_name2id(model, 3, joint.name);
        assert.equal(j, i, `hinge ${joint.name} is the model's joint ${i}`);
        assert.equal(trnId[2 * i], j, `actuator ${i} drives ${joint.name}`);
        assert.deepEqual([ctrlRange[2 * i], ctrlRange[2 * i + 1]], [joint.limits.minPositionRad, joint.limits.maxPositionRad]);
        assert.deepEqual([forceRange[2 * i], forceRange[2 * i + 1]], [-joint.limits.maxEffortNm!, joint.limits.maxEffortNm!]);
        assert.deepEqual([jointRange[2 * j], jointRange[2 * j + 1]], [joint.limits.minPositionRad, joint.limits.maxPositionRad]);
      });
    } finally {
      loaded.dispose();
    }
  });

  test('position steps: no faster than the no-load speed allows, settled soon after, torque within stall', async () => {
    // The joints gravity does not load at home: a 0.5 rad step, "reached" within 0.05 rad.
    for (const j of [0, 4, 5]) {
      const result = await stepResponse(calibration, home, j, home[j] + 0.5, 0.05);
      const fastest = 0.45 / STS3215.noLoadSpeedRadS;
      assert.ok(
        result.reachedS >= fastest,
        `${NAMES[j]}: reached after ${result.reachedS} s, the no-load speed needs ${fastest.toFixed(3)} s`,
      );
      assert.ok(
        result.reachedS > 0 && result.reachedS <= fastest + 0.25,
        `${NAMES[j]}: reached after ${result.reachedS} s (allowed ${fastest.toFixed(3)} s + 0.25 s to accelerate and settle)`,
      );
      assert.ok(result.peakSpeedRadS < STS3215.noLoadSpeedRadS, `${NAMES[j]}: ${result.peakSpeedRadS} rad/s`);
      assert.ok(result.peakTorqueNm <= STS3215.stallTorqueNm + 1e-9, `${NAMES[j]}: ${result.peakTorqueNm} N·m`);
      // At rest the servo holds against friction only: error ≤ friction / kp.
      assert.ok(Math.abs(result.finalErrorRad) <= FRICTION_NM / KP + 1e-3, `${NAMES[j]}: ends ${result.finalErrorRad} rad off`);
    }
    // A long unloaded move runs at the no-load speed: damping and torque limit make the DC-motor line.
    const long = await stepResponse(
      calibration,
      home.map((q, j) => (j === 0 ? -1.7 : q)),
      0,
      1.7,
      0.05,
    );
    assert.ok(
      long.peakSpeedRadS > 0.95 * STS3215.noLoadSpeedRadS && long.peakSpeedRadS < STS3215.noLoadSpeedRadS,
      `pan peaks at ${long.peakSpeedRadS} rad/s`,
    );
  });

  test('holds its home pose under gravity: servo torques equal the hand-computed gravity torques, far below stall', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      twin.resetTo(home);
      for (let t = 0; t < 150; t++) {
        twin.command(home);
        twin.advance();
      }
      const position = new Float64Array(6);
      const velocity = new Float64Array(6);
      const state = createJointState(6);
      twin.trueState(position, velocity);
      twin.read(state);
      const gravity = planarGravityTorqueNm(PITCH_CHAIN, [position[1], position[2], position[3]], '-z');
      assert.ok(Math.abs(gravity[1]) > 0.3, `the folded forearm loads the elbow (${gravity[1]} N·m)`);
      for (let k = 0; k < 3; k++) {
        const servo = state.effortNm[k + 1];
        assert.ok(
          Math.abs(servo + gravity[k]) <= FRICTION_NM + 0.005,
          `${NAMES[k + 1]}: servo ${servo.toFixed(4)} N·m against gravity ${gravity[k].toFixed(4)} N·m`,
        );
        assert.ok(Math.abs(servo) < 0.3 * STALL_AT_5V_NM, `${NAMES[k + 1]}: ${servo} N·m, within reach even of the 5 V kit`);
      }
      for (let j = 0; j < 6; j++) {
        assert.ok(Math.abs(velocity[j]) < 1e-3, `${NAMES[j]} at rest`);
        // The servo's compliance: it sags until kp × sag carries the load (plus friction).
        assert.ok(
          Math.abs(position[j] - home[j]) <= (Math.abs(state.effortNm[j]) + FRICTION_NM) / KP + 1e-3,
          `${NAMES[j]} sags ${position[j] - home[j]} rad`,
        );
      }
      assert.ok(position[2] - home[2] > 0.05, 'gravity folds the elbow further, as much as a P-gain-16 servo gives');
    } finally {
      twin.dispose();
    }
  });

  test('moves to the corners of the soft range through the safety filter stay within the servo torque', async () => {
    const moves = await filteredMoves(calibration, softCorners(calibration, 0.95));
    calibration.joints.forEach((joint, j) => {
      const { maxEffortNm, maxVelocityRadS } = joint.limits;
      assert.ok(moves.maxEffortNm[j] < 0.7 * maxEffortNm!, `${joint.name}: needs ${moves.maxEffortNm[j].toFixed(2)} of ${maxEffortNm} N·m`);
      // The compliant servo lags, then catches up a little faster than the command moves.
      assert.ok(
        moves.maxSpeedRadS[j] < 1.15 * maxVelocityRadS,
        `${joint.name}: ${moves.maxSpeedRadS[j].toFixed(2)} rad/s for a ${maxVelocityRadS} rad/s command`,
      );
      assert.ok(moves.maxLagRad[j] < 0.35, `${joint.name}: lags the command by ${moves.maxLagRad[j].toFixed(3)} rad`);
      assert.ok(
        moves.maxFinalErrorRad[j] < 0.2,
        `${joint.name}: ends ${moves.maxFinalErrorRad[j].toFixed(3)} rad off (gravity / kp at most 0.16)`,
      );
    });
  });

  test('robo-train --sim so101 trains reach through the CLI: exit 0, every step stored', () => {
    const run = trainThroughCli('so101', 300);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\(so101, reach, sac,/);
    assert.match(run.stdout, /run 1 finished: 300 steps, 3 episodes/);
    assert.equal(run.storedSteps, 300);
    assert.equal(run.storedRobot, 'so101');
  });
});
