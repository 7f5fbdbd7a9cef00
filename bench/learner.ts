/**
 * `npm run bench -- learner`: gradient updates per second of SAC and TD3 (batch 256, Pendulum-v1
 * shapes: 3 observations, 1 action) with everything needed to form ratios in one run:
 *
 * - `flops_per_update`: the matrix-product FLOPs (2·m·k·n) the update executes: forward passes, the
 *   parameter gradients that are used and the input gradients that are propagated (no critic parameter
 *   gradient in the actor loss; through the critics, each sample's gradient goes through the critic
 *   holding the minimum only). About 15 forward-pass equivalents for SAC (SB3: 16 to 18, `anchors.md`).
 * - `matmul_gflops`: tfjs's plain `tf.matMul` 256×256×256 on this backend, timed as in `anchors.md`
 *   (product, read back, dispose), in chunks interleaved with the update chunks so that both see the
 *   same machine load; `kernel_matmul_gflops`: the same product called directly on the WASM kernel, as
 *   the kernel engine calls it.
 * - `roofline_ratio` = (flops_per_update / matmul_gflops) / ms_per_update: 1 means the update runs as
 *   fast as its FLOPs at the plain matMul rate allow; `kernel_roofline_ratio` uses the direct rate.
 * - `sb3_ratio`: updates/s over SB3 + PyTorch on one thread (`anchors.md`, same kind of machine).
 *
 * `kernels_per_update` counts the WASM kernel calls of one update (the kernel engine's direct calls;
 * `tf.profile`'s kernel list for the autodiff engine): each tfjs kernel costs about 15 µs of dispatch.
 *
 * Times are CPU times of this process (user + system), medians over chunks, the matMul probes
 * interleaved with the update chunks: on a machine shared with other processes, wall time measures the
 * scheduler as much as the code, while CPU time does not (`wall_ms_per_update` is printed too; on an
 * idle machine the two agree). Then the tfjs tensor
 * count and WASM heap before and after 10^4 updates, and the control tick's single-observation
 * actor latency per head.
 */
import * as tf from '@tensorflow/tfjs';
import type { BenchResult } from './registry.js';
import {
  createLearner,
  initBackend,
  resolveLearnerConfig,
  type BackendInfo,
  type LearnerConfig,
  type LearnerEngine,
  type OffPolicyLearner,
} from '../src/rl/learner/index.js';
import { WasmKernels, type Region } from '../src/rl/learner/kernels/wasm.js';
import { actorLayout, actorWeightsFromParams, criticLayout, type MlpLayout } from '../src/rl/learner/params.js';
import { ActorForward } from '../src/rl/policy/actor.js';
import { gsdeSigma } from '../src/rl/policy/gsde.js';
import type { Batch } from '../src/rl/types.js';
import { Rng } from '../src/util/rng.js';

const BATCH = 256;
const OBS = 3;
const ACTION = 1;

/** SB3 2.4.1 + PyTorch 1.13.1, one thread, gradient steps per second (`anchors.md`). */
const SB3_ONE_THREAD: Record<string, number> = {
  'sac gaussian 256,256': 134,
  'sac gsde 256,256': 140,
  'sac gaussian 64,64': 333,
  'sac gsde 64,64': 309,
  'td3 deterministic 256,256': 237,
  'td3 deterministic 400,300': 156,
};

interface UpdateCase {
  algo: 'sac' | 'td3';
  hidden: number[];
  gsde: boolean;
  engine: LearnerEngine;
  /** Timed updates: `chunks` runs of `chunk`, each followed by matMul probes. */
  chunk: number;
  chunks: number;
  /** Count tensors and heap before and after this many updates (0: skip). */
  leakCheckUpdates: number;
}

