/**
 * Element-wise kernels in WebAssembly SIMD, assembled here at start-up (no compiler, nothing to
 * download) and instantiated on the WASM backend's own memory, so that they work in place on the
 * learner's buffers. They replace JavaScript loops that cost 1 to 4 ns per float, which summed to a
 * third of an update: a 128-bit SIMD loop runs the same work about ten times faster.
 *
 * Every function takes byte addresses and float counts; the transposes work on the 4×4-aligned core
 * and leave the ragged edges to the caller.
 */

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Bytecode of one function: a small stack-machine emitter. */
class Code {
  readonly bytes: number[] = [];

  get(local: number): this {
    return this.op(0x20, ...uleb(local));
  }
  set(local: number): this {
    return this.op(0x21, ...uleb(local));
  }
  i32(value: number): this {
    return this.op(0x41, ...sleb(value));
  }
  f32(value: number): this {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.op(0x43, ...bytes);
  }
  add(): this {
    return this.op(0x6a);
  }
  mul(): this {
    return this.op(0x6c);
  }
  /** local ← local + step */
  increment(local: number, step: number): this {
    return this.get(local).i32(step).add().set(local);
  }
  f32Load(offset = 0): this {
    return this.op(0x2a, 0x02, ...uleb(offset));
  }
  f32Store(offset = 0): this {
    return this.op(0x38, 0x02, ...uleb(offset));
  }
  v128Load(offset = 0): this {
    return this.op(0xfd, ...uleb(0x00), 0x04, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.op(0xfd, ...uleb(0x0b), 0x04, ...uleb(offset));
  }
  simd(opcode: number, ...immediates: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...immediates);
  }
  /** while (local < limit) { body; local += step } */
  loopWhileBelow(local: number, limit: number, step: number, body: () => void): this {
    this.op(0x02, 0x40, 0x03, 0x40);
    this.get(local).get(limit).op(0x4f).op(0x0d, 1); // i32.ge_u; br_if 1 (leave the block)
    body();
    this.increment(local, step).op(0x0c, 0, 0x0b, 0x0b); // br 0 (repeat); end loop; end block
    return this;
  }
  op(...bytes: number[]): this {
    for (const byte of bytes) this.bytes.push(byte);
    return this;
  }
}

const SIMD = {
  splat: 0x13,
  extractLane: 0x1f,
  gt: 0x44,
  and: 0x4e,
  sqrt: 0xe3,
  add: 0xe4,
  sub: 0xe5,
  mul: 0xe6,
  div: 0xe7,
  shuffle: 0x0d,
} as const;

const F32_OP = { add: 0x92, sub: 0x93, mul: 0x94, div: 0x95, sqrt: 0x91, gt: 0x5e } as const;

interface FunctionSpec {
  name: string;
  params: number[];
  results: number[];
  locals: number[];
  code: Code;
}

/** relu_backward(out, grad, act, count): out = act > 0 ? grad : 0. */
function reluBackward(): FunctionSpec {
  const [out, grad, act, count, i, end4, end] = [0, 1, 2, 3, 4, 5, 6];
  const c = new Code();
  c.get(count).i32(~3).op(0x71).i32(2).op(0x74).set(end4); // end4 = (count & ~3) << 2
  c.get(count).i32(2).op(0x74).set(end);
  c.loopWhileBelow(i, end4, 16, () => {
    c.get(out).get(i).add();
    c.get(grad).get(i).add().v128Load();
    c.get(act).get(i).add().v128Load().f32(0).simd(SIMD.splat).simd(SIMD.gt);
    c.simd(SIMD.and).v128Store();
  });
  c.loopWhileBelow(i, end, 4, () => {
    c.get(out).get(i).add();
    c.get(grad).get(i).add().f32Load().f32(0);
    c.get(act).get(i).add().f32Load().f32(0).op(F32_OP.gt);
    c.op(0x1b).f32Store(); // select
  });
  c.op(0x0b);
  return { name: 'relu_backward', params: [I32, I32, I32, I32], results: [], locals: [I32, I32, I32], code: c };
}

