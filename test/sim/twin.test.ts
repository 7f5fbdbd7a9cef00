import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { createJointState } from '../../src/core/joint-state.js';
import { MujocoTwin } from '../../src/sim/twin.js';
import { normalizeAngle } from '../../src/tasks/pendulum.js';

/** Gymnasium's Pendulum-v1 step, transcribed from its equations (g = 10, m = l = 1, dt = 0.05). */
function gymnasiumPendulumStep(theta: number, thetaDot: number, torque: number): [number, number] {
  const u = Math.min(2, Math.max(-2, torque));
  let newThetaDot = thetaDot + (((3 * 10) / 2) * Math.sin(theta) + 3 * u) * 0.05;
  newThetaDot = Math.min(8, Math.max(-8, newThetaDot));
  return [theta + newThetaDot * 0.05, newThetaDot];
}

describe('MuJoCo twins', () => {
  test('pendulum reproduces Gymnasium Pendulum-v1 dynamics to 1e-9 over 400 steps', async () => {
    const twin = await MujocoTwin.create(loadCalibration('pendulum'), 1);
    try {
      let theta = 2.5;
      let thetaDot = -0.7;
      twin.resetTo([theta], [thetaDot]);
      const state = createJointState(1);
      let clamped = 0;
      for (let t = 0; t < 400; t++) {
        // Pump energy (torque along the velocity) for 200 steps to reach the clamp, then vary it.
        const torque = t < 200 ? (thetaDot >= 0 ? 2 : -2) : Math.max(-2, Math.min(2, 2 * Math.sin(t * 0.3) + (t % 17) / 10));
        twin.command([torque]);
        twin.advance();
        twin.read(state);
        [theta, thetaDot] = gymnasiumPendulumStep(theta, thetaDot, torque);
        if (Math.abs(thetaDot) === 8) clamped++;
        assert.ok(Math.abs(state.positionRad[0] - theta) < 1e-9, `step ${t}: θ ${state.positionRad[0]} vs ${theta}`);
        assert.ok(Math.abs(state.velocityRadS[0] - thetaDot) < 1e-9, `step ${t}: θ' ${state.velocityRadS[0]} vs ${thetaDot}`);
      }
      assert.ok(clamped > 0, 'the sequence exercises the ±8 rad/s velocity clamp');
      assert.ok(Math.abs(state.deviceTimeS - 20) < 1e-9, '400 steps of 0.05 s');
    } finally {
      twin.dispose();
    }
  });

  test('angle normalisation matches Python: ((x + π) % 2π) − π', () => {
    assert.ok(Math.abs(normalizeAngle((3 * Math.PI) / 2) + Math.PI / 2) < 1e-12);
    assert.ok(Math.abs(normalizeAngle((-3 * Math.PI) / 2) - Math.PI / 2) < 1e-12);
    assert.equal(normalizeAngle(Math.PI), -Math.PI);
    assert.equal(normalizeAngle(0.25), 0.25);
  });

  test('reacher position servos settle on their targets', async () => {
    const twin = await MujocoTwin.create(loadCalibration('sim-reacher'), 1);
    try {
      twin.resetTo([0, 0]);
      const position = new Float64Array(2);
      const velocity = new Float64Array(2);
      for (let t = 0; t < 50; t++) {
        twin.command([0.8, -0.6]);
        twin.advance();
      }
      twin.trueState(position, velocity);
      assert.ok(Math.abs(position[0] - 0.8) < 0.01 && Math.abs(position[1] + 0.6) < 0.01, `settled at ${Array.from(position).join(', ')}`);
      assert.ok(Math.abs(velocity[0]) < 0.05 && Math.abs(velocity[1]) < 0.05);
      assert.equal(twin.substeps, 10, '50 Hz control over a 2 ms physics step');
    } finally {
      twin.dispose();
    }
  });

  test('realism: command latency delays motion by whole ticks; readings are quantised', async () => {
    const base = loadCalibration('sim-reacher');
    const withLatency: Calibration = {
      ...base,
      twin: { ...base.twin!, realism: { latencyTicks: 3, positionNoiseRad: 0, velocityNoiseRadS: 0, encoderResolutionRad: 0.01 } },
    };
    const twin = await MujocoTwin.create(withLatency, 1);
    try {
      twin.resetTo([0, 0]);
      const state = createJointState(2);
      const moved: boolean[] = [];
      for (let t = 0; t < 6; t++) {
        twin.command([1, 1]);
        twin.advance();
        twin.read(state);
        moved.push(Math.abs(state.positionRad[0]) > 0);
        for (const value of state.positionRad) assert.ok(Math.abs(value / 0.01 - Math.round(value / 0.01)) < 1e-9, `quantised: ${value}`);
      }
      // The first command reaches the servos at the 4th tick (after 3 ticks of latency).
      assert.deepEqual(moved.slice(0, 3), [false, false, false]);
      assert.equal(moved[4], true);
    } finally {
      twin.dispose();
    }
  });

  test('a joint missing from the MJCF is a clear error', async () => {
    const base = loadCalibration('sim-reacher');
    const renamed: Calibration = { ...base, joints: [{ ...base.joints[0], name: 'wrist' }, base.joints[1]] };
    await assert.rejects(MujocoTwin.create(renamed, 1), /no joint named 'wrist'/);
  });
});
