/**
 * The hook between an emulated servo and what moves behind it (later: the MuJoCo twin). The servo
 * asks the plant for its sensed state when a read needs present values, and tells it every change
 * of what it drives. Both sides speak SI units; the emulators convert with their model's units.
 * `IdealPlant` is a plant without dynamics for tests and for running without a simulator.
 */

/** What a servo senses, in SI units. */
export interface ServoSensing {
  /** Output shaft angle [rad], 0 at the encoder's centre count 2048. */
  positionRad: number;
  velocityRadS: number;
  /** Motor current [A] (models with a current register). */
  currentA: number;
  /** Load as a signed fraction of the maximum, -1..1 (models with a load register). */
  loadFraction: number;
  inputVoltageV: number;
  temperatureC: number;
}

/** What a servo drives, in SI units: sent on every change. */
export interface ServoActuation {
  torqueEnabled: boolean;
  /** The position the servo is driving to [rad], inside its position limits when it enforces them. */
  goalPositionRad: number;
  /** Position limits the servo enforces [rad] (-Infinity / Infinity when it enforces none). */
  minPositionRad: number;
  maxPositionRad: number;
  /** Velocity limit of the motion profile [rad/s]; 0 means none (as the vendors' 0 = unlimited). */
  profileVelocityRadS: number;
}

/** The plant behind a chain of servos, addressed by servo id. */
export interface ServoPlant {
  /** The state of servo `id`'s shaft at time `atMs`. */
  sense(id: number, atMs: number): ServoSensing;
  /** Servo `id` changed what it drives at time `atMs`. */
  actuate(id: number, actuation: ServoActuation, atMs: number): void;
}

/** Defaults of `IdealPlant`. */
export interface IdealPlantOptions {
  inputVoltageV?: number;
  temperatureC?: number;
  /** Shaft angle of every servo before anything moves it [rad]. */
  initialPositionRad?: number;
}

/**
 * A plant without dynamics: with torque on, a shaft is at its goal at once; with torque off it stays
 * where it is. Velocity, current and load are zero; voltage (default 6.5 V, inside the default
 * voltage limits of the XL430-W250, the XL330-M288 and the STS3215) and temperature (30 degC) stay
 * constant unless set.
 */
export class IdealPlant implements ServoPlant {
  private readonly state = new Map<number, ServoSensing>();
  /** Every actuation received, in order (for tests and logs). */
  readonly actuations: { id: number; actuation: ServoActuation; atMs: number }[] = [];

  constructor(private readonly options: IdealPlantOptions = {}) {}

  sense(id: number, _atMs: number): ServoSensing {
    return { ...this.stateOf(id) };
  }

  actuate(id: number, actuation: ServoActuation, atMs: number): void {
    this.actuations.push({ id, actuation: { ...actuation }, atMs });
    if (actuation.torqueEnabled) this.stateOf(id).positionRad = actuation.goalPositionRad;
  }

  /** Overrides part of servo `id`'s sensed state (a hand moving the arm, a hot motor, a sagging supply). */
  setSensing(id: number, sensing: Partial<ServoSensing>): void {
    Object.assign(this.stateOf(id), sensing);
  }

  private stateOf(id: number): ServoSensing {
    let s = this.state.get(id);
    if (s === undefined) {
      s = {
        positionRad: this.options.initialPositionRad ?? 0,
        velocityRadS: 0,
        currentA: 0,
        loadFraction: 0,
        inputVoltageV: this.options.inputVoltageV ?? 6.5,
        temperatureC: this.options.temperatureC ?? 30,
      };
      this.state.set(id, s);
    }
    return s;
  }
}

/** One status packet (or Fast Sync Read part) an emulated chain puts on the bus. */
export interface EmulatedReply {
  /** Id of the servo that sends it (254 for a Fast Sync Read status packet). */
  readonly id: number;
  readonly bytes: Uint8Array;
  /**
   * Wait before sending [us], counted from the end of the instruction packet for the first reply and
   * from the end of the previous reply otherwise: the servo's Return Delay Time.
   */
  readonly delayUs: number;
}
