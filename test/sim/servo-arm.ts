/**
 * Shared checks of the servo-bus arm twins (so101, koch): raw position steps, moves through the
 * safety filter, a short training run through the CLI, and the planar statics both gravity tests use.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Calibration } from '../../src/calibration/types.js';
import { createJointState } from '../../src/core/joint-state.js';
import { SafetyFilter } from '../../src/safety/index.js';
import { MujocoTwin } from '../../src/sim/twin.js';
import { openDatabase } from '../../src/store/database.js';

const GRAVITY = 9.81;
/** 2π / 4096: the 12-bit encoders of both servo families. */
export const TICK_RAD = (2 * Math.PI) / 4096;

/** Datasheet figures of a servo at the supply voltage the arm gives it. */
export interface ServoDatasheet {
  stallTorqueNm: number;
  noLoadSpeedRadS: number;
}

/** rev/min → rad/s */
export const rpm = (value: number): number => (value * 2 * Math.PI) / 60;

export interface StepResult {
  /** First sample time at which the joint was within `bandRad` of the target [s]; -1 if never. */
  reachedS: number;
  peakSpeedRadS: number;
  /** Largest |generalised actuator force| on the stepped joint [N·m]. */
  peakTorqueNm: number;
  /** Error at the last sample [rad]. */
  finalErrorRad: number;
}

/**
 * A raw step (no safety filter) of one joint from `fromRad` (all joints at rest there) to `toRad`,
 * the other joints held: 100 control periods, sampled at the end of each.
 */
export async function stepResponse(
  calibration: Calibration,
  fromRad: number[],
  joint: number,
  toRad: number,
  bandRad: number,
): Promise<StepResult> {
  const twin = await MujocoTwin.create(calibration, 1);
  try {
    const n = twin.jointCount;
    const position = new Float64Array(n);
    const velocity = new Float64Array(n);
    const torque = new Float64Array(n);
    const target = fromRad.slice();
    target[joint] = toRad;
    twin.resetTo(fromRad);
    const periodS = 1 / calibration.controlHz;
    const result: StepResult = { reachedS: -1, peakSpeedRadS: 0, peakTorqueNm: 0, finalErrorRad: 0 };
    for (let t = 1; t <= 100; t++) {
      twin.command(target);
      twin.advance();
      twin.trueState(position, velocity);
      twin.actuatorTorque(torque);
      result.peakSpeedRadS = Math.max(result.peakSpeedRadS, Math.abs(velocity[joint]));
      result.peakTorqueNm = Math.max(result.peakTorqueNm, Math.abs(torque[joint]));
      if (result.reachedS < 0 && Math.abs(position[joint] - toRad) <= bandRad) result.reachedS = t * periodS;
      result.finalErrorRad = position[joint] - toRad;
    }
    return result;
  } finally {
    twin.dispose();
  }
}

export interface FilteredMoves {
  /** Per joint, over every move [joints] */
  maxEffortNm: Float64Array;
  /** Largest distance between applied command and true position [rad] */
  maxLagRad: Float64Array;
  maxSpeedRadS: Float64Array;
  /** Largest |true position − target| 1 s after the last command change, per joint [rad] */
  maxFinalErrorRad: Float64Array;
}

/**
 * Moves from home to each target through the safety filter (the calibration's velocity, acceleration
 * and jerk limits), 5 s per move: the commands a trained policy could send at most.
 */
export async function filteredMoves(calibration: Calibration, targets: number[][]): Promise<FilteredMoves> {
  const twin = await MujocoTwin.create(calibration, 1);
  try {
    const n = twin.jointCount;
    const home = calibration.joints.map((joint) => joint.homeRad);
    const state = createJointState(n);
    const position = new Float64Array(n);
    const velocity = new Float64Array(n);
    const out: FilteredMoves = {
      maxEffortNm: new Float64Array(n),
      maxLagRad: new Float64Array(n),
      maxSpeedRadS: new Float64Array(n),
      maxFinalErrorRad: new Float64Array(n),
    };
    for (const target of targets) {
      twin.resetTo(home);
      twin.read(state);
      const filter = SafetyFilter.fromCalibration(calibration);
      filter.reset(state.positionRad);
      for (let t = 0; t < 250; t++) {
        filter.step(Float64Array.from(target), { positionRad: state.positionRad, velocityRadS: state.velocityRadS, ageUs: 0 });
        const command = filter.output.applied;
        twin.command(command);
        twin.advance();
        twin.read(state);
        twin.trueState(position, velocity);
        for (let j = 0; j < n; j++) {
          out.maxEffortNm[j] = Math.max(out.maxEffortNm[j], Math.abs(state.effortNm[j]));
          out.maxLagRad[j] = Math.max(out.maxLagRad[j], Math.abs(command[j] - position[j]));
          out.maxSpeedRadS[j] = Math.max(out.maxSpeedRadS[j], Math.abs(velocity[j]));
        }
      }
      for (let j = 0; j < n; j++) out.maxFinalErrorRad[j] = Math.max(out.maxFinalErrorRad[j], Math.abs(position[j] - target[j]));
    }
    return out;
  } finally {
    twin.dispose();
  }
}