/** square(out, x, count): out = x ⊙ x. */
function square(): FunctionSpec {
  const [out, x, count, i, end4, end] = [0, 1, 2, 3, 4, 5];
  const c = new Code();
  c.get(count).i32(~3).op(0x71).i32(2).op(0x74).set(end4);
  c.get(count).i32(2).op(0x74).set(end);
  c.loopWhileBelow(i, end4, 16, () => {
    c.get(out).get(i).add();
    c.get(x).get(i).add().v128Load().get(x).get(i).add().v128Load().simd(SIMD.mul).v128Store();
  });
  c.loopWhileBelow(i, end, 4, () => {
    c.get(out).get(i).add();
    c.get(x).get(i).add().f32Load().get(x).get(i).add().f32Load().op(F32_OP.mul).f32Store();
  });
  c.op(0x0b);
  return { name: 'square', params: [I32, I32, I32], results: [], locals: [I32, I32, I32], code: c };
}

/** add_product(out, a, x, y, count): out += a + x ⊙ y. */
function addProduct(): FunctionSpec {
  const [out, a, x, y, count, i, end4, end] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c = new Code();
  c.get(count).i32(~3).op(0x71).i32(2).op(0x74).set(end4);
  c.get(count).i32(2).op(0x74).set(end);
  c.loopWhileBelow(i, end4, 16, () => {
    c.get(out).get(i).add();
    c.get(out).get(i).add().v128Load().get(a).get(i).add().v128Load().simd(SIMD.add);
    c.get(x).get(i).add().v128Load().get(y).get(i).add().v128Load().simd(SIMD.mul).simd(SIMD.add).v128Store();
  });
  c.loopWhileBelow(i, end, 4, () => {
    c.get(out).get(i).add();
    c.get(out).get(i).add().f32Load().get(a).get(i).add().f32Load().op(F32_OP.add);
    c.get(x).get(i).add().f32Load().get(y).get(i).add().f32Load().op(F32_OP.mul).op(F32_OP.add).f32Store();
  });
  c.op(0x0b);
  return { name: 'add_product', params: [I32, I32, I32, I32, I32], results: [], locals: [I32, I32, I32], code: c };
}

/**
 * adam(p, g, m, v, count, beta1, beta2, keep1, keep2, stepSize, invCorrection2, epsilon) → Σ new p:
 * m = β1 m + (1 − β1) g; v = β2 v + (1 − β2) g²; p −= stepSize · m / (sqrt(v) · invCorrection2 + ε).
 */
function adam(): FunctionSpec {
  const [p, g, m, v, count, beta1, beta2, keep1, keep2, stepSize, invCorrection2, epsilon] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [i, end4, end] = [12, 13, 14];
  const [vBeta1, vBeta2, vKeep1, vKeep2, vStep, vInv, vEps, grad, moment1, moment2, next, sum] = [
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
  ];
  const [sGrad, sMoment1, sMoment2, sNext, sSum] = [27, 28, 29, 30, 31];
  const c = new Code();
  c.get(count).i32(~3).op(0x71).i32(2).op(0x74).set(end4);
  c.get(count).i32(2).op(0x74).set(end);
  for (const [scalar, vector] of [
    [beta1, vBeta1],
    [beta2, vBeta2],
    [keep1, vKeep1],
    [keep2, vKeep2],
    [stepSize, vStep],
    [invCorrection2, vInv],
    [epsilon, vEps],
  ] as const) {
    c.get(scalar).simd(SIMD.splat).set(vector);
  }
  c.f32(0).simd(SIMD.splat).set(sum);
  c.loopWhileBelow(i, end4, 16, () => {
    c.get(g).get(i).add().v128Load().set(grad);
    c.get(vBeta1).get(m).get(i).add().v128Load().simd(SIMD.mul).get(vKeep1).get(grad).simd(SIMD.mul).simd(SIMD.add).set(moment1);
    c.get(vBeta2)
      .get(v)
      .get(i)
      .add()
      .v128Load()
      .simd(SIMD.mul)
      .get(vKeep2)
      .get(grad)
      .get(grad)
      .simd(SIMD.mul)
      .simd(SIMD.mul)
      .simd(SIMD.add)
      .set(moment2);
    c.get(m).get(i).add().get(moment1).v128Store();
    c.get(v).get(i).add().get(moment2).v128Store();
    c.get(p).get(i).add().v128Load();
    c.get(vStep).get(moment1).simd(SIMD.mul);
    c.get(moment2).simd(SIMD.sqrt).get(vInv).simd(SIMD.mul).get(vEps).simd(SIMD.add);
    c.simd(SIMD.div).simd(SIMD.sub).set(next);
    c.get(p).get(i).add().get(next).v128Store();
    c.get(sum).get(next).simd(SIMD.add).set(sum);
  });
  c.f32(0).set(sSum);
  c.loopWhileBelow(i, end, 4, () => {
    c.get(g).get(i).add().f32Load().set(sGrad);
    c.get(beta1).get(m).get(i).add().f32Load().op(F32_OP.mul).get(keep1).get(sGrad).op(F32_OP.mul).op(F32_OP.add).set(sMoment1);
    c.get(beta2)
      .get(v)
      .get(i)
      .add()
      .f32Load()
      .op(F32_OP.mul)
      .get(keep2)
      .get(sGrad)
      .get(sGrad)
      .op(F32_OP.mul)
      .op(F32_OP.mul)
      .op(F32_OP.add)
      .set(sMoment2);
    c.get(m).get(i).add().get(sMoment1).f32Store();
    c.get(v).get(i).add().get(sMoment2).f32Store();
    c.get(p).get(i).add().f32Load();
    c.get(stepSize).get(sMoment1).op(F32_OP.mul);
    c.get(sMoment2).op(F32_OP.sqrt).get(invCorrection2).op(F32_OP.mul).get(epsilon).op(F32_OP.add);
    c.op(F32_OP.div).op(F32_OP.sub).set(sNext);
    c.get(p).get(i).add().get(sNext).f32Store();
    c.get(sSum).get(sNext).op(F32_OP.add).set(sSum);
  });
  horizontalSum(c, sum, sSum);
  c.op(0x0b);
  return {
    name: 'adam',
    params: [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32],
    results: [F32],
    locals: [I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128, F32, F32, F32, F32, F32],
    code: c,
  };
}

