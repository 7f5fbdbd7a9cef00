/**
 * The MuJoCo twin behind a chain of emulated servos: what each servo drives goes to its joint's
 * position actuator, and what it senses comes from the joint and from the wear telemetry model.
 *
 * Time is the wall clock of the emulator: every `sense` and `actuate` first runs the physics up to
 * its time, one physics step at a time, so that a read sees the arm as it is at that moment and a
 * goal takes effect when it arrives. Per step and joint:
 * - torque on: the actuator's target moves toward the servo's goal (inside the servo's position
 *   limits), at most at the profile velocity when the servo sets one, at once otherwise;
 * - torque off: the actuator is released (no force, the joint moves freely under gravity), unless
 *   the simulated operator's hand holds the joint (it then follows the hand's path);
 * - the output torque (zero with torque off) updates the servo's current, load and temperature.
 * A servo's raw angle is `direction · joint + offsetRad` (the calibration's convention); its torque
 * and velocity carry the same sign.
 */
import type { Calibration, ServoModel } from '../calibration/types.js';
import { MujocoTwin } from '../sim/twin.js';
import type { ServoActuation, ServoPlant, ServoSensing } from '../servo-bus/index.js';
import type { HandSweep } from '../firmware-sim/hand.js';
import { SERVO_ELECTRICAL } from './servo-models.js';
import { inputVoltageV, ServoTelemetry } from './telemetry.js';

/**
 * The longest stretch of time one call simulates [ms]. When the process was held up longer (a
 * debugger, a suspended machine), the arm skips the rest rather than stall the bus while it catches up.
 */
const MAX_CATCH_UP_MS = 200;

interface JointServo {
  joint: number;
  id: number;
  model: ServoModel;
  direction: number;
  offsetRad: number;
  actuation: ServoActuation | null;
  /** The actuator's present target [rad, joint space]. */
  targetRad: number;
  released: boolean;
  telemetry: ServoTelemetry;
}

export class TwinPlant implements ServoPlant {
  /** Time of the first torque-on of any servo [ms], or null. */
  firstTorqueOnMs: number | null = null;
  private readonly servos = new Map<number, JointServo>();
  private readonly joints: JointServo[];
  private readonly stepMs: number;
  private simMs: number;
  private handStartedAtMs: number | null = null;
  private readonly handTarget: Float64Array;
  private readonly command: Float64Array;
  private readonly position: Float64Array;
  private readonly velocity: Float64Array;
  private readonly torque: Float64Array;
  /** Servos sharing a supply (same model, hence same supply voltage), for the voltage drop. */
  private readonly supplies = new Map<number, ServoTelemetry[]>();

  constructor(
    calibration: Calibration,
    private readonly twin: MujocoTwin,
    private readonly hand: HandSweep | null,
    atMs: number,
  ) {
    this.stepMs = twin.physicsStepS * 1000;
    this.simMs = atMs;
    const n = calibration.joints.length;
    this.handTarget = new Float64Array(n);
    this.command = new Float64Array(n);
    this.position = new Float64Array(twin.jointCount);
    this.velocity = new Float64Array(twin.jointCount);
    this.torque = new Float64Array(twin.jointCount);
    twin.trueState(this.position, this.velocity);
    this.joints = calibration.joints.map((joint, j) => {
      if (joint.servo === null) throw new RangeError(`${calibration.sourcePath}: joint '${joint.name}' names no servo`);
      const electrical = SERVO_ELECTRICAL[joint.servo.model];
      const servo: JointServo = {
        joint: j,
        id: joint.servo.id,
        model: joint.servo.model,
        direction: joint.direction,
        offsetRad: joint.offsetRad,
        actuation: null,
        targetRad: this.position[j],
        released: false,
        telemetry: new ServoTelemetry(electrical),
      };
      this.servos.set(servo.id, servo);
      const supply = this.supplies.get(electrical.supplyV) ?? [];
      supply.push(servo.telemetry);
      this.supplies.set(electrical.supplyV, supply);
      return servo;
    });
  }

  /** Loads the calibration's twin at its home pose, at rest. */
  static async create(calibration: Calibration, hand: HandSweep | null, atMs: number): Promise<TwinPlant> {
    const twin = await MujocoTwin.create(calibration, 0);
    twin.resetTo([...calibration.joints.map((joint) => joint.homeRad), ...calibration.passiveJoints.map(() => 0)]);
    return new TwinPlant(calibration, twin, hand, atMs);
  }

