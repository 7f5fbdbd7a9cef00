/**
 * The hand-assembled WASM SIMD kernels against plain JavaScript references, on random sizes (ragged
 * tails and edges included). Float32 results: exact where the operation is exact (transpose, ReLU
 * mask, square), within one rounding per operation otherwise.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assembleSimdModule } from '../../src/rl/learner/kernels/simd.js';
import { WasmKernels, type Region } from '../../src/rl/learner/kernels/wasm.js';
import { FC_RUNS, FC_SEED, maxAbsDiff, Rng, wasmBackend } from './learner-fixtures.js';

before(wasmBackend);

function fill(kernels: WasmKernels, values: Float32Array): Region {
  const region = kernels.allocate(values.length);
  kernels.heap.set(values, region.offset);
  return region;
}

function read(kernels: WasmKernels, region: Region, length: number): Float32Array {
  return kernels.heap.slice(region.offset, region.offset + length);
}

describe('SIMD kernels', () => {
  test('the module validates', () => {
    const api = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    assert.equal(api.validate(assembleSimdModule()), true);
  });

  test('transpose, ReLU backward, square and add_product match JavaScript', () => {
    const kernels = WasmKernels.fromTfjsBackend();
    try {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 37 }),
          fc.integer({ min: 1, max: 37 }),
          fc.integer({ min: 0, max: 0x7fffffff }),
          (rows, cols, seed) => {
            const rng = new Rng(seed);
            const n = rows * cols;
            const x = new Float32Array(n).map(() => rng.normal());
            const y = new Float32Array(n).map(() => rng.normal());
            const a = new Float32Array(n).map(() => rng.normal());
            const src = fill(kernels, x);
            const dst = fill(kernels, new Float32Array(n));
            kernels.transpose(src.offset, dst.offset, rows, cols);
            const expected = new Float32Array(n);
            for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expected[c * rows + r] = x[r * cols + c];
            assert.deepEqual(read(kernels, dst, n), expected, `transpose ${rows}×${cols}`);

            const grad = fill(kernels, y);
            const out = fill(kernels, new Float32Array(n));
            kernels.reluBackward(out.offset, grad.offset, src.offset, n);
            assert.deepEqual(
              read(kernels, out, n),
              y.map((value, i) => (x[i] > 0 ? value : 0)),
              `relu ${n}`,
            );

            kernels.square(out.offset, src.offset, n);
            assert.deepEqual(
              read(kernels, out, n),
              x.map((value) => Math.fround(value * value)),
              `square ${n}`,
            );

            const base = fill(kernels, a);
            const addend = fill(kernels, y);
            kernels.addProduct(base.offset, addend.offset, src.offset, grad.offset, n);
            const sum = a.map((value, i) => value + y[i] + x[i] * y[i]);
            assert.ok(maxAbsDiff(read(kernels, base, n), sum) < 1e-5, `add_product ${n}`);
            kernels.free(src, dst, grad, out, base, addend);
          },
        ),
        { seed: FC_SEED, numRuns: FC_RUNS * 5 },
      );
    } finally {
      kernels.dispose();
    }
  });

  test('Adam and Polyak steps match JavaScript and return the sum of what they wrote', () => {
    const kernels = WasmKernels.fromTfjsBackend();
    try {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1030 }),
          fc.integer({ min: 1, max: 50 }),
          fc.integer({ min: 0, max: 0x7fffffff }),
          (count, step, seed) => {
            const rng = new Rng(seed);
            const p = new Float32Array(count).map(() => rng.normal());
            const g = new Float32Array(count).map(() => rng.normal());
            const m = new Float32Array(count).map(() => 0.1 * rng.normal());
            const v = new Float32Array(count).map(() => 0.01 * Math.abs(rng.normal()));
            const [rp, rg, rm, rv] = [fill(kernels, p), fill(kernels, g), fill(kernels, m), fill(kernels, v)];
            const lr = 3e-4;
            const sum = kernels.adam(rp.offset, rg.offset, rm.offset, rv.offset, count, lr, 0.9, 0.999, 1e-8, step);
            const stepSize = lr / (1 - 0.9 ** step);
            const correction = Math.sqrt(1 - 0.999 ** step);
            let expectedSum = 0;
            const expected = p.map((value, i) => {
              const m1 = 0.9 * m[i] + 0.1 * g[i];
              const m2 = 0.999 * v[i] + 0.001 * g[i] ** 2;
              const next = value - (stepSize * m1) / (Math.sqrt(m2) / correction + 1e-8);
              expectedSum += next;
              return next;
            });
            assert.ok(maxAbsDiff(read(kernels, rp, count), expected) < 1e-6, `adam ${count} params`);
            assert.ok(Math.abs(sum - expectedSum) < 1e-4 * count, `adam sum ${sum} vs ${expectedSum}`);

            const polyakSum = kernels.polyak(rp.offset, rg.offset, count, 0.005);
            const after = expected.map((value, i) => Math.fround(0.995 * value + 0.005 * g[i]));
            assert.ok(maxAbsDiff(read(kernels, rp, count), after) < 1e-6, `polyak ${count}`);
            assert.ok(Math.abs(polyakSum - after.reduce((s, value) => s + value, 0)) < 1e-4 * count);
            kernels.free(rp, rg, rm, rv);
          },
        ),
        { seed: FC_SEED, numRuns: FC_RUNS * 5 },
      );
    } finally {
      kernels.dispose();
    }
  });
});
