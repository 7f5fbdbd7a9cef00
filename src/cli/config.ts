import { readDatabase } from '../store/database.js';
import { formatConfigFile, runConfigFile } from '../training/config-file.js';
import { EXIT } from './exit-codes.js';
import { resolveRun } from './inspect.js';

export interface ConfigArgs {
  db: string;
  run: string;
}

/** `robo-train config RUN`: the run's resolved options as a `--config` file, on stdout. */
export function configCommand(args: ConfigArgs): number {
  return readDatabase(args.db, (db) => {
    const run = resolveRun(db, args.run, args.db);
    const row = db.prepare('SELECT config FROM runs WHERE id = ?').get(run.id) as { config: string };
    process.stdout.write(formatConfigFile(runConfigFile(JSON.parse(row.config) as Record<string, unknown>)));
    return EXIT.ok;
  });
}
