import { RunFailedError, UsageError } from '../util/errors.js';

/** A database that cannot be opened, read or written; the message names the file and says what to do. */
export class StoreError extends RunFailedError {
  /** SQLite's extended result code when SQLite raised it (SQLITE_BUSY, SQLITE_FULL, ...). */
  readonly sqliteCode: string | null;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const code = (options?.cause as { code?: unknown } | undefined)?.code;
    this.sqliteCode = typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
  }

  /** Another process held the database's write lock: waiting may help, unlike a full disk. */
  get locked(): boolean {
    return this.sqliteCode !== null && /^SQLITE_(BUSY|LOCKED)/.test(this.sqliteCode);
  }
}

/** A file that is not a robo-train run database (another program's): bad input, left untouched. */
export class NotARunDatabaseError extends UsageError {}

/** SQLite's answer for a write that found the database locked by another connection. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** The likely cause of a failed SQLite write, from its extended result code, in words a user can act on. */
function writeFailureHint(code: string): string {
  if (code === 'SQLITE_FULL') return 'the disk is full: free space or point --db at another disk';
  if (code.startsWith('SQLITE_IOERR'))
    return 'the disk refused the write (full, failing, or a file size limit): free space or point --db at another disk';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return 'the database file or its folder is not writable: fix the permissions or choose another --db';
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return 'another process held the database locked for longer than the busy timeout';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
    return 'the file is damaged or not a robo-train database: choose another --db';
  return 'see the SQLite error';
}

/** Runs `read`, turning an SQLite error into a `StoreError` that names the file (a damaged file, most likely). */
export function guardRead<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof StoreError || typeof (error as { code?: unknown }).code !== 'string') throw error;
    const code = (error as { code: string }).code;
    const hint = code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' ? 'the file is damaged or not a SQLite database' : code;
    throw new StoreError(`could not read ${path}: ${(error as Error).message} (${hint})`, { cause: error });
  }
}

/** Runs `write`, turning any error into a `StoreError` that names what failed, the file, and the likely cause. */
export function guardWrite<T>(what: string, path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new StoreError(
      `could not ${what} in ${path}: ${(error as Error).message} (${writeFailureHint(typeof code === 'string' ? code : '')})`,
      { cause: error },
    );
  }
}
