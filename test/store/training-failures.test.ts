import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openForReading } from '../../src/store/database.js';
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
    // What `robo-train runs` and the other reading commands open: dead runs are marked on the way.
    const store = openForReading(killed);
    assert.equal(listRuns(store)[0].status, 'crashed');
    assert.ok((store.prepare('SELECT COUNT(*) AS n FROM steps').get() as { n: number }).n >= 100, 'the first episode is on disk');
    assert.equal(
      (store.prepare('SELECT COUNT(*) AS n FROM episodes WHERE termination IS NULL').get() as { n: number }).n,
      0,
      'the interrupted episode is closed',
    );
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
