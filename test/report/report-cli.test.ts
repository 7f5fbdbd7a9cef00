import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { openDatabase } from '../../src/store/database.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'runs.db');
const doc = join(dir, 'docs', 'study.md');
const folder = join(dir, 'docs', 'study', 'small');

function robotrain(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
}

/** Width, height and colour type of a PNG after checking its chunk CRCs and inflating its pixels. */
function decodePng(bytes: Buffer): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let at = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Buffer[] = [];
  for (;;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    assert.equal(bytes.readUInt32BE(at + 8 + length), crc32(bytes.subarray(at + 4, at + 8 + length)), `CRC of ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      colourType = data[9];
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
    if (type === 'IEND') break;
  }
  const channels = colourType === 6 ? 4 : colourType === 2 ? 3 : Number.NaN;
  // One filter byte per row, then the row's pixels.
  assert.equal(inflateSync(Buffer.concat(idat)).length, height * (1 + width * channels));
  return { width, height };
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('robo-train report on a small real sweep', () => {
  let report: ReturnType<typeof robotrain>;
  before(() => {
    // Two configurations (gSDE resampled every step / once per episode) × two seeds, evaluating one episode every 2.
    const sweep = robotrain([
      'sweep',
      'small',
      '--sim',
      'sim-reacher',
      '--hidden',
      '16,16',
      '--steps',
      '200',
      '--noise',
      'gsde',
      '--eval-every',
      '2',
      '--eval-episodes',
      '1',
      '--grid',
      'interval=1,episode',
      '--seeds',
      '2',
      '--jobs',
      '2',
      '--db',
      db,
    ]);
    assert.equal(sweep.status, 0, `${sweep.stdout}\n${sweep.stderr}`);
    // Resumed from the database's own folder (a relative --db): every cell is skipped, and the
    // document still shows the sweep's command once.
    const resumed = spawnSync(
      process.execPath,
      [
        bin,
        'sweep',
        'small',
        '--sim',
        'sim-reacher',
        '--hidden',
        '16,16',
        '--steps',
        '200',
        '--noise',
        'gsde',
        '--eval-every',
        '2',
        '--eval-episodes',
        '1',
        '--grid',
        'interval=1,episode',
        '--seeds',
        '2',
        '--jobs',
        '2',
        '--db',
        'runs.db',
      ],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(resumed.status, 0, `${resumed.stdout}\n${resumed.stderr}`);
    assert.match(resumed.stdout, /4 already finished, running 0/);
    report = robotrain(['report', 'small', '--db', db, '--doc', doc, '--reps', '300']);
    assert.equal(report.status, 0, `${report.stdout}\n${report.stderr}`);
  });

  test('the tables agree with the episodes in the store', () => {
    const store = openDatabase(db, { readonly: true });
    const runs = store
      .prepare(`SELECT id, json_extract(config, '$.sweepCell') AS cell FROM runs WHERE sweep = 'small' AND status = 'finished'`)
      .all() as { id: number; cell: string }[];
    assert.equal(runs.length, 4);
    // Hand computation in SQL: the final evaluation episode (the runs evaluate every 2 episodes and end after episode 2)
    // and the mean raw continuity over complete training episodes.
    const byConfiguration = new Map<string, { ret: number[]; raw: number[] }>();
    for (const run of runs) {
      const finalEval = store
        .prepare(`SELECT return FROM episodes WHERE run_id = ? AND evaluation = 1 ORDER BY episode DESC LIMIT 1`)
        .get(run.id) as { return: number };
      const raw = store
        .prepare(
          `SELECT AVG(raw_continuity_cost) AS raw FROM episodes WHERE run_id = ? AND evaluation = 0 AND termination IN ('truncated', 'terminated')`,
        )
        .get(run.id) as { raw: number };
      const configuration = run.cell.replace(/;?seed=\d+$/, '');
      const entry = byConfiguration.get(configuration) ?? { ret: [], raw: [] };
      entry.ret.push(finalEval.return);
      entry.raw.push(raw.raw);
      byConfiguration.set(configuration, entry);
    }
    store.close();
    const csv = readFileSync(join(folder, 'summary.csv'), 'utf8').trim().split('\n');
    const header = csv[0].split(',');
    assert.equal(csv.length, 3);
    for (const line of csv.slice(1)) {
      const row = line.split(',');
      const expected = byConfiguration.get(row[header.indexOf('configuration')])!;
      // Two seeds: the IQM trims nothing (floor(0.5) = 0), so it is the mean.
      const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
      assert.ok(Math.abs(Number(row[header.indexOf('return_iqm')]) - mean(expected.ret)) < 1e-6 * Math.abs(mean(expected.ret)) + 1e-9);
      assert.ok(Math.abs(Number(row[header.indexOf('return_mean')]) - mean(expected.ret)) < 1e-6 * Math.abs(mean(expected.ret)) + 1e-9);
      const std = Math.abs(expected.ret[0] - expected.ret[1]) / Math.SQRT2;
      assert.ok(Math.abs(Number(row[header.indexOf('return_std')]) - std) < 1e-6 * std + 1e-9);
      assert.ok(Math.abs(Number(row[header.indexOf('raw_continuity_pct_iqm')]) - mean(expected.raw)) < 1e-6 * mean(expected.raw) + 1e-12);
      assert.equal(row[header.indexOf('return_from')], 'final evaluation (1 episode)');
    }
    assert.match(report.stdout, /\| `gsde k=1` \| 2 \| /);
    assert.match(report.stdout, /\| `gsde k=ep` \| 2 \| /);
    assert.equal(readFileSync(join(folder, 'runs.csv'), 'utf8').trim().split('\n').length, 5);
  });

  test('plots: SVGs with titled axes, PNGs that decode at twice their size', () => {
    const titles: [string, string[]][] = [
      ['learning-curves', ['environment steps (training)', 'episode return (IQM over 2 seeds)']],
      ['interval', ['sampling interval k [steps], log₂ scale', 'final return (IQM)', 'raw continuity cost [%]', 'episode']],
      ['pareto', ['raw continuity cost [%]', 'final return (IQM over seeds; higher is better)', 'Pareto front']],
    ];
    for (const [plot, texts] of titles) {
      const svg = readFileSync(join(folder, `${plot}.svg`), 'utf8');
      for (const text of texts) assert.ok(svg.includes(text), `${plot}.svg has '${text}'`);
      assert.ok(svg.includes('continuity cost = 100 × mean_t') || plot === 'learning-curves', `${plot}.svg states the continuity cost`);
      const size = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!;
      const png = decodePng(readFileSync(join(folder, `${plot}.png`)));
      assert.deepEqual([png.width, png.height], [2 * Number(size[1]), 2 * Number(size[2])], plot);
    }
  });

  test('the study document: commands, budget, plots that exist, the published comparison', () => {
    const text = readFileSync(doc, 'utf8');
    assert.match(text, /## How it was produced/);
    assert.equal(
      text.match(/robo-train sweep small --sim sim-reacher .*--grid interval=1,episode --seeds 2 --jobs 2 --db \S+/g)?.length,
      1,
      text,
    );
    assert.match(text, /\| small \| sim-reacher \| reach \| 4 \| 2 \| 2 \| 200 \| /);
    assert.match(text, /### 3\. Sampling interval/);
    assert.match(
      text,
      /## Answers in brief[\s\S]*\*\*3\. Sampling interval\.\*\*[^\n]*\n\n- \*sim-reacher\*: `gsde`: return[^\n]*; continuity cost/,
    );
    assert.match(text, /### Comparison with the published figure/);
    // gSDE every step and once per episode: no published claim compares these two.
    assert.match(
      text,
      /\*\*Against the published claims\.\*\*[^\n]*\n\n- \*sim-reacher\* \(small\): none of the published claims can be checked on this sweep\./,
    );
    assert.match(
      text,
      /\*\*Did the budgets plateau\?\*\*[^\n]*\n\n- \*sim-reacher\* \(small\): not estimated \(fewer than 10 seeds/,
      'two seeds: no interval',
    );
    assert.match(text, /### Against the published claims\n\nThis sweep has no pair of configurations that a published claim compares\./);
    const images = [...text.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1]);
    assert.ok(images.includes('study/small/interval.png') && images.includes('study/small/pareto.png'), images.join(' '));
    for (const image of images) assert.ok(existsSync(join(dirname(doc), image)), image);
    assert.doesNotMatch(text, /Not finished/);
  });

  // Last: it changes the store. A cell whose run did not finish (a study stopped mid-sweep) leaves the
  // sweep's tables provisional, and the document says so.
  test('a sweep with cells still to run is reported as not finished', () => {
    const store = openDatabase(db);
    store.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = (SELECT MAX(id) FROM runs WHERE sweep = 'small')`).run();
    store.close();
    const partial = join(dir, 'partial', 'study.md');
    const result = robotrain(['report', 'small', '--db', db, '--doc', partial, '--reps', '300']);
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    const text = readFileSync(partial, 'utf8');
    assert.match(text, /\| small \| sim-reacher \| reach \| 3 of 4 \| 2 \|/);
    assert.match(
      text,
      /\*\*Not finished:\*\* small \(3 of 4 cells\)\. Their tables cover the finished cells only; `npm run study` resumes them\./,
    );
  });
});
