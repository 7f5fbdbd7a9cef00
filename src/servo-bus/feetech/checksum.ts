/**
 * Feetech checksum: the bitwise NOT of the low byte of the sum of every byte from the id to the last
 * parameter (protocol description, section 2; SDK `txPacket`: `~checksum & 0xFF`).
 */

/** Checksum of `bytes[start, end)`. */
export function feetechChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i];
  return ~sum & 0xff;
}
