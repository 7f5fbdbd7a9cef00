import { readDatabase } from '../store/database.js';
import { runReport, type RunReport } from '../store/queries.js';
import { EXIT } from './exit-codes.js';
import { resolveRun } from './inspect.js';
import { formatTable, type Cell } from '../util/table.js';
import { UsageError } from '../util/errors.js';

export interface CompareArgs {
  db: string;
  runs: string[];
  json: boolean;
}

/**
 * `robo-train compare RUN RUN ...`: runs side by side, one column each, typically a robot next to
 * its twin: where each ran (source, robot), then return, continuity cost (policy and applied), jerk,
 * high-frequency share and safety interventions, as means over training episodes.
 */
export function compareCommand(args: CompareArgs): number {
  if (args.runs.length < 2) throw new UsageError('compare needs at least two runs (ids or names)');
  return readDatabase(args.db, (db) => {
    const reports: RunReport[] = [];
    for (const ref of args.runs) {
      reports.push(runReport(db, resolveRun(db, ref, args.db)));
    }
    if (args.json) {
      for (const report of reports) console.log(JSON.stringify(report));
      return EXIT.ok;
    }
    const headers = ['', ...reports.map((report) => `run ${report.run.id}`)];
    const identity: Cell[][] = [
      ['source', ...reports.map((r) => r.run.source)],
      ['robot', ...reports.map((r) => r.run.robot)],
      ['task', ...reports.map((r) => r.run.task)],
      ['learner', ...reports.map((r) => (r.run.learning ? r.run.algo : `${r.run.algo} (no learning)`))],
      ['noise', ...reports.map((r) => `${r.run.noise} k=${r.run.noise_interval === -1 ? 'ep' : r.run.noise_interval}`)],
      ['status', ...reports.map((r) => r.run.status)],
    ];
    const limits = [...new Set(reports.flatMap((r) => Object.keys(r.interventions)))].sort();
    const kinds = [...new Set(reports.flatMap((r) => Object.keys(r.event_counts)))].filter((kind) => kind !== 'checkpoint').sort();
    const figures: Cell[][] = [
      ['training episodes', ...reports.map((r) => r.training.episodes)],
      ['training steps', ...reports.map((r) => r.training.steps)],
      ['mean return', ...reports.map((r) => r.training.mean_return)],
      ['evaluation return', ...reports.map((r) => r.evaluation.mean_return)],
      ['raw continuity %', ...reports.map((r) => r.training.raw_continuity_cost)],
      ['applied continuity %', ...reports.map((r) => r.training.continuity_cost)],
      ['mean squared jerk', ...reports.map((r) => r.training.mean_squared_jerk)],
      ['high-frequency share', ...reports.map((r) => r.training.high_freq_share)],
      ['clipped steps %', ...reports.map((r) => (r.training.clipped_share === null ? null : 100 * r.training.clipped_share))],
      // Wear as the servos measured it: beside the continuity costs, where a robot meets its twin.
      ...(reports.some((r) => r.wear !== null)
        ? [
            ['mean |current| A', ...reports.map((r) => r.wear?.mean_abs_current_a)],
            ['mean |load| %', ...reports.map((r) => (r.wear?.mean_abs_load == null ? null : 100 * r.wear.mean_abs_load))],
            ['peak temperature °C', ...reports.map((r) => r.wear?.peak_temperature_c)],
            ['lowest voltage V', ...reports.map((r) => r.wear?.min_voltage_v)],
            ['energy per step J', ...reports.map((r) => r.wear?.energy_j_per_step)],
          ]
        : []),
      ...limits.map((limit): Cell[] => [`  clipped by ${limit}`, ...reports.map((r) => r.interventions[limit] ?? 0)]),
      ...kinds.map((kind): Cell[] => [`${kind} events`, ...reports.map((r) => r.event_counts[kind] ?? 0)]),
    ];
    console.log(formatTable(headers, identity));
    console.log('');
    console.log(formatTable(headers, figures));
    return EXIT.ok;
  });
}
