import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/database.js';
import { resolveTrainConfig } from '../../src/training/config.js';
import { runTraining } from '../../src/training/run.js';

export interface PendulumOutcome {
  /** Mean return of 10 deterministic evaluation episodes after training. */
  evaluation: number;
  /** Mean return of the first 10 training episodes (a near-random policy). */
  firstEpisodes: number;
  seconds: number;
}

/**
 * 20,000 steps of training on the `pendulum` twin (Gymnasium's Pendulum-v1, exact dynamics) with
 * [64, 64] networks and learning rate 1e-3 (rl-baselines3-zoo's Pendulum settings), then 10
 * deterministic evaluation episodes, as SB3's figures are measured.
 */
export async function trainPendulum(options: Record<string, unknown>): Promise<PendulumOutcome> {
  const db = join(mkdtempSync(join(tmpdir(), 'robo-train-learning-')), 'pendulum.db');
  const started = performance.now();
  const result = await runTraining(
    resolveTrainConfig({
      sim: 'pendulum',
      task: 'swingup',
      steps: 20_000,
      hidden: '64,64',
      learningRate: 1e-3,
      evalEvery: 100,
      evalEpisodes: 10,
      db,
      quiet: true,
      ...options,
    }),
    { log: () => {} },
    new AbortController().signal,
  );
  const store = openDatabase(db, { readonly: true });
  try {
    const mean = (sql: string): number => (store.prepare(sql).get(result.runId) as { mean: number }).mean;
    return {
      evaluation: mean('SELECT AVG(return) AS mean FROM episodes WHERE run_id = ? AND evaluation = 1'),
      firstEpisodes: mean(
        'SELECT AVG(return) AS mean FROM (SELECT return FROM episodes WHERE run_id = ? AND evaluation = 0 ORDER BY episode LIMIT 10)',
      ),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    store.close();
  }
}
