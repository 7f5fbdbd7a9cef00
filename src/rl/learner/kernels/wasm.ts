/**
 * Direct calls into the kernels of `@tensorflow/tfjs-backend-wasm` on buffers that live in its heap.
 *
 * Why: through tfjs, every operation pays about 15 µs of dispatch (tensor bookkeeping, output
 * allocation) and its default gradients use the transposed matMul path, which is 10 to 25 times
 * slower than the plain one. Here the learner allocates every buffer once, registers it with the
 * backend under its own tensor id, and calls the exported C functions itself: a plain matrix product
 * goes straight to XNNPACK's fully-connected operator for about 1 µs of overhead.
 *
 * The one subtlety is the backend's operator cache: `_FusedMatMul` packs its right operand (the
 * "weights") into an XNNPACK operator cached under that operand's tensor id, and reuses it as long as
 * the id is alive. Contents written in place are therefore invisible to later products until the id
 * is re-registered. {@link Region.version} tracks writes to cacheable regions (weights), and every
 * other right operand is re-registered before each product.
 */
import * as tf from '@tensorflow/tfjs';
import { instantiateSimdKernels, type SimdKernels, type WasmMemory } from './simd.js';
import type { EngineUsage } from '../core.js';

/** The part of the backend's Emscripten module used here (names as exported by tfjs-backend-wasm 4.x). */
interface WasmBackendModule {
  /** The instance's exports (Emscripten's name for them in this version), which hold its memory. */
  asm?: { memory?: WasmMemory };
  wasmMemory?: WasmMemory;
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _register_tensor(id: number, size: number, pointer: number): void;
  _dispose_data(id: number): void;
  __FusedMatMul(
    aId: number,
    aShapePointer: number,
    aRank: number,
    bId: number,
    bShapePointer: number,
    bRank: number,
    transposeA: number,
    transposeB: number,
    activation: number,
    biasId: number,
    preluWeightsId: number,
    leakyReluAlpha: number,
    outId: number,
  ): void;
}

const REQUIRED_EXPORTS = ['_malloc', '_free', '_register_tensor', '_dispose_data', '__FusedMatMul'] as const;

/** `FusableActivation` of the backend (cc/fusable_activations.h). */
const ACTIVATION_LINEAR = 0;
const ACTIVATION_RELU = 1;

/**
 * Tensor ids of the learner's regions count up from far above the ids tfjs hands out (a counter from
 * 1), so the two never meet in the backend's id → memory map. The counter is shared by every
 * `WasmKernels` of the thread: the backend's map is per thread, and an id registered twice would
 * keep pointing at the first buffer.
 */
let nextRegionId = 0x40000000;

/** A float32 buffer (or a slice of one) registered with the backend under its own tensor id. */
export interface Region {
  readonly id: number;
  /** Index of the first float in the heap (byte address / 4). */
  readonly offset: number;
  readonly length: number;
  /** The malloc'ed block this region owns (freed with it), or null for a slice of another region. */
  readonly allocation: number | null;
  /**
   * Cacheable regions (weights) keep their packed XNNPACK operator until {@link Region.version}
   * changes; writers bump the version. Non-cacheable right operands are repacked at every product.
   */
  readonly cacheable: boolean;
  version: number;
  /** The version whose packing the backend holds, or -1. */
  packedVersion: number;
}

export class WasmKernels {
  private readonly module: WasmBackendModule;
  private readonly simd: SimdKernels;
  private readonly regions = new Set<Region>();
  /** Two rank-3 shapes ([1, rows, cols]) passed by pointer to `_FusedMatMul`. */
  private readonly shapes: number;
  private disposed = false;
  /** Kernel calls made (matrix products and SIMD element-wise passes), for profiling. */
  calls = 0;

  private constructor(module: WasmBackendModule, memory: WasmMemory) {
    this.module = module;
    this.simd = instantiateSimdKernels(memory);
    this.shapes = module._malloc(6 * 4);
  }

