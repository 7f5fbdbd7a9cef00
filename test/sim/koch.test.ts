import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { createJointState } from '../../src/core/joint-state.js';
import { loadMjcf } from '../../src/sim/mujoco.js';
import { MujocoTwin } from '../../src/sim/twin.js';
import {
  filteredMoves,
  planarGravityTorqueNm,
  rpm,
  softCorners,
  stepResponse,
  TICK_RAD,
  trainThroughCli,
  type PlanarLink,
  type ServoDatasheet,
} from './servo-arm.js';

const calibration = loadCalibration('koch');
const home = calibration.joints.map((joint) => joint.homeRad);
const NAMES = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];

/** ROBOTIS e-manual: XL430-W250 at 12 V (the Koch v1.1 supply), XL330-M288 at 5 V (its voltage reducer). */
const XL430: ServoDatasheet = { stallTorqueNm: 1.5, noLoadSpeedRadS: rpm(61) };
const XL330: ServoDatasheet = { stallTorqueNm: 0.52, noLoadSpeedRadS: rpm(103) };
const SERVO = [XL430, XL430, XL330, XL330, XL330, XL330];
/** Servo gains of koch.xml [N·m/rad] and the joints' friction loss [N·m]. */
const KP = [5.5, 5.5, 2.24, 0.6, 0.6, 0.6];
const FRICTION_NM = [0.03, 0.03, 0.018, 0.018, 0.018, 0.018];

/**
 * The pitch joints of the Koch with pan, roll and gripper at 0, by hand from the geoms of koch.xml
 * (each part's mass at its centre), in each link's frame: (x forward, z up) at angle 0. The gripper
 * and its jaw ride on the wrist link when roll and gripper are at 0.
 */
const PITCH_CHAIN: PlanarLink[] = [
  {
    jointXM: 0.07,
    jointZM: 0.055,
    parts: [
      { massKg: 0.03, xM: 0.0135 / 2, zM: 0.108 / 2 },
      { massKg: 0.021, xM: 0.0125, zM: 0.101 },
    ],
  },
  {
    jointXM: 0.0135,
    jointZM: 0.108,
    parts: [
      { massKg: 0.046, xM: 0.04, zM: 0.0015 },
      { massKg: 0.021, xM: 0.084, zM: 0.0035 },
    ],
  },
  {
    jointXM: 0.091,
    jointZM: 0.0035,
    parts: [
      { massKg: 0.021, xM: 0.027, zM: -0.007 },
      { massKg: 0.012, xM: 0.04 + 0.0425, zM: 0 },
      { massKg: 0.021, xM: 0.04 + 0.012, zM: -0.007 },
      { massKg: 0.011, xM: 0.04 + 0.0165 + 0.02875, zM: 0 },
    ],
  },
];

