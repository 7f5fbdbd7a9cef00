/**
 * CRC-32C (Castagnoli), the checksum of every packet: polynomial 0x1EDC6F41 (0x82F63B78 reflected),
 * initial value 0xFFFFFFFF, input and output reflected, final XOR 0xFFFFFFFF. Check value of the
 * ASCII string "123456789": 0xE3069283.
 *
 * The functions work on the running register (before the final XOR) so that a packet's bytes and the
 * message's schema seed can be fed one after the other without copying them together.
 */
// Slicing-by-8: TABLES[k * 256 + n] is the register change of byte n followed by k zero bytes, so that
// eight bytes are folded in with eight independent lookups (about three times faster than one table).
const TABLES = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const previous = tables[(k - 1) * 256 + n];
      tables[k * 256 + n] = (previous >>> 8) ^ tables[previous & 0xff];
    }
  }
  return tables;
}

/** The register's value before any byte: start a computation with it. */
export const CRC32C_INIT = 0xffffffff;

/** Feeds `bytes[start, end)` into the running register `crc` and returns the new register. */
export function crc32cUpdate(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let c = crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    const hi = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
    c =
      t[1792 + (lo & 0xff)] ^
      t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^
      t[1024 + (lo >>> 24)] ^
      t[768 + (hi & 0xff)] ^
      t[512 + ((hi >>> 8) & 0xff)] ^
      t[256 + ((hi >>> 16) & 0xff)] ^
      t[hi >>> 24];
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/** Feeds a 32-bit value as four little-endian bytes (how the schema seed enters a packet's CRC). */
export function crc32cUpdateU32(crc: number, value: number): number {
  let c = crc;
  for (let shift = 0; shift < 32; shift += 8) c = TABLES[(c ^ (value >>> shift)) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/** The final CRC value from a running register. */
export function crc32cFinish(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32C of `bytes` in one call. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cFinish(crc32cUpdate(CRC32C_INIT, bytes));
}
