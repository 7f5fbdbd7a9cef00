import type { Calibration, CommandMode, TwinRealism } from '../calibration/types.js';
import type { JointState } from '../core/joint-state.js';
import { Rng } from '../util/rng.js';
import { twinDisagreements } from './agreement.js';
import { loadMjcf, type LoadedModel } from './mujoco.js';
import { UsageError } from '../util/errors.js';

const MJ_OBJ_JOINT = 3;
const MJ_TRN_JOINT = 0;
/** Gain and bias parameters per actuator (MuJoCo's mjNGAIN = mjNBIAS = 10). */
const ACTUATOR_PARAMS = 10;

/** Views of the simulation state in WASM memory, each [model size]. */
interface StateViews {
  qpos: Float64Array;
  qvel: Float64Array;
  qacc: Float64Array;
  ctrl: Float64Array;
  actuatorForce: Float64Array;
  qfrcActuator: Float64Array;
}

/**
 * The MuJoCo twin of a robot: the robot's joints, driven by the same commands at the same control
 * rate, with the realism knobs of its calibration (command latency, sensor noise, encoder
 * quantisation). One `advance()` is one control period, i.e. `substeps` physics steps.
 *
 * Commands are what the calibration's `commandMode` says: in 'position' mode each joint has a MuJoCo
 * `<position>` actuator (a servo with gain and force limit), in 'effort' mode a `<motor>` whose
 * control is the joint torque in N·m. The MJCF must have one hinge joint per calibrated joint, with
 * the same name, and one actuator on each; passive joints are hinges without an actuator.
 */
export class MujocoTwin {
  /** Joints in a reading: the driven ones, then the passive ones. */
  readonly jointCount: number;
  /** Driven joints: the length of a command. */
  readonly actuatedCount: number;
  readonly commandMode: CommandMode;
  /** Physics steps per control period. */
  readonly substeps: number;
  /** Simulated time [s]. */
  timeS = 0;

  private readonly qposAddress: Int32Array;
  private readonly qvelAddress: Int32Array;
  private readonly actuatorIndex: Int32Array;
  /** Commands waiting to take effect, oldest first: `latencyTicks` deep. */
  private readonly pendingCommands: Float64Array[];
  private readonly realism: TwinRealism;
  private readonly velocityClampRadS: number | null;
  private readonly noiseRng: Rng;
  /** Physics step [s]. */
  private readonly timestepS: number;
  private viewCache: StateViews | null = null;
  private seq = 0;
  /** The actuators' gain and bias parameters as compiled, kept while some are released. */
  private engagedParams: { gain: Float64Array; bias: Float64Array } | null = null;

  private constructor(
    private readonly loaded: LoadedModel,
    calibration: Calibration,
    seed: number,
  ) {
    const { mujoco, model } = loaded;
    if (!calibration.twin) throw new UsageError(`${calibration.sourcePath}: the robot '${calibration.robot}' has no twin section`);
    this.realism = calibration.twin.realism;
    this.commandMode = calibration.commandMode;
    this.actuatedCount = calibration.joints.length;
    this.jointCount = calibration.joints.length + calibration.passiveJoints.length;
    this.velocityClampRadS = calibration.twin.velocityClampRadS;
    if (this.velocityClampRadS !== null && (model.nq !== this.jointCount || model.nv !== this.jointCount)) {
      throw new UsageError(`${calibration.twin.mjcf}: velocityClampRadS needs a model whose only joints are the calibrated hinges`);
    }
    this.noiseRng = new Rng(seed);
    const jointQposAdr = model.jnt_qposadr as Int32Array;
    const jointDofAdr = model.jnt_dofadr as Int32Array;
    const actuatorTarget = model.actuator_trnid as Int32Array;
    const actuatorTransmission = model.actuator_trntype as Int32Array;
    this.qposAddress = new Int32Array(this.jointCount);
    this.qvelAddress = new Int32Array(this.jointCount);
    this.actuatorIndex = new Int32Array(this.actuatedCount);
    const jointIds = new Int32Array(this.jointCount);
    [...calibration.joints, ...calibration.passiveJoints].forEach((joint, i) => {
      const id = mujoco.mj_name2id(model, MJ_OBJ_JOINT, joint.name);
      if (id < 0) throw new UsageError(`${calibration.twin?.mjcf}: no joint named '${joint.name}' (calibration joint ${i})`);
      jointIds[i] = id;
      this.qposAddress[i] = jointQposAdr[id];
      this.qvelAddress[i] = jointDofAdr[id];
      let actuator = -1;
      for (let a = 0; a < model.nu; a++) {
        if (actuatorTransmission[a] === MJ_TRN_JOINT && actuatorTarget[2 * a] === id) actuator = a;
      }
      if (i >= this.actuatedCount) {
        // The calibration says nothing drives this joint; a model that does would simulate another robot.
        if (actuator >= 0)
          throw new UsageError(
            `${calibration.twin?.mjcf}: actuator ${actuator} drives '${joint.name}', a passive joint of the calibration`,
          );
        return;
      }
      if (actuator < 0) throw new UsageError(`${calibration.twin?.mjcf}: no actuator drives joint '${joint.name}'`);
      this.actuatorIndex[i] = actuator;
    });
    const disagreements = twinDisagreements(calibration, model, jointIds, this.actuatorIndex);
    if (disagreements.length > 0) {
      throw new UsageError(`${calibration.twin.mjcf} disagrees with ${calibration.sourcePath}: ${disagreements.join('; ')}`);
    }
    const periodS = 1 / calibration.controlHz;
    const timestepS = model.opt.timestep;
    this.timestepS = timestepS;
    this.substeps = Math.round(periodS / timestepS);
    if (this.substeps < 1 || Math.abs(this.substeps * timestepS - periodS) > 1e-9) {
      throw new UsageError(
        `${calibration.twin.mjcf}: the physics timestep ${timestepS} s does not divide the control period ${periodS} s (controlHz ${calibration.controlHz})`,
      );
    }
    this.pendingCommands = Array.from({ length: this.realism.latencyTicks }, () => new Float64Array(this.actuatedCount));
  }

