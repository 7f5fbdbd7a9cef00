/**
 * One emulated Dynamixel X servo: its control table memory and the rules of its registers, as the
 * e-manual states them (see `tables.ts` for the pages):
 * - a write touching an address that is not a register, or a read-only register, is an Access Error;
 *   so is a write to EEPROM while Torque Enable is 1 (Protocol 2.0, error 0x07);
 * - a write that covers part of a register is a Data Length Error (0x05);
 * - a value outside the register's range is a Data Range Error (0x04); a goal outside its limit
 *   register (Goal Position outside Min/Max Position Limit in Position Control Mode, Goal Velocity,
 *   Goal PWM, Goal Current beyond their limits) is a Data Limit Error (0x06);
 * - after a Bus Watchdog error, goal values are read-only and writing them is a Data Range Error
 *   (Bus Watchdog example, step 6);
 * - changing the Operating Mode sets Profile Velocity and Acceleration to 0 and Goal PWM to PWM Limit;
 * - Present Position = actual position + Homing Offset;
 * - a hardware error sets its bit in Hardware Error Status (70); if the bit is in Shutdown (63),
 *   Torque Enable drops to 0 and only a reboot brings it back; while any bit is set, every status
 *   packet has the Alert bit.
 * A write is checked as a whole before anything is stored (nothing is stored when one register fails).
 */
import { ErrorNumber } from './constants.js';
import type { ControlTable, RegisterSpec } from '../shared/control-table.js';
import { RegisterMemory } from '../shared/memory.js';
import type { ServoActuation, ServoPlant } from '../shared/plant.js';
import {
  aToCurrent,
  DYNAMIXEL_VELOCITY_RPM,
  fractionToLoad,
  radSToVelocity,
  radToTicks,
  ticksToRad,
  velocityToRadS,
  vToVoltage,
  cToTemperature,
} from '../shared/units.js';
import { HardwareError } from './errors.js';

/** Operating Mode values used by the rules (e-manual, Operating Mode(11)). */
export const OperatingMode = { CURRENT: 0, VELOCITY: 1, POSITION: 3, EXTENDED_POSITION: 4, CURRENT_BASED_POSITION: 5, PWM: 16 } as const;

/** Bus Watchdog value after its error (read as -1). */
const WATCHDOG_ERROR = -1;
/** Bus Watchdog unit [ms] (e-manual, Bus Watchdog(98)). */
export const WATCHDOG_UNIT_MS = 20;

const GOAL_REGISTERS = new Set(['goalPwm', 'goalCurrent', 'goalVelocity', 'goalPosition']);
const ACTUATION_REGISTERS = new Set([
  'torqueEnable',
  'goalPosition',
  'minPositionLimit',
  'maxPositionLimit',
  'homingOffset',
  'operatingMode',
  'profileVelocity',
]);

/** Options of one emulated servo. */
export interface DxlServoOptions {
  table: ControlTable;
  /** Id (default: the table's initial value, 1). */
  id?: number;
  /** Firmware Version register (not documented per unit; default 52). */
  firmwareVersion?: number;
  /** EEPROM values that differ from the factory defaults, as if written before power-on. */
  eeprom?: Readonly<Record<string, number>>;
}

/** The outcome of handling a register access: an error number (0 for none) and, for reads, data. */
export interface AccessResult {
  errorNumber: number;
  data?: Uint8Array;
}

/** One emulated Dynamixel servo. */
export class DxlServo {
  readonly memory: RegisterMemory;
  /** Time of the last instruction packet addressed to this servo [ms] (Bus Watchdog). */
  lastInstructionMs = 0;
  private registered: { address: number; data: Uint8Array } | null = null;
  private readonly firmwareVersion: number;

  constructor(options: DxlServoOptions) {
    this.memory = new RegisterMemory(options.table);
    this.firmwareVersion = options.firmwareVersion ?? 52;
    for (const [name, value] of Object.entries(options.eeprom ?? {})) {
      if (this.table.registers[name]?.area !== 'eeprom') throw new RangeError(`${this.table.model}: ${name} is not an EEPROM register`);
      this.memory.set(name, value);
    }
    if (options.id !== undefined) this.memory.set('id', options.id);
    this.memory.set('firmwareVersion', this.firmwareVersion);
  }

  /** The servo's model. */
  get table(): ControlTable {
    return this.memory.table;
  }

  /** Current value of the ID register. */
  get id(): number {
    return this.memory.get('id');
  }

  /** Return Delay Time [us]. */
  get returnDelayUs(): number {
    return 2 * this.memory.get('returnDelayTime');
  }

  /** Status Return Level (68): 0 Ping only, 1 Ping and reads, 2 all. */
  get statusReturnLevel(): number {
    return this.memory.get('statusReturnLevel');
  }

