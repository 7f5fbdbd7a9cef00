/**
 * Control tables as data: every register a driver or an emulator needs, with its address, size,
 * access, memory area, initial value, unit, encoding and documented range. The tables themselves live
 * in `dynamixel/tables.ts` and `feetech/tables.ts`, each row with the vendor document it comes from.
 */
import { decodeRaw, encodeRaw, readUnsigned, writeUnsigned, type Endianness, type ValueEncoding } from './encoding.js';

/** Read-only or read-write, as the vendor's table says. */
export type RegisterAccess = 'R' | 'RW';

/** Non-volatile (EEPROM) or volatile (RAM / SRAM) area. */
export type RegisterArea = 'eeprom' | 'ram';

/** One register of a control table. */
export interface RegisterSpec {
  /** Key used in code (camelCase of the vendor's name). */
  readonly name: string;
  /** The vendor's name, for messages and documents. */
  readonly label: string;
  readonly address: number;
  /** Size [bytes]. */
  readonly size: 1 | 2 | 4;
  readonly access: RegisterAccess;
  readonly area: RegisterArea;
  /**
   * Value at power-on. `documented: false` marks a value the vendor's table leaves open ("-") that
   * the emulator has to start from anyway; the table file says why it chose it.
   */
  readonly initial: number;
  readonly documented: boolean;
  /** Unit of one count, as the vendor writes it ('' for none). */
  readonly unit: string;
  readonly encoding: ValueEncoding;
  /** Documented range of writable values (decoded); a write outside is refused or ignored, per family. */
  readonly min?: number;
  readonly max?: number;
  /** Values allowed within [min, max] when the range has holes (Operating Mode). */
  readonly allowed?: readonly number[];
  /**
   * Registers whose current values bound a write (Goal Position between Min and Max Position Limit).
   * `symmetric` bounds by [-limit, +limit] from one register (Goal Velocity by Velocity Limit).
   */
  readonly limitedBy?: { readonly min?: string; readonly max?: string; readonly symmetric?: string };
}

/** A servo model's table. */
export interface ControlTable {
  /** Model name, e.g. 'XL430-W250'. */
  readonly model: string;
  /** Number the servo reports (Dynamixel Ping, Feetech address 3). */
  readonly modelNumber: number;
  readonly endianness: Endianness;
  /** Size of the addressable memory image [bytes]. */
  readonly memorySize: number;
  readonly registers: Readonly<Record<string, RegisterSpec>>;
}

/** The register `name` of `table`; throws a RangeError naming the model when it has none. */
export function registerOf(table: ControlTable, name: string): RegisterSpec {
  const spec = table.registers[name];
  if (spec === undefined) throw new RangeError(`${table.model} has no register '${name}'`);
  return spec;
}

/** Registers of `table` sorted by address. */
export function registersByAddress(table: ControlTable): RegisterSpec[] {
  return Object.values(table.registers).sort((a, b) => a.address - b.address);
}

/** Registers lying wholly inside [address, address + length). */
export function registersInSpan(table: ControlTable, address: number, length: number): RegisterSpec[] {
  return registersByAddress(table).filter((spec) => spec.address >= address && spec.address + spec.size <= address + length);
}

/** The smallest span [address, address + length) covering the named registers. */
export function spanOf(table: ControlTable, names: readonly string[]): { address: number; length: number } {
  if (names.length === 0) throw new RangeError('a span needs at least one register');
  const specs = names.map((name) => registerOf(table, name));
  const address = Math.min(...specs.map((spec) => spec.address));
  const end = Math.max(...specs.map((spec) => spec.address + spec.size));
  return { address, length: end - address };
}

/** Decodes register `spec` from `bytes`, where `bytes[0]` is the byte at address `baseAddress`. */
export function decodeRegister(table: ControlTable, spec: RegisterSpec, bytes: Uint8Array, baseAddress: number): number {
  const raw = readUnsigned(bytes, spec.address - baseAddress, spec.size, table.endianness);
  return decodeRaw(raw, spec.size, spec.encoding);
}

/** The bytes of `value` in register `spec`; throws a RangeError when the encoding cannot hold it. */
export function encodeRegister(table: ControlTable, spec: RegisterSpec, value: number): Uint8Array {
  const bytes = new Uint8Array(spec.size);
  writeUnsigned(bytes, 0, spec.size, encodeRaw(value, spec.size, spec.encoding), table.endianness);
  return bytes;
}

/** Decodes every register wholly inside the span that `bytes` covers from `baseAddress`. */
export function decodeSpan(table: ControlTable, bytes: Uint8Array, baseAddress: number): Record<string, number> {
  const values: Record<string, number> = {};
  for (const spec of registersInSpan(table, baseAddress, bytes.length)) values[spec.name] = decodeRegister(table, spec, bytes, baseAddress);
  return values;
}
