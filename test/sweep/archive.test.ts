import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openDatabase } from '../../src/store/database.js';
import { archivePath, exportSweepArchive, importSweepArchive, readSweepArchive } from '../../src/sweep/archive.js';
import { ArchiveError, parseArchive } from '../../src/sweep/archive-format.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-archive-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const archive = join(dir, 'archive');

function robotrain(args: string[], cwd = dir) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000, cwd });
}

/** Cells of a tiny network and 200 steps on the reacher; each `grid` is one --grid. */
function sweepArgs(db: string, grids: string[]): string[] {
  return [
    'sweep',
    'tiny',
    '--sim',
    'sim-reacher',
    '--hidden',
    '16,16',
    '--steps',
    '200',
    ...grids.flatMap((grid) => ['--grid', grid]),
    '--jobs',
    '2',
    '--db',
    db,
    '--archive',
    archive,
  ];
}

interface Row {
  id: number;
  cell: string;
  started_at: string;
  episodes: number;
}

function runsOf(db: string): Row[] {
  const store = openDatabase(db, { readonly: true });
  try {
    return store
      .prepare(
        `SELECT id, json_extract(config, '$.sweepCell') AS cell, started_at,
                (SELECT COUNT(*) FROM episodes e WHERE e.run_id = runs.id) AS episodes
         FROM runs WHERE sweep = 'tiny' ORDER BY id`,
      )
      .all() as Row[];
  } finally {
    store.close();
  }
}

/** The report's files of sweep tiny made from `db` (in its folder), by name. */
function report(folder: string): Map<string, string> {
  const made = robotrain(['report', 'tiny', '--db', 'sweep.db', '--doc', 'doc/study.md', '--reps', '200'], folder);
  assert.equal(made.status, 0, made.stderr);
  const files = new Map<string, string>();
  for (const name of ['summary.md', 'summary.csv', 'runs.csv'])
    files.set(name, readFileSync(join(folder, 'doc', 'study', 'tiny', name), 'utf8'));
  files.set('study.md', readFileSync(join(folder, 'doc', 'study.md'), 'utf8'));
  return files;
}

/** runs.csv without its `run` column (ids differ between databases). */
function withoutRunIds(csv: string): string {
  return csv
    .split('\n')
    .map((line) =>
      line
        .split(',')
        .filter((_, index) => index !== 1)
        .join(','),
    )
    .join('\n');
}