  /** Binds to the module of tfjs's initialised 'wasm' backend (see `initBackend`). */
  static fromTfjsBackend(): WasmKernels {
    const backend = tf.findBackend('wasm') as unknown as { wasm?: unknown } | null;
    if (backend === null || backend === undefined || backend.wasm === undefined) {
      throw new Error("the kernel engine needs tfjs's 'wasm' backend: call initBackend('wasm') (or 'auto') first");
    }
    const module = backend.wasm as Record<string, unknown>;
    const missing = REQUIRED_EXPORTS.filter((name) => typeof module[name] !== 'function');
    if (missing.length > 0) {
      throw new Error(
        `the installed @tensorflow/tfjs-backend-wasm (tfjs ${tf.version.tfjs}) lacks ${missing.join(', ')}: ` +
          "use engine 'autodiff' or the 4.22 backend",
      );
    }
    const typed = module as unknown as WasmBackendModule;
    const memory = typed.wasmMemory ?? typed.asm?.memory;
    if (memory === undefined || !(memory.buffer instanceof ArrayBuffer) || memory.buffer !== typed.HEAPF32.buffer) {
      throw new Error(
        `the installed @tensorflow/tfjs-backend-wasm (tfjs ${tf.version.tfjs}) does not expose its memory: use engine 'autodiff'`,
      );
    }
    return new WasmKernels(typed, memory);
  }

  /** The whole heap as floats. Re-read after any kernel call: the heap can grow, which detaches older views. */
  get heap(): Float32Array {
    return this.module.HEAPF32;
  }

  /** A zero-filled buffer of `length` floats (16-byte aligned) with its own tensor id. */
  allocate(length: number, cacheable = false): Region {
    if (this.disposed) throw new Error('WasmKernels: used after dispose()');
    const bytes = Math.max(4, length * 4);
    const pointer = this.module._malloc(bytes + 16);
    if (pointer === 0) throw new Error(`WasmKernels: out of WASM memory allocating ${bytes} bytes`);
    const aligned = (pointer + 15) & ~15;
    const region = this.register(aligned >> 2, length, cacheable, pointer);
    this.heap.fill(0, region.offset, region.offset + length);
    return region;
  }

  /** A slice `[start, start + length)` of `parent` with an id of its own (same memory). */
  slice(parent: Region, start: number, length: number, cacheable = parent.cacheable): Region {
    if (start < 0 || start + length > parent.length)
      throw new Error(`WasmKernels.slice: [${start}, ${start + length}) outside a region of ${parent.length}`);
    return this.register(parent.offset + start, length, cacheable, null);
  }

  /** Unregisters regions (slices too) and frees the blocks they own. */
  free(...regions: Region[]): void {
    for (const region of regions) {
      if (!this.regions.delete(region)) continue;
      this.module._dispose_data(region.id);
      if (region.allocation !== null) this.module._free(region.allocation);
    }
  }

  /** Marks cacheable regions as rewritten: the next product using one as its right operand repacks it. */
  touch(...regions: Region[]): void {
    for (const region of regions) region.version++;
  }

  /**
   * out[m, n] = a[m, k] · b[k, n] (+ bias[n]) (then ReLU), all row-major: XNNPACK's plain
   * fully-connected path. `b` (and `bias`) are packed into the cached operator; see {@link Region}.
   */
  matMul(out: Region, a: Region, m: number, k: number, b: Region, n: number, bias: Region | null = null, relu = false): void {
    if (a.length < m * k || b.length < k * n || out.length < m * n || (bias !== null && bias.length < n)) {
      throw new Error(`WasmKernels.matMul: operands too small for [${m}, ${k}] · [${k}, ${n}]`);
    }
    this.ensurePacked(b);
    if (bias !== null) this.ensurePacked(bias);
    const shapes = this.module.HEAP32;
    const s = this.shapes >> 2;
    shapes[s] = 1;
    shapes[s + 1] = m;
    shapes[s + 2] = k;
    shapes[s + 3] = 1;
    shapes[s + 4] = k;
    shapes[s + 5] = n;
    this.calls++;
    this.module.__FusedMatMul(
      a.id,
      this.shapes,
      3,
      b.id,
      this.shapes + 12,
      3,
      0,
      0,
      relu ? ACTIVATION_RELU : ACTIVATION_LINEAR,
      bias === null ? 0 : bias.id,
      0,
      0,
      out.id,
    );
    if (!b.cacheable) this.unpack(b);
    if (bias !== null && !bias.cacheable) this.unpack(bias);
  }

