import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import { MIGRATIONS } from './schema.js';

/** The schema version of an open database (`PRAGMA user_version`: migrations applied). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses a database written by a newer robo-train, whose schema this one cannot know. */
export function refuseNewer(db: Database.Database, path: string, migrations: readonly string[] = MIGRATIONS): void {
  const version = schemaVersion(db);
  if (version > migrations.length) {
    throw new StoreError(
      `${path} has schema version ${version}, newer than the ${migrations.length} this robo-train knows: ` +
        'upgrade robo-train to use it (or point --db at another file)',
    );
  }
}

/**
 * Brings a database to the newest schema: applies the migrations it lacks, one `BEGIN IMMEDIATE`
 * transaction each. The version is read again inside each transaction, so that two daemons opening a
 * new file at the same moment apply each migration once (the second waits on the busy timeout, then
 * finds it done).
 */
export function migrate(db: Database.Database, path: string, migrations: readonly string[] = MIGRATIONS): void {
  refuseNewer(db, path, migrations);
  const step = db.transaction((): boolean => {
    const version = schemaVersion(db);
    if (version >= migrations.length) return false;
    db.exec(migrations[version]);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  let applied: boolean;
  do applied = step.immediate();
  while (applied);
}
