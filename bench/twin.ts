/**
 * Env steps per second of each MuJoCo twin, without a policy: `command` + `advance` + `read` of
 * `MujocoTwin` against a raw loop of `substeps` × `mj_step` on the same compiled model (what one
 * control period costs MuJoCo itself). `raw_mj_step_per_s` counts such control periods per second;
 * `overhead` = raw / twin − 1, the wrapper's extra time per step (latency queue, sensor noise and
 * quantisation, copies). The pendulum twin integrates like Gymnasium (mj_forward and a clamped
 * Euler step) rather than with mj_step, so its overhead also holds that difference.
 */
import { loadCalibration } from '../src/calibration/load.js';
import { createJointState } from '../src/core/joint-state.js';
import { loadMjcf } from '../src/sim/mujoco.js';
import { MujocoTwin } from '../src/sim/twin.js';
import type { BenchResult } from './registry.js';

const MODELS = ['sim-reacher', 'pendulum', 'arm', 'furuta', 'so101', 'koch'];
const MJ_OBJ_JOINT = 3;
/** Rounds per model; each times the twin and the raw loop, and the best round of each counts. */
const ROUNDS = 8;
const ROUND_SECONDS = 0.2;

/** Control periods per second of `step`, timed over batches of 200 for `seconds`. */
function periodsPerSecond(step: () => void, seconds: number): number {
  let periods = 0;
  const started = performance.now();
  let elapsedMs = 0;
  while (elapsedMs < seconds * 1000) {
    for (let i = 0; i < 200; i++) step();
    periods += 200;
    elapsedMs = performance.now() - started;
  }
  return (periods * 1000) / elapsedMs;
}

/**
 * V8 first runs WebAssembly through its baseline compiler and swaps in optimised code later, in the
 * background: whichever loop ran first would be timed on slower code. Two seconds of stepping first.
 */
async function warmUp(): Promise<void> {
  const warm = await loadMjcf(loadCalibration(MODELS[0]).twin!.mjcf);
  try {
    periodsPerSecond(() => warm.mujoco.mj_step(warm.model, warm.data), 2);
  } finally {
    warm.dispose();
  }
}

export async function* run(): AsyncGenerator<BenchResult> {
  await warmUp();
  for (const name of MODELS) {
    const calibration = loadCalibration(name);
    const twin = await MujocoTwin.create(calibration, 1);
    const raw = await loadMjcf(calibration.twin!.mjcf);
    try {
      const start = [...calibration.joints.map((joint) => joint.homeRad), ...calibration.passiveJoints.map(() => Math.PI - 0.1)];
      // A moving command (0.5 Hz sine: ±0.3 rad about home, or ±half the torque range) keeps the
      // model in motion, as in training; a model left at rest decays into denormal numbers, which
      // slow the arithmetic and would time the two loops on different states.
      const command = new Float64Array(calibration.joints.length);
      const periodS = 1 / calibration.controlHz;
      let tick = 0;
      const nextCommand = (): Float64Array => {
        const phase = Math.sin(2 * Math.PI * 0.5 * periodS * tick++);
        calibration.joints.forEach((joint, j) => {
          command[j] = calibration.commandMode === 'position' ? joint.homeRad + 0.3 * phase : 0.5 * joint.limits.maxEffortNm! * phase;
        });
        return command;
      };
      const state = createJointState(twin.jointCount);
      twin.resetTo(start);
      const { mujoco, model, data } = raw;
      // The raw model starts where the twin does: the same state costs the same physics.
      const qpos = data.qpos as Float64Array;
      const qposAddress = model.jnt_qposadr as Int32Array;
      [...calibration.joints, ...calibration.passiveJoints].forEach((joint, i) => {
        qpos[qposAddress[mujoco.mj_name2id(model, MJ_OBJ_JOINT, joint.name)]] = start[i];
      });
      mujoco.mj_forward(model, data);
      const ctrl = data.ctrl as Float64Array;
      const substeps = twin.substeps;
      let twinRate = 0;
      let rawRate = 0;
      const timeTwin = (): void => {
        twinRate = Math.max(
          twinRate,
          periodsPerSecond(() => {
            twin.command(nextCommand());
            twin.advance();
            twin.read(state);
          }, ROUND_SECONDS),
        );
      };
      const timeRaw = (): void => {
        rawRate = Math.max(
          rawRate,
          periodsPerSecond(() => {
            ctrl.set(nextCommand());
            for (let s = 0; s < substeps; s++) mujoco.mj_step(model, data);
          }, ROUND_SECONDS),
        );
      };
      // Alternating which loop goes first evens out drifts of the machine's load.
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          timeTwin();
          timeRaw();
        } else {
          timeRaw();
          timeTwin();
        }
      }
      yield {
        model: name,
        steps_per_s: Math.round(twinRate),
        raw_mj_step_per_s: Math.round(rawRate),
        raw_physics_steps_per_s: Math.round(rawRate * substeps),
        substeps,
        overhead: Number((rawRate / twinRate - 1).toFixed(3)),
        integration: calibration.twin!.velocityClampRadS === null ? 'mj_step' : 'gymnasium-euler',
      };
    } finally {
      raw.dispose();
      twin.dispose();
    }
  }
}
