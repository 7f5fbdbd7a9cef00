/**
 * The live joint traces of one run, read from the step rows its writer committed (the `steps`
 * table): position, command, raw action and exploration noise of every driven joint at the control
 * rate, wear telemetry where the robot reports it, the step flags, and the instants the exploration
 * noise was resampled. Read by the dashboard from the file: nothing of this runs on the tick.
 */
import type { Db } from '../store/database.js';
import { readFloat32Blob } from '../store/codec.js';
import { STEP_FLAGS } from '../core/step-sink.js';

/** The newest steps a page is sent when it opens: 20 s at 100 Hz. */
export const TRACE_WINDOW = 2000;

/** Where a viewer's traces stand: the last (episode, step) it was sent; episode -1: none yet. */
export interface TraceCursor {
  episode: number;
  step: number;
}

/**
 * Steps in columns, as uPlot draws them. `x` is the step's index in the run (training and
 * evaluation steps counted alike); `joints[j]` holds that joint's columns.
 */
export interface TraceChunk {
  x: number[];
  episode: number[];
  deviceTimeS: number[];
  joints: {
    position: number[];
    command: number[];
    rawAction: number[];
    noise: number[];
    /** Null when the robot reports no telemetry. */
    current: (number | null)[];
    temperature: (number | null)[];
  }[];
  /** x of the steps at which the exploration noise was drawn anew (see strategy.ts: the first step of an episode and every `interval` steps). */
  resampledAt: number[];
  /** Steps flagged stale (the state came late or incomplete and the robot held), clipped by the safety layer, and under e-stop. */
  staleSteps: number;
  clippedSteps: number;
  estopSteps: number;
}

interface StepRecord {
  episode: number;
  step: number;
  device_time_s: number;
  position: Uint8Array;
  raw_action: Uint8Array;
  noise: Uint8Array;
  command: Uint8Array;
  current: Uint8Array | null;
  temperature: Uint8Array | null;
  flags: number;
}

/**
 * The run's steps after `cursor` (at most `TRACE_WINDOW`, the newest), and the cursor after them.
 * `interval` is the run's noise interval (-1: once per episode).
 */
export function readTraces(db: Db, run: number, interval: number, cursor: TraceCursor): { chunk: TraceChunk; cursor: TraceCursor } | null {
  const rows = (
    db
      .prepare(
        `SELECT episode, step, device_time_s, position, raw_action, noise, command, current, temperature, flags
         FROM steps WHERE run_id = ? AND (episode > ? OR (episode = ? AND step > ?))
         ORDER BY episode DESC, step DESC LIMIT ?`,
      )
      .all(run, cursor.episode, cursor.episode, cursor.step, TRACE_WINDOW) as StepRecord[]
  ).reverse();
  if (rows.length === 0) return null;
  // Episodes are numbered from 0 and every one's steps are counted in `episodes.steps` once it ended;
  // the running one's from its rows.
  const offsets = new Map<number, number>();
  const before = db.prepare(
    `SELECT COALESCE(SUM(steps), 0) AS steps FROM episodes WHERE run_id = ? AND episode < ? AND ended_at IS NOT NULL`,
  );
  const offsetOf = (episode: number): number => {
    let offset = offsets.get(episode);
    if (offset === undefined) {
      offset = (before.get(run, episode) as { steps: number }).steps;
      offsets.set(episode, offset);
    }
    return offset;
  };
  const width = readFloat32Blob(rows[0].command).length;
  const chunk: TraceChunk = {
    x: [],
    episode: [],
    deviceTimeS: [],
    joints: Array.from({ length: width }, () => ({ position: [], command: [], rawAction: [], noise: [], current: [], temperature: [] })),
    resampledAt: [],
    staleSteps: 0,
    clippedSteps: 0,
    estopSteps: 0,
  };
  for (const row of rows) {
    const x = offsetOf(row.episode) + row.step;
    chunk.x.push(x);
    chunk.episode.push(row.episode);
    chunk.deviceTimeS.push(row.device_time_s);
    const position = readFloat32Blob(row.position);
    const command = readFloat32Blob(row.command);
    const rawAction = readFloat32Blob(row.raw_action);
    const noise = readFloat32Blob(row.noise);
    const current = row.current === null ? null : readFloat32Blob(row.current);
    const temperature = row.temperature === null ? null : readFloat32Blob(row.temperature);
    chunk.joints.forEach((joint, j) => {
      joint.position.push(position[j]);
      joint.command.push(command[j]);
      joint.rawAction.push(rawAction[j]);
      joint.noise.push(noise[j]);
      joint.current.push(current === null ? null : current[j]);
      joint.temperature.push(temperature === null ? null : temperature[j]);
    });
    if (row.step === 0 || (interval > 0 && row.step % interval === 0)) chunk.resampledAt.push(x);
    if (row.flags & STEP_FLAGS.staleState) chunk.staleSteps++;
    if (row.flags & STEP_FLAGS.safetyClipped) chunk.clippedSteps++;
    if (row.flags & STEP_FLAGS.estop) chunk.estopSteps++;
  }
  const last = rows.at(-1)!;
  return { chunk, cursor: { episode: last.episode, step: last.step } };
}