const CASES: UpdateCase[] = [
  { algo: 'sac', hidden: [256, 256], gsde: false, engine: 'auto', chunk: 10, chunks: 25, leakCheckUpdates: 0 },
  { algo: 'sac', hidden: [64, 64], gsde: false, engine: 'auto', chunk: 50, chunks: 40, leakCheckUpdates: 10_000 },
  { algo: 'sac', hidden: [64, 64], gsde: true, engine: 'auto', chunk: 50, chunks: 40, leakCheckUpdates: 0 },
  { algo: 'sac', hidden: [256, 256], gsde: true, engine: 'auto', chunk: 10, chunks: 25, leakCheckUpdates: 0 },
  { algo: 'td3', hidden: [256, 256], gsde: false, engine: 'auto', chunk: 10, chunks: 25, leakCheckUpdates: 0 },
  // The tfjs-autodiff engine on the same backend: what the hand-written kernels are measured against.
  { algo: 'sac', hidden: [64, 64], gsde: false, engine: 'autodiff', chunk: 10, chunks: 6, leakCheckUpdates: 0 },
];

export async function* run(): AsyncGenerator<BenchResult> {
  const backend = await initBackend('auto');
  yield { kind: 'backend', ...backend };
  const matmul = new MatMulProbe(backend);
  for (const testCase of CASES) yield await benchUpdates(testCase, backend, matmul);
  yield* benchInference();
  matmul.dispose();
}

async function benchUpdates(testCase: UpdateCase, backend: BackendInfo, matmul: MatMulProbe): Promise<BenchResult> {
  const config = resolveLearnerConfig({
    algo: testCase.algo,
    obsDim: OBS,
    actionDim: ACTION,
    actorHidden: testCase.hidden,
    gsde: testCase.gsde,
    engine: testCase.engine,
    seed: 1,
  });
  const learner = await createLearner(config);
  try {
    const rng = new Rng(2);
    const batches = Array.from({ length: 16 }, () => randomBatch(rng));
    let next = 0;
    const updates = (count: number): void => {
      for (let i = 0; i < count; i++) learner.update(batches[next++ % batches.length]);
    };
    updates(Math.max(20, testCase.chunk));
    const wallMs: number[] = [];
    const cpuMs: number[] = [];
    const tfjsMs: number[] = [];
    const kernelMs: number[] = [];
    for (let c = 0; c < testCase.chunks; c++) {
      const timed = measure(() => updates(testCase.chunk));
      wallMs.push(timed.wallMs / testCase.chunk);
      cpuMs.push(timed.cpuMs / testCase.chunk);
      tfjsMs.push(matmul.tfjsCpuMs());
      const kernel = matmul.kernelCpuMs();
      if (kernel !== null) kernelMs.push(kernel);
    }
    const msPerUpdate = median(cpuMs);
    const matmulGflops = MATMUL_FLOPS / 1e6 / median(tfjsMs);
    const kernelGflops = kernelMs.length > 0 ? MATMUL_FLOPS / 1e6 / median(kernelMs) : null;
    const flops = updateFlops(config);
    const key = `${config.algo} ${config.actor.head} ${testCase.hidden.join(',')}`;
    const sb3 = SB3_ONE_THREAD[key] ?? null;
    const kernelsPerUpdate = await countKernels(learner, batches[0]);
    const leak = testCase.leakCheckUpdates > 0 ? leakCheck(learner, updates, testCase.leakCheckUpdates) : null;
    return {
      kind: 'update',
      algo: config.algo,
      head: config.actor.head,
      arch: testCase.hidden,
      batch: BATCH,
      backend: backend.name,
      engine: learner.engine,
      updates_per_s: round(1000 / msPerUpdate, 1),
      ms_per_update: round(msPerUpdate, 3),
      wall_ms_per_update: round(median(wallMs), 3),
      timed_updates: testCase.chunk * testCase.chunks,
      flops_per_update: flops,
      matmul_gflops: round(matmulGflops, 1),
      kernel_matmul_gflops: kernelGflops === null ? null : round(kernelGflops, 1),
      roofline_ratio: round(flops / 1e6 / matmulGflops / msPerUpdate, 3),
      kernel_roofline_ratio: kernelGflops === null ? null : round(flops / 1e6 / kernelGflops / msPerUpdate, 3),
      kernels_per_update: kernelsPerUpdate,
      sb3_updates_per_s: sb3,
      sb3_ratio: sb3 === null ? null : round(1000 / msPerUpdate / sb3, 2),
      ...(leak ?? {}),
    };
  } finally {
    learner.dispose();
  }
}

