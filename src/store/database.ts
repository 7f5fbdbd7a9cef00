import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { guardWrite, StoreError } from './errors.js';
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
 * Opens (creating if needed) a run database: WAL journal so that readers never block the writer and
 * several daemons can share one file, a busy timeout for those daemons, foreign keys on, and the
 * schema migrated to the newest version. Runs left 'running' by a process that no longer exists on
 * this host are marked 'crashed'.
 *
 * `readonly` opens an existing file without writing anything; it refuses a file whose schema is
 * older or newer than this robo-train's (the views it reads may not exist there).
 */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): Db {
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
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (readonly) {
      refuseNewer(db, absolute);
      if (schemaVersion(db) < MIGRATIONS.length) {
        throw new StoreError(
          `${absolute} has schema version ${schemaVersion(db)}, older than this robo-train's ${MIGRATIONS.length}, and cannot be migrated read-only: ` +
            'make the file writable (any robo-train command then migrates it)',
        );
      }
      return db;
    }
    guardWrite('prepare the database', absolute, () => {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash (kill -9); only a power loss can take the
      // last transactions, never corrupt the file.
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, absolute);
      markCrashedRuns(db);
    });
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens an existing database for the reading commands (`runs`, `inspect`, `compare`, `export`). When
 * the file is writable it is first brought up to date like any open (migrated, dead runs marked
 * 'crashed'), so that a run killed a moment ago shows as crashed; otherwise it is read as it is.
 */
export function openForReading(path: string): Db {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new StoreError(`no run database at ${absolute}: check --db (a training run creates it)`);
  try {
    return openDatabase(absolute);
  } catch (error) {
    const code = ((error as { cause?: { code?: unknown } }).cause?.code ?? '') as string;
    if (typeof code === 'string' && /^SQLITE_(READONLY|CANTOPEN|PERM)/.test(code)) return openDatabase(absolute, { readonly: true });
    throw error;
  }
}

/** Seconds after which a 'running' run of another host, silent since, counts as crashed. */
const FOREIGN_HEARTBEAT_TIMEOUT_S = 600;

function markCrashedRuns(db: Db): void {
  const running = db.prepare(`SELECT id, host, pid, heartbeat_at FROM runs WHERE status = 'running'`).all() as {
    id: number;
    host: string;
    pid: number;
    heartbeat_at: string;
  }[];
  const here = hostname();
  const now = Date.now();
  const mark = db.prepare(
    `UPDATE runs SET status = 'crashed', ended_at = heartbeat_at,
       exit_reason = 'the process stopped without closing the run (killed, or the machine lost power); step rows up to its last committed batch are kept'
     WHERE id = ? AND status = 'running'`,
  );
  const closeEpisodes = db.prepare(
    `UPDATE episodes SET termination = 'aborted', reason = 'process crashed', ended_at = COALESCE(ended_at, ?)
     WHERE run_id = ? AND termination IS NULL`,
  );
  for (const run of running) {
    const dead = run.host === here ? !processExists(run.pid) : now - Date.parse(run.heartbeat_at) > FOREIGN_HEARTBEAT_TIMEOUT_S * 1000;
    if (dead) {
      db.transaction(() => {
        mark.run(run.id);
        closeEpisodes.run(run.heartbeat_at, run.id);
      }).immediate();
    }
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
