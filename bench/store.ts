/**
 * `npm run bench -- store`: the run store under sustained load, into a file database in the temp folder.
 *
 * Rows are a 6-joint arm's (position, velocity, raw action, noise and command of 6, an observation of
 * 24; values drawn from a seeded Rng), in episodes of 1,000 steps, with the recorder's defaults.
 *
 * - `rows_per_s`: step rows committed per second while the control thread pushes as fast as the queue
 *   takes them (it pauses 1 ms whenever the queue is three-quarters full), over `SECONDS`.
 * - `tick_added_us_p50/p99/p999/max`: the duration of each `RunRecorder.step()` call during that time, that
 *   is what the store adds to a control tick while its writer is saturated. `tick_added_us` repeats p99
 *   (the figure a single number is quoted as). `floor_us_*` time, the same way in the same loop,
 *   the same numbers copied into a private buffer instead: what any work of that size sees on this
 *   machine (the clock's cost, preemption, GC), so the tails of the two can be told apart.
 * - `sync_commit_ms_per_1000_rows`: for comparison, what one batch costs when committed on the calling
 *   thread (the previous design ran it inside the tick every 1,000 rows).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database.js';
import type { StepRow } from '../src/core/step-sink.js';
import { DEFAULT_RECORDER_OPTIONS, RunRecorder } from '../src/store/recorder.js';
import { RunWriter } from '../src/store/run-writer.js';
import { StepRing } from '../src/store/step-ring.js';
import { Rng } from '../src/util/rng.js';
import type { BenchResult } from './registry.js';

const JOINTS = 6;
const OBS = 24;
const EPISODE_STEPS = 1000;
const WARMUP_SECONDS = 1;
const SECONDS = 5;

/** Preallocated rows with realistic values, cycled through (a tick reuses its arrays the same way). */
function makeRows(count: number): StepRow[] {
  const rng = new Rng(5);
  const array = (length: number, scale: number): Float64Array => Float64Array.from({ length }, () => scale * rng.normal());
  return Array.from({ length: count }, () => ({
    episode: 0,
    step: 0,
    deviceTimeS: 0,
    positionRad: array(JOINTS, 1),
    velocityRadS: array(JOINTS, 2),
    obs: array(OBS, 1),
    rawAction: array(JOINTS, 0.5),
    noise: array(JOINTS, 0.2),
    command: array(JOINTS, 1),
    reward: -rng.uniform(),
    flags: 0,
    // A servo-bus robot's row: its telemetry is written too.
    telemetry: {
      currentA: array(JOINTS, 0.2),
      loadFraction: array(JOINTS, 0.1),
      temperatureC: array(JOINTS, 40),
      voltageV: array(JOINTS, 12),
    },
  }));
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function* run(): AsyncGenerator<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'robo-train-bench-store-'));
  try {
    const db = openDatabase(join(dir, 'bench.db'));
    const rows = makeRows(64);
    const info = {
      name: 'bench',
      source: 'sim' as const,
      robot: 'bench-arm',
      task: 'reach',
      algo: 'sac',
      noise: 'gaussian',
      noiseInterval: 1,
      seed: 0,
      sweep: null,
      jointNames: ['j0', 'j1', 'j2', 'j3', 'j4', 'j5'],
      config: {},
      calibration: {},
      codeVersion: 'bench',
    };
    const recorder = await RunRecorder.open(db, info);
    const capacity = DEFAULT_RECORDER_OPTIONS.maxQueuedRows;
    const stepNs = new Float64Array(4_000_000);
    const floorNs = new Float64Array(stepNs.length);
    const scratch = { scalars: new Float64Array(5), values: new Float32Array(5 * JOINTS + OBS) };
    let samples = 0;
    let produced = 0;
    let measuring = false;
    let written0 = 0;
    let t0 = 0;
    const startMs = performance.now();
    for (;;) {
      const now = performance.now();
      if (!measuring && now - startMs >= WARMUP_SECONDS * 1000) {
        measuring = true;
        written0 = recorder.stepsWritten;
        t0 = now;
      }
      if (measuring && now - t0 >= SECONDS * 1000) break;
      if (recorder.stepsPending >= (capacity * 3) / 4) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      const episode = Math.floor(produced / EPISODE_STEPS);
      const step = produced % EPISODE_STEPS;
      if (step === 0) recorder.beginEpisode(episode, false);
      const row = rows[produced % rows.length];
      row.episode = episode;
      row.step = step;
      row.deviceTimeS = produced * 0.01;
      const before = process.hrtime.bigint();
      recorder.step(row);
      const after = process.hrtime.bigint();
      copyRow(row, scratch);
      const afterCopy = process.hrtime.bigint();
      if (measuring && samples < stepNs.length) {
        stepNs[samples] = Number(after - before);
        floorNs[samples++] = Number(afterCopy - after);
      }
      produced++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const rowsPerS = (recorder.stepsWritten - written0) / seconds;
    await recorder.finish('finished', null);

    const sorted = stepNs.subarray(0, samples).sort();
    const floor = floorNs.subarray(0, samples).sort();
    // The previous design: one 1,000-row transaction on the calling thread.
    const ring = StepRing.create(1000, [JOINTS, JOINTS, OBS, JOINTS, JOINTS, JOINTS]);
    const writer = new RunWriter(db, recorder.runId, 1000);
    writer.attach(ring.layout);
    const commitMs: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      for (let i = 0; i < 1000; i++) {
        const row = rows[i % rows.length];
        row.episode = 1_000_000 + batch;
        row.step = i;
        ring.push(row);
      }
      const start = performance.now();
      writer.commit(writer.committed + 1000);
      commitMs.push(performance.now() - start);
    }
    db.close();
    commitMs.sort((a, b) => a - b);
    yield {
      rows_per_s: Math.round(rowsPerS),
      tick_added_us: round2(percentile(sorted, 0.99) / 1000),
      tick_added_us_p50: round2(percentile(sorted, 0.5) / 1000),
      tick_added_us_p99: round2(percentile(sorted, 0.99) / 1000),
      tick_added_us_p999: round2(percentile(sorted, 0.999) / 1000),
      tick_added_us_max: round2(sorted[sorted.length - 1] / 1000),
      floor_us_p50: round2(percentile(floor, 0.5) / 1000),
      floor_us_p99: round2(percentile(floor, 0.99) / 1000),
      floor_us_p999: round2(percentile(floor, 0.999) / 1000),
      floor_us_max: round2(floor[floor.length - 1] / 1000),
      step_calls: samples,
      seconds: round2(seconds),
      row_bytes: 4 * (5 * JOINTS + OBS),
      sync_commit_ms_per_1000_rows: round2(commitMs[2]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor measurement: the row's numbers into a private buffer, as `step` copies them into the ring. */
function copyRow(row: StepRow, out: { scalars: Float64Array; values: Float32Array }): void {
  out.scalars[0] = row.episode;
  out.scalars[1] = row.step;
  out.scalars[2] = row.deviceTimeS;
  out.scalars[3] = row.reward ?? Number.NaN;
  out.scalars[4] = row.flags;
  out.values.set(row.positionRad, 0);
  out.values.set(row.velocityRadS, JOINTS);
  out.values.set(row.obs, 2 * JOINTS);
  out.values.set(row.rawAction, 2 * JOINTS + OBS);
  out.values.set(row.noise, 3 * JOINTS + OBS);
  out.values.set(row.command, 4 * JOINTS + OBS);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