  /** Error field bit 7: any Hardware Error Status bit set. */
  get alert(): boolean {
    return this.memory.get('hardwareErrorStatus') !== 0;
  }

  /** Power-on: RAM to its initial values, Goal Position to the present position. */
  powerOn(plant: ServoPlant, atMs: number): void {
    this.memory.loadInitial('ram');
    this.registered = null;
    this.sample(plant, atMs);
    this.memory.set('goalPosition', this.memory.get('presentPosition'));
    this.actuate(plant, atMs);
  }

  /** Reads [address, address + length): Access Error beyond the table (no data), else the bytes. */
  read(address: number, length: number, plant: ServoPlant, atMs: number): AccessResult {
    if (address + length > this.table.memorySize) return { errorNumber: ErrorNumber.ACCESS };
    this.sample(plant, atMs);
    return { errorNumber: ErrorNumber.NONE, data: this.memory.read(address, length) };
  }

  /** Checks and, when valid, applies a write. */
  write(address: number, data: Uint8Array, plant: ServoPlant, atMs: number): AccessResult {
    const errorNumber = this.checkWrite(address, data);
    if (errorNumber === ErrorNumber.NONE) this.apply(address, data, plant, atMs);
    return { errorNumber };
  }

  /** Reg Write: checked now, stored until Action (sets Registered Instruction). */
  regWrite(address: number, data: Uint8Array): AccessResult {
    const errorNumber = this.checkWrite(address, data);
    if (errorNumber === ErrorNumber.NONE) {
      this.registered = { address, data: data.slice() };
      this.memory.set('registeredInstruction', 1);
    }
    return { errorNumber };
  }

  /** Action: applies the registered write; Instruction Error when there is none. */
  action(plant: ServoPlant, atMs: number): AccessResult {
    const registered = this.registered;
    if (registered === null) return { errorNumber: ErrorNumber.INSTRUCTION };
    this.registered = null;
    this.memory.set('registeredInstruction', 0);
    return this.write(registered.address, registered.data, plant, atMs);
  }

  /** Sets hardware error bits (a fault of the plant or a test); Shutdown bits drop the torque. */
  raiseHardwareError(bits: number, plant: ServoPlant, atMs: number): void {
    this.memory.set('hardwareErrorStatus', this.memory.get('hardwareErrorStatus') | (bits & 0x3d));
    this.applyShutdown(plant, atMs);
  }

  /** Runs the Bus Watchdog: with torque on and no instruction for longer than its period, the servo stops. */
  runWatchdog(plant: ServoPlant, atMs: number): void {
    const watchdog = this.memory.get('busWatchdog');
    if (watchdog <= 0 || this.memory.get('torqueEnable') !== 1) return;
    if (atMs - this.lastInstructionMs <= watchdog * WATCHDOG_UNIT_MS) return;
    this.memory.set('busWatchdog', WATCHDOG_ERROR);
    this.memory.set('profileAcceleration', 0);
    this.memory.set('profileVelocity', 0);
    this.sample(plant, atMs);
    plant.actuate(
      this.id,
      { ...this.actuation(), goalPositionRad: ticksToRad(this.memory.get('presentPosition') - this.memory.get('homingOffset')) },
      atMs,
    );
  }

  /** Refreshes the present values from the plant and checks voltage and temperature against their limits. */
  sample(plant: ServoPlant, atMs: number): void {
    const m = this.memory;
    const s = plant.sense(this.id, atMs);
    const velocity = radSToVelocity(s.velocityRadS, DYNAMIXEL_VELOCITY_RPM);
    m.set('presentPosition', clampTo(radToTicks(s.positionRad) + m.get('homingOffset'), 4));
    m.set('presentVelocity', clampTo(velocity, 4));
    if ('presentCurrent' in this.table.registers) m.set('presentCurrent', clampTo(aToCurrent(s.currentA, 1), 2));
    if ('presentLoad' in this.table.registers) m.set('presentLoad', Math.max(-1000, Math.min(1000, fractionToLoad(s.loadFraction))));
    const voltage = Math.max(0, Math.min(0xffff, vToVoltage(s.inputVoltageV)));
    const temperature = Math.max(0, Math.min(0xff, cToTemperature(s.temperatureC)));
    m.set('presentInputVoltage', voltage);
    m.set('presentTemperature', temperature);
    m.set('moving', Math.abs(velocity) > m.get('movingThreshold') ? 1 : 0);
    m.set('realtimeTick', Math.floor(atMs) % 32_768);
    let faults = 0;
    if (voltage > m.get('maxVoltageLimit') || voltage < m.get('minVoltageLimit')) faults |= HardwareError.INPUT_VOLTAGE;
    if (temperature > m.get('temperatureLimit')) faults |= HardwareError.OVERHEATING;
    if (faults !== 0) this.raiseHardwareError(faults, plant, atMs);
  }

