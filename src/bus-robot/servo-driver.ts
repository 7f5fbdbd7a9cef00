/**
 * What the bus robot needs of a servo bus, the same for Dynamixel and Feetech: one transaction that
 * reads every servo's state for a tick, one that writes every goal, and the few set-up operations.
 * `dynamixel-driver.ts` and `feetech-driver.ts` implement it over the bus masters of src/servo-bus/.
 */
import type { BusProtocol } from '../calibration/types.js';

/** One servo's reading of a tick, in SI units; NaN where the model does not measure a quantity. */
export interface ServoReading {
  /** Present position [encoder ticks, 4096 per turn]. */
  positionTicks: number;
  velocityRadS: number;
  /** Motor current [A] (models with a current sensor). */
  currentA: number;
  /** Load as a signed fraction of the maximum torque (models that report load instead of current). */
  loadFraction: number;
  voltageV: number;
  temperatureC: number;
  /**
   * The servo reports a hardware error. Feetech gives its words with every answer (`errors`);
   * Dynamixel only raises the Alert bit, and `hardwareErrors(id)` reads the words.
   */
  alert: boolean;
  errors: string[];
}

/** Answer to Ping. */
export interface ServoIdentity {
  modelNumber: number;
  firmwareVersion: number;
}

/** Counters of the bus, for the link report. */
export interface BusCounters {
  transactions: number;
  timeouts: number;
  corrupt: number;
}

export interface ServoBusDriver {
  readonly protocol: BusProtocol;
  ping(id: number): Promise<ServoIdentity>;
  /** Chooses how `readState` reads (Dynamixel: Fast Sync Read when every servo's firmware has it). */
  configure(identities: ReadonlyMap<number, ServoIdentity>): Promise<void>;
  /** Present state of every id, in one transaction. */
  readState(ids: readonly number[]): Promise<Map<number, ServoReading>>;
  /** Goal positions [ticks] of every id, in one transaction (no answer). */
  writeGoals(ids: readonly number[], ticks: readonly number[]): Promise<void>;
  /** Torque on or off on every id, in one transaction (no answer). */
  setTorque(ids: readonly number[], enabled: boolean): Promise<void>;
  /** The words of servo `id`'s hardware error (empty when none). */
  hardwareErrors(id: number): Promise<string[]>;
  /**
   * Arms the servos' own guard against a silent host where the model has one (Dynamixel Bus
   * Watchdog); returns false where it has none (Feetech).
   */
  armWatchdog(ids: readonly number[], timeoutMs: number): Promise<boolean>;
  /**
   * Stores settings in servo `id`'s non-volatile memory (torque must be off): its own position limits,
   * a second line of defence that holds if the host dies, and its return delay. Returns them as read back.
   */
  storeSettings(id: number, settings: ServoSettings): Promise<ServoSettings>;
  readonly counters: BusCounters;
  close(): void;
}

/** What `robo-train calibrate` stores in a bus servo. */
export interface ServoSettings {
  /** The servo's own position limits [ticks]. */
  minPositionTicks: number;
  maxPositionTicks: number;
  /** Wait before the servo answers [µs]. */
  returnDelayUs: number;
}
