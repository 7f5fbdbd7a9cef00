import { RunFailedError } from '../util/errors.js';

/** A database that cannot be opened or written; the message says what to do. */
export class StoreError extends RunFailedError {}

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
