/**
 * The status byte of a Feetech response: the servo's current error bits, the same as its Status
 * register (address 65). Names from the SDK (`protocol_packet_handler.py`: ERRBIT_VOLTAGE 1,
 * ERRBIT_ANGLE 2, ERRBIT_OVERHEAT 4, ERRBIT_OVERELE 8, ERRBIT_OVERLOAD 32) and the STS memory table
 * ("Status Byte": voltage, encoder, temperature, current, overload; bits 4, 6, 7 reserved).
 */

/** Status bits. */
export const StatusBit = {
  VOLTAGE: 0x01,
  /** The SDK calls it the angle (sensor) error; the memory table the encoder error. */
  ANGLE: 0x02,
  OVERHEAT: 0x04,
  /** Over-current ("OverEle" in the SDK, "Current error" in the memory table). */
  OVERCURRENT: 0x08,
  OVERLOAD: 0x20,
} as const;

const WORDS: readonly [number, string][] = [
  [StatusBit.VOLTAGE, 'voltage'],
  [StatusBit.ANGLE, 'angle sensor'],
  [StatusBit.OVERHEAT, 'overheat'],
  [StatusBit.OVERCURRENT, 'overcurrent'],
  [StatusBit.OVERLOAD, 'overload'],
];

/** The errors set in a status byte, in bit order. */
export function decodeFeetechStatus(status: number): string[] {
  return WORDS.filter(([bit]) => (status & bit) !== 0).map(([, word]) => word);
}
