import { readDatabase, type Db } from '../store/database.js';
import { findRun, runEpisodes, runEvents, runReport, type RunReport, type RunRow, type RunWearRow } from '../store/queries.js';
import { EXIT } from './exit-codes.js';
import { formatCell, formatTable } from '../util/table.js';
import { UsageError } from '../util/errors.js';
import { describeInterval, parseInterval, type IntervalSetting } from '../training/interval.js';

export interface InspectArgs {
  db: string;
  run: string;
  /** Events shown in the table (the newest); --json has them all. */
  events: number;
  json: boolean;
}

/** `robo-train inspect RUN`: the run, a summary of its training episodes, every episode, its events. */
export function inspectCommand(args: InspectArgs): number {
  return readDatabase(args.db, (db) => {
    const run = resolveRun(db, args.run, args.db);
    const report = runReport(db, run);
    const episodes = runEpisodes(db, run.id);
    const events = runEvents(db, run.id);
    if (args.json) {
      console.log(JSON.stringify({ ...report, episodes, events }));
      return EXIT.ok;
    }
    console.log(describeRun(report));
    console.log('');
    if (episodes.length === 0) console.log('no episodes');
    else {
      console.log(
        formatTable(
          ['episode', 'eval', 'steps', 'return', 'raw cont. %', 'applied cont. %', 'jerk', 'hf share', 'clipped', 'termination', 'reason'],
          episodes.map((e) => [
            e.episode,
            e.evaluation ? 'eval' : '',
            e.steps,
            e.return,
            e.raw_continuity_cost,
            e.continuity_cost,
            e.mean_squared_jerk,
            e.high_freq_share,
            e.safety_clipped_steps,
            e.termination ?? 'open',
            e.reason,
          ]),
        ),
      );
    }
    console.log('');
    const shown = events.slice(Math.max(0, events.length - args.events));
    if (events.length === 0) console.log('no events');
    else {
      console.log(
        shown.length < events.length ? `events (the last ${shown.length} of ${events.length}; --events N or --json for more)` : 'events',
      );
      console.log(
        formatTable(
          ['at', 'episode', 'step', 'kind', 'detail'],
          shown.map((e) => [wallClock(e.at), e.episode, e.step, e.kind, e.detail]),
        ),
      );
    }
    return EXIT.ok;
  });
}

/**
 * The run named by `ref` (an id or an exact name); null after printing why not, for the caller to
 * exit with the usage code.
 */
export function resolveRun(db: Db, ref: string, dbPath: string): RunRow {
  const run = findRun(db, ref);
  if (!run) throw new UsageError(`no run '${ref}' in ${dbPath} ('robo-train runs --db ${dbPath}' lists them)`);
  return run;
}

/** The interval as the run's config wrote it when that was a share of the episode (`episode/8`), else its k. */
function storedSetting(written: number | string | null, k: number): IntervalSetting {
  return typeof written === 'string' && written.startsWith('episode/') ? parseInterval(written) : k;
}

/** The run's identity and the summary of its training episodes, as labelled lines. */
function describeRun(report: RunReport): string {
  const { run, training, evaluation } = report;
  const interval = describeInterval(storedSetting(run.interval_setting, run.noise_interval), run.noise_interval);
  const seconds = run.ended_at ? (Date.parse(run.ended_at) - Date.parse(run.started_at)) / 1000 : null;
  const clipped = Object.entries(report.interventions)
    .map(([limit, steps]) => `${limit} ${steps}`)
    .join(', ');
  const events = Object.entries(report.event_counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  const lines: [string, string][] = [
    ['status', `${run.status}${run.exit_reason ? ` (${run.exit_reason})` : ''}`],
    ['source', `${run.source}, robot ${run.robot}, task ${run.task}`],
    [
      'learner',
      `${run.algo}${run.learning ? '' : ' (no learning)'}, noise ${run.noise} ${interval}, seed ${run.seed}${run.sweep ? `, sweep ${run.sweep}` : ''}`,
    ],
    ...(run.policy_checkpoint === null ? [] : [['policy', `the actor of ${run.policy_checkpoint}`] as [string, string]]),
    ['joints', run.joint_names.join(', ')],
    [
      'time',
      `${wallClock(run.started_at)} to ${run.ended_at ? wallClock(run.ended_at) : '-'}${seconds === null ? '' : ` (${formatCell(seconds)} s)`}`,
    ],
    ['code', `${run.code_version} on ${run.host}, pid ${run.pid}`],
    [
      run.learning ? 'training' : 'episodes',
      `${training.episodes} episodes, ${training.steps} steps, mean return ${formatCell(training.mean_return)}`,
    ],
    ['evaluation', `${evaluation.episodes} episodes, mean return ${formatCell(evaluation.mean_return)}`],
    [
      'continuity',
      `${formatCell(training.raw_continuity_cost)} % raw (policy), ${formatCell(training.continuity_cost)} % applied (after safety)`,
    ],
    [
      'smoothness',
      `mean squared jerk ${formatCell(training.mean_squared_jerk)}, high-frequency share ${formatCell(training.high_freq_share)}`,
    ],
    ['safety', `${report.clipped_steps} of ${training.steps} steps changed${clipped ? ` (${clipped})` : ''}`],
    ...(report.wear === null ? [] : [['wear', describeWear(report.wear)] as [string, string]]),
    ['events', events || 'none'],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  return [`run ${run.id}  ${run.name}`, ...lines.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join('\n');
}

function wallClock(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

/** `mean |current| 0.21 A, peak 47.5 °C, lowest 11.6 V, 0.018 J per step` (only what was measured). */
function describeWear(wear: RunWearRow): string {
  const parts = [
    wear.mean_abs_current_a === null ? null : `mean |current| ${formatCell(wear.mean_abs_current_a)} A`,
    wear.mean_abs_load === null ? null : `mean |load| ${formatCell(100 * wear.mean_abs_load)} %`,
    wear.peak_temperature_c === null ? null : `peak ${formatCell(wear.peak_temperature_c)} °C`,
    wear.min_voltage_v === null ? null : `lowest ${formatCell(wear.min_voltage_v)} V`,
    wear.energy_j_per_step === null ? null : `${formatCell(wear.energy_j_per_step)} J per step`,
  ];
  return parts.filter((part) => part !== null).join(', ');
}
