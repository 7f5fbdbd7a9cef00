/**
 * What the dashboard shows of a run database, read through one read-only connection: the runs, and
 * of one run its ended episodes and events after those a viewer already has. Nothing here writes, and
 * nothing runs on a training's tick: a training's writer commits its rows, and this reads them from
 * the file like any other reader (WAL: readers never block the writer).
 */
import { liveStatusSql, openForReading, type Db } from '../store/database.js';
import { guardRead } from '../store/errors.js';
import { findRun, listRuns, type EventRow, type RunRow, type RunSummaryRow } from '../store/queries.js';
import { livenessOf, type Liveness, type LivenessFields } from './liveness.js';
import { readTraces, type TraceChunk, type TraceCursor } from './traces.js';

/** One ended episode as the charts draw it: training or evaluation return, continuity cost raw and applied, clips per limit. */
export interface EpisodePoint {
  episode: number;
  evaluation: boolean;
  /** Training steps up to and including this episode: the x axis of the learning curve. */
  trainingSteps: number;
  steps: number;
  return: number | null;
  rawContinuityCost: number | null;
  continuityCost: number | null;
  termination: string | null;
  reason: string | null;
  /** Limit name → steps the safety layer clipped by it. */
  safetyClips: Record<string, number>;
  /** Wear telemetry of the episode; null when the robot reports none. */
  meanAbsCurrentA: number | null;
  peakTemperatureC: number | null;
}

export interface EventPoint extends EventRow {
  id: number;
}

/** A row of the runs page: the run's summary and, while it is not closed, where its process stands. */
export interface RunListRow extends RunSummaryRow {
  liveness: Liveness | null;
}

/** What a viewer of one run is sent: the episodes, events and steps after those it has. */
export interface RunUpdate {
  run: RunRow;
  liveness: Liveness | null;
  episodes: EpisodePoint[];
  events: EventPoint[];
  traces: TraceChunk | null;
}

/** Where a viewer of one run stands: the last episode, event and step it was sent (-1: none yet). */
export interface RunCursor {
  episode: number;
  event: number;
  trace: TraceCursor;
}

export const START_CURSOR: RunCursor = { episode: -1, event: -1, trace: { episode: -1, step: -1 } };

export class DashboardData {
  private constructor(
    private readonly db: Db,
    readonly path: string,
  ) {}

  static open(path: string): DashboardData {
    return new DashboardData(openForReading(path), path);
  }

  /**
   * SQLite's `data_version`: changes whenever another connection commits to the file. The live feed
   * reads again only when it moved.
   */
  dataVersion(): number {
    return this.read(() => this.db.pragma('data_version', { simple: true }) as number);
  }

  runs(): RunListRow[] {
    return this.read(() => {
      const open = new Map(this.openRuns().map((run) => [run.id, livenessOf(run)]));
      return listRuns(this.db).map((run) => ({ ...run, liveness: open.get(run.run) ?? null }));
    });
  }

  /**
   * The liveness of every run not closed, as one string: it changes without a write to the file (a
   * heartbeat grows old, a process dies), so the live feed compares it at each poll.
   */
  livenessKey(): string {
    return this.read(() =>
      this.openRuns()
        .map((run) => `${run.id}:${livenessOf(run)?.state}`)
        .join(' '),
    );
  }

  run(id: number): RunRow | null {
    return this.read(() => findRun(this.db, String(id)));
  }

  /** The run's ended episodes, events and steps after `cursor`, and the cursor after them; null when there is no such run. */
  runUpdate(id: number, cursor: RunCursor): { update: RunUpdate; cursor: RunCursor } | null {
    return this.read(() => {
      const run = findRun(this.db, String(id));
      if (run === null) return null;
      const episodes = this.episodesAfter(id, cursor.episode);
      const events = this.db
        .prepare(`SELECT id, at, episode, step, kind, detail FROM events WHERE run_id = ? AND id > ? ORDER BY id`)
        .all(id, cursor.event) as EventPoint[];
      const traces = readTraces(this.db, id, run.noise_interval, cursor.trace);
      return {
        update: { run, liveness: livenessOf(run), episodes, events, traces: traces?.chunk ?? null },
        cursor: {
          episode: episodes.at(-1)?.episode ?? cursor.episode,
          event: events.at(-1)?.id ?? cursor.event,
          trace: traces?.cursor ?? cursor.trace,
        },
      };
    });
  }

  /** Every ended episode of a run, for runs compared on the same axes; null when there is no such run. */
  episodes(id: number): { run: RunRow; episodes: EpisodePoint[] } | null {
    return this.read(() => {
      const run = findRun(this.db, String(id));
      return run === null ? null : { run, episodes: this.episodesAfter(id, -1) };
    });
  }

  /** The runs their process did not close: left 'running' (its live status may say crashed), or marked crashed since. */
  private openRuns(): (LivenessFields & { id: number })[] {
    return this.db
      .prepare(`SELECT id, ${liveStatusSql('runs')} AS status, host, pid, heartbeat_at FROM runs WHERE status IN ('running', 'crashed')`)
      .all() as (LivenessFields & { id: number })[];
  }

  /** The run's ended episodes after episode `after` (-1: all), as the charts draw them. */
  private episodesAfter(id: number, after: number): EpisodePoint[] {
    return (
      this.db
        .prepare(
          `SELECT c.episode, c.evaluation, c.training_steps, e.steps, e.return, e.raw_continuity_cost, e.continuity_cost,
                    e.termination, e.reason, e.safety_clips,
                    e.mean_abs_current_a, e.peak_temperature_c
             FROM learning_curve c JOIN episodes e ON e.run_id = c.run AND e.episode = c.episode
             WHERE c.run = ? AND c.episode > ? ORDER BY c.episode`,
        )
        .all(id, after) as {
        episode: number;
        evaluation: number;
        training_steps: number;
        steps: number;
        return: number | null;
        raw_continuity_cost: number | null;
        continuity_cost: number | null;
        termination: string | null;
        reason: string | null;
        safety_clips: string | null;
        mean_abs_current_a: number | null;
        peak_temperature_c: number | null;
      }[]
    ).map((row): EpisodePoint => ({
      episode: row.episode,
      evaluation: row.evaluation === 1,
      trainingSteps: row.training_steps,
      steps: row.steps,
      return: row.return,
      rawContinuityCost: row.raw_continuity_cost,
      continuityCost: row.continuity_cost,
      termination: row.termination,
      reason: row.reason,
      safetyClips: row.safety_clips === null ? {} : (JSON.parse(row.safety_clips) as Record<string, number>),
      meanAbsCurrentA: row.mean_abs_current_a,
      peakTemperatureC: row.peak_temperature_c,
    }));
  }

  close(): void {
    this.db.close();
  }

  private read<T>(query: () => T): T {
    return guardRead(this.path, query);
  }
}
