import { hostname } from 'node:os';
import type { Argv } from 'yargs';
import { DEFAULT_DB_PATH, openForReading } from '../store/database.js';
import { findRun, listRuns } from '../store/queries.js';
import { EXIT } from './exit-codes.js';

export interface EStopArgs {
  db: string;
  run?: string;
  clear: boolean;
}

export function withEStopOptions<T>(yargs: Argv<T>): Argv<T & EStopArgs> {
  return yargs
    .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database of the training to stop' })
    .option('run', { type: 'string', describe: 'run id or name (needed when several trainings run on this machine)' })
    .option('clear', { type: 'boolean', default: false, describe: 'clear the e-stop: the training goes on with a new episode' });
}

/**
 * `robo-train estop [--clear]`: latches (or clears) the operator's e-stop of a training running on
 * this machine, by sending its process SIGUSR1 (or SIGUSR2). The daemon stops sending commands at
 * its next tick, puts the robot in its safe state, records the e-stop on the run and waits.
 */
export function estopCommand(args: EStopArgs): number {
  const db = openForReading(args.db);
  let target: { id: number; pid: number } | null = null;
  try {
    const here = hostname();
    if (args.run !== undefined) {
      const run = findRun(db, args.run);
      if (!run) {
        console.error(`robo-train estop: no run '${args.run}' in ${args.db}`);
        return EXIT.usage;
      }
      if (run.status !== 'running' || run.host !== here) {
        console.error(
          `robo-train estop: run ${run.id} is ${run.status}${run.host !== here ? ` on ${run.host}, not on this machine` : ''}: nothing to stop`,
        );
        return EXIT.failed;
      }
      target = { id: run.id, pid: run.pid };
    } else {
      const running = listRuns(db, { status: 'running' })
        .map((summary) => findRun(db, String(summary.run))!)
        .filter((run) => run.host === here);
      if (running.length !== 1) {
        console.error(
          running.length === 0
            ? `robo-train estop: no training is running on this machine in ${args.db}`
            : `robo-train estop: ${running.length} trainings run on this machine (runs ${running.map((run) => run.id).join(', ')}): name one with --run`,
        );
        return EXIT.failed;
      }
      target = { id: running[0].id, pid: running[0].pid };
    }
  } finally {
    db.close();
  }
  try {
    process.kill(target.pid, args.clear ? 'SIGUSR2' : 'SIGUSR1');
  } catch (error) {
    console.error(`robo-train estop: cannot signal process ${target.pid} of run ${target.id} (${(error as Error).message})`);
    return EXIT.failed;
  }
  console.log(`${args.clear ? 'e-stop cleared for' : 'e-stop sent to'} run ${target.id} (process ${target.pid})`);
  return EXIT.ok;
}