/** The corners of the soft position box, `fraction` of the way from its centre, in a fixed order. */
export function softCorners(calibration: Calibration, fraction: number): number[][] {
  const joints = calibration.joints;
  return Array.from({ length: 8 }, (_, k) =>
    joints.map((joint, j) => {
      const low = joint.limits.minPositionRad! + joint.limits.softMarginRad;
      const high = joint.limits.maxPositionRad! - joint.limits.softMarginRad;
      const centre = (low + high) / 2;
      const side = (k >> (j % 3)) & 1 ? 1 : -1;
      return centre + side * fraction * ((high - low) / 2);
    }),
  );
}

/** A rigid part of a link: its mass and its centre of mass in the link's frame, (x, z) in the arm's plane. */
export interface PointMass {
  massKg: number;
  xM: number;
  zM: number;
}

/** A link of a planar chain of pitch joints: where its joint sits in the parent link's frame, and its parts. */
export interface PlanarLink {
  jointXM: number;
  jointZM: number;
  parts: PointMass[];
}

/**
 * Gravity torque on each joint of a planar chain [N·m], about the joint's positive axis, for joint
 * angles `anglesRad` where positive turns a link's +x toward `positiveTurnsXToward` (−z: "tips down",
 * +z: "tips up"); gravity along −z. Frames coincide with the world frame at angle 0. A force (0, −mg)
 * at horizontal distance d in front of the joint pulls with torque −m g d about an axis that turns +x
 * toward +z, +m g d about one that turns +x toward −z.
 */
export function planarGravityTorqueNm(links: PlanarLink[], anglesRad: number[], positiveTurnsXToward: '+z' | '-z'): number[] {
  const sign = positiveTurnsXToward === '-z' ? 1 : -1;
  // World pose of each link frame: origin (x, z) and cumulative pitch φ (+φ turns x toward +z).
  let originX = 0;
  let originZ = 0;
  let phi = 0;
  const joints: { x: number; z: number }[] = [];
  const masses: { m: number; x: number }[][] = [];
  links.forEach((link, i) => {
    const cos = Math.cos(phi);
    const sin = Math.sin(phi);
    originX += cos * link.jointXM - sin * link.jointZM;
    originZ += sin * link.jointXM + cos * link.jointZM;
    phi += -sign * anglesRad[i];
    joints.push({ x: originX, z: originZ });
    const c = Math.cos(phi);
    const s = Math.sin(phi);
    masses.push(link.parts.map((part) => ({ m: part.massKg, x: originX + c * part.xM - s * part.zM })));
  });
  return joints.map((joint, i) => {
    let sum = 0;
    for (let k = i; k < links.length; k++) for (const part of masses[k]) sum += part.m * (part.x - joint.x);
    return sign * GRAVITY * sum;
  });
}

/** `robo-train --sim ROBOT --steps STEPS` in a child process: exit status, output, and the steps it stored. */
export function trainThroughCli(
  robot: string,
  steps: number,
): { status: number | null; stdout: string; stderr: string; storedSteps: number; storedRobot: string } {
  const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), `robo-train-${robot}-`));
  try {
    const db = join(dir, 'run.db');
    const run = spawnSync(
      process.execPath,
      [bin, '--sim', robot, '--steps', String(steps), '--hidden', '32,32', '--seed', '3', '--db', db],
      { encoding: 'utf8', timeout: 120_000 },
    );
    let storedSteps = -1;
    let storedRobot = '';
    if (run.status === 0) {
      const store = openDatabase(db, { readonly: true });
      storedSteps = (store.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n;
      storedRobot = (store.prepare('SELECT robot FROM runs').get() as { robot: string }).robot;
      store.close();
    }
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, storedSteps, storedRobot };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
