import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { guardRead, guardWrite, NotARunDatabaseError, StoreError } from './errors.js';
import { migrate, refuseNewer, schemaVersion } from './migrate.js';
import { MIGRATIONS } from './schema.js';

export { StoreError } from './errors.js';

export type Db = Database.Database;

/** Where runs go unless `--db` says otherwise (relative to the working directory). */
export const DEFAULT_DB_PATH = 'logs/robo-train.db';

/**
 * How long a connection waits for another one's write lock before giving up with SQLITE_BUSY [ms].
 * Writers hold the lock for one batch (milliseconds), so only a stuck process reaches it.
 */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * The writer worker's connection to a run database that `openDatabase` has already prepared (created,
 * migrated): no schema work and no transaction at open, and a busy timeout of one short slice, so
 * that the worker waits for another process's lock in steps it can stop between (see `RunWriter`).
 */
export function openWriterConnection(path: string, busySliceMs: number): Db {
  try {
    const db = new Database(path, { fileMustExist: true });
    db.pragma(`busy_timeout = ${busySliceMs}`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    throw new StoreError(`cannot open the run database ${path} for writing: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * `PRAGMA application_id` of a robo-train run database ("RBTR"): SQLite's own way of saying which
 * program a file belongs to (the `file` command reads it too). Set when robo-train creates or migrates
 * the file.
 */
export const APPLICATION_ID = 0x52425452;

/**
 * Opens (creating if needed) a run database for writing: WAL journal so that readers never block the
 * writer and several daemons can share one file, a busy timeout for those daemons, foreign keys on,
 * and the schema migrated to the newest version. Runs left 'running' by a process that no longer
 * exists on this host are marked 'crashed' and their open episodes closed with the steps they stored.
 *
 * Before anything is written, a file that belongs to another program is refused and left as it is,
 * and `check: true` (a run about to be written into it) also runs `PRAGMA quick_check`, so that a
 * damaged file is named as such instead of failing later on a page nobody expected.
 *
 * `readonly` opens an existing file without writing anything (the reading commands): no migration,
 * nothing marked; `LIVE_STATUS_SQL` shows a dead run as 'crashed' all the same.
 */
export function openDatabase(path: string, options: { readonly?: boolean; check?: boolean } = {}): Db {
  const absolute = resolve(path);
  const readonly = options.readonly ?? false;
  let db: Db;
  try {
    if (!readonly) mkdirSync(dirname(absolute), { recursive: true });
    db = new Database(absolute, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw new StoreError(
      `cannot open the run database ${absolute}: ${(error as Error).message}. ` +
        (readonly
          ? 'Check the path (--db).'
          : 'Check that the folder is writable and the disk is not full, or choose another file with --db.'),
      { cause: error },
    );
  }
  try {
    db.function('run_alive', { deterministic: false }, (host, pid, heartbeatAt) =>
      runIsAlive(String(host), Number(pid), String(heartbeatAt)) ? 1 : 0,
    );
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    guardRead(absolute, () => refuseForeign(db, absolute));
    if (readonly) {
      refuseNewer(db, absolute);
      if (schemaVersion(db) < MIGRATIONS.length) {
        throw new StoreError(
          `${absolute} has schema version ${schemaVersion(db)}, older than this robo-train's ${MIGRATIONS.length}: ` +
            'reading commands never change a file, so start a training (or any command that writes) with this --db once to migrate it',
        );
      }
      return db;
    }
    if (options.check) guardRead(absolute, () => quickCheck(db, absolute));
    guardWrite('prepare the database', absolute, () => {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash (kill -9); only a power loss can take the
      // last transactions, never corrupt the file.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, absolute);
      if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
      markCrashedRuns(db);
    });
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Opens an existing database for the reading commands (`runs`, `inspect`, `compare`, `export`): read-only, never changed. */
export function openForReading(path: string): Db {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new StoreError(`no run database at ${absolute}: check --db (a training run creates it)`);
  return openDatabase(absolute, { readonly: true });
}

/** Opens `path` for reading, runs `read` on it (SQLite errors named as errors of that file) and closes it. */
export function readDatabase<T>(path: string, read: (db: Db) => T): T {
  const db = openForReading(path);
  try {
    return guardRead(resolve(path), () => read(db));
  } finally {
    db.close();
  }
}

/**
 * Refuses, before anything is written, a file that is not a robo-train run database: another
 * program's application id, or tables without robo-train's schema. An empty file is a new database.
 */
function refuseForeign(db: Db, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map(
    (row) => row.name,
  );
  const ours =
    applicationId === APPLICATION_ID ||
    (applicationId === 0 && (tables.length === 0 || (schemaVersion(db) > 0 && tables.includes('runs'))));
  if (ours) return;
  const what =
    applicationId !== 0 && applicationId !== APPLICATION_ID
      ? `it belongs to another program (application id 0x${(applicationId >>> 0).toString(16)})`
      : `it holds tables of another program (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', ...' : ''})`;
  throw new NotARunDatabaseError(`${path} is not a robo-train run database: ${what}. robo-train left it untouched: choose another --db`);
}

/** `PRAGMA quick_check`: refuses a damaged file before a new run is written into it. */
function quickCheck(db: Db, path: string): void {
  let problems: string[];
  try {
    problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((row) => row.quick_check);
  } catch (error) {
    // A page damaged badly enough stops the check itself.
    if (!/^SQLITE_(CORRUPT|NOTADB)/.test(String((error as { code?: unknown }).code))) throw error;
    problems = [(error as Error).message];
  }
  if (problems.length === 1 && problems[0] === 'ok') return;
  throw new StoreError(
    `${path} is damaged (SQLite's quick_check: ${problems.join('; ')}): robo-train will not write a new run into it. ` +
      "Recover what it holds with sqlite3's .recover into a new file, or choose another --db",
  );
}

/**
 * SQL for a run's status as it is now, for the runs table under `alias`: a 'running' run whose process
 * is gone (see `runIsAlive`) reads as 'crashed', without writing anything.
 */
export function liveStatusSql(alias: string): string {
  return `CASE WHEN ${alias}.status = 'running' AND NOT run_alive(${alias}.host, ${alias}.pid, ${alias}.heartbeat_at) THEN 'crashed' ELSE ${alias}.status END`;
}

/** Seconds after which a 'running' run of another host, silent since, counts as crashed. */
const FOREIGN_HEARTBEAT_TIMEOUT_S = 600;

/** A run of this host is alive while its process exists; one of another host while its heartbeat is fresh. */
function runIsAlive(host: string, pid: number, heartbeatAt: string): boolean {
  if (host === hostname()) return processExists(pid);
  return Date.now() - Date.parse(heartbeatAt) <= FOREIGN_HEARTBEAT_TIMEOUT_S * 1000;
}

function markCrashedRuns(db: Db): void {
  const dead = db
    .prepare(`SELECT id, heartbeat_at FROM runs WHERE status = 'running' AND NOT run_alive(host, pid, heartbeat_at)`)
    .all() as {
    id: number;
    heartbeat_at: string;
  }[];
  const mark = db.prepare(
    `UPDATE runs SET status = 'crashed', ended_at = heartbeat_at,
       exit_reason = 'the process stopped without closing the run (killed, or the machine lost power); step rows up to its last committed batch are kept'
     WHERE id = ? AND status = 'running'`,
  );
  // The open episode keeps the steps it stored: its count and return are settled from them, so that
  // run_summary counts them.
  const closeEpisodes = db.prepare(
    `UPDATE episodes SET termination = 'aborted', reason = 'process crashed', ended_at = COALESCE(ended_at, ?),
       steps = (SELECT COUNT(*) FROM steps s WHERE s.run_id = episodes.run_id AND s.episode = episodes.episode),
       return = (SELECT SUM(reward) FROM steps s WHERE s.run_id = episodes.run_id AND s.episode = episodes.episode)
     WHERE run_id = ? AND termination IS NULL`,
  );
  for (const run of dead) {
    db.transaction(() => {
      mark.run(run.id);
      closeEpisodes.run(run.heartbeat_at, run.id);
    }).immediate();
  }
}

function processExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
