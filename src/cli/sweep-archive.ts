import type { Argv } from 'yargs';
import { openDatabase, openForReading } from '../store/database.js';
import { exportSweepArchive, importSweepArchive, readSweepArchive } from '../sweep/archive.js';
import { sweepRuns } from '../sweep/store.js';
import { DEFAULT_TRAIN_CONFIG } from '../training/config.js';
import { EXIT } from './exit-codes.js';
import { UsageError } from '../util/errors.js';

export function withSweepArchiveOptions<T>(yargs: Argv<T>) {
  return yargs
    .positional('action', { type: 'string', choices: ['export', 'import'] as const, demandOption: true, describe: 'export or import' })
    .positional('sweeps', { type: 'string', array: true, demandOption: true, describe: 'one or more sweep names' })
    .option('dir', {
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'folder of the archives, one <sweep>.jsonl.gz per sweep (the study: docs/study-data)',
    })
    .option('db', { type: 'string', default: DEFAULT_TRAIN_CONFIG.db, requiresArg: true, describe: 'run database' });
}

export interface SweepArchiveArgs {
  action: 'export' | 'import';
  sweeps: string[];
  dir: string;
  db: string;
}

/**
 * `robo-train sweep-archive export|import SWEEP... --dir DIR`: the finished cells of sweeps as
 * compact files that git carries between machines (export), and back into a run database (import:
 * runs it already holds are skipped), so that a sweep resumes elsewhere and its report can be made
 * from the archives alone.
 */
export function sweepArchiveCommand(args: SweepArchiveArgs): number {
  if (args.action === 'export') {
    const db = openForReading(args.db);
    try {
      for (const sweep of args.sweeps) {
        if (sweepRuns(db, sweep).length === 0)
          throw new UsageError(
            `${args.db} holds no run of sweep '${sweep}': check the name (robo-train runs lists the runs and their sweeps)`,
          );
      }
      for (const sweep of args.sweeps) {
        const result = exportSweepArchive(db, args.db, sweep, args.dir);
        console.log(`${sweep}: ${result.runs} finished cells → ${result.path} (${formatBytes(result.bytes)})`);
      }
    } finally {
      db.close();
    }
    return EXIT.ok;
  }
  // Every archive is read and checked before the database is opened (or created).
  const archives = args.sweeps.map((sweep) => readSweepArchive(args.dir, sweep));
  const db = openDatabase(args.db);
  try {
    for (const [index, sweep] of args.sweeps.entries()) {
      const result = importSweepArchive(db, args.db, archives[index]);
      console.log(`${sweep}: ${result.imported} runs imported, ${result.present} already in ${args.db} ← ${result.path}`);
    }
  } finally {
    db.close();
  }
  return EXIT.ok;
}

export function formatBytes(bytes: number): string {
  return bytes < 10_000 ? `${bytes} B` : `${(bytes / 1000).toFixed(0)} kB`;
}
