import { readDatabase } from '../store/database.js';
import { listRuns, type RunFilter } from '../store/queries.js';
import { listFleets } from '../store/fleet-progress.js';
import { EXIT } from './exit-codes.js';
import { formatTable } from '../util/table.js';
import { UsageError } from '../util/errors.js';

export interface RunsArgs extends RunFilter {
  db: string;
  json: boolean;
}

/** `robo-train runs`: one line per run, from the `run_summary` view (a run whose process died shows as crashed). */
export function runsCommand(args: RunsArgs): number {
  if (args.since !== undefined && Number.isNaN(Date.parse(args.since))) {
    throw new UsageError(`--since must be a date like 2026-11-25 or 2026-11-25T14:00 (got '${args.since}')`);
  }
  return readDatabase(args.db, (db) => {
    const runs = listRuns(db, args);
    const fleets = listFleets(db);
    if (args.json) {
      for (const run of runs) console.log(JSON.stringify(run));
      for (const fleet of fleets) console.log(JSON.stringify({ fleet }));
      return EXIT.ok;
    }
    if (fleets.length > 0) {
      console.log(
        formatTable(
          ['fleet', 'algo', 'updates', 'transitions', 'UTD', 'robots', 'max policy lag', 'updated'],
          fleets.map((fleet) => [
            fleet.fleet,
            fleet.algo,
            fleet.updates,
            fleet.transitions,
            fleet.transitions > 0 ? (fleet.updates / fleet.transitions).toFixed(2) : '',
            fleet.robots,
            fleet.maxPolicyLag ?? '',
            fleet.updatedAt.slice(0, 19).replace('T', ' '),
          ]),
        ),
      );
    }
    if (runs.length === 0) {
      if (fleets.length > 0) return EXIT.ok;
      const filtered = [args.source, args.noise, args.robot, args.sweep, args.since, args.status].some((value) => value !== undefined);
      console.log(`no runs in ${args.db}${filtered ? ' matching the filters' : ''}`);
      return EXIT.ok;
    }
    console.log(
      formatTable(
        [
          'run',
          'status',
          'source',
          'robot',
          'task',
          'algo',
          'noise',
          'k',
          'seed',
          'episodes',
          'steps',
          'mean return',
          'raw cont. %',
          'applied cont. %',
          'clipped',
          'started',
        ],
        runs.map((run) => [
          run.run,
          run.status,
          run.source,
          run.robot,
          run.task,
          run.learning ? run.algo : `${run.algo} (no learning)`,
          run.noise,
          run.interval === -1 ? 'ep' : run.interval,
          run.seed,
          run.episodes,
          run.steps,
          run.mean_return,
          run.mean_raw_continuity_cost,
          run.mean_continuity_cost,
          run.clipped_steps,
          run.started_at.slice(0, 19).replace('T', ' '),
        ]),
      ),
    );
    return EXIT.ok;
  });
}
