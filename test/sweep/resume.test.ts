import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/database.js';
import { manifestPath } from '../../src/sweep/store.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-sweep-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Four cells of a tiny network and 200 steps on the reacher, two at a time. */
function sweepArgs(db: string, steps = 200): string[] {
  return [
    'sweep',
    'tiny',
    '--sim',
    'sim-reacher',
    '--hidden',
    '16,16',
    '--steps',
    String(steps),
    '--grid',
    'noise=gaussian,gsde;interval=1,episode',
    '--jobs',
    '2',
    '--db',
    db,
  ];
}

interface RunRow {
  id: number;
  status: string;
  cell: string;
}

function runsOf(db: string): RunRow[] {
  const store = openDatabase(db, { readonly: true });
  try {
    return store
      .prepare(`SELECT id, status, json_extract(config, '$.sweepCell') AS cell FROM runs WHERE sweep = 'tiny' ORDER BY id`)
      .all() as RunRow[];
  } finally {
    store.close();
  }
}

describe('robo-train sweep: resume after SIGINT', () => {
  test('SIGINT stops the cells cleanly; the rerun skips finished cells and runs the rest', async () => {
    const db = join(dir, 'sweep.db');
    const child = spawn(process.execPath, [bin, ...sweepArgs(db)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // Interrupt once the first cell has finished (the next ones are running then).
        if (/^tiny: finished /m.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (code) => resolve(code));
    });
    assert.equal(exitCode, 130, `${stdout}\n${stderr}`);
    assert.match(stderr, /SIGINT received, stopping the running cells cleanly/);
    assert.match(stdout, /stopped: rerun the same command to resume/);
    // Not a TTY: plain progress lines with cells done/total and the time left.
    assert.match(stdout, /^tiny: finished \S+ in \d+s \(run \d+\) +1\/4 cells +\d running +\d+s elapsed +~\S+ left$/m);

    const first = runsOf(db);
    const finishedBefore = first.filter((run) => run.status === 'finished');
    assert.ok(finishedBefore.length >= 1 && finishedBefore.length < 4, JSON.stringify(first));
    // The cells running at the SIGINT stopped cleanly, not killed: 'interrupted', never 'crashed'.
    assert.ok(
      first.every((run) => run.status === 'finished' || run.status === 'interrupted'),
      JSON.stringify(first),
    );

    const rerun = spawnSync(process.execPath, [bin, ...sweepArgs(db)], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(rerun.status, 0, `${rerun.stdout}\n${rerun.stderr}`);
    assert.match(
      rerun.stdout,
      new RegExp(`sweep tiny: 4 cells, ${finishedBefore.length} already finished, running ${4 - finishedBefore.length} `),
    );
    assert.match(rerun.stdout, /sweep tiny: 4\/4 cells finished/);
    const second = runsOf(db);
    const finished = second.filter((run) => run.status === 'finished');
    assert.deepEqual(finished.map((run) => run.cell).sort(), [
      'interval=-1;seed=0',
      'noise=gsde;interval=-1;seed=0',
      'noise=gsde;seed=0',
      'seed=0',
    ]);
    // Finished cells were not run again: their runs are the same rows as before.
    for (const run of finishedBefore) assert.ok(finished.some((again) => again.id === run.id && again.cell === run.cell));

    // A third invocation has nothing left to do.
    const third = spawnSync(process.execPath, [bin, ...sweepArgs(db)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stdout, /4 cells, 4 already finished, running 0/);
    assert.equal(runsOf(db).length, second.length);

    // The manifest keeps every invocation's command line for the report.
    const manifest = JSON.parse(readFileSync(manifestPath(db, 'tiny'), 'utf8')) as {
      invocations: { command: string; interrupted: boolean }[];
    };
    assert.deepEqual(
      manifest.invocations.map((invocation) => invocation.interrupted),
      [true, false, false],
    );
    assert.match(
      manifest.invocations[0].command,
      /^robo-train sweep tiny --sim sim-reacher .*--grid 'noise=gaussian,gsde;interval=1,episode'/,
    );

    // The same sweep with other options is refused, naming the flag, rather than mixing runs.
    const changed = spawnSync(process.execPath, [bin, ...sweepArgs(db, 400)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(changed.status, 2);
    assert.match(changed.stderr, /already has a finished run \(\d+\) of cell .* with other options: --steps 200 \(stored\) vs 400 \(now\)/);
  });

  test('a failing cell is reported, the others finish, exit 1', () => {
    const db = join(dir, 'fail.db');
    // An unknown task passes the option table; the run rejects it when it starts.
    const run = spawnSync(
      process.execPath,
      [
        bin,
        'sweep',
        'bad',
        '--sim',
        'sim-reacher',
        '--hidden',
        '16,16',
        '--steps',
        '100',
        '--grid',
        'task=reach,no-such-task',
        '--jobs',
        '2',
        '--db',
        db,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(run.status, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /sweep bad: 1\/2 cells finished, 1 failed/);
    assert.match(run.stdout, /failed: task=no-such-task;seed=0: exit 2: .*unknown task 'no-such-task'/);
    assert.match(run.stdout, /rerun the same command to retry the failed cells/);
    assert.ok(existsSync(db));
  });
});
