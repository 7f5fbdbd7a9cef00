/**
 * A process for the store's multi-process tests (not a test file itself):
 *   node writer-child.js crash  DB   rows every ~2 ms, episodes of 1000 steps (2 s), until killed; prints
 *                                     `ready`, `produced N T` every ~25 ms and `ended E T` (T: Date.now())
 *   node writer-child.js write  DB N rows as fast as the writer takes them, episodes of 200 steps, then
 *                                     finish; prints `ready` once the run exists and `done N` at the end
 *   node writer-child.js read   DB   queries the views in a loop until stdin closes; prints one JSON line
 * Rows are a 6-joint arm's: position, velocity, raw action, noise, command of 6, observation of 24.
 */
import { openDatabase } from '../../src/store/database.js';
import { RunRecorder } from '../../src/store/recorder.js';
import { childInfo, endSummary, makeRow } from './fixtures.js';

/** Longer than the loss bound, so that step rows between episode ends rely on the batch age alone. */
const CRASH_EPISODE_STEPS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function crash(path: string): Promise<void> {
  const recorder = await RunRecorder.open(openDatabase(path), childInfo('crash'));
  const periodMs = 2;
  const startMs = Date.now();
  let produced = 0;
  let lastReportMs = 0;
  for (let episode = 0; ; episode++) {
    recorder.beginEpisode(episode, false);
    for (let step = 0; step < CRASH_EPISODE_STEPS; step++) {
      // Paced by the wall clock: rows due by now are produced, then the loop sleeps.
      while (startMs + produced * periodMs > Date.now()) await sleep(1);
      recorder.step(makeRow(episode, step, Date.now() / 1000));
      produced++;
      if (produced === 1) process.stdout.write('ready\n');
      if (Date.now() - lastReportMs >= 25) {
        lastReportMs = Date.now();
        process.stdout.write(`produced ${produced} ${lastReportMs}\n`);
      }
    }
    recorder.endEpisode(episode, endSummary(CRASH_EPISODE_STEPS));
    recorder.event('info', `episode ${episode} ended`, episode);
    process.stdout.write(`ended ${episode} ${Date.now()}\n`);
  }
}

async function write(path: string, rows: number): Promise<void> {
  const recorder = await RunRecorder.open(openDatabase(path), childInfo(`writer-${process.pid}`));
  process.stdout.write('ready\n');
  const episodeSteps = 200;
  for (let produced = 0; produced < rows;) {
    const episode = Math.floor(produced / episodeSteps);
    const step = produced % episodeSteps;
    if (step === 0) recorder.beginEpisode(episode, false);
    if (recorder.stepsPending > 8000) {
      await sleep(2);
      continue;
    }
    recorder.step(makeRow(episode, step, produced / 100));
    produced++;
    if (produced % episodeSteps === 0 || produced === rows) recorder.endEpisode(episode, endSummary(step + 1));
    if (produced % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await recorder.finish('finished', null);
  process.stdout.write(`done ${recorder.stepsWritten}\n`);
}

async function read(path: string): Promise<void> {
  const db = openDatabase(path, { readonly: true });
  let stop = false;
  process.stdin.on('end', () => (stop = true));
  process.stdin.resume();
  const queries = [
    db.prepare('SELECT COUNT(*) AS n FROM steps'),
    db.prepare('SELECT * FROM run_summary'),
    db.prepare('SELECT * FROM learning_curve'),
    db.prepare('SELECT * FROM run_smoothness'),
    db.prepare('SELECT run, limit_name, SUM(steps) FROM interventions GROUP BY run, limit_name'),
  ];
  let loops = 0;
  let lastCount = 0;
  let decreased = 0;
  const errors: string[] = [];
  while (!stop) {
    try {
      const count = (queries[0].get() as { n: number }).n;
      if (count < lastCount) decreased++;
      lastCount = count;
      for (const query of queries.slice(1)) query.all();
      loops++;
    } catch (error) {
      errors.push(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
    }
    await sleep(1);
  }
  db.close();
  process.stdout.write(`${JSON.stringify({ loops, lastCount, decreased, errors })}\n`);
}

const [mode, path, count] = process.argv.slice(2);
if (!path) throw new Error('usage: writer-child.js crash|write|read DB [ROWS]');
if (mode === 'crash') await crash(path);
else if (mode === 'write') await write(path, Number(count));
else if (mode === 'read') await read(path);
else throw new Error(`unknown mode ${mode}`);