/** polyak(target, source, count, keep, tau) → Σ new target: target = keep·target + τ·source. */
function polyak(): FunctionSpec {
  const [target, source, count, keep, tau, i, end4, end, vKeep, vTau, next, sum, sNext, sSum] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const c = new Code();
  c.get(count).i32(~3).op(0x71).i32(2).op(0x74).set(end4);
  c.get(count).i32(2).op(0x74).set(end);
  c.get(keep).simd(SIMD.splat).set(vKeep);
  c.get(tau).simd(SIMD.splat).set(vTau);
  c.f32(0).simd(SIMD.splat).set(sum);
  c.loopWhileBelow(i, end4, 16, () => {
    c.get(vKeep).get(target).get(i).add().v128Load().simd(SIMD.mul);
    c.get(vTau).get(source).get(i).add().v128Load().simd(SIMD.mul).simd(SIMD.add).set(next);
    c.get(target).get(i).add().get(next).v128Store();
    c.get(sum).get(next).simd(SIMD.add).set(sum);
  });
  c.f32(0).set(sSum);
  c.loopWhileBelow(i, end, 4, () => {
    c.get(keep).get(target).get(i).add().f32Load().op(F32_OP.mul);
    c.get(tau).get(source).get(i).add().f32Load().op(F32_OP.mul).op(F32_OP.add).set(sNext);
    c.get(target).get(i).add().get(sNext).f32Store();
    c.get(sSum).get(sNext).op(F32_OP.add).set(sSum);
  });
  horizontalSum(c, sum, sSum);
  c.op(0x0b);
  return {
    name: 'polyak',
    params: [I32, I32, I32, F32, F32],
    results: [F32],
    locals: [I32, I32, I32, V128, V128, V128, V128, F32, F32],
    code: c,
  };
}

/** Pushes sum's four lanes plus the scalar `tail`. */
function horizontalSum(c: Code, sum: number, tail: number): void {
  c.get(tail);
  for (let lane = 0; lane < 4; lane++) c.get(sum).simd(SIMD.extractLane, lane).op(F32_OP.add);
}

/**
 * transpose4(src, dst, rows, cols): dst[c, r] = src[r, c] for r < rows & ~3 and c < cols & ~3, by
 * 4×4 blocks (four loads, eight shuffles, four stores), visited in bands of 16 rows so that each
 * 64-byte line of dst is completed while it is in cache. dst is [cols, rows].
 */