/** WASM kernel calls of one update: counted directly (kernel engine) or by `tf.profile` (autodiff). */
async function countKernels(learner: OffPolicyLearner, batch: Batch): Promise<number> {
  if (learner.engine === 'kernels') {
    const before = learner.kernelCalls();
    learner.update(batch);
    return learner.kernelCalls() - before;
  }
  const profile = await tf.profile(() => {
    learner.update(batch);
  });
  return profile.kernels.length;
}

function leakCheck(learner: OffPolicyLearner, updates: (count: number) => void, count: number): BenchResult {
  const before = learner.memoryStats();
  const tensorsBefore = learner.tensorCount();
  updates(count);
  const after = learner.memoryStats();
  return {
    leak_check_updates: count,
    tensors_before: tensorsBefore,
    tensors_after: learner.tensorCount(),
    tfjs_tensors_before: before.tfjsTensors,
    tfjs_tensors_after: after.tfjsTensors,
    kernel_buffers_before: before.kernelBuffers,
    kernel_buffers_after: after.kernelBuffers,
    wasm_heap_bytes_before: before.wasmHeapBytes,
    wasm_heap_bytes_after: after.wasmHeapBytes,
  };
}

/** Plain 256×256×256 products: through tfjs as `anchors.md` measured them, and directly on the kernel. */
class MatMulProbe {
  private readonly a: tf.Tensor2D;
  private readonly b: tf.Tensor2D;
  private readonly kernels: WasmKernels | null;
  private readonly regions: Region[] = [];

  constructor(backend: BackendInfo) {
    const rng = new Rng(3);
    const values = (): Float32Array => new Float32Array(256 * 256).map(() => rng.normal());
    this.a = tf.tensor2d(values(), [256, 256]);
    this.b = tf.tensor2d(values(), [256, 256]);
    this.kernels = backend.name === 'wasm' ? WasmKernels.fromTfjsBackend() : null;
    if (this.kernels !== null) {
      for (let i = 0; i < 3; i++) this.regions.push(this.kernels.allocate(256 * 256, i === 1));
      this.kernels.heap.set(values(), this.regions[0].offset);
      this.kernels.heap.set(values(), this.regions[1].offset);
    }
    this.tfjsCpuMs();
    this.kernelCpuMs();
  }

  /** CPU milliseconds of one `tf.matMul` product (read back and disposed, as in `anchors.md`), over 5 products. */
  tfjsCpuMs(): number {
    const timed = measure(() => {
      for (let i = 0; i < 5; i++) {
        const product = tf.matMul(this.a, this.b);
        product.dataSync();
        product.dispose();
      }
    });
    return timed.cpuMs / 5;
  }

  /** The same product called directly on the WASM kernel (null without the WASM backend). */
  kernelCpuMs(): number | null {
    const kernels = this.kernels;
    if (kernels === null) return null;
    const [a, b, out] = this.regions as [Region, Region, Region];
    const timed = measure(() => {
      for (let i = 0; i < 5; i++) kernels.matMul(out, a, 256, 256, b, 256);
    });
    return timed.cpuMs / 5;
  }

  dispose(): void {
    this.a.dispose();
    this.b.dispose();
    this.kernels?.dispose();
  }
}

const MATMUL_FLOPS = 2 * 256 ** 3;

/**
 * Wall and CPU time of `work`. The CPU time of this process (user + system, all its threads) leaves
 * out the slices other processes take on a shared machine; without contention the two agree.
 */
