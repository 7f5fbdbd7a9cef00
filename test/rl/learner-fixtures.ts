/**
 * Shared fixtures of the learner and policy tests: random batches, the WASM backend, closeness checks,
 * and the fast-check settings (FC_SEED / FC_RUNS from the environment, so a failure can be replayed).
 */
import assert from 'node:assert/strict';
import {
  initBackend,
  resolveLearnerConfig,
  createLearner,
  type LearnerConfigInput,
  type OffPolicyLearner,
} from '../../src/rl/learner/index.js';
import type { Batch } from '../../src/rl/types.js';
import { Rng } from '../../src/util/rng.js';

export const FC_SEED = Number(process.env.FC_SEED ?? 20261125);
export const FC_RUNS = Number(process.env.FC_RUNS ?? 20);

/** The WASM backend (the kernel engine needs it; the autodiff reference runs on it too). */
export async function wasmBackend(): Promise<void> {
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
}

/** A batch of standard normal observations and rewards, uniform actions and 10% terminations. */
export function randomBatch(rng: Rng, batchSize: number, obsDim: number, actionDim: number): Batch {
  const normal = (n: number): Float32Array => {
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = rng.normal();
    return values;
  };
  const action = new Float32Array(batchSize * actionDim);
  for (let i = 0; i < action.length; i++) action[i] = rng.uniformIn(-1, 1);
  const terminated = new Float32Array(batchSize);
  for (let i = 0; i < batchSize; i++) terminated[i] = rng.uniform() < 0.1 ? 1 : 0;
  return { batchSize, obs: normal(batchSize * obsDim), action, reward: normal(batchSize), nextObs: normal(batchSize * obsDim), terminated };
}

export async function learnerFor(input: LearnerConfigInput): Promise<OffPolicyLearner> {
  return createLearner(resolveLearnerConfig(input));
}

/** Largest |a_i − b_i|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'arrays of different lengths');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}

/**
 * Asserts max|actual − expected| ≤ relative · max|expected| + absolute, naming the quantity and the
 * numbers when it fails.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  relative: number,
  absolute: number,
  label: string,
): void {
  const diff = maxAbsDiff(actual, expected);
  const scale = maxAbs(expected);
  assert.ok(
    diff <= relative * scale + absolute,
    `${label}: max |diff| ${diff.toExponential(3)} > ${relative} · ${scale.toExponential(3)} + ${absolute}`,
  );
}

export { Rng };
