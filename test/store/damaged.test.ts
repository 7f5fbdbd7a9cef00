/**
 * Files robo-train must not write into: another program's database (refused and left byte for byte
 * as it was, by reading and writing commands alike) and a run database damaged mid-file (a new run is
 * refused, reads name the database).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Rng } from '../../src/util/rng.js';

const bin = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'robo-train-damaged-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function robotrain(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
}

const digest = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('files that are not robo-train run databases', () => {
  test("another program's SQLite file is refused by every command, with a message, and left untouched", () => {
    const path = join(dir, 'shop.db');
    const shop = new Database(path);
    shop.exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');`);
    shop.close();
    const before = digest(path);
    for (const args of [
      ['runs', '--db', path],
      ['inspect', '1', '--db', path],
      ['export', '1', '--db', path],
      ['--sim', 'sim-reacher', '--steps', '10', '--db', path],
    ]) {
      const result = robotrain(args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /^robo-train: .*shop\.db is not a robo-train run database: it holds tables of another program \(customers\)\. robo-train left it untouched: choose another --db$/m,
      );
      assert.doesNotMatch(result.stderr, /^\s+at /m);
    }
    assert.equal(digest(path), before, 'not one byte changed');
    assert.ok(!existsSync(`${path}-wal`), 'no WAL file was made');
    const reopened = new Database(path, { readonly: true });
    assert.equal(reopened.pragma('user_version', { simple: true }), 0);
    assert.equal(reopened.pragma('journal_mode', { simple: true }), 'delete');
    reopened.close();
  });

  test('a run database damaged mid-file: a new run is refused before it starts; reading commands name the database', () => {
    const path = join(dir, 'damaged.db');
    const made = robotrain([
      '--sim',
      'sim-reacher',
      '--steps',
      '2000',
      '--hidden',
      '16',
      '--learning-starts',
      '100000',
      '--quiet',
      '--db',
      path,
    ]);
    assert.equal(made.status, 0, made.stderr);
    assert.ok(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0, 'the WAL was checkpointed into the file at close');
    const pageSize = 4096;
    const pages = statSync(path).size / pageSize;
    assert.ok(pages > 20, `enough pages to damage the middle (${pages})`);
    // Random bytes over three pages in the middle of the file (the header page stays intact).
    const rng = new Rng(7);
    const fd = openSync(path, 'r+');
    const first = Math.floor(pages / 2);
    const noise = Buffer.from(Array.from({ length: 3 * pageSize }, () => rng.nextUint32() & 0xff));
    writeSync(fd, noise, 0, noise.length, first * pageSize);
    closeSync(fd);

    const train = robotrain(['--sim', 'sim-reacher', '--steps', '10', '--db', path]);
    assert.equal(train.status, 1, train.stderr);
    assert.match(
      train.stderr,
      /^robo-train: .*damaged\.db is damaged \(SQLite's quick_check: .+\): robo-train will not write a new run into it/m,
    );
    const exported = robotrain(['export', '1', '--db', path]);
    assert.equal(exported.status, 1, exported.stderr);
    assert.match(exported.stderr, /^robo-train: could not read .*damaged\.db: .*\(the file is damaged or not a SQLite database\)$/m);
    assert.doesNotMatch(exported.stderr, /stdout/);
  });
});
