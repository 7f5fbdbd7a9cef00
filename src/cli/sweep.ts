import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { openDatabase, openForReading } from '../store/database.js';
import { archivePath, exportSweepArchive, importSweepArchive, readSweepArchive } from '../sweep/archive.js';
import { expandCells, type SweepCell } from '../sweep/cells.js';
import { parseGrid, type GridBlock } from '../sweep/grid.js';
import { PRESET_NAMES, presetGrids, STUDY_SCHEDULE } from '../sweep/presets.js';
import { formatDuration, formatSweepProgress, type SweepProgress } from '../sweep/progress.js';
import { EmulatedRobot, parseDeviceArgs, type EmulatorSpec } from '../sweep/emulator.js';
import { runCells, type CellOutcome, type PreparedCell } from '../sweep/runner.js';
import { configMismatches, finishedCells, recordInvocation, sweepRuns, type SweepInvocation } from '../sweep/store.js';
import { loadCalibration } from '../calibration/load.js';
import { DEFAULT_TRAIN_CONFIG, flagName, refuseRepeatedFlags, TRAIN_OPTIONS } from '../training/config.js';
import { EXIT } from './exit-codes.js';
import { formatBytes } from './sweep-archive.js';
import { withTrainOptions } from './train.js';
import { UsageError } from '../util/errors.js';

/** Training flags that a sweep sets itself. */
const REFUSED = ['sweep', 'sweepCell', 'resume'] as const;

/** The `--port` of an emulated sweep's cells until each gets its own pseudo-terminal (dry runs show it). */
const EMULATED_PORT = 'EMULATED-PTY';

/** The `robo-train` entry point the cells run. */
const BIN = fileURLToPath(new URL('../../../bin/robo-train.js', import.meta.url));

export function withSweepOptions<T>(yargs: Argv<T>): Argv<T> {
  return withTrainOptions(yargs)
    .positional('name', { type: 'string', describe: 'name of the sweep: its runs are tagged with it (resuming uses the same name)' })
    .option('grid', {
      type: 'string',
      array: true,
      group: 'Sweep:',
      describe:
        "axes of the grid: 'noise=param,gsde;interval=1,8,episode;layer-norm=on,off;seed=0..2' (any training flag; `;` between axes, `,` between values; " +
        'a..b ranges, on/off, hidden=64x64); repeat --grid for a union of grids',
    })
    .option('preset', {
      type: 'string',
      array: true,
      group: 'Sweep:',
      choices: PRESET_NAMES,
      describe:
        "grids of the study's questions, with its baselines and its schedule (--train-every episode --gradient-steps -1); study = all four",
    })
    .option('seeds', { type: 'number', group: 'Sweep:', describe: 'add seed=0..N-1 to every grid that has no seed axis' })
    .option('jobs', {
      type: 'number',
      group: 'Sweep:',
      describe: 'cells run at once (default: the number of cores; 1 on a robot, which runs one cell at a time)',
    })
    .option('emulate', {
      type: 'boolean',
      group: 'Sweep:',
      describe:
        'with --robot NAME: train each cell on a fresh emulated robot (robo-train sim-device on a socat pseudo-terminal pair), over the hardware path',
    })
    .option('device-args', {
      type: 'string',
      group: 'Sweep:',
      describe:
        "--emulate: more sim-device flags for every emulator, joined to the option by =: --device-args='--wear-servo sts3215 --latency-ticks 1'",
    })
    .option('archive', {
      type: 'string',
      requiresArg: true,
      group: 'Sweep:',
      describe:
        "folder of the sweep's archive (<name>.jsonl.gz, see sweep-archive): its runs are imported first, so archived cells count as finished; it is written again after every finished cell and when the sweep stops",
    })
    .option('dry-run', { type: 'boolean', default: false, group: 'Sweep:', describe: 'list the cells and their state, run nothing' });
}

export interface SweepArgs {
  name?: string;
  grid?: string[];
  preset?: string[];
  seeds?: number;
  jobs?: number;
  archive?: string;
  dryRun?: boolean;
  emulate?: boolean;
  deviceArgs?: string;
  [flag: string]: unknown;
}

/**
 * `robo-train sweep NAME`: every cell of the grid is a training run in the store, tagged with the
 * sweep; cells whose run finished are skipped, so rerunning the same command resumes. Exit 0 when
 * every cell has finished, 1 when one failed (rerun to retry it), 2 for a bad grid, 130 when
 * stopped by Ctrl-C.
 */
