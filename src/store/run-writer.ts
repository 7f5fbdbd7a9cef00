import { endianness } from 'node:os';
import type { Db } from './database.js';
import { guardWrite, StoreError } from './errors.js';
import type { EpisodeSummary } from '../core/step-sink.js';
import type { RunStatus } from './run-info.js';
import { ARRAY_COLUMNS, StepRing, type StepRingLayout } from './step-ring.js';

/**
 * The database side of one run, synchronous, used by the writer worker: commits the step rows waiting
 * in the ring in transactions of at most `maxBatchRows`, and writes episodes, events and the run's
 * status, each in the transaction that commits the step rows pushed before it. Every failure is a
 * `StoreError` naming the file and the likely cause.
 */
export class RunWriter {
  private ring: StepRing | null = null;
  /** True once the control thread stopped waiting for the lock (a forced exit). */
  private readonly abandoned: () => boolean;
  private readonly scalars = new Float64Array(6);
  private readonly insertStep;
  private readonly insertEpisode;
  private readonly updateEpisode;
  private readonly insertEvent;
  private readonly updateHeartbeat;
  private readonly closeEpisodes;
  private readonly updateRun;
  /** performance.now() of the last transaction [ms]. */
  lastWriteMs = performance.now();
  /**
   * How long one transaction may wait for another process's write lock [ms]. The connection's own busy
   * timeout is short (a slice); `write` retries slice after slice until this much time has passed or the
   * run gave up waiting, so the thread is never stuck inside SQLite for longer than a slice.
   */
  lockWaitMs: number;

