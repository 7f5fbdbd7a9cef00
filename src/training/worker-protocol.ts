import type { BackendPreference, LearnerConfig, LearnerState, UpdateStats } from '../rl/learner/index.js';
import type { ReplaySnapshot } from '../rl/replay-buffer.js';
import type { TrainingSchedule } from '../rl/schedule.js';
import type { ActorWeights } from '../rl/types.js';

/**
 * Messages between the control thread and the learner worker. Typed arrays travel as transferables
 * (moved, not copied); every message is a plain object that structured clone can carry.
 */
export interface WorkerInit {
  learner: LearnerConfig;
  backend: BackendPreference;
  schedule: TrainingSchedule;
  bufferSize: number;
  /** Seeds the replay sampling. */
  seed: number;
  /** Send a replay batch of observations for adaptive parameter noise every this many gradient steps (null: never). */
  adaptEvery: number | null;
  /** Shortest time between two weight hand-overs while the learner is busy [ms]. */
  weightSyncMs: number;
}

/** A chunk of transitions, row-major; `count` rows. */
export interface TransitionChunk {
  count: number;
  /** [count × obsDim] */
  obs: Float32Array;
  /** [count × actionDim] */
  action: Float32Array;
  /** [count] */
  reward: Float32Array;
  /** [count × obsDim] */
  nextObs: Float32Array;
  /** [count]: 1 terminated, 0 not */
  terminated: Float32Array;
  /** Episodes that ended after the last row of the chunk (0 or 1). */
  episodeEnds: number;
}

export type ToWorker =
  | { type: 'transitions'; chunk: TransitionChunk }
  | { type: 'snapshot'; id: number; withReplay: boolean }
  | { type: 'restore'; id: number; learner: LearnerState; replay: ReplaySnapshot | null; collected: number }
  | { type: 'close' };

export type FromWorker =
  /** `priority`: the worker thread's scheduling priority, as `lowerThisThreadPriority` reports it. */
  | { type: 'ready'; weights: ActorWeights; backend: string; engine: string; priority: string }
  /** `idle`: every gradient step due for the `collected` transitions has been taken. */
  | { type: 'weights'; weights: ActorWeights; updates: number; collected: number; idle: boolean; stats: UpdateStats | null }
  | { type: 'adapt'; obs: Float32Array; count: number }
  | { type: 'snapshot'; id: number; learner: LearnerState; replay: ReplaySnapshot | null; collected: number; updates: number }
  | { type: 'restored'; id: number; weights: ActorWeights }
  | { type: 'error'; name: string; message: string };
