/**
 * The words behind a Dynamixel status packet's error field and the Hardware Error Status register.
 * Sources: e-manual Protocol 2.0, "Status Packet / Error" (error numbers 1-7, bit 7 Alert); X-series
 * "Shutdown(63)" table (bits of Hardware Error Status(70): 0 input voltage, 2 overheating, 3 motor
 * encoder, 4 electrical shock, 5 overload; bits 1, 6, 7 unused).
 */
import { ALERT_BIT, ErrorNumber } from './constants.js';

/** Names of the error numbers. */
export const ERROR_NAMES: Readonly<Record<number, string>> = {
  [ErrorNumber.RESULT_FAIL]: 'result fail',
  [ErrorNumber.INSTRUCTION]: 'instruction error',
  [ErrorNumber.CRC]: 'CRC error',
  [ErrorNumber.DATA_RANGE]: 'data range error',
  [ErrorNumber.DATA_LENGTH]: 'data length error',
  [ErrorNumber.DATA_LIMIT]: 'data limit error',
  [ErrorNumber.ACCESS]: 'access error',
};

/** A status packet's error field in words. */
export interface DxlStatusError {
  /** Bits 0-6 (0: none). */
  readonly errorNumber: number;
  /** Name of the error number ('' for none, 'unknown error N' beyond 7). */
  readonly errorName: string;
  /** Bit 7: the servo has a hardware error; read Hardware Error Status (70) for which. */
  readonly alert: boolean;
}

/** Splits an error field into its number, name and Alert bit. */
export function decodeStatusError(error: number): DxlStatusError {
  const errorNumber = error & 0x7f;
  const errorName = errorNumber === 0 ? '' : (ERROR_NAMES[errorNumber] ?? `unknown error ${errorNumber}`);
  return { errorNumber, errorName, alert: (error & ALERT_BIT) !== 0 };
}

/** Bits of Hardware Error Status (70) and of Shutdown (63). */
export const HardwareError = {
  INPUT_VOLTAGE: 0x01,
  OVERHEATING: 0x04,
  MOTOR_ENCODER: 0x08,
  ELECTRICAL_SHOCK: 0x10,
  OVERLOAD: 0x20,
} as const;

const HARDWARE_ERROR_WORDS: readonly [number, string][] = [
  [HardwareError.INPUT_VOLTAGE, 'input voltage'],
  [HardwareError.OVERHEATING, 'overheating'],
  [HardwareError.MOTOR_ENCODER, 'motor encoder'],
  [HardwareError.ELECTRICAL_SHOCK, 'electrical shock'],
  [HardwareError.OVERLOAD, 'overload'],
];

/** The hardware errors set in a Hardware Error Status value, in bit order. */
export function decodeHardwareError(status: number): string[] {
  return HARDWARE_ERROR_WORDS.filter(([bit]) => (status & bit) !== 0).map(([, word]) => word);
}