  sense(id: number, atMs: number): ServoSensing {
    this.advanceTo(atMs);
    const servo = this.servoOf(id);
    const t = servo.telemetry;
    return {
      positionRad: servo.direction * this.position[servo.joint] + servo.offsetRad,
      velocityRadS: servo.direction * this.velocity[servo.joint],
      currentA: t.currentA,
      loadFraction: t.loadFraction,
      inputVoltageV: inputVoltageV(t.model.supplyV, this.supplies.get(t.model.supplyV)!),
      temperatureC: t.temperatureC,
    };
  }

  actuate(id: number, actuation: ServoActuation, atMs: number): void {
    this.advanceTo(atMs);
    const servo = this.servoOf(id);
    const wasOn = servo.actuation?.torqueEnabled ?? false;
    servo.actuation = { ...actuation };
    if (actuation.torqueEnabled && !wasOn) {
      // Torque on: the servo drives from where the joint is, not from a target it held before.
      servo.targetRad = this.position[servo.joint];
      this.firstTorqueOnMs ??= atMs;
    }
  }

  /** The operator's hand starts its sweep (it moves the joints whose torque is off). */
  startHand(atMs: number): void {
    this.handStartedAtMs ??= atMs;
  }

  /** The hand has finished its sweeps and holds the arm in its home pose, at `atMs`. */
  handDoneAt(atMs: number): boolean {
    return this.hand !== null && this.handStartedAtMs !== null && this.hand.doneAt((atMs - this.handStartedAtMs) / 1000);
  }

  /** Servo `oldId` now answers to `newId` (the host wrote its ID register). */
  renumber(oldId: number, newId: number): void {
    const servo = this.servoOf(oldId);
    this.servos.delete(oldId);
    servo.id = newId;
    this.servos.set(newId, servo);
  }

  /** Sets servo `id`'s temperature (fault injection: a servo heated by a long stall). */
  setTemperature(id: number, temperatureC: number): void {
    this.servoOf(id).telemetry.temperatureC = temperatureC;
  }

  /** Joint positions of the twin [rad, joint space], driven joints then passive ones. */
  jointPositions(): Float64Array {
    return this.position.slice();
  }

  /** Runs the physics up to `atMs`. */
  advanceTo(atMs: number): void {
    if (atMs - this.simMs > MAX_CATCH_UP_MS) this.simMs = atMs - MAX_CATCH_UP_MS;
    while (this.simMs + this.stepMs <= atMs) {
      this.step();
      this.simMs += this.stepMs;
    }
  }

  dispose(): void {
    this.twin.dispose();
  }

  private step(): void {
    const dtS = this.stepMs / 1000;
    const handHolds = this.hand !== null && this.handStartedAtMs !== null;
    if (handHolds) this.hand.targetAt((this.simMs - this.handStartedAtMs!) / 1000, this.handTarget);
    for (const servo of this.joints) {
      const j = servo.joint;
      const actuation = servo.actuation;
      let release = false;
      if (actuation?.torqueEnabled) {
        const goalRaw = Math.max(actuation.minPositionRad, Math.min(actuation.maxPositionRad, actuation.goalPositionRad));
        const goal = servo.direction * (goalRaw - servo.offsetRad);
        const maxStep = actuation.profileVelocityRadS > 0 ? actuation.profileVelocityRadS * dtS : Infinity;
        servo.targetRad += Math.max(-maxStep, Math.min(maxStep, goal - servo.targetRad));
      } else if (handHolds) {
        servo.targetRad = this.handTarget[j];
      } else {
        release = true;
        servo.targetRad = this.position[j];
      }
      if (release !== servo.released) {
        this.twin.releaseActuator(j, release);
        servo.released = release;
      }
      this.command[j] = servo.targetRad;
    }
    this.twin.command(this.command);
    this.twin.advance(1);
    this.twin.trueState(this.position, this.velocity);
    this.twin.actuatorTorque(this.torque);
    for (const servo of this.joints) {
      const output = servo.actuation?.torqueEnabled ? servo.direction * this.torque[servo.joint] : 0;
      servo.telemetry.update(output, dtS);
    }
  }

  private servoOf(id: number): JointServo {
    const servo = this.servos.get(id);
    if (servo === undefined)
      throw new RangeError(`the twin has no joint driven by servo id ${id} (ids ${[...this.servos.keys()].join(', ')})`);
    return servo;
  }
}