describe('koch twin', () => {
  test('calibration: XL430-W250 at ids 1-2, XL330-M288 at ids 3-6, LeRobot order, 1 Mbaud Dynamixel bus', () => {
    assert.deepEqual(
      calibration.joints.map((joint) => joint.name),
      NAMES,
    );
    assert.deepEqual(
      calibration.joints.map((joint) => joint.servo),
      NAMES.map((_, i) => ({ id: i + 1, model: i < 2 ? 'xl430-w250' : 'xl330-m288' })),
    );
    assert.deepEqual(calibration.bus, { protocol: 'dynamixel', baudRate: 1_000_000 });
    assert.equal(calibration.controlHz, 50);
    assert.equal(calibration.commandMode, 'position');
    assert.equal(calibration.twin!.realism.encoderResolutionRad, TICK_RAD);
  });

  test('limits follow the datasheets: effort = stall torque, velocity below the no-load speed, home inside the soft range', () => {
    calibration.joints.forEach((joint, j) => {
      const { maxEffortNm, maxVelocityRadS } = joint.limits;
      assert.equal(maxEffortNm, SERVO[j].stallTorqueNm, `${joint.name}: maxEffortNm`);
      assert.ok(maxVelocityRadS <= 0.5 * SERVO[j].noLoadSpeedRadS, `${joint.name}: ${maxVelocityRadS} rad/s`);
    });
  });

  test('joints and actuators match the calibration: hinge order, servo per joint, ctrlrange = hard range, forcerange = stall', async () => {
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
      const gainPrm = model.actuator_gainprm as Float64Array;
      assert.equal(model.nu, 6);
      calibration.joints.forEach((joint, i) => {
        const j = mujoco.mj_name2id(model, 3, joint.name);
        assert.equal(j, i, `hinge ${joint.name} is the model's joint ${i}`);
        assert.equal(trnId[2 * i], j, `actuator ${i} drives ${joint.name}`);
        assert.equal(gainPrm[10 * i], KP[i], `${joint.name}: kp`);
        assert.deepEqual([ctrlRange[2 * i], ctrlRange[2 * i + 1]], [joint.limits.minPositionRad, joint.limits.maxPositionRad]);
        assert.deepEqual([forceRange[2 * i], forceRange[2 * i + 1]], [-joint.limits.maxEffortNm!, joint.limits.maxEffortNm!]);
        // The arm joints' hard range is the mechanical one, as calibrate records it; the gripper's is its servo's, inside.
        const mechanical = [jointRange[2 * j], jointRange[2 * j + 1]];
        if (joint.name === 'gripper')
          assert.ok(mechanical[0] < joint.limits.minPositionRad! && mechanical[1] > joint.limits.maxPositionRad!);
        else assert.deepEqual(mechanical, [joint.limits.minPositionRad, joint.limits.maxPositionRad]);
      });
    } finally {
      loaded.dispose();
    }
  });

  test('position steps: no faster than the no-load speed allows, settled soon after, torque within stall', async () => {
    // The joints gravity does not load at home: a 0.5 rad step into the range, "reached" within 0.05 rad.
    for (const j of [0, 4, 5]) {
      const limits = calibration.joints[j].limits;
      const to = home[j] + 0.5 <= limits.maxPositionRad! - limits.softMarginRad ? home[j] + 0.5 : home[j] - 0.5;
      const result = await stepResponse(calibration, home, j, to, 0.05);
      const { noLoadSpeedRadS, stallTorqueNm } = SERVO[j];
      const fastest = 0.45 / noLoadSpeedRadS;
      assert.ok(
        result.reachedS >= fastest,
        `${NAMES[j]}: reached after ${result.reachedS} s, the no-load speed needs ${fastest.toFixed(3)} s`,
      );
      assert.ok(
        result.reachedS > 0 && result.reachedS <= fastest + 0.25,
        `${NAMES[j]}: reached after ${result.reachedS} s (allowed ${fastest.toFixed(3)} s + 0.25 s)`,
      );
      assert.ok(result.peakSpeedRadS < noLoadSpeedRadS, `${NAMES[j]}: ${result.peakSpeedRadS} rad/s`);
      assert.ok(result.peakTorqueNm <= stallTorqueNm + 1e-9, `${NAMES[j]}: ${result.peakTorqueNm} N·m`);
      assert.ok(Math.abs(result.finalErrorRad) <= FRICTION_NM[j] / KP[j] + 1e-3, `${NAMES[j]}: ends ${result.finalErrorRad} rad off`);
    }
    // Long unloaded moves run at the no-load speed of each servo.
    const pan = await stepResponse(
      calibration,
      home.map((q, j) => (j === 0 ? -1.8 : q)),
      0,
      1.8,
      0.05,
    );
    assert.ok(
      pan.peakSpeedRadS > 0.95 * XL430.noLoadSpeedRadS && pan.peakSpeedRadS < XL430.noLoadSpeedRadS,
      `pan (XL430) peaks at ${pan.peakSpeedRadS} rad/s`,
    );
    // The roll turns a hand whose centre of mass is off its axis: with the hand hanging straight down
    // (elbow level, wrist_flex −π/2) gravity neither helps nor brakes it.
    const hanging = [0, 0, 0, -Math.PI / 2, -2.7, home[5]];
    const roll = await stepResponse(calibration, hanging, 4, 2.7, 0.05);
    assert.ok(
      roll.peakSpeedRadS > 0.95 * XL330.noLoadSpeedRadS && roll.peakSpeedRadS < XL330.noLoadSpeedRadS,
      `roll (XL330) peaks at ${roll.peakSpeedRadS} rad/s`,
    );
  });

  test('holds its home pose under gravity: servo torques equal the hand-computed gravity torques, below stall', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      twin.resetTo(home);
      for (let t = 0; t < 250; t++) {
        twin.command(home);
        twin.advance();
      }
      const position = new Float64Array(6);
      const velocity = new Float64Array(6);
      const state = createJointState(6);
      twin.trueState(position, velocity);
      twin.read(state);
      // The jaw's turn about its hinge (gripper −0.3 at home) moves its centre sideways, not along x.
      const gravity = planarGravityTorqueNm(PITCH_CHAIN, [position[1], position[2], position[3]], '+z');
      assert.ok(Math.abs(gravity[1]) > 0.1, `the forearm loads the elbow (${gravity[1]} N·m)`);
      for (let k = 0; k < 3; k++) {
        const servo = state.effortNm[k + 1];
        assert.ok(
          Math.abs(servo + gravity[k]) <= FRICTION_NM[k + 1] + 0.001,
          `${NAMES[k + 1]}: servo ${servo.toFixed(4)} N·m against gravity ${gravity[k].toFixed(4)} N·m`,
        );
        assert.ok(Math.abs(servo) < 0.3 * SERVO[k + 1].stallTorqueNm, `${NAMES[k + 1]}: ${servo} N·m`);
      }
      for (let j = 0; j < 6; j++) {
        // MuJoCo's friction loss is a soft constraint: a load below it still creeps, slower and slower.
        assert.ok(Math.abs(velocity[j]) < 2e-3, `${NAMES[j]} at rest after 5 s (${velocity[j]} rad/s)`);
        assert.ok(
          Math.abs(position[j] - home[j]) <= (Math.abs(state.effortNm[j]) + FRICTION_NM[j]) / KP[j] + 1e-3,
          `${NAMES[j]} sags ${position[j] - home[j]} rad`,
        );
      }
      assert.ok(position[2] - home[2] < -0.03, 'gravity pulls the forearm down (− on this arm), as far as the elbow gain gives');
    } finally {
      twin.dispose();
    }
  });

  test('moves to the corners of the soft range through the safety filter stay within the servo torque', async () => {
    const moves = await filteredMoves(calibration, softCorners(calibration, 0.95));
    calibration.joints.forEach((joint, j) => {
      const { maxEffortNm, maxVelocityRadS } = joint.limits;
      assert.ok(moves.maxEffortNm[j] < 0.7 * maxEffortNm!, `${joint.name}: needs ${moves.maxEffortNm[j].toFixed(2)} of ${maxEffortNm} N·m`);
      // The XL330s have no derivative gain: their soft servos catch up faster than the command moves.
      assert.ok(
        moves.maxSpeedRadS[j] < 1.2 * maxVelocityRadS,
        `${joint.name}: ${moves.maxSpeedRadS[j].toFixed(2)} rad/s for a ${maxVelocityRadS} rad/s command`,
      );
      assert.ok(moves.maxLagRad[j] < 0.35, `${joint.name}: lags the command by ${moves.maxLagRad[j].toFixed(3)} rad`);
      assert.ok(moves.maxFinalErrorRad[j] < 0.1, `${joint.name}: ends ${moves.maxFinalErrorRad[j].toFixed(3)} rad off`);
    });
  });

  test('robo-train --sim koch trains reach through the CLI: exit 0, every step stored', () => {
    const run = trainThroughCli('koch', 300);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\(koch, reach, sac,/);
    assert.match(run.stdout, /run 1 finished: 300 steps, 3 episodes/);
    assert.equal(run.storedSteps, 300);
    assert.equal(run.storedRobot, 'koch');
  });
});
