/** Reads back what a training run stored, for the end-to-end tests. */
import { openDatabase } from '../../src/store/database.js';

export interface StoredRun {
  status: string;
  reason: string | null;
  source: string;
  stepRows: number;
  episodes: { episode: number; steps: number; termination: string; reason: string | null }[];
  events: { kind: string; episode: number | null; detail: string }[];
}

export function readRun(db: string): StoredRun {
  const store = openDatabase(db, { readonly: true });
  try {
    const run = store.prepare('SELECT status, exit_reason AS reason, source FROM runs WHERE id = 1').get() as {
      status: string;
      reason: string | null;
      source: string;
    };
    return {
      ...run,
      stepRows: (store.prepare('SELECT COUNT(*) AS n FROM steps WHERE run_id = 1').get() as { n: number }).n,
      episodes: store
        .prepare('SELECT episode, steps, termination, reason FROM episodes WHERE run_id = 1 ORDER BY episode')
        .all() as StoredRun['episodes'],
      events: store
        .prepare("SELECT kind, episode, detail FROM events WHERE run_id = 1 AND kind <> 'checkpoint' ORDER BY id")
        .all() as StoredRun['events'],
    };
  } finally {
    store.close();
  }
}

/** The step count a finished run printed on its last line. */
export function reportedSteps(stdout: string): number {
  const match = /^run 1 (?:finished|interrupted)[^:]*: (\d+) steps/m.exec(stdout);
  if (!match) throw new Error(`no summary line in:\n${stdout}`);
  return Number(match[1]);
}
