import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readFloat32Blob } from '../../src/store/codec.js';
import { openDatabase } from '../../src/store/database.js';
import { listRuns } from '../../src/store/queries.js';

const child = fileURLToPath(new URL('./writer-child.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-shared-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ROWS_PER_WRITER = 20_000;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { process: ChildProcessWithoutNullStreams; firstLine: Promise<string>; finished: Promise<Finished> } {
  const process_ = spawn(process.execPath, [child, ...args]);
  let stdout = '';
  let stderr = '';
  let resolveLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => (resolveLine = resolve));
  process_.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('\n')) resolveLine(stdout.slice(0, stdout.indexOf('\n')));
  });
  process_.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Finished>((resolve) => process_.on('close', (code) => resolve({ code, stdout, stderr })));
  return { process: process_, firstLine, finished };
}

describe('one database shared by several daemons', () => {
  test('two writer processes and a reader at once on a new file: no SQLITE_BUSY, every row present, the reader always sees a consistent database', async () => {
    const path = join(dir, 'shared.db');
    // Both writers create and migrate the new file at the same moment.
    const writers = [start(['write', path, String(ROWS_PER_WRITER)]), start(['write', path, String(ROWS_PER_WRITER)])];
    assert.deepEqual(await Promise.all(writers.map((writer) => writer.firstLine)), ['ready', 'ready']);
    const reader = start(['read', path]);
    const results = await Promise.all(writers.map((writer) => writer.finished));
    reader.process.stdin.end();
    const read = await reader.finished;

    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`done ${ROWS_PER_WRITER}\\n`));
    }
    assert.equal(read.code, 0, read.stderr);
    const report = JSON.parse(read.stdout) as { loops: number; lastCount: number; decreased: number; errors: string[] };
    assert.deepEqual(report.errors, [], 'no query of the reader failed');
    assert.equal(report.decreased, 0, 'the reader never saw rows disappear');
    assert.ok(report.loops > 0);

    const db = openDatabase(path);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const runs = listRuns(db);
    assert.equal(runs.length, 2);
    for (const run of runs) {
      assert.equal(run.status, 'finished');
      assert.equal(run.steps, ROWS_PER_WRITER, 'the episodes account for every row');
      assert.equal(run.episodes, ROWS_PER_WRITER / 200);
      const rows = (db.prepare('SELECT COUNT(*) AS n FROM steps WHERE run_id = ?').get(run.run) as { n: number }).n;
      assert.equal(rows, ROWS_PER_WRITER);
    }
    // A row carries its own coordinates (see fixtures.makeRow): check one from each run in full.
    const raw = new Database(path, { readonly: true });
    for (const run of runs) {
      const row = raw.prepare('SELECT obs, command FROM steps WHERE run_id = ? AND episode = 37 AND step = 123').get(run.run) as {
        obs: Buffer;
        command: Buffer;
      };
      assert.deepEqual(
        Array.from(readFloat32Blob(row.obs)),
        Array.from({ length: 24 }, (_, i) => Math.fround(20 + i + 0.123)),
      );
      assert.deepEqual(
        Array.from(readFloat32Blob(row.command)),
        Array.from({ length: 6 }, (_, i) => Math.fround(70 + i + 0.123)),
      );
    }
    raw.close();
    db.close();
  });
});
