import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openDatabase, openForReading } from '../../src/store/database.js';
import { listRuns } from '../../src/store/queries.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-train-failures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a command line to its end without blocking the test process, so that both cases run at once. */
function spawned(command: string, args: string[], onStdout?: (stdout: string, kill: () => void) => void) {
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, () => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('the store when a training run fails', () => {
  test('kill -9 mid-run: the file is intact and the run shows as crashed; a full disk stops the run with a clear error', async () => {
    const killed = join(dir, 'killed.db');
    const full = join(dir, 'full.db');
    const [kill, disk] = await Promise.all([
      // Killed once its second episode is reported.
      spawned(process.execPath, [bin, '--sim', 'sim-reacher', '--hidden', '32,32', '--db', killed], (stdout, killChild) => {
        if (/^ep 1 /m.test(stdout)) killChild();
      }),
      // A 120 KiB file size limit stands for a full disk (SIGXFSZ ignored, so writes fail with EFBIG).
      spawned('bash', [
        '-c',
        `trap '' XFSZ; ulimit -f 120; exec "${process.execPath}" "${bin}" --sim sim-reacher --hidden 32,32 --quiet --db "${full}"`,
      ]),
    ]);

    assert.equal(kill.signal, 'SIGKILL', kill.stderr);
    const raw = new Database(killed, { readonly: true });
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    raw.close();
    // What `robo-train runs` and the other reading commands open: read-only, the dead run shows as crashed.
    const reader = openForReading(killed);
    assert.equal(listRuns(reader)[0].status, 'crashed');
    assert.ok((reader.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n >= 100, 'the first episode is on disk');
    assert.equal(raw.open, false);
    reader.close();
    // The next writer marks it crashed and closes its open episode with the steps it stored.
    const store = openDatabase(killed);
    assert.equal((store.prepare('SELECT status FROM runs').get() as { status: string }).status, 'crashed');
    assert.equal(
      (store.prepare('SELECT COUNT(*) AS n FROM episodes WHERE termination IS NULL').get() as { n: number }).n,
      0,
      'the interrupted episode is closed',
    );
    const unsettled = store
      .prepare(
        `SELECT COUNT(*) AS n FROM episodes e
         WHERE e.steps != (SELECT COUNT(*) FROM steps s WHERE s.run_id = e.run_id AND s.episode = e.episode)`,
      )
      .get() as { n: number };
    assert.equal(unsettled.n, 0, "every episode's step count matches its stored steps, the crashed one's included");
    assert.equal(listRuns(store)[0].steps, (store.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n);
    store.close();

    assert.equal(disk.code, 1, disk.stderr);
    // Which write hits the limit first (step rows, an episode's end or start) depends on timing.
    assert.match(
      disk.stderr,
      /^robo-train: could not (write step rows|record the episode (end|start)) in .*full\.db: .*\(the disk refused the write \(full, failing, or a file size limit\): free space or point --db at another disk\)$/m,
    );
    assert.doesNotMatch(disk.stderr, /^\s+at /m, 'no stack trace');
    const fullStore = openForReading(full);
    assert.equal(fullStore.pragma('integrity_check', { simple: true }), 'ok');
    const status = listRuns(fullStore)[0].status;
    assert.ok(
      ['failed', 'crashed'].includes(status),
      `the run is closed as failed, or marked crashed when even that did not fit (${status})`,
    );
    fullStore.close();
  });
});

describe('the store when another process holds the database locked', () => {
  test('a 14 s outside write lock: the robot stops, the queued rows and the status are stored once the lock goes, exit 1, no abort', async () => {
    const path = join(dir, 'locked.db');
    let lockedAtRows = -1;
    let release: () => void = () => undefined;
    const locker = new Promise<void>((resolve) => (release = resolve));
    const run = spawned(
      process.execPath,
      // No learning (learning starts after the run), so the robot steps as fast as the twin allows.
      [bin, '--sim', 'sim-reacher', '--hidden', '16', '--learning-starts', '1000000', '--steps', '200000', '--db', path],
      (stdout) => {
        if (lockedAtRows >= 0 || !/^ep 2 /m.test(stdout)) return;
        // An outside writer takes the write lock mid-run and keeps it for 14 s.
        const outside = new Database(path);
        lockedAtRows = (outside.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n;
        outside.exec('BEGIN IMMEDIATE');
        setTimeout(() => {
          outside.exec('COMMIT');
          outside.close();
          release();
        }, 14_000);
      },
    );
    const [result] = await Promise.all([run, locker]);

    assert.equal(result.signal, null, `no abort: ${result.stderr}`);
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stderr, /FATAL|Aborted|^\s+at /m);
    assert.match(result.stderr, /^robo-train: .*locked.db.*(locked|cannot keep up)/m);
    assert.match(result.stdout, /^the robot is stopped; storing the \d+ step rows still queued/m);

    const store = new Database(path, { readonly: true });
    const runRow = store.prepare('SELECT status, exit_reason FROM runs').get() as { status: string; exit_reason: string };
    assert.equal(runRow.status, 'failed', 'the status is stored once the lock is released');
    // Every step of every episode is there, in order: the rows queued during the lock were not lost.
    const episodes = store.prepare('SELECT episode, steps, termination FROM episodes ORDER BY episode').all() as {
      episode: number;
      steps: number;
      termination: string;
    }[];
    let total = 0;
    for (const episode of episodes) {
      const rows = store.prepare('SELECT COUNT(*) AS n, MAX(step) AS last FROM steps WHERE episode = ?').get(episode.episode) as {
        n: number;
        last: number | null;
      };
      if (episode.termination !== 'aborted') assert.equal(rows.n, episode.steps, `episode ${episode.episode}`);
      assert.equal(rows.n === 0 ? -1 : rows.last, rows.n - 1, `episode ${episode.episode} has no gap`);
      total += rows.n;
    }
    assert.ok(total > lockedAtRows, `rows queued during the lock were stored (${total} > ${lockedAtRows})`);
    const allRows = (store.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n;
    assert.equal(allRows, total, 'the episodes begun during the lock are recorded with their rows');
    const kinds = (store.prepare('SELECT kind FROM events').all() as { kind: string }[]).map((row) => row.kind);
    assert.ok(kinds.includes('fault'), `the fault is recorded as an event (events: ${kinds.join(', ')})`);
    store.close();
  });
});
