/**
 * What the control loop records of a run, and the port it records through. The loop writes to a
 * `StepSink` (the store's `RunRecorder` in a training run, nothing in a benchmark) without knowing
 * where the rows go.
 */

import type { WearReadings, WearSummary } from '../metrics/wear.js';

/** How an episode ended. */
export type Termination = 'terminated' | 'truncated' | 'aborted' | 'interrupted';

/** One control step as the store keeps it. Arrays are copied when the row is queued. */
export interface StepRow {
  episode: number;
  step: number;
  deviceTimeS: number;
  /** [joints] rad */
  positionRad: ArrayLike<number>;
  /** [joints] rad/s */
  velocityRadS: ArrayLike<number>;
  /** [obsDim] */
  obs: ArrayLike<number>;
  /** [joints] in [-1, 1] */
  rawAction: ArrayLike<number>;
  /** [joints] */
  noise: ArrayLike<number>;
  /** [joints] joint units */
  command: ArrayLike<number>;
  reward: number | null;
  /** Age [s] of the outside signal the reward came from (`Task.rewardAgeS`); absent or null when there is none. */
  rewardAgeS?: number | null;
  flags: number;
  /** The actuators' own readings of the state the action answered, when the robot reports them. */
  telemetry: WearReadings | null;
}

export interface EpisodeSummary {
  steps: number;
  return: number;
  termination: Termination;
  reason: string | null;
  /** Continuity cost of the applied commands (after safety). */
  continuityCost: number;
  continuityPerJoint: number[];
  /** Continuity cost of the policy's raw actions in [-1, 1] (before safety). */
  rawContinuityCost: number;
  meanSquaredJerk: number;
  highFrequencyShare: number;
  safetyClippedSteps: number;
  safetyClips: Record<string, number>;
  seconds: number;
  /** What the actuators measured of the episode's wear (null for a robot that does not report it). */
  wear: WearSummary | null;
}

/** Bits of `steps.flags`. */
export const STEP_FLAGS = {
  /** The safety layer changed the command. */
  safetyClipped: 1 << 0,
  /** The policy produced a non-finite action; the robot held. */
  nonFiniteAction: 1 << 1,
  /** Emergency stop active. */
  estop: 1 << 2,
  /** The state was stale or incomplete; the robot held. */
  staleState: 1 << 3,
  /** Last step of the episode (its reward is the final one). */
  episodeEnd: 1 << 4,
} as const;

/** Receives the episodes and steps of a run, in order; must not block the control tick. */
export interface StepSink {
  beginEpisode(episode: number, evaluation: boolean): void;
  /** Copies what it keeps: the loop reuses the row's arrays at the next tick. */
  step(row: StepRow): void;
  endEpisode(episode: number, summary: EpisodeSummary): void;
}
