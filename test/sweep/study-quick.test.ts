import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../scripts/study.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-study-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `npm run study -- --quick` into the temporary folder (the build is the test run's own). */
function quickStudy(...flags: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [script, '--quick', '--db', join(dir, 'study.db'), '--doc', join(dir, 'study.md'), ...flags], {
    encoding: 'utf8',
    // Generous: six 400-step cells two at a time take about a minute and a half on two loaded cores.
    timeout: 8 * 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm run study -- --quick: the whole pipeline, small', () => {
  test('sweeps, report and document are written; a second run resumes with every cell finished', { timeout: 10 * 60_000 }, () => {
    const first = quickStudy();
    assert.equal(first.status, 0, first.output);
    const doc = readFileSync(join(dir, 'study.md'), 'utf8');
    for (const heading of ['## Method', '## How it was produced', '## Answers in brief', '### Learning curves'])
      assert.ok(doc.includes(heading), `${heading} in the document`);
    assert.match(doc, /training return area: IQM/);
    assert.match(doc, /not estimated/, 'two seeds estimate no interval');
    assert.doesNotMatch(doc, /\.\.\/shared/);
    const second = quickStudy();
    assert.equal(second.status, 0, second.output);
    assert.match(second.output, /6 cells, 6 already finished/);

    // A fresh clone has the archive (beside the database with --quick) and nothing else: the report comes back the same.
    const written = readFileSync(join(dir, 'study.md'), 'utf8');
    for (const name of ['study.db', 'study.db-wal', 'study.db-shm', 'sweeps']) rmSync(join(dir, name), { recursive: true, force: true });
    const fromArchive = quickStudy('--report-only');
    assert.equal(fromArchive.status, 0, fromArchive.output);
    assert.match(fromArchive.output, /study-quick-pendulum: 6 runs imported, 0 already in /);
    assert.equal(readFileSync(join(dir, 'study.md'), 'utf8'), written);
  });
});
