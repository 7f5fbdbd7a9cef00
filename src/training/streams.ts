import { Rng } from '../util/rng.js';

/**
 * The independent random streams of a run, all derived from `--seed` in this fixed order, so that a
 * run can be reproduced and a logged episode's goal rebuilt (`src/replay/task-context.ts` replays the
 * task stream). Append new streams at the end: inserting one would change every later stream.
 */
export interface RunStreams {
  /** Episode starts and goals (`Task.beginEpisode`). */
  task: Rng;
  /** Exploration noise; its first fork seeds the learner's initial weights and update draws. */
  exploration: Rng;
  /** Replay-buffer sampling. */
  replay: Rng;
  /** The twin's sensor noise. */
  twin: Rng;
}

export function runStreams(seed: number): RunStreams {
  const root = new Rng(seed);
  return { task: root.fork(), exploration: root.fork(), replay: root.fork(), twin: root.fork() };
}
