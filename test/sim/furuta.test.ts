import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import type { Calibration } from '../../src/calibration/types.js';
import { createJointState } from '../../src/core/joint-state.js';
import { MujocoTwin } from '../../src/sim/twin.js';
import { createTask } from '../../src/tasks/index.js';
import { Rng } from '../../src/util/rng.js';

const calibration = loadCalibration('furuta');
const dir = mkdtempSync(join(tmpdir(), 'robo-train-furuta-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The furuta twin with its MJCF text rewritten (for variants of the shipped model). */
function variant(name: string, rewrite: (xml: string) => string): Calibration {
  const path = join(dir, `${name}.xml`);
  writeFileSync(path, rewrite(readFileSync(calibration.twin!.mjcf, 'utf8')));
  return { ...calibration, twin: { ...calibration.twin!, mjcf: path } };
}

// Physical parameters of calibration/furuta.xml (Quanser QUBE-Servo 2).
const G = 9.81;
const PENDULUM_MASS = 0.024;
const PENDULUM_LENGTH = 0.129;
const ARM_MASS = 0.095;
const ARM_LENGTH = 0.085;
const MOTOR_INERTIA = 4.6e-6;
const ARM_DAMPING = 4.8e-4;
const PENDULUM_DAMPING = 5e-5;

/**
 * Linearised about the hanging pendulum (α = π, arm free, no torque), with q = (θ, α − π):
 * M q'' + C q' + K q = 0, M = [[J_r + m L_r², m L_r l], [m L_r l, J_p]], K = diag(0, m g l),
 * C = diag(c_r, c_p), J_r = m_r L_r² / 3 + J_motor, J_p = m L_p² / 3, l = L_p / 2.
 * det(M s² + C s + K) = s · cubic(s); the cubic's complex pair is the pendulum's swing. Returns its
 * period [s]. Undamped it is 2π √((J_p − (m L_r l)² / M11) / (m g l)): the arm recoils as the
 * pendulum swings, so the period is shorter than with the arm held (2π √(J_p / (m g l)) = 0.588 s).
 */
function linearPeriodS(armDamping: number, pendulumDamping: number): number {
  const l = PENDULUM_LENGTH / 2;
  const m11 = (ARM_MASS * ARM_LENGTH * ARM_LENGTH) / 3 + MOTOR_INERTIA + PENDULUM_MASS * ARM_LENGTH * ARM_LENGTH;
  const m12 = PENDULUM_MASS * ARM_LENGTH * l;
  const m22 = (PENDULUM_MASS * PENDULUM_LENGTH * PENDULUM_LENGTH) / 3;
  const k = PENDULUM_MASS * G * l;
  if (armDamping === 0 && pendulumDamping === 0) return 2 * Math.PI * Math.sqrt((m22 - (m12 * m12) / m11) / k);
  const a = m11 * m22 - m12 * m12;
  const b = m11 * pendulumDamping + armDamping * m22;
  const c = m11 * k + armDamping * pendulumDamping;
  const d = armDamping * k;
  // All coefficients are positive: one real root, negative (the arm's decay); bisect for it.
  const cubic = (s: number): number => ((a * s + b) * s + c) * s + d;
  let low = -1e4;
  let high = 0;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (low + high);
    if (cubic(mid) > 0) high = mid;
    else low = mid;
  }
  const real = 0.5 * (low + high);
  // Deflated: a s² + B s + C' with the complex pair as roots.
  const B = b + a * real;
  const C = c + B * real;
  const omega = Math.sqrt(4 * a * C - B * B) / (2 * a);
  return (2 * Math.PI) / omega;
}

/** Mean period [s] of the free swing from α = π − 0.05 over `seconds`, from upward zero crossings of α − π. */
async function measuredPeriodS(twinCalibration: Calibration, seconds: number): Promise<number> {
  const twin = await MujocoTwin.create(twinCalibration, 1);
  try {
    const position = new Float64Array(2);
    const velocity = new Float64Array(2);
    twin.resetTo([0, Math.PI - 0.05]);
    const periodS = 1 / twinCalibration.controlHz;
    const crossings: number[] = [];
    let previous = -0.05;
    for (let t = 1; t <= seconds * twinCalibration.controlHz; t++) {
      twin.command([0]);
      twin.advance();
      twin.trueState(position, velocity);
      const offset = position[1] - Math.PI;
      if (previous < 0 && offset >= 0) crossings.push((t - 1 + -previous / (offset - previous)) * periodS);
      previous = offset;
    }
    assert.ok(crossings.length >= 6, `the pendulum keeps swinging (${crossings.length} crossings)`);
    return (crossings[crossings.length - 1] - crossings[0]) / (crossings.length - 1);
  } finally {
    twin.dispose();
  }
}

describe('furuta twin', () => {
  test('loads: one driven arm joint in effort mode, one passive pendulum; 100 Hz over 1 ms physics steps', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      assert.equal(twin.actuatedCount, 1);
      assert.equal(twin.jointCount, 2);
      assert.equal(twin.commandMode, 'effort');
      assert.equal(twin.substeps, 10);
      twin.resetTo([0, Math.PI]);
      const state = createJointState(2);
      for (let t = 0; t < 100; t++) {
        twin.command([0]);
        twin.advance();
      }
      twin.read(state);
      assert.ok(Math.abs(state.deviceTimeS - 1) < 1e-9);
      // Hanging at rest is an equilibrium: nothing moves.
      assert.ok(Math.abs(state.positionRad[1] - Math.PI) < 0.004, `pendulum still hanging: ${state.positionRad[1]}`);
    } finally {
      twin.dispose();
    }
  });

  test('the passive pendulum joint is never actuated', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      twin.resetTo([0, Math.PI - 0.3]);
      const rng = new Rng(7);
      const torque = new Float64Array(2);
      const state = createJointState(2);
      let armDriven = 0;
      for (let t = 0; t < 300; t++) {
        const command = rng.uniformIn(-0.03, 0.03);
        twin.command([command]);
        twin.advance();
        twin.actuatorTorque(torque);
        twin.read(state);
        assert.equal(torque[1], 0, `tick ${t}: no generalised actuator force on the pendulum`);
        assert.equal(state.effortNm[1], 0);
        // The motor's own range (±0.025 N·m) clamps the command.
        assert.ok(Math.abs(torque[0] - Math.max(-0.025, Math.min(0.025, command))) < 1e-12);
        if (torque[0] !== 0) armDriven++;
      }
      assert.equal(armDriven, 300);
    } finally {
      twin.dispose();
    }
    const actuatedPendulum = variant('actuated-pendulum', (xml) =>
      xml.replace('</actuator>', '  <motor name="sneaky" joint="pendulum" gear="1"/>\n  </actuator>'),
    );
    await assert.rejects(MujocoTwin.create(actuatedPendulum, 1), /drives 'pendulum', a passive joint of the calibration/);
  });

  test('free pendulum period matches the linearised model computed by hand (within 0.2 %)', async () => {
    // Without damping: the closed form; about 0.4852 s.
    const undamped = variant('undamped', (xml) => xml.replace(/damping="[^"]*"/g, 'damping="0"'));
    const expectedUndamped = linearPeriodS(0, 0);
    assert.ok(Math.abs(expectedUndamped - 0.4852) < 1e-3, `hand value ${expectedUndamped}`);
    const measuredUndamped = await measuredPeriodS(undamped, 4);
    assert.ok(
      Math.abs(measuredUndamped / expectedUndamped - 1) < 0.002,
      `undamped: measured ${measuredUndamped.toFixed(5)} s, hand ${expectedUndamped.toFixed(5)} s`,
    );
    // The shipped model: the arm's damping lengthens the swing by about 0.3 %, which the cubic captures.
    const expected = linearPeriodS(ARM_DAMPING, PENDULUM_DAMPING);
    const measured = await measuredPeriodS(calibration, 4);
    assert.ok(Math.abs(measured / expected - 1) < 0.002, `shipped: measured ${measured.toFixed(5)} s, hand ${expected.toFixed(5)} s`);
    assert.ok(measured > measuredUndamped, 'damping lengthens the period');
  });

  test('the motor torque limit suffices to swing the pendulum past horizontal within a second', async () => {
    const twin = await MujocoTwin.create(calibration, 1);
    try {
      const position = new Float64Array(2);
      const velocity = new Float64Array(2);
      twin.resetTo([0, Math.PI - 0.05]);
      let pastHorizontalAt = -1;
      for (let t = 0; t < 100 && pastHorizontalAt < 0; t++) {
        twin.trueState(position, velocity);
        if (Math.cos(position[1]) > 0) pastHorizontalAt = t;
        // Energy pumping: full torque along sign(α' cos α), as in Åström and Furuta's swing-up.
        twin.command([0.025 * Math.sign(velocity[1] * Math.cos(position[1]))]);
        twin.advance();
      }
      assert.ok(pastHorizontalAt > 0, 'above horizontal within 100 ticks (1 s) of pumping');
    } finally {
      twin.dispose();
    }
  });
});

