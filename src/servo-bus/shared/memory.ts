/**
 * The memory image of one emulated servo: its control table's bytes, read and written by register
 * name or by address range. No protocol rules here (those are the emulators'): only storage,
 * encoding and the power-on values.
 */
import {
  decodeRegister,
  encodeRegister,
  registerOf,
  registersByAddress,
  type ControlTable,
  type RegisterArea,
  type RegisterSpec,
} from './control-table.js';

/** A servo's control table memory. */
export class RegisterMemory {
  readonly bytes: Uint8Array;
  private readonly specs: RegisterSpec[];
  /** Owner register of each address (undefined for addresses between registers). */
  private readonly owner: (RegisterSpec | undefined)[];

  constructor(readonly table: ControlTable) {
    this.bytes = new Uint8Array(table.memorySize);
    this.specs = registersByAddress(table);
    this.owner = new Array<RegisterSpec | undefined>(table.memorySize);
    for (const spec of this.specs) {
      if (spec.address + spec.size > table.memorySize) throw new Error(`${table.model}: ${spec.name} lies beyond the memory size`);
      for (let a = spec.address; a < spec.address + spec.size; a++) this.owner[a] = spec;
    }
    this.loadInitial('eeprom');
    this.loadInitial('ram');
  }

  /** Sets every register of `area` to its table's initial value. */
  loadInitial(area: RegisterArea): void {
    for (const spec of this.specs) if (spec.area === area) this.set(spec.name, spec.initial);
  }

  /** Decoded value of register `name`. */
  get(name: string): number {
    const spec = registerOf(this.table, name);
    return decodeRegister(this.table, spec, this.bytes, 0);
  }

  /** Stores `value` in register `name` without any protocol check. */
  set(name: string, value: number): void {
    const spec = registerOf(this.table, name);
    this.bytes.set(encodeRegister(this.table, spec, value), spec.address);
  }

  /** The register owning `address`, if any. */
  ownerOf(address: number): RegisterSpec | undefined {
    return this.owner[address];
  }

  /** The registers touched by [address, address + length), in address order (gaps skipped). */
  registersTouched(address: number, length: number): RegisterSpec[] {
    const touched: RegisterSpec[] = [];
    for (let a = address; a < address + length && a < this.bytes.length; a++) {
      const spec = this.owner[a];
      if (spec !== undefined && touched[touched.length - 1] !== spec) touched.push(spec);
    }
    return touched;
  }

  /** A copy of [address, address + length). */
  read(address: number, length: number): Uint8Array {
    return this.bytes.slice(address, address + length);
  }

  /** Decodes register `spec` as it would read after `data` was written at `address` (data covers it). */
  decodeFrom(spec: RegisterSpec, data: Uint8Array, address: number): number {
    return decodeRegister(this.table, spec, data, address);
  }
}
