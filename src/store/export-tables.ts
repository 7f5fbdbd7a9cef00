import type { Db } from './database.js';
import { runEpisodes, type RunRow } from './queries.js';
import { ARRAY_COLUMNS } from './step-ring.js';

export type ExportCell = number | string | null;

/** A flat table for CSV or JSON lines: `columns` names every value of each row, in order. */
export interface ExportTable {
  columns: string[];
  /** Rows are produced while iterating (a run's steps may not fit in memory). */
  rows: Iterable<ExportCell[]>;
}

const STEP_SCALARS = ['episode', 'step', 'device_time_s', 'reward', 'flags', 'reward_age_s'] as const;

/**
 * A run's steps, oldest first, with every array expanded into one column per value, named after the
 * run's joints: `position_<joint>`, `velocity_<joint>` (measured joints), `raw_action_<joint>`,
 * `noise_<joint>`, `command_<joint>` (driven joints, which come first in `joint_names`), `obs_<i>`, and
 * for a robot that reports telemetry `current_<joint>`, `load_<joint>`, `temperature_<joint>`, `voltage_<joint>`.
 * Values are the stored float32s, printed with the fewest digits that read back as the same float32.
 */
export function stepTable(db: Db, run: RunRow): ExportTable {
  const first = db
    .prepare(`SELECT ${ARRAY_COLUMNS.map((column) => `length(${column}) / 4 AS ${column}`).join(', ')} FROM steps WHERE run_id = ? LIMIT 1`)
    .get(run.id) as Record<(typeof ARRAY_COLUMNS)[number], number> | undefined;
  const widths = ARRAY_COLUMNS.map((column) => first?.[column] ?? 0);
  const columns: string[] = [...STEP_SCALARS];
  ARRAY_COLUMNS.forEach((column, c) => {
    for (let i = 0; i < widths[c]; i++) columns.push(`${column}_${column === 'obs' ? i : (run.joint_names[i] ?? i)}`);
  });
  const statement = db.prepare(
    `SELECT ${STEP_SCALARS.join(', ')}, ${ARRAY_COLUMNS.join(', ')} FROM steps WHERE run_id = ? ORDER BY episode, step`,
  );
  function* rows(): Generator<ExportCell[]> {
    for (const row of statement.iterate(run.id) as IterableIterator<Record<string, number | null | Buffer>>) {
      const cells: ExportCell[] = STEP_SCALARS.map((column) => row[column] as number | null);
      for (const column of ARRAY_COLUMNS) {
        const blob = row[column] as Buffer | null;
        // Telemetry a robot does not report is NULL, and has no columns (width 0).
        if (blob === null) continue;
        const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
        for (let offset = 0; offset < blob.byteLength; offset += 4) cells.push(shortestFloat32(view.getFloat32(offset, true)));
      }
      yield cells;
    }
  }
  return { columns, rows: rows() };
}

/**
 * A run's episodes with the per-joint continuity cost expanded into `continuity_<joint>` columns and
 * the safety interventions into `clipped_<limit>` columns (0 where a limit never acted).
 */
export function episodeTable(db: Db, run: RunRow): ExportTable {
  const episodes = runEpisodes(db, run.id);
  const joints = Math.max(0, ...episodes.map((episode) => episode.continuity_per_joint?.length ?? 0));
  const limits = [...new Set(episodes.flatMap((episode) => Object.keys(episode.safety_clips ?? {})))].sort();
  const columns = [
    'episode',
    'evaluation',
    'started_at',
    'ended_at',
    'seconds',
    'steps',
    'return',
    'termination',
    'reason',
    'raw_continuity_cost',
    'continuity_cost',
    ...Array.from({ length: joints }, (_, j) => `continuity_${run.joint_names[j] ?? j}`),
    'mean_squared_jerk',
    'high_freq_share',
    'safety_clipped_steps',
    ...limits.map((limit) => `clipped_${limit}`),
  ];
  const rows = episodes.map((e): ExportCell[] => [
    e.episode,
    e.evaluation,
    e.started_at,
    e.ended_at,
    e.seconds,
    e.steps,
    e.return,
    e.termination,
    e.reason,
    e.raw_continuity_cost,
    e.continuity_cost,
    ...Array.from({ length: joints }, (_, j) => e.continuity_per_joint?.[j] ?? null),
    e.mean_squared_jerk,
    e.high_freq_share,
    e.safety_clipped_steps,
    ...limits.map((limit) => (e.safety_clips ? (e.safety_clips[limit] ?? 0) : null)),
  ]);
  return { columns, rows };
}

/** The float64 with the fewest significant digits that rounds to the same float32 as `value`. */
function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}
