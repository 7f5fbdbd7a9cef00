/**
 * How a register's value sits in its bytes: byte order (a property of the servo family: Dynamixel X
 * and Feetech STS are little endian, Feetech SCS is big endian) and number encoding (unsigned, two's
 * complement, or Feetech's sign-magnitude with the direction in one bit).
 *
 * Sign-magnitude follows the vendor SDK exactly (`scservo_sdk/protocol_packet_handler.py`,
 * `scs_tohost` / `scs_toscs`): a negative value is its magnitude with bit `signBit` set; decoding
 * clears only that bit and negates.
 */

/** Byte order of multi-byte registers. */
export type Endianness = 'little' | 'big';

/** Number encoding of a register. */
export type ValueEncoding = { kind: 'unsigned' } | { kind: 'twos-complement' } | { kind: 'sign-magnitude'; signBit: number };

/** Unsigned encoding (most registers). */
export const UNSIGNED: ValueEncoding = { kind: 'unsigned' };
/** Two's complement encoding (Dynamixel's signed registers). */
export const TWOS_COMPLEMENT: ValueEncoding = { kind: 'twos-complement' };
/** Sign-magnitude with the sign in bit `signBit` (Feetech). */
export function signMagnitude(signBit: number): ValueEncoding {
  return { kind: 'sign-magnitude', signBit };
}

/** Encodes `value` as sign-magnitude with the sign in bit `signBit`; throws when |value| does not fit below that bit. */
export function encodeSignMagnitude(value: number, signBit: number): number {
  const magnitude = Math.abs(value);
  const maxMagnitude = 2 ** signBit - 1;
  if (!Number.isInteger(value) || magnitude > maxMagnitude) {
    throw new RangeError(`sign-magnitude with sign bit ${signBit} holds integers of magnitude <= ${maxMagnitude}; got ${value}`);
  }
  return value < 0 ? magnitude + 2 ** signBit : magnitude;
}

/**
 * Decodes a sign-magnitude raw value: bit `signBit` set means negative; only that bit is cleared.
 * The sign bit with a zero magnitude decodes to 0.
 */
export function decodeSignMagnitude(raw: number, signBit: number): number {
  const bit = 2 ** signBit;
  if (Math.floor(raw / bit) % 2 === 0) return raw;
  const magnitude = raw - bit;
  return magnitude === 0 ? 0 : -magnitude;
}

/** The unsigned integer stored in `bytes[offset, offset + size)`. */
export function readUnsigned(bytes: Uint8Array, offset: number, size: number, endianness: Endianness): number {
  let value = 0;
  for (let i = 0; i < size; i++) {
    const byte = bytes[endianness === 'little' ? offset + size - 1 - i : offset + i];
    value = value * 256 + byte;
  }
  return value;
}

/** Stores the unsigned integer `raw` (0 <= raw < 256^size) in `bytes[offset, offset + size)`. */
export function writeUnsigned(bytes: Uint8Array, offset: number, size: number, raw: number, endianness: Endianness): void {
  let rest = raw;
  for (let i = 0; i < size; i++) {
    const byte = rest % 256;
    rest = Math.floor(rest / 256);
    bytes[endianness === 'little' ? offset + i : offset + size - 1 - i] = byte;
  }
}

/** The register value (signed where the encoding says so) of the unsigned raw integer of `size` bytes. */
export function decodeRaw(raw: number, size: number, encoding: ValueEncoding): number {
  switch (encoding.kind) {
    case 'unsigned':
      return raw;
    case 'twos-complement': {
      const span = 2 ** (8 * size);
      return raw >= span / 2 ? raw - span : raw;
    }
    case 'sign-magnitude':
      return decodeSignMagnitude(raw, encoding.signBit);
  }
}

/** The unsigned raw integer of `size` bytes holding `value`; throws a RangeError when it does not fit. */
export function encodeRaw(value: number, size: number, encoding: ValueEncoding): number {
  const span = 2 ** (8 * size);
  if (!Number.isInteger(value)) throw new RangeError(`register values are integers; got ${value}`);
  switch (encoding.kind) {
    case 'unsigned':
      if (value < 0 || value >= span) throw new RangeError(`${value} does not fit ${size} unsigned byte(s)`);
      return value;
    case 'twos-complement':
      if (value < -span / 2 || value >= span / 2) throw new RangeError(`${value} does not fit ${size} signed byte(s)`);
      return value < 0 ? value + span : value;
    case 'sign-magnitude': {
      const raw = encodeSignMagnitude(value, encoding.signBit);
      if (raw >= span) throw new RangeError(`${value} does not fit ${size} byte(s) with sign bit ${encoding.signBit}`);
      return raw;
    }
  }
}
