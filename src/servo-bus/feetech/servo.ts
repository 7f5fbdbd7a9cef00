/**
 * One emulated Feetech STS servo: its memory and the rules the vendor documents
 * (`sts_memory_table.md`, `scs_communication_protocol.md`):
 * - Lock (55): with 0, writes to the EEPROM area are saved and survive a restart; with 1 (the power-on
 *   value) they take effect but are lost at the next restart (the emulator's Reboot restores the
 *   saved EEPROM image);
 * - Torque Limit (48) is loaded from Max Torque (16) at start-up;
 * - the response's status byte is the Status register (65): voltage, angle sensor, temperature,
 *   current, overload; a bit also set in Unload Conditions (19) switches the torque off;
 * - Present Position = actual position - Position Offset (31), as LeRobot documents for the STS3215.
 * The protocol has no error answer for a bad write: writes to read-only or undefined addresses are
 * ignored byte by byte, and values are stored as written (the vendor documents no range check).
 * How the servo treats a Goal Position outside Min/Max Angle Limit is not documented; the emulator
 * drives to the nearest limit (Target Position shows it), and treats both limits at 0 as "no limit"
 * (the memory table's "0 for multi-turn").
 */
import type { ControlTable } from '../shared/control-table.js';
import { RegisterMemory } from '../shared/memory.js';
import type { ServoActuation, ServoPlant } from '../shared/plant.js';
import {
  aToCurrent,
  cToTemperature,
  feetechSpeedUnitRpm,
  fractionToLoad,
  radSToVelocity,
  radToTicks,
  ticksToRad,
  velocityToRadS,
  vToVoltage,
} from '../shared/units.js';
import { StatusBit } from './errors.js';

/** Operating Mode 0: position servo mode. */
const POSITION_MODE = 0;
const ACTUATION_REGISTERS = new Set([
  'torqueEnable',
  'goalPosition',
  'goalSpeed',
  'minAngleLimit',
  'maxAngleLimit',
  'positionOffset',
  'operatingMode',
]);

/** Options of one emulated servo. */
export interface FtServoOptions {
  table: ControlTable;
  /** Id (default: the table's initial value, 1). */
  id?: number;
  /** Saved EEPROM values that differ from the factory defaults. */
  eeprom?: Readonly<Record<string, number>>;
}

/** One emulated Feetech servo. */
export class FtServo {
  readonly memory: RegisterMemory;
  /** The EEPROM bytes that survive a restart. */
  private readonly savedEeprom: Uint8Array;
  private registered: { address: number; data: Uint8Array } | null = null;
  /** Until when the servo is restarting and deaf [ms]. */
  bootUntilMs = -Infinity;

  constructor(options: FtServoOptions) {
    this.memory = new RegisterMemory(options.table);
    for (const [name, value] of Object.entries(options.eeprom ?? {})) {
      if (this.table.registers[name]?.area !== 'eeprom') throw new RangeError(`${this.table.model}: ${name} is not an EEPROM register`);
      this.memory.set(name, value);
    }
    if (options.id !== undefined) this.memory.set('id', options.id);
    this.savedEeprom = this.memory.bytes.slice();
  }

  /** The servo's model. */
  get table(): ControlTable {
    return this.memory.table;
  }

  /** Current value of the ID register. */
  get id(): number {
    return this.memory.get('id');
  }

  /** Response Level (8): 0 answers Read and Ping only, 1 everything. */
  get responseLevel(): number {
    return this.memory.get('responseLevel');
  }

  /** The status byte of a response. */
  get statusByte(): number {
    return this.memory.get('status');
  }

  /** Start-up: the saved EEPROM, RAM initial values, Torque Limit from Max Torque, goal at the present position. */
  powerOn(plant: ServoPlant, atMs: number): void {
    for (const spec of Object.values(this.table.registers)) {
      if (spec.area === 'eeprom') this.memory.bytes.set(this.savedEeprom.subarray(spec.address, spec.address + spec.size), spec.address);
    }
    this.memory.loadInitial('ram');
    this.memory.set('torqueLimit', this.memory.get('maxTorque'));
    this.registered = null;
    this.sample(plant, atMs);
    this.memory.set('goalPosition', this.memory.get('presentPosition'));
    this.updateTarget();
    plant.actuate(this.id, this.actuation(), atMs);
  }

  /** The bytes of [address, address + length); addresses past the table read as 0. */
  read(address: number, length: number, plant: ServoPlant, atMs: number): Uint8Array {
    this.sample(plant, atMs);
    const out = new Uint8Array(length);
    out.set(this.memory.read(address, length));
    return out;
  }

