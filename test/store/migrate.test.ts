import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase, openForReading } from '../../src/store/database.js';
import { migrate, schemaVersion } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'robo-train-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A database left at schema version `version` by an older robo-train. */
function databaseAt(name: string, version: number, migrations: readonly string[] = MIGRATIONS): string {
  const path = join(dir, name);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  migrate(db, path, migrations.slice(0, version));
  assert.equal(schemaVersion(db), version);
  db.close();
  return path;
}

describe('schema migrations', () => {
  test('a database at every older version opens and is migrated to the newest, in WAL mode', () => {
    for (let version = 0; version < MIGRATIONS.length; version++) {
      const db = openDatabase(databaseAt(`at-${version}.db`, version));
      assert.equal(schemaVersion(db), MIGRATIONS.length);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      for (const name of ['runs', 'episodes', 'steps', 'events', 'run_summary', 'learning_curve', 'interventions', 'run_smoothness']) {
        assert.ok(db.prepare(`SELECT 1 FROM sqlite_schema WHERE name = ?`).get(name), `${name} exists`);
      }
      db.close();
    }
  });

  test('later migrations apply in order on top of existing data, once each', () => {
    const later = [
      ...MIGRATIONS,
      `ALTER TABLE runs ADD COLUMN operator TEXT; UPDATE runs SET operator = 'unknown';`,
      `CREATE INDEX runs_by_operator ON runs(operator);`,
    ];
    const path = databaseAt('later.db', MIGRATIONS.length);
    const db = new Database(path);
    db.prepare(
      `INSERT INTO runs (name, started_at, status, source, robot, task, algo, noise, noise_interval, seed, joint_names, config, calibration, code_version, host, pid, heartbeat_at)
      VALUES ('old', 'then', 'finished', 'sim', 'r', 't', 'sac', 'none', 1, 0, '[]', '{}', '{}', 'v1', 'h', 1, 'then')`,
    ).run();
    migrate(db, path, later);
    assert.equal(schemaVersion(db), later.length);
    assert.deepEqual(db.prepare('SELECT name, operator FROM runs').all(), [{ name: 'old', operator: 'unknown' }]);
    assert.ok(db.prepare(`SELECT 1 FROM sqlite_schema WHERE name = 'runs_by_operator'`).get());
    migrate(db, path, later);
    assert.equal(schemaVersion(db), later.length, 'migrating an up-to-date file changes nothing');
    db.close();
  });

  test('a file written by a newer robo-train is refused with a clear message, for writing and for reading', () => {
    const path = databaseAt('newer.db', MIGRATIONS.length);
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const message = new RegExp(
      `newer\\.db has schema version ${MIGRATIONS.length + 1}, newer than the ${MIGRATIONS.length} this robo-train knows: upgrade robo-train`,
    );
    assert.throws(() => openDatabase(path), message);
    assert.throws(() => openDatabase(path, { readonly: true }), message);
    assert.throws(() => openForReading(path), message);
  });

  test('a read-only open of an older file says it cannot migrate it; a missing file is named', () => {
    const path = databaseAt('old-readonly.db', 0);
    assert.throws(
      () => openDatabase(path, { readonly: true }),
      /has schema version 0, older than this robo-train's \d+: reading commands never change a file/,
    );
    assert.throws(() => openForReading(join(dir, 'missing.db')), /no run database at .*missing\.db: check --db/);
  });
});
