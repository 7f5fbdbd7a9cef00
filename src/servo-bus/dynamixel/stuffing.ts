/**
 * Byte stuffing of Protocol 2.0 (e-manual, "Packet Process"): in the instruction and parameter fields
 * (not the header, not the CRC), every FF FF FD gets an extra FD, so that the header FF FF FD never
 * appears inside a packet; the length field counts the stuffed bytes and the CRC is computed over
 * them. The receiver checks the CRC first, then removes the stuffing.
 *
 * The pattern is matched on the original bytes, with the two bytes before the field taken into
 * account (DynamixelSDK `addStuffing` looks back across the field's start into the length bytes: a
 * payload whose first byte is FD after length bytes FF FF would be stuffed too; it cannot happen in a
 * valid packet since the length field's high byte FF would mean 65 280 bytes and more).
 */

/** `payload` with an FD added after every FF FF FD. */
export function stuff(payload: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 2; i < payload.length; i++) if (payload[i] === 0xfd && payload[i - 1] === 0xff && payload[i - 2] === 0xff) extra++;
  if (extra === 0) return payload;
  const out = new Uint8Array(payload.length + extra);
  let o = 0;
  for (let i = 0; i < payload.length; i++) {
    out[o++] = payload[i];
    if (i >= 2 && payload[i] === 0xfd && payload[i - 1] === 0xff && payload[i - 2] === 0xff) out[o++] = 0xfd;
  }
  return out;
}

/**
 * `bytes[start, end)` with the stuffing removed: the FD that follows FF FF FD is dropped (as in
 * DynamixelSDK `removeStuffing`, which tests FF FF FD FD on the stuffed bytes).
 */
export function unstuff(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  const out = new Uint8Array(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const j = i - start;
    const isStuffing = j >= 3 && bytes[i] === 0xfd && bytes[i - 1] === 0xfd && bytes[i - 2] === 0xff && bytes[i - 3] === 0xff;
    if (!isStuffing) out[o++] = bytes[i];
  }
  return o === out.length ? out : out.slice(0, o);
}