export async function sweepCommand(args: SweepArgs, argv: readonly string[]): Promise<number> {
  const name = args.name;
  if (!name) throw new UsageError('name the sweep: robo-train sweep NAME --sim TWIN ...');
  for (const key of REFUSED) {
    if (args[key] !== undefined)
      throw new UsageError(
        `--${flagName(key)} cannot be used with sweep${key === 'sweep' ? ' (the sweep name is the first argument)' : ''}`,
      );
  }
  const robotSweep = args['port'] !== undefined || args['mqtt'] !== undefined;
  if (args.emulate) {
    if (robotSweep) throw new UsageError('--emulate gives each cell its own pseudo-terminal: drop --port/--mqtt and keep --robot NAME');
    if (args['sim'] !== undefined) throw new UsageError('--emulate emulates the robot --robot NAME on the hardware path: drop --sim');
    if (typeof args['robot'] !== 'string')
      throw new UsageError('--emulate needs --robot NAME: the calibration whose twin each emulator serves');
  } else if (args.deviceArgs !== undefined) {
    throw new UsageError('--device-args sets the flags of the emulated robots: it needs --emulate');
  }
  if (robotSweep && args.jobs !== undefined && args.jobs > 1)
    throw new UsageError(`--jobs ${args.jobs}: one robot trains one cell at a time; drop --jobs (cells run one after another)`);
  const jobs = args.jobs ?? (robotSweep ? 1 : availableParallelism());
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new UsageError(`--jobs must be a positive whole number (got ${jobs})`);
  if (args.seeds !== undefined && !(Number.isInteger(args.seeds) && args.seeds >= 1))
    throw new UsageError(`--seeds must be a positive whole number (got ${args.seeds})`);

  const presets = args.preset ?? [];
  const blocks: GridBlock[] = [...presetGrids(presets), ...(args.grid ?? [])].map(parseGrid);
  // Every training flag given is applied to every cell (the sweep's own options are not training options).
  const given = Object.fromEntries(Object.entries(args).filter(([key, value]) => value !== undefined && key in TRAIN_OPTIONS));
  refuseRepeatedFlags(given);
  const base: Record<string, unknown> = { ...(presets.length > 0 ? STUDY_SCHEDULE : {}), ...given };
  if (args.emulate) base.port = EMULATED_PORT;
  // The robot's default task is written into every cell, so that a stored run says which task it trained.
  const calibration = typeof base.sim === 'string' ? base.sim : typeof base.robot === 'string' ? base.robot : null;
  if (base.task === undefined && calibration !== null) base.task = loadCalibration(calibration).defaultTask ?? undefined;
  const emulator: EmulatorSpec | null = args.emulate
    ? {
        bin: BIN,
        robot: String(base.robot),
        bus: loadCalibration(String(base.robot)).bus?.protocol ?? null,
        deviceArgs: parseDeviceArgs(args.deviceArgs ?? ''),
      }
    : null;
  const seeds = args.seeds === undefined ? undefined : Array.from({ length: args.seeds }, (_, seed) => seed);
  const cells = expandCells(blocks, base, name, seeds);
  const dbPath = typeof args['db'] === 'string' ? args['db'] : DEFAULT_TRAIN_CONFIG.db;

  // Opening here creates and migrates the database once, before children open it in parallel.
  const db = openDatabase(dbPath, { check: true });
  let finished: ReturnType<typeof finishedCells>;
  try {
    if (args.archive !== undefined && existsSync(archivePath(args.archive, name))) {
      const imported = importSweepArchive(db, dbPath, readSweepArchive(args.archive, name));
      console.log(`archive ${imported.path}: ${imported.imported} runs imported, ${imported.present} already in ${dbPath}`);
    }
    finished = finishedCells(sweepRuns(db, name));
  } finally {
    db.close();
  }
  const pending: SweepCell[] = [];
  const priorDurationsS: number[] = [];
  for (const cell of cells) {
    const run = finished.get(cell.key);
    if (!run) {
      pending.push(cell);
      continue;
    }
    const mismatches = configMismatches(run.config, cell);
    if (mismatches.length > 0) {
      throw new UsageError(
        `sweep '${name}' already has a finished run (${run.runId}) of cell ${cell.key} with other options: ${mismatches.join('; ')}. ` +
          'Give the same flags as before to resume it, or choose a new sweep name.',
      );
    }
    if (run.seconds !== null) priorDurationsS.push(run.seconds);
  }
  const skipped = cells.length - pending.length;

  if (args.dryRun) {
    console.log(`sweep ${name}: ${cells.length} cells, ${skipped} finished, ${pending.length} to run (${jobs} at a time)`);
    for (const cell of cells)
      console.log(
        `${finished.has(cell.key) ? 'finished' : 'pending '}  ${cell.key}\n          ${shellCommand(['robo-train', ...cell.args])}`,
      );
    return EXIT.ok;
  }

  const invocation: SweepInvocation = {
    startedAt: new Date().toISOString(),
    endedAt: null,
    command: shellCommand(['robo-train', ...argv]),
    jobs,
    cores: availableParallelism(),
    cells: cells.length,
    skipped,
    finished: 0,
    failed: 0,
    interrupted: false,
  };
  recordInvocation(dbPath, name, invocation);
  console.log(
    `sweep ${name}: ${cells.length} cells, ${skipped} already finished, running ${pending.length} (${Math.min(jobs, pending.length)} at a time) → ${dbPath}`,
  );

  const stop = new AbortController();
  const force = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      console.error(`\nrobo-train sweep: second ${signal}, ending the runs now`);
      force.abort(signal);
      return;
    }
    console.error(
      `\nrobo-train sweep: ${signal} received, stopping the running cells cleanly (again to force); rerun the same command to resume`,
    );
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const display = new ProgressDisplay(name, Boolean(process.stdout.isTTY));
  const archive = args.archive;
  const io =
    archive === undefined
      ? display
      : {
          progress: (progress: SweepProgress) => display.progress(progress),
          cellEnded: (outcome: CellOutcome, progress: SweepProgress) => {
            display.cellEnded(outcome, progress);
            // The session may end at any moment (a machine lent for a few hours): every finished cell is kept at once.
            if (outcome.status === 'finished') archiveSweep(dbPath, name, archive, false);
          },
        };
  let outcomes: CellOutcome[];
  try {
    const prepare = emulator ? (cell: SweepCell) => emulatedCell(emulator, cell) : undefined;
    outcomes = await runCells(pending, { jobs, bin: BIN, skipped, priorDurationsS, prepare }, io, stop.signal, force.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    display.close();
  }

  const failed = outcomes.filter((outcome) => outcome.status === 'failed');
  invocation.endedAt = new Date().toISOString();
  invocation.finished = outcomes.filter((outcome) => outcome.status === 'finished').length;
  invocation.failed = failed.length;
  invocation.interrupted = stop.signal.aborted;
  recordInvocation(dbPath, name, invocation);
  if (archive !== undefined) archiveSweep(dbPath, name, archive, true);

  const done = skipped + invocation.finished;
  console.log(
    `sweep ${name}: ${done}/${cells.length} cells finished${skipped > 0 ? ` (${skipped} before this run)` : ''}${failed.length > 0 ? `, ${failed.length} failed` : ''}`,
  );
  for (const outcome of failed) console.log(`  failed: ${outcome.cell.key}: ${outcome.detail}`);
  if (stop.signal.aborted) {
    console.log(`stopped: rerun the same command to resume (finished cells are skipped)`);
    return EXIT.interrupted;
  }
  if (failed.length > 0) {
    console.log('rerun the same command to retry the failed cells');
    return EXIT.failed;
  }
  console.log(`report: robo-train report ${name}${dbPath === DEFAULT_TRAIN_CONFIG.db ? '' : ` --db ${dbPath}`}`);
  return EXIT.ok;
}

