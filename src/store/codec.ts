/**
 * Arrays in the store are little-endian float32 BLOBs, 4 bytes a value, readable from any language
 * (numpy: `np.frombuffer(blob, '<f4')`). The writer copies them from its shared queue as they are
 * (`run-writer.ts`); this reads them back.
 */
export function readFloat32Blob(blob: Uint8Array): Float32Array {
  const out = new Float32Array(blob.byteLength / 4);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
