/** `TwinPlant` on the real so101 twin, in the plant's own time (no link, no wall clock). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TwinPlant } from '../../src/bus-sim/twin-plant.js';
import { loadCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { HandSweep } from '../../src/firmware-sim/hand.js';
import type { ServoActuation } from '../../src/servo-bus/index.js';

const FREE = { minPositionRad: -Infinity, maxPositionRad: Infinity, profileVelocityRadS: 0 };

function hold(goalPositionRad: number, extra: Partial<ServoActuation> = {}): ServoActuation {
  return { torqueEnabled: true, goalPositionRad, ...FREE, ...extra };
}

/** Runs the plant up to `toMs` in 20 ms strides, as the device's control-rate timer does (one call simulates at most 200 ms). */
function runTo(plant: TwinPlant, fromMs: number, toMs: number): void {
  for (let ms = fromMs; ms < toMs; ms += 20) plant.advanceTo(ms);
  plant.advanceTo(toMs);
}

/** so101 with shoulder_pan mounted the other way round and its horn 0.2 rad off centre. */
function flippedPan(): Calibration {
  const calibration = loadCalibration('so101');
  return { ...calibration, joints: calibration.joints.map((joint, j) => (j === 0 ? { ...joint, direction: -1, offsetRad: 0.2 } : joint)) };
}

test('goals reach the joints through offset and direction; the profile velocity paces the move; limits clamp the goal', async () => {
  const calibration = flippedPan();
  const plant = await TwinPlant.create(calibration, null, 0);
  try {
    const ids = calibration.joints.map((joint) => joint.servo!.id);
    for (const id of ids) plant.actuate(id, hold(plant.sense(id, 0).positionRad), 0);
    assert.ok(Math.abs(plant.sense(1, 0).positionRad - 0.2) < 1e-6, 'pan at joint 0 reads raw 0.2');
    // Pan: raw goal 0.7 rad is joint angle -(0.7 - 0.2) = -0.5; at 1 rad/s it takes 0.5 s.
    plant.actuate(1, hold(0.7, { profileVelocityRadS: 1 }), 100);
    runTo(plant, 100, 350);
    const halfway = plant.sense(1, 350);
    assert.ok(halfway.positionRad > 0.25 && halfway.positionRad < 0.5, `raw pan after 0.25 s at 1 rad/s: ${halfway.positionRad}`);
    assert.ok(halfway.velocityRadS > 0.7 && halfway.velocityRadS < 1.1, `raw velocity ${halfway.velocityRadS}`);
    runTo(plant, 350, 1000);
    const there = plant.sense(1, 1000);
    assert.ok(Math.abs(there.positionRad - 0.7) < 0.01, `raw pan ${there.positionRad}`);
    assert.ok(Math.abs(plant.jointPositions()[0] + 0.5) < 0.01, `joint pan ${plant.jointPositions()[0]}`);
    // A goal beyond the servo's position limit stops at the limit.
    plant.actuate(5, hold(2.5, { minPositionRad: -1, maxPositionRad: 1 }), 1000);
    runTo(plant, 1000, 1800);
    assert.ok(Math.abs(plant.sense(5, 1800).positionRad - 1) < 0.02);
  } finally {
    plant.dispose();
  }
});

test('torque off frees the joint (gravity takes the arm, no current); torque on holds from where it is, and the load draws current', async () => {
  const calibration = loadCalibration('so101');
  const plant = await TwinPlant.create(calibration, null, 0);
  try {
    // At home the elbow holds the forearm level over the folded upper arm against gravity.
    const elbowId = 3;
    const start = plant.sense(elbowId, 0).positionRad;
    for (const joint of calibration.joints) plant.actuate(joint.servo!.id, { ...hold(0), torqueEnabled: false }, 0);
    runTo(plant, 0, 300);
    const fallen = plant.sense(elbowId, 300);
    assert.ok(Math.abs(fallen.positionRad - start) > 0.05, `elbow_flex moved ${fallen.positionRad - start} rad in 0.3 s`);
    assert.equal(fallen.currentA, 0);
    assert.equal(fallen.inputVoltageV, 7.4);
    runTo(plant, 300, 2000);
    for (const joint of calibration.joints) plant.actuate(joint.servo!.id, hold(plant.sense(joint.servo!.id, 2000).positionRad), 2000);
    runTo(plant, 2000, 3000);
    const held = plant.sense(elbowId, 3000);
    assert.ok(Math.abs(held.velocityRadS) < 0.01, `held still: ${held.velocityRadS} rad/s`);
    // Fallen, the forearm rests on its mechanical stop, which carries it; lifted back home, the servo does.
    plant.actuate(elbowId, hold(start), 3000);
    runTo(plant, 3000, 4500);
    const elbow = plant.sense(elbowId, 4500);
    assert.ok(Math.abs(elbow.currentA) > 0.05, `the elbow holds the forearm against gravity: ${elbow.currentA} A`);
    assert.ok(Math.sign(elbow.currentA) === Math.sign(elbow.loadFraction));
    assert.ok(elbow.inputVoltageV < 7.4);
    assert.equal(plant.firstTorqueOnMs, 2000);
  } finally {
    plant.dispose();
  }
});

test("the operator's hand moves the joints whose torque is off, not those that hold", async () => {
  const calibration = loadCalibration('so101');
  const hand = new HandSweep(calibration, { periodS: 2, durationS: 2 });
  const plant = await TwinPlant.create(calibration, hand, 0);
  try {
    plant.actuate(1, hold(0), 0);
    plant.startHand(0);
    let rollMax = -Infinity;
    let panMax = -Infinity;
    for (let ms = 0; ms <= 1000; ms += 20) {
      rollMax = Math.max(rollMax, plant.sense(5, ms).positionRad);
      panMax = Math.max(panMax, Math.abs(plant.sense(1, ms).positionRad));
    }
    assert.ok(rollMax > 2, `wrist_roll follows the hand toward 2.78: ${rollMax}`);
    assert.ok(panMax < 0.01, `the held pan stays: ${panMax}`);
  } finally {
    plant.dispose();
  }
});