describe('furuta task', () => {
  const task = createTask('furuta', calibration);
  const state = createJointState(2);
  const noAction = new Float32Array(1);

  test('episodes start at home with the pendulum hanging, at rest', () => {
    const rng = new Rng(3);
    for (let e = 0; e < 20; e++) {
      const start = task.beginEpisode(rng);
      assert.equal(start.positionRad[0], 0);
      assert.ok(Math.abs(start.positionRad[1] - Math.PI) <= 0.05);
      assert.equal(start.velocityRadS, null);
    }
    assert.equal(task.episodeSteps, 500);
  });

  test('observation: cos/sin of both angles and both scaled velocities', () => {
    const obs = new Float32Array(task.obsDim);
    state.positionRad.set([0.5, Math.PI]);
    state.velocityRadS.set([10, -4]);
    task.observe(state, noAction, obs);
    const expected = [Math.cos(0.5), Math.sin(0.5), -1, 0, 10 / 20, -4 / 20];
    expected.forEach((value, i) => assert.ok(Math.abs(obs[i] - value) < 1e-6, `obs[${i}] = ${obs[i]}, expected ${value}`));
  });

  test('reward: 1 upright and centred without effort, 0 hanging, less with arm angle or effort', () => {
    const reward = (arm: number, pendulum: number, torque: number): number => {
      state.positionRad.set([arm, pendulum]);
      return task.reward(state, Float64Array.of(torque), state);
    };
    assert.equal(reward(0, 0, 0), 1);
    assert.ok(reward(0, Math.PI, 0) < 1e-12);
    assert.ok(reward(0, 2 * Math.PI, 0) > 1 - 1e-12, 'angles wrap');
    assert.ok(Math.abs(reward(1, 0, 0) - (1 - 0.5 * 0.25)) < 1e-12, 'arm at half its soft range (2 rad)');
    assert.ok(Math.abs(reward(0, 0, 0.025) - 0.9) < 1e-12, 'full effort');
    assert.ok(reward(2.2, 0.3, -0.025) > 0, 'never negative');
    // An arm whose soft range ends 1 rad from 0 on one side: that nearer end scales the penalty.
    const lopsided: Calibration = {
      ...calibration,
      joints: [{ ...calibration.joints[0], limits: { ...calibration.joints[0].limits, minPositionRad: -1.3 } }],
    };
    state.positionRad.set([0.5, 0]);
    assert.ok(Math.abs(createTask('furuta', lopsided).reward(state, Float64Array.of(0), state) - (1 - 0.5 * 0.25)) < 1e-12);
  });

  test('terminal when the arm leaves its hard range (the cable limit), not before', () => {
    state.positionRad.set([2.29, 0]);
    assert.equal(task.isTerminal(state), false);
    state.positionRad.set([-2.31, 0]);
    assert.equal(task.isTerminal(state), true);
  });

  test('rejects a robot that is not a rotary pendulum', () => {
    assert.throws(
      () => createTask('furuta', loadCalibration('pendulum')),
      /one driven joint in effort mode and one passive pendulum joint/,
    );
  });
});