  /** What the servo drives now, in SI units. */
  actuation(): ServoActuation {
    const m = this.memory;
    const offset = m.get('homingOffset');
    const limited = m.get('operatingMode') === OperatingMode.POSITION;
    return {
      torqueEnabled: m.get('torqueEnable') === 1,
      goalPositionRad: ticksToRad(m.get('goalPosition') - offset),
      minPositionRad: limited ? ticksToRad(m.get('minPositionLimit') - offset) : -Infinity,
      maxPositionRad: limited ? ticksToRad(m.get('maxPositionLimit') - offset) : Infinity,
      profileVelocityRadS: velocityToRadS(m.get('profileVelocity'), DYNAMIXEL_VELOCITY_RPM),
    };
  }

  private actuate(plant: ServoPlant, atMs: number): void {
    plant.actuate(this.id, this.actuation(), atMs);
  }

  private applyShutdown(plant: ServoPlant, atMs: number): void {
    const m = this.memory;
    if ((m.get('hardwareErrorStatus') & m.get('shutdown')) !== 0 && m.get('torqueEnable') === 1) {
      m.set('torqueEnable', 0);
      this.actuate(plant, atMs);
    }
  }

  private checkWrite(address: number, data: Uint8Array): number {
    const m = this.memory;
    const end = address + data.length;
    if (data.length === 0 || end > this.table.memorySize) return ErrorNumber.ACCESS;
    for (let a = address; a < end; a++) if (m.ownerOf(a) === undefined) return ErrorNumber.ACCESS;
    const touched = m.registersTouched(address, data.length);
    const first = touched[0];
    const last = touched[touched.length - 1];
    if (first.address !== address || last.address + last.size !== end) return ErrorNumber.DATA_LENGTH;
    if (touched.some((spec) => spec.access === 'R')) return ErrorNumber.ACCESS;
    if (m.get('torqueEnable') === 1 && touched.some((spec) => spec.area === 'eeprom')) return ErrorNumber.ACCESS;
    if (m.get('busWatchdog') === WATCHDOG_ERROR && touched.some((spec) => GOAL_REGISTERS.has(spec.name))) return ErrorNumber.DATA_RANGE;
    const after = m.bytes.slice();
    after.set(data, address);
    const valueAfter = (name: string): number => m.decodeFrom(this.table.registers[name], after, 0);
    for (const spec of touched) {
      const error = this.checkValue(spec, valueAfter(spec.name), valueAfter);
      if (error !== ErrorNumber.NONE) return error;
    }
    return ErrorNumber.NONE;
  }

  private checkValue(spec: RegisterSpec, value: number, valueAfter: (name: string) => number): number {
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) return ErrorNumber.DATA_RANGE;
    if (spec.allowed !== undefined && !spec.allowed.includes(value)) return ErrorNumber.DATA_RANGE;
    const limits = spec.limitedBy;
    if (limits === undefined) return ErrorNumber.NONE;
    if (limits.symmetric !== undefined && Math.abs(value) > valueAfter(limits.symmetric)) return ErrorNumber.DATA_LIMIT;
    const positionMode = valueAfter('operatingMode') === OperatingMode.POSITION;
    if (spec.name === 'goalPosition' && !positionMode) return ErrorNumber.NONE;
    if (limits.min !== undefined && value < valueAfter(limits.min)) return ErrorNumber.DATA_LIMIT;
    if (limits.max !== undefined && value > valueAfter(limits.max)) return ErrorNumber.DATA_LIMIT;
    return ErrorNumber.NONE;
  }

  private apply(address: number, data: Uint8Array, plant: ServoPlant, atMs: number): void {
    const m = this.memory;
    const touched = m.registersTouched(address, data.length);
    const modeBefore = m.get('operatingMode');
    m.bytes.set(data, address);
    if (m.get('torqueEnable') === 1 && (m.get('hardwareErrorStatus') & m.get('shutdown')) !== 0) m.set('torqueEnable', 0);
    if (m.get('operatingMode') !== modeBefore) {
      m.set('profileVelocity', 0);
      m.set('profileAcceleration', 0);
      m.set('goalPwm', m.get('pwmLimit'));
    }
    if (touched.some((spec) => ACTUATION_REGISTERS.has(spec.name))) this.actuate(plant, atMs);
  }
}

function clampTo(value: number, size: 2 | 4): number {
  const half = 2 ** (8 * size - 1);
  return Math.max(-half, Math.min(half - 1, value));
}