  constructor(
    private readonly db: Db,
    private readonly runId: number,
    private readonly maxBatchRows: number,
    lock: { waitMs: number; abandoned: () => boolean } = { waitMs: 0, abandoned: () => false },
  ) {
    this.lockWaitMs = lock.waitMs;
    this.abandoned = lock.abandoned;
    // Step arrays go from the ring to the BLOBs as native float32, and the file format is little-endian.
    if (endianness() !== 'LE')
      throw new StoreError('the run store writes little-endian float32 arrays, and this host is big-endian: not supported');
    this.insertStep = db.prepare(
      `INSERT INTO steps (run_id, episode, step, device_time_s, ${ARRAY_COLUMNS.join(', ')}, reward, flags, reward_age_s)
       VALUES (?, ?, ?, ?, ${ARRAY_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?)`,
    );
    this.insertEpisode = db.prepare(`INSERT INTO episodes (run_id, episode, started_at, evaluation) VALUES (?, ?, ?, ?)`);
    this.updateEpisode = db.prepare(
      `UPDATE episodes SET ended_at = ?, steps = ?, return = ?, termination = ?, reason = ?, continuity_cost = ?,
         continuity_per_joint = ?, raw_continuity_cost = ?, mean_squared_jerk = ?, high_freq_share = ?, safety_clipped_steps = ?,
         safety_clips = ?, seconds = ?, mean_abs_current_a = ?, mean_abs_load = ?, peak_temperature_c = ?, min_voltage_v = ?,
         energy_j = ?
       WHERE run_id = ? AND episode = ?`,
    );
    this.insertEvent = db.prepare(`INSERT INTO events (run_id, episode, step, at, kind, detail) VALUES (?, ?, ?, ?, ?, ?)`);
    this.updateHeartbeat = db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE id = ?`);
    this.closeEpisodes = db.prepare(
      `UPDATE episodes SET termination = ?, reason = ?, ended_at = ? WHERE run_id = ? AND termination IS NULL`,
    );
    this.updateRun = db.prepare(`UPDATE runs SET status = ?, exit_reason = ?, ended_at = ?, heartbeat_at = ? WHERE id = ?`);
  }

  attach(layout: StepRingLayout): void {
    this.ring = StepRing.attach(layout);
  }

  /** Step rows committed so far. */
  get committed(): number {
    return this.ring?.released ?? 0;
  }

  /** Step rows pushed so far. */
  published(): number {
    return this.ring?.published() ?? 0;
  }

  /**
   * Commits step rows until `rows` of them are on disk, in transactions of at most `maxBatchRows`
   * (a slot is released to the producer only after its transaction commits); `then` runs inside the
   * last transaction, so what it writes is durable together with the rows before it.
   */
  commit(rows: number, what = 'write step rows', then?: () => void): void {
    const ring = this.ring;
    for (;;) {
      const from = this.committed;
      const count = ring ? Math.max(0, Math.min(rows - from, this.maxBatchRows)) : 0;
      const last = from + count >= rows;
      if (count === 0 && !then) return;
      this.write(count > 0 ? 'write step rows' : what, () =>
        this.db
          .transaction(() => {
            if (ring) this.insertRows(ring, from, count);
            this.updateHeartbeat.run(new Date().toISOString(), this.runId);
            if (last) then?.();
          })
          .immediate(),
      );
      this.lastWriteMs = performance.now();
      ring?.release(count);
      if (last) return;
    }
  }

  beginEpisode(rowsBefore: number, episode: number, evaluation: boolean, at: string): void {
    this.commit(rowsBefore, 'record the episode start', () => this.insertEpisode.run(this.runId, episode, at, evaluation ? 1 : 0));
  }

  endEpisode(rowsBefore: number, episode: number, summary: EpisodeSummary, at: string): void {
    this.commit(rowsBefore, 'record the episode end', () =>
      this.updateEpisode.run(
        at,
        summary.steps,
        finiteOrNull(summary.return),
        summary.termination,
        summary.reason,
        finiteOrNull(summary.continuityCost),
        JSON.stringify(summary.continuityPerJoint.map(finiteOrNull)),
        finiteOrNull(summary.rawContinuityCost),
        finiteOrNull(summary.meanSquaredJerk),
        finiteOrNull(summary.highFrequencyShare),
        summary.safetyClippedSteps,
        JSON.stringify(summary.safetyClips),
        summary.seconds,
        finiteOrNull(summary.wear?.meanAbsCurrentA ?? Number.NaN),
        finiteOrNull(summary.wear?.meanAbsLoad ?? Number.NaN),
        finiteOrNull(summary.wear?.peakTemperatureC ?? Number.NaN),
        finiteOrNull(summary.wear?.minVoltageV ?? Number.NaN),
        finiteOrNull(summary.wear?.energyJ ?? Number.NaN),
        this.runId,
        episode,
      ),
    );
  }

  event(rowsBefore: number, kind: string, detail: string, episode: number | null, step: number | null, at: string): void {
    this.commit(rowsBefore, 'record an event', () => this.insertEvent.run(this.runId, episode, step, at, kind, detail));
  }

  /**
   * Closes the run: its status, and any episode left open (a run that failed mid-episode) ends as
   * 'interrupted' or 'aborted' with the run's reason.
   */
  finish(rowsBefore: number, status: Exclude<RunStatus, 'running' | 'crashed'>, reason: string | null, at: string): void {
    this.commit(rowsBefore, 'close the run', () => this.closeRun(status, reason, at));
  }

  /** Writes only the run's status, after a failure that stopped step rows from being committed. */
  finishAfterFailure(status: Exclude<RunStatus, 'running' | 'crashed'>, reason: string | null, at: string): void {
    this.write('close the run', () => this.db.transaction(() => this.closeRun(status, reason, at)).immediate());
  }

  /** Refreshes the run's heartbeat (which tells other hosts the run is alive) in its own transaction. */
  heartbeat(): void {
    this.write('refresh the run heartbeat', () => this.updateHeartbeat.run(new Date().toISOString(), this.runId));
    this.lastWriteMs = performance.now();
  }

  /** Runs one write, retrying while another process holds the lock, up to `lockWaitMs` (see there). */
  private write<T>(what: string, transaction: () => T): T {
    const deadlineMs = performance.now() + this.lockWaitMs;
    for (;;) {
      try {
        return guardWrite(what, this.db.name, transaction);
      } catch (error) {
        const waitMore = error instanceof StoreError && error.locked && performance.now() < deadlineMs && !this.abandoned();
        if (!waitMore) throw error;
      }
    }
  }

  private closeRun(status: Exclude<RunStatus, 'running' | 'crashed'>, reason: string | null, at: string): void {
    this.closeEpisodes.run(status === 'interrupted' ? 'interrupted' : 'aborted', reason ?? `run ${status}`, at, this.runId);
    this.updateRun.run(status, reason, at, at, this.runId);
  }

  private insertRows(ring: StepRing, from: number, count: number): void {
    const { scalars, insertStep, runId } = this;
    const buffer = ring.buffer;
    const widths = ring.widths;
    const arrays: (Uint8Array | null)[] = new Array<Uint8Array | null>(widths.length);
    for (let index = from; index < from + count; index++) {
      ring.scalarsOf(index, scalars);
      // Views into the shared ring: SQLite copies the bytes while binding, before the slot is released.
      // An array of width 0 (telemetry a robot does not report) is stored as NULL.
      for (let column = 0; column < widths.length; column++) {
        arrays[column] = widths[column] === 0 ? null : new Uint8Array(buffer, ring.arrayByteOffset(index, column), widths[column] * 4);
      }
      insertStep.run(runId, scalars[0], scalars[1], scalars[2], ...arrays, scalars[3], scalars[4], scalars[5]);
    }
  }
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
