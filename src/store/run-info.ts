/** What the store keeps of a run besides its steps: where it came from, how it was configured, how it ended. */
export type RunSource = 'hardware' | 'sim' | 'replay';
export type RunStatus = 'running' | 'finished' | 'interrupted' | 'failed' | 'crashed';

/**
 * The longest a running run's `heartbeat_at` goes unrefreshed [ms]: every commit of its writer
 * refreshes it, and a writer with nothing to commit refreshes it this often (writer-worker.ts).
 * Readers judge a run's liveness by it (database.ts: another host's run is crashed after 600 s of
 * silence; the dashboard calls it stale after a few missed refreshes).
 */
export const HEARTBEAT_REFRESH_MS = 30_000;

export interface RunInfo {
  name: string;
  source: RunSource;
  robot: string;
  task: string;
  algo: string;
  noise: string;
  noiseInterval: number;
  seed: number;
  sweep: string | null;
  jointNames: string[];
  config: Record<string, unknown>;
  calibration: unknown;
  codeVersion: string;
  /**
   * The checkpoint.json whose actor drove the robot without learning (`robo-train run`); absent for
   * a training run.
   */
  policyCheckpoint?: string;
}
