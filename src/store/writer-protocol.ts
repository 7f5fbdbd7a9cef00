import type { MessagePort } from 'node:worker_threads';
import type { EpisodeSummary } from '../core/step-sink.js';
import type { RunStatus } from './run-info.js';
import type { StepRingLayout } from './step-ring.js';

/**
 * Messages between a `RunRecorder` (control thread) and its writer worker. Step rows do not travel as
 * messages: they go through the shared `StepRing`. Every other message carries `rowsBefore`, the number
 * of step rows pushed before it was sent, and the writer commits those rows first, in the same
 * transaction, so the database sees things in the order they happened.
 */
export interface WriterInit {
  path: string;
  /** Where the writer answers (a channel of its own, so the control thread can read it synchronously). */
  replies: MessagePort;
  /** [1] int32 on shared memory: set to 1 by the writer once it has failed, after posting the error. */
  failedFlag: Int32Array;
  /** [1] int32 on shared memory: set to 1 by the control thread when it stops waiting for a locked database. */
  abandonFlag: Int32Array;
  /** How long `finish` waits for another process's lock to store the rows and the status [ms]. */
  finishLockWaitMs: number;
  runId: number;
  /** Commit when this many rows wait. */
  maxBatchRows: number;
  /** Commit when the oldest waiting row has waited this long [ms]. */
  maxBatchAgeMs: number;
}

interface Ordered {
  rowsBefore: number;
}

export type ToWriter =
  /** The ring, sent with the first row; `firstRowAtMs` (Date.now()) lets the writer age that row correctly. */
  | { type: 'ring'; layout: StepRingLayout; firstRowAtMs: number }
  | (Ordered & { type: 'beginEpisode'; episode: number; evaluation: boolean; at: string })
  | (Ordered & { type: 'endEpisode'; episode: number; summary: EpisodeSummary; at: string })
  | (Ordered & { type: 'event'; kind: string; detail: string; episode: number | null; step: number | null; at: string })
  | (Ordered & { type: 'flush'; id: number })
  | (Ordered & { type: 'finish'; id: number; status: Exclude<RunStatus, 'running' | 'crashed'>; reason: string | null; at: string });

export type FromWriter =
  | { type: 'done'; id: number }
  /** The writer failed; `id` is the request it answers, if any. The writer commits nothing more. */
  | { type: 'error'; message: string; id: number | null };
