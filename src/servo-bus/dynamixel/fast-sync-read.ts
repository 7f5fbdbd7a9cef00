/**
 * The status packet answering Fast Sync Read (0x8A): one packet for all listed servos, built along
 * the chain (e-manual, Protocol 2.0, "Fast Sync Read (0x8A)"):
 *
 *     FF FF FD 00 | FE | length | 55 | err1 id1 data1 crc1 | err2 id2 data2 crc2 | ... | errN idN dataN | CRC
 *
 * Each servo appends its error field, id and data; `crc_k` (little endian) is the CRC of every packet
 * byte from the header to the end of `data_k` — the running CRC when servo k+1 takes over (checked
 * against the e-manual example: 0x0884 and 0xCA16 in the packet of ids 3, 7, 4). The last servo's CRC
 * is the packet's CRC. Length = 1 + N * (dataLength + 4). Never byte-stuffed.
 */
import { BROADCAST_ID, HEADER, Instruction, PREFIX_LENGTH } from './constants.js';
import { crc16, crc16Update } from './crc.js';

/** One servo's part of a Fast Sync Read status packet. */
export interface FastSyncSegment {
  readonly id: number;
  /** Error field of this servo (error number and Alert bit). */
  readonly error: number;
  readonly data: Uint8Array;
}

/** Length field of a Fast Sync Read status packet for `count` servos. */
export function fastSyncStatusLengthField(count: number, dataLength: number): number {
  return 1 + count * (dataLength + 4);
}

/**
 * The bytes of a Fast Sync Read status packet for `segments`, all of `dataLength` bytes, as the chain
 * sends them when every servo answers. `lengthFieldCount` (default: `segments.length`) is the number
 * of servos the header announces: the first servo writes the length for the whole request.
 */
export function encodeFastSyncStatus(
  segments: readonly FastSyncSegment[],
  dataLength: number,
  lengthFieldCount = segments.length,
): Uint8Array {
  const length = fastSyncStatusLengthField(lengthFieldCount, dataLength);
  const out = new Uint8Array(PREFIX_LENGTH + 1 + segments.length * (dataLength + 4));
  out.set(HEADER, 0);
  out[4] = BROADCAST_ID;
  out[5] = length & 0xff;
  out[6] = length >> 8;
  out[7] = Instruction.STATUS;
  let o = 8;
  for (const segment of segments) {
    if (segment.data.length !== dataLength)
      throw new RangeError(`segment of id ${segment.id} has ${segment.data.length} bytes, not ${dataLength}`);
    out[o++] = segment.error;
    out[o++] = segment.id;
    out.set(segment.data, o);
    o += dataLength;
    const crc = crc16(out, 0, o);
    out[o++] = crc & 0xff;
    out[o++] = crc >> 8;
  }
  return out;
}

/**
 * The segments of a Fast Sync Read status packet, from its parameters as the parser delivers them
 * (everything between the 0x55 instruction and the packet CRC). Each inner CRC is checked against
 * the running CRC of the packet; null when the layout or an inner CRC does not fit.
 */
export function decodeFastSyncStatus(params: Uint8Array, dataLength: number): FastSyncSegment[] | null {
  const stride = dataLength + 4;
  if ((params.length + 2) % stride !== 0) return null;
  const count = (params.length + 2) / stride;
  const lengthField = fastSyncStatusLengthField(count, dataLength);
  const prefix = Uint8Array.of(...HEADER, BROADCAST_ID, lengthField & 0xff, lengthField >> 8, Instruction.STATUS);
  let crc = crc16(prefix);
  const segments: FastSyncSegment[] = [];
  for (let k = 0; k < count; k++) {
    const at = k * stride;
    crc = crc16Update(crc, params, at, at + 2 + dataLength);
    segments.push({ error: params[at], id: params[at + 1], data: params.slice(at + 2, at + 2 + dataLength) });
    if (k < count - 1) {
      const inner = params[at + 2 + dataLength] | (params[at + 3 + dataLength] << 8);
      if (inner !== crc) return null;
      crc = crc16Update(crc, params, at + 2 + dataLength, at + stride);
    }
  }
  return segments;
}
