/**
 * Layer normalisation with its ReLU, forward and backward, as JavaScript loops over buffers of the
 * WASM heap (float offsets into `heap`, the backend's HEAPF32; row-major matrices). Only actors with
 * `layerNorm` use them.
 */

/**
 * Layer normalisation of each row of z [rows, width], then gain and bias, then ReLU:
 * h = max(0, ẑ·gain + bias) with ẑ = (z − mean) / sqrt(var + ε). Keeps ẑ and 1/sqrt(var + ε) per row for
 * the backward pass.
 */
export function layerNormReluForward(
  heap: Float32Array,
  z: number,
  normalised: number,
  inverseStd: number,
  out: number,
  gain: number,
  bias: number,
  rows: number,
  width: number,
  epsilon: number,
): void {
  for (let r = 0; r < rows; r++) {
    const row = r * width;
    let mean = 0;
    for (let o = 0; o < width; o++) mean += heap[z + row + o];
    mean /= width;
    let variance = 0;
    for (let o = 0; o < width; o++) {
      const d = heap[z + row + o] - mean;
      variance += d * d;
    }
    variance /= width;
    const inv = 1 / Math.sqrt(variance + epsilon);
    heap[inverseStd + r] = inv;
    for (let o = 0; o < width; o++) {
      const n = (heap[z + row + o] - mean) * inv;
      heap[normalised + row + o] = n;
      const y = n * heap[gain + o] + heap[bias + o];
      heap[out + row + o] = y > 0 ? y : 0;
    }
  }
}

/**
 * Backward of {@link layerNormReluForward}. Reads dh (the gradient of the ReLU output) and h, writes
 * dz in place of dh, and accumulates into dGain and dBias (which the caller zeroes).
 */
export function layerNormReluBackward(
  heap: Float32Array,
  dh: number,
  h: number,
  normalised: number,
  inverseStd: number,
  gain: number,
  dGain: number,
  dBias: number,
  rows: number,
  width: number,
): void {
  for (let r = 0; r < rows; r++) {
    const row = r * width;
    let meanDn = 0;
    let meanDnN = 0;
    for (let o = 0; o < width; o++) {
      const dy = heap[h + row + o] > 0 ? heap[dh + row + o] : 0;
      const n = heap[normalised + row + o];
      heap[dGain + o] = heap[dGain + o] + dy * n;
      heap[dBias + o] = heap[dBias + o] + dy;
      const dn = dy * heap[gain + o];
      heap[dh + row + o] = dn;
      meanDn += dn;
      meanDnN += dn * n;
    }
    meanDn /= width;
    meanDnN /= width;
    const inv = heap[inverseStd + r];
    for (let o = 0; o < width; o++) {
      const n = heap[normalised + row + o];
      heap[dh + row + o] = inv * (heap[dh + row + o] - meanDn - n * meanDnN);
    }
  }
}