  /** Writes `data` at `address`: read-only and undefined bytes are skipped; EEPROM bytes saved when unlocked. */
  write(address: number, data: Uint8Array, plant: ServoPlant, atMs: number): void {
    const m = this.memory;
    const unlocked = m.get('lock') === 0;
    let actuates = false;
    for (let k = 0; k < data.length; k++) {
      const a = address + k;
      const spec = m.ownerOf(a);
      if (spec === undefined || spec.access === 'R') continue;
      m.bytes[a] = data[k];
      if (spec.area === 'eeprom' && unlocked) this.savedEeprom[a] = data[k];
      if (ACTUATION_REGISTERS.has(spec.name)) actuates = true;
    }
    if (m.get('torqueEnable') === 1 && (m.get('status') & m.get('unloadConditions')) !== 0) m.set('torqueEnable', 0);
    this.updateTarget();
    if (actuates) plant.actuate(this.id, this.actuation(), atMs);
  }

  /** Reg Write: stored until Action; sets the Async Write Flag. */
  regWrite(address: number, data: Uint8Array): void {
    this.registered = { address, data: data.slice() };
    this.memory.set('asyncWriteFlag', 1);
  }

  /** Action: applies the stored write, if any. */
  action(plant: ServoPlant, atMs: number): void {
    const registered = this.registered;
    if (registered === null) return;
    this.registered = null;
    this.memory.set('asyncWriteFlag', 0);
    this.write(registered.address, registered.data, plant, atMs);
  }

  /** Sets status bits (fault injection); bits in Unload Conditions switch the torque off. */
  raiseStatus(bits: number, plant: ServoPlant, atMs: number): void {
    const m = this.memory;
    m.set('status', m.get('status') | (bits & 0x2f));
    if (m.get('torqueEnable') === 1 && (m.get('status') & m.get('unloadConditions')) !== 0) {
      m.set('torqueEnable', 0);
      plant.actuate(this.id, this.actuation(), atMs);
    }
  }

  /** Refreshes the present values from the plant; voltage and temperature outside their limits set status bits. */
  sample(plant: ServoPlant, atMs: number): void {
    const m = this.memory;
    const s = plant.sense(this.id, atMs);
    const speed = radSToVelocity(s.velocityRadS, feetechSpeedUnitRpm(m.get('phase')));
    m.set('presentPosition', clampMagnitude(radToTicks(s.positionRad) - m.get('positionOffset'), 32_767));
    m.set('presentSpeed', clampMagnitude(speed, 32_767));
    m.set('presentLoad', clampMagnitude(fractionToLoad(s.loadFraction), 1000));
    m.set('presentCurrent', Math.min(0xffff, Math.abs(aToCurrent(s.currentA, 6.5))));
    const voltage = Math.max(0, Math.min(0xff, vToVoltage(s.inputVoltageV)));
    const temperature = Math.max(0, Math.min(0xff, cToTemperature(s.temperatureC)));
    m.set('presentVoltage', voltage);
    m.set('presentTemperature', temperature);
    m.set('moving', speed !== 0 ? 1 : 0);
    let faults = 0;
    if (voltage > m.get('maxVoltage') || voltage < m.get('minVoltage')) faults |= StatusBit.VOLTAGE;
    if (temperature > m.get('maxTemperature')) faults |= StatusBit.OVERHEAT;
    if (faults !== 0) this.raiseStatus(faults, plant, atMs);
  }

  /** What the servo drives, in SI units. */
  actuation(): ServoActuation {
    const m = this.memory;
    const offset = m.get('positionOffset');
    const limits = this.angleLimits();
    return {
      torqueEnabled: m.get('torqueEnable') === 1,
      goalPositionRad: ticksToRad(m.get('targetPosition') + offset),
      minPositionRad: limits === null ? -Infinity : ticksToRad(limits.min + offset),
      maxPositionRad: limits === null ? Infinity : ticksToRad(limits.max + offset),
      profileVelocityRadS: velocityToRadS(Math.abs(m.get('goalSpeed')), feetechSpeedUnitRpm(m.get('phase'))),
    };
  }

  /** Min/Max Angle Limit when they apply (position mode, not both 0). */
  private angleLimits(): { min: number; max: number } | null {
    const m = this.memory;
    const min = m.get('minAngleLimit');
    const max = m.get('maxAngleLimit');
    if (m.get('operatingMode') !== POSITION_MODE || (min === 0 && max === 0)) return null;
    return { min, max };
  }

  private updateTarget(): void {
    const goal = this.memory.get('goalPosition');
    const limits = this.angleLimits();
    this.memory.set('targetPosition', limits === null ? goal : Math.max(limits.min, Math.min(limits.max, goal)));
  }
}

function clampMagnitude(value: number, max: number): number {
  return Math.max(-max, Math.min(max, value));
}
