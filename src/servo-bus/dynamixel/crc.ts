/**
 * The CRC-16 of Dynamixel Protocol 2.0: polynomial 0x8005, initial value 0, neither input nor output
 * reflected, no final XOR (the catalogue's CRC-16/UMTS, also called CRC-16/BUYPASS; check value of
 * the ASCII string "123456789": 0xFEE8). It covers the whole packet from the first header byte to the
 * last parameter, after byte stuffing (e-manual "CRC Calculation" and DynamixelSDK
 * `protocol2_packet_handler.py`, `updateCRC`, whose table this one reproduces).
 */
const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
    table[n] = c;
  }
  return table;
}

/** Feeds `bytes[start, end)` into the running CRC `crc` (start a packet with 0). */
export function crc16Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = crc;
  for (let i = start; i < end; i++) c = ((c << 8) ^ TABLE[((c >> 8) ^ bytes[i]) & 0xff]) & 0xffff;
  return c;
}

/** CRC of `bytes[start, end)` from 0. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc16Update(0, bytes, start, end);
}