  /** Loads the calibration's MJCF. `seed` drives the sensor noise. */
  static async create(calibration: Calibration, seed: number): Promise<MujocoTwin> {
    if (!calibration.twin) throw new UsageError(`${calibration.sourcePath}: the robot '${calibration.robot}' has no twin section`);
    const loaded = await loadMjcf(calibration.twin.mjcf);
    try {
      return new MujocoTwin(loaded, calibration, seed);
    } catch (error) {
      loaded.dispose();
      throw error;
    }
  }

  /**
   * Teleports the joints ([jointCount], driven then passive; simulation only: hardware resets go
   * through the homing trajectory). Pending commands are replaced by a hold at the new pose (or zero
   * effort).
   */
  resetTo(positionRad: ArrayLike<number>, velocityRadS?: ArrayLike<number>): void {
    const { mujoco, model, data } = this.loaded;
    mujoco.mj_resetData(model, data);
    const { qpos, qvel, ctrl } = this.views();
    for (let i = 0; i < this.jointCount; i++) {
      qpos[this.qposAddress[i]] = positionRad[i];
      qvel[this.qvelAddress[i]] = velocityRadS ? velocityRadS[i] : 0;
    }
    for (let i = 0; i < this.actuatedCount; i++) ctrl[this.actuatorIndex[i]] = this.commandMode === 'position' ? positionRad[i] : 0;
    for (const pending of this.pendingCommands) {
      for (let i = 0; i < this.actuatedCount; i++) pending[i] = this.commandMode === 'position' ? positionRad[i] : 0;
    }
    mujoco.mj_forward(model, data);
    this.timeS = 0;
  }

  /** Queues a command [actuatedCount]: it reaches the actuators after `latencyTicks` control periods. */
  command(target: ArrayLike<number>): void {
    const { ctrl } = this.views();
    if (this.pendingCommands.length === 0) {
      for (let i = 0; i < this.actuatedCount; i++) ctrl[this.actuatorIndex[i]] = target[i];
      return;
    }
    const due = this.pendingCommands.shift()!;
    for (let i = 0; i < this.actuatedCount; i++) ctrl[this.actuatorIndex[i]] = due[i];
    for (let i = 0; i < this.actuatedCount; i++) due[i] = target[i];
    this.pendingCommands.push(due);
  }

  /**
   * Runs the physics for one control period, or for `physicsSteps` steps (a servo-bus twin steps with
   * the wall clock, whose reads and writes fall anywhere in a period).
   */
  advance(physicsSteps = this.substeps): void {
    const { mujoco, model, data } = this.loaded;
    if (this.velocityClampRadS === null) {
      for (let s = 0; s < physicsSteps; s++) mujoco.mj_step(model, data);
    } else {
      for (let s = 0; s < physicsSteps; s++) this.clampedEulerStep();
    }
    this.timeS = data.time;
  }

  /** Physics step [s]. */
  get physicsStepS(): number {
    return this.timestepS;
  }