function measure(work: () => void): { wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

/** Matrix-product FLOPs one update executes (see the module comment for what counts). */
export function updateFlops(config: LearnerConfig): number {
  const B = BATCH;
  const actor = actorLayout(config.actor);
  const critic = criticLayout(config.actor.obsDim, config.actor.actionDim, config.criticHidden).critics[0];
  const dense = (layout: MlpLayout): { inputs: number; outputs: number }[] => [...layout.hidden, layout.head];
  const product = (d: { inputs: number; outputs: number }): number => 2 * B * d.inputs * d.outputs;
  const forward = (layout: MlpLayout): number => dense(layout).reduce((total, d) => total + product(d), 0);
  const weightGrads = forward;
  /** Input gradients of every layer but the first (whose input is data). */
  const innerInputGrads = (layout: MlpLayout): number =>
    dense(layout)
      .slice(1)
      .reduce((total, d) => total + product(d), 0);
  /** ∂Q/∂[s, a] of the critic's first layer. */
  const firstInputGrad = product(critic.hidden[0]);
  /** ∂(min or first Q)/∂a: the minimum sends each row through one critic only, so B rows in all. */
  const policyGrad = innerInputGrads(critic) + firstInputGrad;
  const actorNet = actor.mlp;
  if (config.algo === 'sac') {
    const gsde = config.actor.head === 'gsde' ? 16 * B * actor.latentDim * config.actor.actionDim : 0;
    return (
      2 * forward(actorNet) + // π(s') and π(s)
      2 * forward(critic) + // both target critics at (s', a')
      2 * (forward(critic) + weightGrads(critic) + innerInputGrads(critic)) + // critic regression
      2 * forward(critic) + // both critics at (s, π(s))
      policyGrad +
      weightGrads(actorNet) +
      innerInputGrads(actorNet) + // actor backward
      gsde // z·E and (z ⊙ z)·σ² for both passes, and their four gradient products
    );
  }
  const delayed = forward(actorNet) + forward(critic) + policyGrad + weightGrads(actorNet) + innerInputGrads(actorNet);
  return (
    forward(actorNet) +
    2 * forward(critic) +
    2 * (forward(critic) + weightGrads(critic) + innerInputGrads(critic)) +
    delayed / config.td3.policyDelay
  );
}

/** p50 / p99 of one control-tick policy evaluation (forward pass and the head's sampling) per head. */
function* benchInference(): Generator<BenchResult> {
  for (const hidden of [
    [64, 64],
    [256, 256],
  ]) {
    for (const head of ['gaussian', 'gsde', 'deterministic'] as const) {
      const algo = head === 'deterministic' ? 'td3' : 'sac';
      const config = resolveLearnerConfig({ algo, obsDim: OBS, actionDim: ACTION, actorHidden: hidden, gsde: head === 'gsde' });
      const layout = actorLayout(config.actor);
      const rng = new Rng(4);
      const params = new Float32Array(layout.size).map(() => 0.1 * rng.normal());
      const actor = new ActorForward(actorWeightsFromParams(layout, params, 0));
      const L = layout.latentDim;
      const matrix = new Float32Array(L * ACTION);
      if (head === 'gsde') {
        const sigma = gsdeSigma(
          config.actor.gsde ?? { logStdInit: -3, fullStd: true, useExpln: false },
          actor.weights.gsdeLogStd ?? new Float32Array(L),
          L,
          ACTION,
          new Float32Array(L * ACTION),
        );
        for (let i = 0; i < matrix.length; i++) matrix[i] = sigma[i] * rng.normal();
      }
      const obs = new Float32Array(OBS);
      const samples = 20_000;
      const times = new Float64Array(samples);
      let sink = 0;
      for (let s = -2000; s < samples; s++) {
        obs[0] = Math.cos(s);
        obs[1] = Math.sin(s);
        obs[2] = (s % 16) / 2;
        const start = process.hrtime.bigint();
        const out = actor.forward(obs);
        let u = out.mean[0];
        if (head === 'gaussian') u += Math.exp(out.logStd?.[0] ?? 0) * rng.normal();
        if (head === 'gsde') for (let i = 0; i < L; i++) u += out.latent[i] * matrix[i];
        sink += Math.tanh(u);
        const elapsed = Number(process.hrtime.bigint() - start);
        if (s >= 0) times[s] = elapsed / 1e6;
      }
      times.sort();
      yield {
        kind: 'inference',
        head,
        arch: hidden,
        what: 'ActorForward.forward + the head sampling the action (no noise process)',
        p50_ms: round(quantile(times, 0.5), 4),
        p99_ms: round(quantile(times, 0.99), 4),
        checksum: round(sink, 3),
      };
    }
  }
}

function randomBatch(rng: Rng): Batch {
  const normal = (n: number): Float32Array => new Float32Array(n).map(() => rng.normal());
  return {
    batchSize: BATCH,
    obs: normal(BATCH * OBS),
    action: new Float32Array(BATCH * ACTION).map(() => rng.uniformIn(-1, 1)),
    reward: normal(BATCH),
    nextObs: normal(BATCH * OBS),
    terminated: new Float32Array(BATCH),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
