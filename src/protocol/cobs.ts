/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999) with 0x00 as the frame delimiter.
 *
 * The encoded form contains no zero byte: each block starts with a code byte c (1–255) followed by
 * c − 1 non-zero data bytes; a block with c < 255 stands for its data followed by one zero, except the
 * last block of a frame, whose zero is not part of the data. The encoder here writes the canonical
 * (shortest) form: no empty block after a final 254-byte run. Decoders accept that empty block too.
 */

/** Largest encoded size of `length` bytes (without the delimiter). */
export function cobsMaxEncodedLength(length: number): number {
  return length + Math.max(1, Math.ceil(length / 254));
}

/**
 * Encodes `src[start, end)` into `dst` at `dstOffset` and returns the number of bytes written (no
 * delimiter). `dst` must hold `cobsMaxEncodedLength(end - start)` bytes from `dstOffset`.
 */
export function cobsEncodeInto(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstOffset: number): number {
  let codeAt = dstOffset;
  let out = dstOffset + 1;
  let code = 1;
  for (let i = start; i < end; i++) {
    const byte = src[i];
    if (byte !== 0) {
      dst[out++] = byte;
      code++;
    }
    if (byte === 0 || code === 0xff) {
      dst[codeAt] = code;
      // A full block that ends the input is the last one: no empty block after it (canonical form).
      if (byte !== 0 && i + 1 === end) return out - dstOffset;
      code = 1;
      codeAt = out++;
    }
  }
  dst[codeAt] = code;
  return out - dstOffset;
}

/** Encodes `src` into a new array (no delimiter). */
export function cobsEncode(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(cobsMaxEncodedLength(src.length));
  return dst.slice(0, cobsEncodeInto(src, 0, src.length, dst, 0));
}

/**
 * Decodes one encoded frame (without its delimiter). Returns null when it is not valid COBS: a zero
 * byte inside, or a block that runs past the end.
 */
export function cobsDecode(src: Uint8Array): Uint8Array | null {
  const dst = new Uint8Array(src.length);
  let out = 0;
  let i = 0;
  while (i < src.length) {
    const code = src[i++];
    if (code === 0 || i + code - 1 > src.length) return null;
    for (let k = 1; k < code; k++) {
      const byte = src[i++];
      if (byte === 0) return null;
      dst[out++] = byte;
    }
    if (code !== 0xff && i < src.length) dst[out++] = 0;
  }
  return dst.slice(0, out);
}