function transpose4(): FunctionSpec {
  const [src, dst, rows, cols, band, c4, rows4, cols4, rowBytes, colBytes, from, to, r, bandEnd] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const [r0, r1, r2, r3, t0, t1, t2, t3] = [14, 15, 16, 17, 18, 19, 20, 21];
  const c = new Code();
  c.get(rows).i32(~3).op(0x71).set(rows4);
  c.get(cols).i32(~3).op(0x71).set(cols4);
  c.get(cols).i32(4).mul().set(rowBytes); // bytes between source rows
  c.get(rows).i32(4).mul().set(colBytes); // bytes between destination rows
  const low = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
  const high = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
  const first = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const second = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];
  c.loopWhileBelow(band, rows4, 16, () => {
    // bandEnd = min(band + 16, rows4)
    c.get(band).i32(16).add().get(rows4).get(band).i32(16).add().get(rows4).op(0x49).op(0x1b).set(bandEnd);
    c.i32(0).set(c4);
    c.loopWhileBelow(c4, cols4, 4, () => {
      c.get(band).set(r);
      c.loopWhileBelow(r, bandEnd, 4, () => {
        c.get(src).get(r).get(cols).mul().get(c4).add().i32(4).mul().add().set(from);
        c.get(dst).get(c4).get(rows).mul().get(r).add().i32(4).mul().add().set(to);
        [r0, r1, r2, r3].forEach((row, k) => {
          c.get(from);
          if (k > 0) c.get(rowBytes).i32(k).mul().add();
          c.v128Load().set(row);
        });
        c.get(r0)
          .get(r1)
          .simd(SIMD.shuffle, ...low)
          .set(t0);
        c.get(r0)
          .get(r1)
          .simd(SIMD.shuffle, ...high)
          .set(t1);
        c.get(r2)
          .get(r3)
          .simd(SIMD.shuffle, ...low)
          .set(t2);
        c.get(r2)
          .get(r3)
          .simd(SIMD.shuffle, ...high)
          .set(t3);
        const outputs: [number, number, number[]][] = [
          [t0, t2, first],
          [t0, t2, second],
          [t1, t3, first],
          [t1, t3, second],
        ];
        outputs.forEach(([a, b, lanes], k) => {
          c.get(to);
          if (k > 0) c.get(colBytes).i32(k).mul().add();
          c.get(a)
            .get(b)
            .simd(SIMD.shuffle, ...lanes)
            .v128Store();
        });
      });
    });
  });
  c.op(0x0b);
  return {
    name: 'transpose4',
    params: [I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128],
    code: c,
  };
}

/** The module's bytes: one memory import (`env.memory`) and the functions above, exported by name. */
export function assembleSimdModule(): Uint8Array {
  const functions = [reluBackward(), adam(), polyak(), transpose4(), square(), addProduct()];
  const section = (id: number, contents: number[]): number[] => [id, ...uleb(contents.length), ...contents];
  const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
  const name = (text: string): number[] => [...uleb(text.length), ...[...text].map((ch) => ch.charCodeAt(0))];
  const types = section(1, vector(functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))])));
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]]));
  const declarations = section(3, vector(functions.map((_, i) => uleb(i))));
  const exports = section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const bodies = functions.map((f) => {
    const locals = vector(f.locals.map((type) => [1, type]));
    const body = [...locals, ...f.code.bytes];
    return [...uleb(body.length), ...body];
  });
  const code = section(10, vector(bodies));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...declarations, ...exports, ...code]);
}

/** The instantiated kernels (byte addresses, float counts). */
export interface SimdKernels {
  relu_backward(out: number, grad: number, activation: number, count: number): void;
  adam(
    params: number,
    grads: number,
    moment1: number,
    moment2: number,
    count: number,
    beta1: number,
    beta2: number,
    keep1: number,
    keep2: number,
    stepSize: number,
    inverseCorrection2: number,
    epsilon: number,
  ): number;
  polyak(target: number, source: number, count: number, keep: number, tau: number): number;
  transpose4(src: number, dst: number, rows: number, cols: number): void;
  square(out: number, x: number, count: number): void;
  add_product(out: number, a: number, x: number, y: number, count: number): void;
}

/** A `WebAssembly.Memory` (the project's `lib` setting carries no WebAssembly typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** Instantiates the kernels on `memory` (synchronously: the module is about a kilobyte). */
export function instantiateSimdKernels(memory: WasmMemory): SimdKernels {
  const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  const module = new api.Module(assembleSimdModule());
  const instance = new api.Instance(module, { env: { memory } });
  return instance.exports as SimdKernels;
}

function uleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

function sleb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}