describe('sweep archive: export, import, resume elsewhere', () => {
  const first = join(dir, 'first', 'sweep.db');
  const second = join(dir, 'second', 'sweep.db');
  const fresh = join(dir, 'fresh', 'sweep.db');

  before(() => {
    // Machine one: two cells, archived as they finish.
    const run = robotrain(sweepArgs(first, ['noise=gaussian;seed=0,1']));
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /archive: 2 finished cells → .*tiny\.jsonl\.gz \(\d+ (k?B)\)/);
  });

  test('a sweep on another machine imports the archive, skips its cells, runs the rest and archives them', () => {
    const run = robotrain(sweepArgs(second, ['noise=gaussian;seed=0,1', 'noise=gsde;seed=0']));
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /tiny\.jsonl\.gz: 2 runs imported, 0 already in /);
    assert.match(run.stdout, /sweep tiny: 3 cells, 2 already finished, running 1 /);
    assert.match(run.stdout, /archive: 3 finished cells → /);
    const runs = runsOf(second);
    assert.equal(runs.length, 3);
    // The imported runs keep their start time and their episodes.
    const original = runsOf(first);
    for (const run of original)
      assert.ok(runs.some((copy) => copy.cell === run.cell && copy.started_at === run.started_at && copy.episodes === run.episodes));
    assert.deepEqual(
      readdirSync(archive).filter((name) => name.endsWith('.tmp')),
      [],
      'the temporary file was renamed',
    );
    // The invocations of both machines are in the archive (the report's commands and wall time).
    const { header } = parseArchive('tiny', readFileSync(archivePath(archive, 'tiny')), 'tiny');
    assert.equal(header.invocations.length, 2);
  });

  test('import into a database with other runs: new ids, idempotent, and the same report as the original', () => {
    // Another run first, so that the imported runs cannot keep their ids.
    const store = openDatabase(fresh);
    store
      .prepare(
        `INSERT INTO runs (name, started_at, status, source, robot, task, algo, noise, noise_interval, seed, joint_names, config, calibration,
                           code_version, host, pid, heartbeat_at)
         VALUES ('other', '2026-01-01T00:00:00.000Z', 'failed', 'sim', 'pendulum', 'swingup', 'sac', 'none', 1, 0, '[]', '{}', '{}', 'x', 'h', 1, '2026-01-01T00:00:00.000Z')`,
      )
      .run();
    store.close();

    const imported = robotrain(['sweep-archive', 'import', 'tiny', '--dir', archive, '--db', fresh]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /^tiny: 3 runs imported, 0 already in /m);
    const again = robotrain(['sweep-archive', 'import', 'tiny', '--dir', archive, '--db', fresh]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^tiny: 0 runs imported, 3 already in /m);

    const original = runsOf(second);
    const copy = runsOf(fresh);
    assert.equal(copy.length, 3, 'not duplicated');
    assert.deepEqual(
      copy.map(({ cell, started_at, episodes }) => ({ cell, started_at, episodes })),
      original.map(({ cell, started_at, episodes }) => ({ cell, started_at, episodes })),
    );
    assert.notDeepEqual(
      copy.map((run) => run.id),
      original.map((run) => run.id),
      'new ids',
    );

    const expected = report(join(dir, 'second'));
    const actual = report(join(dir, 'fresh'));
    for (const name of ['summary.md', 'summary.csv', 'study.md']) assert.equal(actual.get(name), expected.get(name), name);
    assert.equal(withoutRunIds(actual.get('runs.csv')!), withoutRunIds(expected.get('runs.csv')!));
    assert.match(actual.get('study.md')!, /robo-train sweep tiny --sim sim-reacher/, 'the commands came with the archive');
  });

  test('values JSON cannot hold (±Infinity) come back as they were', () => {
    const copy = join(dir, 'infinite', 'sweep.db');
    mkdirSync(join(dir, 'infinite'), { recursive: true });
    // A copy of the second machine's database, with one episode's jerk overflowed.
    const source = openDatabase(second);
    const original = join(dir, 'infinite', 'source.db');
    try {
      source.exec(`VACUUM INTO '${original}'`);
    } finally {
      source.close();
    }
    const edited = openDatabase(original);
    const folder = join(dir, 'infinite', 'archive');
    try {
      edited.prepare(`UPDATE episodes SET mean_squared_jerk = ?, high_freq_share = ? WHERE episode = 0`).run(Infinity, -Infinity);
      exportSweepArchive(edited, original, 'tiny', folder);
    } finally {
      edited.close();
    }
    const store = openDatabase(copy);
    try {
      importSweepArchive(store, copy, readSweepArchive(folder, 'tiny'));
      const values = store
        .prepare(`SELECT DISTINCT mean_squared_jerk AS jerk, high_freq_share AS share FROM episodes WHERE episode = 0`)
        .all();
      assert.deepEqual(values, [{ jerk: Infinity, share: -Infinity }]);
    } finally {
      store.close();
    }
  });

  test('a damaged or foreign archive is refused in one line naming the file and the line', () => {
    const lines = gunzipSync(readFileSync(archivePath(archive, 'tiny')))
      .toString('utf8')
      .split('\n');
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    const header = JSON.parse(lines[0]) as { version: number };
    const cases: [string, Buffer, RegExp][] = [
      [
        'newer version',
        gzipSync([JSON.stringify({ ...header, version: 99 }), ...lines.slice(1)].join('\n')),
        /line 1: archive format version 99/,
      ],
      ['bad JSON', gzipSync([lines[0], lines[1], '{"run": [', ...lines.slice(3)].join('\n')), /line 3: not JSON/],
      ['short row', gzipSync([lines[0], '{"run": [1, 2], "episodes": []}'].join('\n')), /line 2: 'run' must be an array of \d+ values/],
      ['cut short', gzipSync(lines.join('\n')).subarray(0, 600), /line \d+: the archive is cut short/],
      ['not gzip', Buffer.from(lines.join('\n')), /line 1: not a gzip file/],
    ];
    for (const [what, bytes, message] of cases) {
      assert.throws(
        () => parseArchive('bad/tiny.jsonl.gz', bytes, 'tiny'),
        (error: Error) => error instanceof ArchiveError && /^bad\/tiny\.jsonl\.gz: /.test(error.message) && message.test(error.message),
        what,
      );
    }
    // The command says it in one line; a run that fails after others were added leaves none of them (one transaction).
    const columns = (JSON.parse(lines[0]) as { columns: { runs: string[] } }).columns.runs;
    const foreign = JSON.parse(lines[2]) as { run: unknown[] };
    foreign.run[columns.indexOf('sweep')] = 'other';
    writeFileSync(archivePath(bad, 'tiny'), gzipSync([lines[0], lines[1], JSON.stringify(foreign), ...lines.slice(3)].join('\n')));
    const run = robotrain(['sweep-archive', 'import', 'tiny', '--dir', bad, '--db', join(bad, 'sweep.db')]);
    assert.equal(run.status, 2, run.stderr);
    assert.equal(
      run.stderr,
      `robo-train: ${archivePath(bad, 'tiny')}: line 3: the run is not a cell of sweep 'tiny' (its sweep or config.sweepCell differ)\n`,
    );
    assert.deepEqual(runsOf(join(bad, 'sweep.db')), []);

    // A value the database refuses is the archive's fault too, named by its line.
    const bogus = JSON.parse(lines[2]) as { run: unknown[] };
    bogus.run[columns.indexOf('status')] = 'bogus';
    writeFileSync(archivePath(bad, 'tiny'), gzipSync([lines[0], lines[1], JSON.stringify(bogus)].join('\n')));
    const store = openDatabase(join(bad, 'sweep.db'));
    try {
      assert.throws(
        () => importSweepArchive(store, join(bad, 'sweep.db'), readSweepArchive(bad, 'tiny')),
        (error: Error) =>
          error instanceof ArchiveError && /: line 3: the database refuses the run's values \(CHECK constraint failed/.test(error.message),
      );
    } finally {
      store.close();
    }
    assert.deepEqual(runsOf(join(bad, 'sweep.db')), []);

    // A missing archive is named before any database is created.
    const missing = robotrain(['sweep-archive', 'import', 'tiny', '--dir', join(dir, 'nowhere'), '--db', join(dir, 'nowhere.db')]);
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /^robo-train: no archive of sweep 'tiny' at .*nowhere\/tiny\.jsonl\.gz: check --dir/);
    assert.ok(!existsSync(join(dir, 'nowhere.db')));
  });
});