/** A cell on its own emulated robot: the cell's seed seeds the device's sensor noise too. */
async function emulatedCell(spec: EmulatorSpec, cell: SweepCell): Promise<PreparedCell> {
  const robot = await EmulatedRobot.start(spec, cell.config.seed);
  return {
    args: cell.args.map((arg) => (arg === `--port=${EMULATED_PORT}` ? `--port=${robot.hostPath}` : arg)),
    release: () => robot.close(),
  };
}

/**
 * Writes the sweep's archive. While cells run, a failure is a warning (the next cell or the end
 * tries again) rather than an exception in the middle of the runner; at the end it is an error.
 */
function archiveSweep(dbPath: string, name: string, dir: string, last: boolean): void {
  try {
    const db = openForReading(dbPath);
    try {
      const result = exportSweepArchive(db, dbPath, name, dir);
      if (last) console.log(`archive: ${result.runs} finished cells → ${result.path} (${formatBytes(result.bytes)})`);
    } finally {
      db.close();
    }
  } catch (error) {
    if (last) throw error;
    console.error(`robo-train sweep: warning: could not write the archive in ${dir}: ${(error as Error).message}`);
  }
}

/** One updating line on a terminal; plain lines (one per ended cell) otherwise. */
class ProgressDisplay {
  private drawn = false;

  constructor(
    private readonly name: string,
    private readonly tty: boolean,
  ) {}

  progress(progress: SweepProgress): void {
    if (!this.tty) return;
    process.stdout.write(`\r\x1b[2K${formatSweepProgress(progress)}`);
    this.drawn = true;
  }

  cellEnded(outcome: CellOutcome, progress: SweepProgress): void {
    const run = outcome.runId === null ? '' : ` (run ${outcome.runId})`;
    const detail = outcome.status === 'failed' ? `: ${outcome.detail}` : '';
    const line = `${outcome.status} ${outcome.cell.key} in ${formatDuration(outcome.seconds)}${run}${detail}`;
    if (this.tty) {
      process.stdout.write(`\r\x1b[2K${line}\n`);
      this.progress(progress);
    } else {
      console.log(`${this.name}: ${line}  ${formatSweepProgress(progress, 0).replace(/^\[\] /, '')}`);
    }
  }

  close(): void {
    if (this.drawn) process.stdout.write('\n');
  }
}

/** The command as one could paste it into a shell: arguments with shell syntax in single quotes. */
export function shellCommand(words: readonly string[]): string {
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}
