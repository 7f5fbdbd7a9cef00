/** What the store keeps of a run besides its steps: where it came from, how it was configured, how it ended. */
export type RunSource = 'hardware' | 'sim' | 'replay';
export type RunStatus = 'running' | 'finished' | 'interrupted' | 'failed' | 'crashed';

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
