export interface SweepProgress {
  /** Cells of the plan, skipped ones included. */
  total: number;
  /** Cells finished, in this invocation or before (skipped). */
  done: number;
  running: number;
  failed: number;
  elapsedS: number;
  /** Estimated seconds until every cell has ended; null until one cell has a known duration. */
  leftS: number | null;
}

/**
 * Time left, from the durations of finished cells: the cells still to start take the mean duration
 * each, the running ones the rest of it (at least nothing), and `jobs` cells run at once.
 * `durationsS` [finished cells], `runningElapsedS` [running cells].
 */
export function estimateSecondsLeft(
  durationsS: readonly number[],
  pending: number,
  runningElapsedS: readonly number[],
  jobs: number,
): number | null {
  if (pending === 0 && runningElapsedS.length === 0) return 0;
  if (durationsS.length === 0) return null;
  const perCellS = durationsS.reduce((sum, duration) => sum + duration, 0) / durationsS.length;
  const workS = pending * perCellS + runningElapsedS.reduce((sum, elapsed) => sum + Math.max(0, perCellS - elapsed), 0);
  return workS / Math.max(1, Math.min(jobs, pending + runningElapsedS.length));
}

/** `[#########-----------] 12/48 cells  2 running  1 failed  4m12s elapsed  ~12m left`. */
export function formatSweepProgress(progress: SweepProgress, barWidth = 24): string {
  const filled = progress.total === 0 ? barWidth : Math.round((barWidth * progress.done) / progress.total);
  const parts = [
    `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${progress.done}/${progress.total} cells`,
    `${progress.running} running`,
  ];
  if (progress.failed > 0) parts.push(`${progress.failed} failed`);
  parts.push(`${formatDuration(progress.elapsedS)} elapsed`);
  parts.push(progress.leftS === null ? 'time left unknown' : `~${formatDuration(progress.leftS)} left`);
  return parts.join('  ');
}

/** 42s, 4m12s, 3h05m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
