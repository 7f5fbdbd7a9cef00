/**
 * The calibration of one robot: what `calibration/<robot>.json` holds once validated.
 *
 * Angles are radians, angular rates rad/s (and rad/s², rad/s³), efforts N·m, rates Hz. Readings from
 * the device are raw joint angles; `jointAngle = direction * (raw - offsetRad)` turns them into the
 * angles that policies, limits and the twin use, so that two copies of the same robot share a policy.
 * A bus servo's raw angle comes from its encoder ticks as `src/calibration/servo.ts` defines.
 */
export type CommandMode = 'position' | 'effort';

/** Serial-bus servo models (`src/calibration/servo.ts` gives their protocol and the tick convention). */
export type ServoModel = 'sts3215' | 'xl430-w250' | 'xl330-m288';
export type BusProtocol = 'feetech' | 'dynamixel';

/** The servo that drives a joint of a bus robot. */
export interface ServoRef {
  /** Bus id, 0..252, unique on the bus. */
  id: number;
  model: ServoModel;
}

/** The servo bus of a robot whose joints are serial-bus servos driven straight from the host. */
export interface BusSettings {
  protocol: BusProtocol;
  /** [bit/s] */
  baudRate: number;
}

export interface JointLimits {
  /** Hard position range [rad]; `null` for a continuous joint (a wheel, a pendulum). */
  minPositionRad: number | null;
  maxPositionRad: number | null;
  /** Distance inside the hard range that policies may use: actions map to [min + margin, max - margin]. */
  softMarginRad: number;
  maxVelocityRadS: number;
  maxAccelerationRadS2: number;
  maxJerkRadS3: number;
  /** Largest effort the joint may be commanded [N·m]; `null` when the actuator limits it itself. */
  maxEffortNm: number | null;
}

/** A joint that is measured but not driven (a pendulum's free joint, a passive wheel). */
export interface PassiveJointCalibration {
  name: string;
  offsetRad: number;
  direction: 1 | -1;
}

export interface JointCalibration {
  name: string;
  /** Raw device angle at which the joint angle is zero [rad]. */
  offsetRad: number;
  /** +1, or -1 when the device counts the other way round. */
  direction: 1 | -1;
  /** Pose the robot returns to between episodes [rad]. */
  homeRad: number;
  limits: JointLimits;
  /** The bus servo that drives the joint; null unless the robot has a `bus`. */
  servo: ServoRef | null;
}

/** How the MuJoCo twin imitates the imperfections of the real robot. */
export interface TwinRealism {
  /** Commands take effect this many control ticks after they are sent. */
  latencyTicks: number;
  /** Standard deviation of Gaussian noise added to position readings [rad]. */
  positionNoiseRad: number;
  /** Standard deviation of Gaussian noise added to velocity readings [rad/s]. */
  velocityNoiseRadS: number;
  /** Encoder resolution: readings are rounded to multiples of it [rad]; 0 = exact. */
  encoderResolutionRad: number;
}

export interface TwinSpec {
  /** MJCF file, relative to the calibration file. Its hinge joints carry the names of `joints`. */
  mjcf: string;
  realism: TwinRealism;
  /**
   * When set, the twin integrates like Gymnasium's classic-control environments instead of calling
   * `mj_step`: MuJoCo computes the accelerations, then v ← clamp(v + a dt, ±velocityClampRadS) and
   * q ← q + v dt (semi-implicit Euler, velocity clamped before the position update). `null`: plain
   * MuJoCo stepping.
   */
  velocityClampRadS: number | null;
}

/** Options of the safety layer beyond the joint limits (see src/safety/README.md). */
export interface SafetySettings {
  /** How far a position command may lead the measured position [rad]; null = no bound. */
  maxLeadRad: number | null;
  /** Effort mode: time the slew limit takes to bring an effort from 0 to maxEffortNm [s]; 0 = no slew limit. */
  effortRiseTimeS: number;
}

export interface Calibration {
  /** Version of the calibration file format. */
  schemaVersion: 1;
  /** Robot id: names the file, the MQTT topics and the runs in the store. */
  robot: string;
  description: string;
  /** Control rate [Hz]: one state frame and one command per period. */
  controlHz: number;
  /** What a command's per-joint targets mean: joint positions [rad] or joint efforts [N·m]. */
  commandMode: CommandMode;
  /** The driven joints, in command order. */
  joints: JointCalibration[];
  /**
   * Joints that are only measured. Joint states list `joints` first, then these; commands list
   * `joints` only.
   */
  passiveJoints: PassiveJointCalibration[];
  /** Safety-layer options; defaults when the file has no `safety` section. */
  safety: SafetySettings;
  /** The MuJoCo twin of this robot, when it has one. */
  twin: TwinSpec | null;
  /** The servo bus, for a robot whose joints are bus servos (then every joint names its `servo`). */
  bus: BusSettings | null;
  /**
   * The task trained when no `--task` is given: a built-in task's name (`reach`, `swingup`, `furuta`)
   * or the absolute path of a task module (the file may give it relative to itself); null: none.
   */
  defaultTask: string | null;
  /** Absolute path of the file it was read from (not stored in the file). */
  sourcePath: string;
}