  /** dst [cols, rows] = src [rows, cols]ᵀ (float offsets). */
  transpose(src: number, dst: number, rows: number, cols: number): void {
    this.calls++;
    this.simd.transpose4(src * 4, dst * 4, rows, cols);
    const rows4 = rows & ~3;
    const cols4 = cols & ~3;
    if (rows4 === rows && cols4 === cols) return;
    const heap = this.heap;
    for (let r = 0; r < rows; r++) {
      for (let c = r < rows4 ? cols4 : 0; c < cols; c++) heap[dst + c * rows + r] = heap[src + r * cols + c];
    }
  }

  /** out = activation > 0 ? grad : 0, the ReLU derivative (0 at 0, as PyTorch); `out` may alias `grad`. */
  reluBackward(out: number, grad: number, activation: number, count: number): void {
    this.calls++;
    this.simd.relu_backward(out * 4, grad * 4, activation * 4, count);
  }

  /** out = x ⊙ x (float offsets). */
  square(out: number, x: number, count: number): void {
    this.calls++;
    this.simd.square(out * 4, x * 4, count);
  }

  /** out += a + x ⊙ y (float offsets). */
  addProduct(out: number, a: number, x: number, y: number, count: number): void {
    this.calls++;
    this.simd.add_product(out * 4, a * 4, x * 4, y * 4, count);
  }

  /**
   * One Adam step (t = `step`) with PyTorch's formula p −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + ε)
   * over `count` floats. Returns the sum of the new parameters: non-finite exactly when a parameter is
   * (or the sum overflowed), which is the divergence check without another pass.
   */
  adam(
    params: number,
    grads: number,
    moment1: number,
    moment2: number,
    count: number,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    step: number,
  ): number {
    const stepSize = learningRate / (1 - beta1 ** step);
    const inverseCorrection2 = 1 / Math.sqrt(1 - beta2 ** step);
    this.calls++;
    return this.simd.adam(
      params * 4,
      grads * 4,
      moment1 * 4,
      moment2 * 4,
      count,
      beta1,
      beta2,
      1 - beta1,
      1 - beta2,
      stepSize,
      inverseCorrection2,
      epsilon,
    );
  }

  /** target ← (1 − τ)·target + τ·source over `count` floats; returns the sum of the new target. */
  polyak(target: number, source: number, count: number, tau: number): number {
    this.calls++;
    return this.simd.polyak(target * 4, source * 4, count, 1 - tau, tau);
  }

  /** Buffers, heap size and calls, as `LearnerCore.usage` reports them. */
  usage(): EngineUsage {
    return { buffers: this.regionCount, heapBytes: this.heapBytes, kernelCalls: this.calls };
  }

  /** Regions alive (registered ids). */
  get regionCount(): number {
    return this.regions.size;
  }

  /** Bytes of the backend's heap (grows, never shrinks): a leak shows as growth here. */
  get heapBytes(): number {
    return this.module.HEAPF32.buffer.byteLength;
  }

  /** Unregisters every region (dropping cached operators) and frees the buffers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.free(...this.regions);
    this.module._free(this.shapes);
  }

  private register(offset: number, length: number, cacheable: boolean, allocation: number | null): Region {
    const region: Region = { id: nextRegionId++, offset, length, allocation, cacheable, version: 0, packedVersion: -1 };
    this.module._register_tensor(region.id, length, offset * 4);
    this.regions.add(region);
    return region;
  }

  private ensurePacked(region: Region): void {
    if (region.packedVersion === region.version) return;
    if (region.packedVersion !== -1) this.unpack(region);
    region.packedVersion = region.version;
  }

  /** Re-registering the id runs the backend's disposal callbacks, which delete the operator packed from it. */
  private unpack(region: Region): void {
    this.module._dispose_data(region.id);
    this.module._register_tensor(region.id, region.length, region.offset * 4);
    region.packedVersion = -1;
  }
}
