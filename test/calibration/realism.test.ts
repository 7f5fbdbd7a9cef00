/**
 * sim-device's realism flags: the knobs they override reach the twin's readings, the others keep the
 * calibration's values, out-of-range values are refused with the flag named, and the servo-bus
 * emulator, which cannot honour them, refuses them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCalibration } from '../../src/calibration/load.js';
import { withRealism } from '../../src/calibration/realism.js';
import { createJointState } from '../../src/core/joint-state.js';
import { MujocoTwin } from '../../src/sim/twin.js';
import { UsageError } from '../../src/util/errors.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));

describe('realism overrides', () => {
  const arm = loadCalibration('arm');

  test('replace only the knobs given', () => {
    const changed = withRealism(arm, { latencyTicks: 2, velocityNoiseRadS: 0.1 });
    assert.deepEqual(changed.twin!.realism, { ...arm.twin!.realism, latencyTicks: 2, velocityNoiseRadS: 0.1 });
    assert.equal(withRealism(arm, {}), arm);
  });

  test('reach the readings of the twin: a coarse encoder without noise', async () => {
    const twin = await MujocoTwin.create(withRealism(arm, { positionNoiseRad: 0, encoderResolutionRad: 0.25 }), 0);
    try {
      twin.resetTo(arm.joints.map((joint) => joint.homeRad + 0.1));
      const state = createJointState(arm.joints.length);
      twin.read(state);
      for (const value of state.positionRad) assert.ok(Math.abs(value / 0.25 - Math.round(value / 0.25)) < 1e-9, `reading ${value} in steps of 0.25 rad`);
    } finally {
      twin.dispose();
    }
  });

  test('refuse values a calibration could not hold, naming the flag', () => {
    assert.throws(() => withRealism(arm, { latencyTicks: 1.5 }), (error: unknown) => error instanceof UsageError && /^--latency-ticks must be a whole number/.test(error.message));
    assert.throws(() => withRealism(arm, { positionNoiseRad: -0.1 }), /: --position-noise-rad must be a number from 0 to 10 \(got -0.1\)$/);
    assert.throws(() => withRealism(arm, { encoderResolutionRad: Number.NaN }), /: --encoder-resolution-rad must be a number/);
  });

  test('sim-device --bus refuses them in one line', () => {
    const result = spawnSync(process.execPath, [bin, 'sim-device', '--bus', 'feetech', '--twin', 'so101', '--port', '/nonexistent/tty', '--latency-ticks', '1'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^robo-train: --latency-ticks: the servo-bus emulator \(--bus\) cannot apply realism knobs .*\n$/);
  });
});
