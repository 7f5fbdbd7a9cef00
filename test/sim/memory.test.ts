import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCalibration } from '../../src/calibration/load.js';
import { createJointState } from '../../src/core/joint-state.js';
import { loadMjcf } from '../../src/sim/mujoco.js';
import { MujocoTwin } from '../../src/sim/twin.js';

const calibrations = ['sim-reacher', 'pendulum', 'arm', 'furuta'].map((name) => loadCalibration(name));

/**
 * Where the WASM allocator puts a fresh model's data, and how big the WASM heap is. MuJoCo arrays
 * are views into the heap, so a probe model's `qpos` tells both. Every MjData reserves an arena of
 * megabytes: one leaked MjModel/MjData pair pushes later allocations up and, a few leaks later,
 * grows the heap (which never shrinks).
 */
async function heapProbe(): Promise<{ offsetBytes: number; heapBytes: number }> {
  const probe = await loadMjcf(calibrations[2].twin!.mjcf);
  const qpos = probe.data.qpos as Float64Array;
  const result = { offsetBytes: qpos.byteOffset, heapBytes: qpos.buffer.byteLength };
  probe.dispose();
  return result;
}

test('no WASM memory leak across many twins created, reset, stepped and disposed', async () => {
  const exercise = async (rounds: number): Promise<void> => {
    for (let round = 0; round < rounds; round++) {
      for (const calibration of calibrations) {
        const twin = await MujocoTwin.create(calibration, round);
        const start = [...calibration.joints.map((joint) => joint.homeRad), ...calibration.passiveJoints.map(() => Math.PI)];
        const hold = calibration.joints.map((joint) => (calibration.commandMode === 'position' ? joint.homeRad : 0));
        const state = createJointState(twin.jointCount);
        for (let reset = 0; reset < 5; reset++) {
          twin.resetTo(start);
          twin.command(hold);
          twin.advance();
          twin.read(state);
        }
        twin.dispose();
      }
    }
  };
  await exercise(5);
  const before = await heapProbe();
  await exercise(60);
  const after = await heapProbe();
  assert.equal(after.heapBytes, before.heapBytes, `the WASM heap grew from ${before.heapBytes} to ${after.heapBytes} bytes over 240 twins`);
  // The allocator may place the probe a little differently (free-list order), never a whole arena higher.
  assert.ok(
    Math.abs(after.offsetBytes - before.offsetBytes) < 2 ** 20,
    `probe allocated at ${after.offsetBytes}, before at ${before.offsetBytes}`,
  );
});

test('no WASM memory growth over thousands of resets of one twin', async () => {
  const calibration = calibrations[2];
  const twin = await MujocoTwin.create(calibration, 1);
  try {
    const home = calibration.joints.map((joint) => joint.homeRad);
    const before = await heapProbe();
    for (let reset = 0; reset < 5000; reset++) {
      twin.resetTo(home);
      twin.command(home);
      twin.advance();
    }
    const after = await heapProbe();
    assert.equal(after.heapBytes, before.heapBytes);
    assert.ok(
      Math.abs(after.offsetBytes - before.offsetBytes) < 2 ** 20,
      `probe allocated at ${after.offsetBytes}, before at ${before.offsetBytes}`,
    );
  } finally {
    twin.dispose();
  }
});

test('the probe detects a leak (so the checks above can fail)', async () => {
  const before = await heapProbe();
  const leaked = await Promise.all(Array.from({ length: 3 }, (_, i) => MujocoTwin.create(calibrations[2], i)));
  const during = await heapProbe();
  leaked.forEach((twin) => twin.dispose());
  assert.ok(
    during.offsetBytes - before.offsetBytes > 2 ** 20 || during.heapBytes > before.heapBytes,
    `three live twins moved the probe from ${before.offsetBytes} to ${during.offsetBytes}`,
  );
});