  /**
   * Releases driven joint `index` (its actuator applies no force: a servo with torque off, the joint
   * free) or engages it again with the model's own gain and bias. Position and motor actuators both:
   * the force is gain · ctrl + bias, so zero gain and bias give zero force.
   */
  releaseActuator(index: number, released: boolean): void {
    const { model } = this.loaded;
    const a = this.actuatorIndex[index];
    const gain = model.actuator_gainprm as Float64Array;
    const bias = model.actuator_biasprm as Float64Array;
    this.engagedParams ??= { gain: gain.slice(), bias: bias.slice() };
    const span = [a * ACTUATOR_PARAMS, (a + 1) * ACTUATOR_PARAMS] as const;
    if (released) {
      gain.fill(0, ...span);
      bias.fill(0, ...span);
    } else {
      gain.set(this.engagedParams.gain.subarray(...span), span[0]);
      bias.set(this.engagedParams.bias.subarray(...span), span[0]);
    }
  }

  /**
   * Gymnasium's integration (classic control): accelerations from MuJoCo, then the velocity is updated
   * and clamped before it moves the position. Valid for the hinge joints of the calibration, whose
   * positions add like their velocities; other degrees of freedom must not exist in such a model.
   */
  private clampedEulerStep(): void {
    const { mujoco, model, data } = this.loaded;
    const clamp = this.velocityClampRadS!;
    mujoco.mj_forward(model, data);
    const { qpos, qvel, qacc } = this.views();
    const dt = this.timestepS;
    for (let i = 0; i < this.jointCount; i++) {
      const dof = this.qvelAddress[i];
      const velocity = Math.min(clamp, Math.max(-clamp, qvel[dof] + qacc[dof] * dt));
      qvel[dof] = velocity;
      qpos[this.qposAddress[i]] += velocity * dt;
    }
    data.time += dt;
  }

  /** Reads the joints as the robot's sensors would: with the calibration's noise and quantisation. */
  read(out: JointState): void {
    const { data } = this.loaded;
    const { qpos, qvel, actuatorForce } = this.views();
    const { positionNoiseRad, velocityNoiseRadS, encoderResolutionRad } = this.realism;
    for (let i = 0; i < this.jointCount; i++) {
      let position = qpos[this.qposAddress[i]];
      let velocity = qvel[this.qvelAddress[i]];
      if (positionNoiseRad > 0) position += positionNoiseRad * this.noiseRng.normal();
      if (velocityNoiseRadS > 0) velocity += velocityNoiseRadS * this.noiseRng.normal();
      if (encoderResolutionRad > 0) position = Math.round(position / encoderResolutionRad) * encoderResolutionRad;
      out.positionRad[i] = position;
      out.velocityRadS[i] = velocity;
      out.effortNm[i] = i < this.actuatedCount ? actuatorForce[this.actuatorIndex[i]] : 0;
    }
    out.seq = this.seq = (this.seq + 1) >>> 0;
    out.deviceTimeS = data.time;
    out.deviceFault = false;
  }

  /** Exact joint positions and velocities, without sensor imperfections (for tests and replays). */
  trueState(positionOut: Float64Array, velocityOut: Float64Array): void {
    const { qpos, qvel } = this.views();
    for (let i = 0; i < this.jointCount; i++) {
      positionOut[i] = qpos[this.qposAddress[i]];
      velocityOut[i] = qvel[this.qvelAddress[i]];
    }
  }

  /**
   * Generalised force the actuators apply to each measured joint [jointCount, N·m] (MuJoCo's
   * `qfrc_actuator`), after the actuators' own limits; exactly 0 on passive joints.
   */
  actuatorTorque(out: Float64Array): void {
    const { qfrcActuator } = this.views();
    for (let i = 0; i < this.jointCount; i++) out[i] = qfrcActuator[this.qvelAddress[i]];
  }

  dispose(): void {
    this.viewCache = null;
    this.loaded.dispose();
  }

  /**
   * The state arrays, fetched once: each fetch through the bindings builds a new view. Growing the
   * WASM memory (another model loaded) detaches every view, whose length then reads 0: fetch again.
   */
  private views(): StateViews {
    const cached = this.viewCache;
    if (cached !== null && cached.qpos.length !== 0) return cached;
    const { data } = this.loaded;
    this.viewCache = {
      qpos: data.qpos as Float64Array,
      qvel: data.qvel as Float64Array,
      qacc: data.qacc as Float64Array,
      ctrl: data.ctrl as Float64Array,
      actuatorForce: data.actuator_force as Float64Array,
      qfrcActuator: data.qfrc_actuator as Float64Array,
    };
    return this.viewCache;
  }
}
