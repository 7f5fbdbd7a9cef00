/**
 * `npm run bench -- safety`: time per control tick of `SafetyFilter.step` for a six-joint arm at 100 Hz,
 * fed a noisy policy (a slowly wandering mean plus Gaussian noise of std 0.3 in action units, clipped to
 * [-1, 1]), then two extremes: uniform random actions every tick (almost every tick clamped, the slow
 * path) and a smooth reachable motion (almost every tick passed, the fast path).
 * `us_per_tick` is the mean; p50/p99/max come from per-tick timings.
 */
import type { JointLimits } from '../src/calibration/types.js';
import { SafetyFilter, SafetyStatus, type SafetySpec } from '../src/safety/index.js';
import { Rng } from '../src/util/rng.js';
import type { BenchResult } from './registry.js';

const JOINTS = 6;
const HZ = 100;
const WARMUP_TICKS = 2_000;
const TICKS = 50_000;

type Stream = 'noisy' | 'uniform' | 'smooth';

function armSpec(): SafetySpec {
  const joints = Array.from({ length: JOINTS }, (_, i) => {
    const limits: JointLimits = {
      minPositionRad: -2.5 + 0.1 * i,
      maxPositionRad: 2.5 - 0.1 * i,
      softMarginRad: 0.15,
      maxVelocityRadS: 2 + 0.3 * i,
      maxAccelerationRadS2: 8 + 2 * i,
      maxJerkRadS3: 150 + 40 * i,
      maxEffortNm: null,
    };
    return { name: `joint${i}`, limits, maxLeadRad: 0.3, maxEffortRateNmS: Number.POSITIVE_INFINITY };
  });
  return { controlHz: HZ, commandMode: 'position', joints, maxReadingAgeUs: 25_000 };
}

function measure(stream: Stream): BenchResult {
  const spec = armSpec();
  const filter = new SafetyFilter(spec);
  const low = spec.joints.map(({ limits: l }) => l.minPositionRad! + l.softMarginRad);
  const high = spec.joints.map(({ limits: l }) => l.maxPositionRad! - l.softMarginRad);
  filter.reset(low.map((lo, j) => (lo + high[j]) / 2));
  const rng = new Rng(12345);
  const raw = new Float64Array(JOINTS);
  const mean = new Float64Array(JOINTS);
  const reading = { positionRad: new Float64Array(JOINTS), velocityRadS: new Float64Array(JOINTS), ageUs: 0 };
  const timesUs = new Float64Array(TICKS);
  let passed = 0;
  for (let t = -WARMUP_TICKS; t < TICKS; t++) {
    for (let j = 0; j < JOINTS; j++) {
      let action: number;
      if (stream === 'uniform') {
        action = rng.uniformIn(-1, 1);
      } else if (stream === 'smooth') {
        action = 0.3 * Math.sin((2 * Math.PI * 0.2 * t) / HZ + j);
      } else {
        mean[j] = Math.max(-0.8, Math.min(0.8, mean[j] + 0.02 * rng.normal()));
        action = Math.max(-1, Math.min(1, mean[j] + 0.3 * rng.normal()));
      }
      raw[j] = low[j] + ((action + 1) / 2) * (high[j] - low[j]);
    }
    // The robot lags one tick behind the command.
    reading.positionRad.set(filter.output.applied);
    const start = process.hrtime.bigint();
    const status = filter.step(raw, reading);
    const end = process.hrtime.bigint();
    if (t >= 0) {
      timesUs[t] = Number(end - start) / 1000;
      if (status === SafetyStatus.passed) passed++;
    }
  }
  const sorted = Float64Array.from(timesUs).sort();
  let sum = 0;
  for (let t = 0; t < TICKS; t++) sum += timesUs[t];
  const round = (x: number): number => Math.round(x * 100) / 100;
  return {
    joints: JOINTS,
    hz: HZ,
    stream,
    ticks: TICKS,
    us_per_tick: round(sum / TICKS),
    p50_us: round(sorted[Math.floor(0.5 * TICKS)]),
    p99_us: round(sorted[Math.floor(0.99 * TICKS)]),
    max_us: round(sorted[TICKS - 1]),
    passed_share: round(passed / TICKS),
  };
}

export async function* run(): AsyncGenerator<BenchResult> {
  for (const stream of ['noisy', 'uniform', 'smooth'] as const) yield measure(stream);
}
