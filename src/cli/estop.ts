/**
 * `robo-train estop [--clear] [--run ID] [--db FILE]`: latches (or clears) the operator's e-stop of a
 * training running on this machine, through the training's control socket (src/training/control-socket.ts).
 * It never opens the run database and never signals a process by a stored pid.
 *
 * `bin/robo-train.js` runs this module straight away for `estop`, before yargs, the store, tfjs or
 * MuJoCo load: an operator's e-stop latches within tens of milliseconds of the command starting. Keep
 * its imports to Node's own modules and the control socket.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Argv } from 'yargs';
import { broadcast, controlRequest, type ControlTarget, type TrainingAnswer, type TrainingStatus } from '../training/control-socket.js';
import { RunFailedError, UsageError } from '../util/errors.js';
import { ArgumentError, EXIT, reportError } from './exit-codes.js';

export interface EStopArgs {
  run?: string;
  db?: string;
  clear: boolean;
}

/** The options, once for both parsers (yargs for `robo-train --help`, parseArgs for the fast path). */
const OPTIONS = {
  run: {
    type: 'string',
    describe: 'only the training of this run id (without it, estop latches every training of this user; --clear needs it when several run)',
  },
  db: { type: 'string', describe: 'only the training writing to this run database' },
  clear: { type: 'boolean', describe: 'clear the e-stop: the training goes on with a new episode' },
} as const;

export function withEStopOptions<T>(yargs: Argv<T>): Argv<T & EStopArgs> {
  return yargs
    .option('run', OPTIONS.run)
    .option('db', OPTIONS.db)
    .option('clear', { ...OPTIONS.clear, default: false });
}

/** The fast path of `bin/robo-train.js`: parses `argv` (after `estop`) itself and returns the exit code. */
export async function estopMain(argv: string[]): Promise<number> {
  try {
    const values = parseEStopArgs(argv);
    if (values.help) {
      console.log(
        [
          'robo-train estop [--clear] [--run ID] [--db FILE]',
          '',
          "Latch (or --clear) the operator's e-stop of a training running on this machine.",
          '',
          ...Object.entries(OPTIONS).map(([name, option]) => `  --${name.padEnd(6)} ${option.describe}`),
        ].join('\n'),
      );
      return EXIT.ok;
    }
    return await estopCommand({ run: values.run, db: values.db, clear: values.clear ?? false });
  } catch (error) {
    return reportError(error);
  }
}

/** The flags, or an `ArgumentError` for those parseArgs rejects (by its codes: any other error is a bug). */
function parseEStopArgs(argv: string[]): { run?: string; db?: string; clear?: boolean; help?: boolean } {
  try {
    return parseArgs({
      args: argv,
      options: {
        run: { type: 'string' },
        db: { type: 'string' },
        clear: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))
      throw new ArgumentError((error as Error).message, 'robo-train estop --help');
    throw error;
  }
}

/**
 * Latches the e-stop of every training running on this machine (or of the one `--run`/`--db` name),
 * in one round trip, and says so once each daemon has done it. An e-stop that stops more than the
 * operator meant is safe; one that stops nothing because the command was ambiguous is not. Clearing
 * is the other way round: it needs exactly one training, named when several run.
 */
export async function estopCommand(args: EStopArgs): Promise<number> {
  if (args.run !== undefined && !/^\d+$/.test(args.run)) throw new UsageError(`--run must be a run id (got '${args.run}')`);
  const target: ControlTarget = {
    ...(args.run === undefined ? {} : { runId: Number(args.run) }),
    ...(args.db === undefined ? {} : { db: resolve(args.db) }),
  };
  const by = `${userInfo().username} (robo-train estop, process ${process.pid})`;
  const sentMs = performance.now();
  const answers = args.clear ? await clearOne(target, by) : await broadcast({ op: 'estop', by, ...target });
  // performance.now() counts from this process's start: `took` is the whole time the command took to
  // act, Node's own start-up included; the round trip is the daemon's part.
  const took = `${Math.round(performance.now() - sentMs)} ms round trip, ${Math.round(performance.now())} ms after the command started`;
  const acted = answers.flatMap(({ reply }) => (reply.ok && reply.acted ? [reply.status] : []));
  const silent = answers.filter(({ reply }) => !reply.ok);
  for (const status of acted) {
    console.log(
      args.clear
        ? `e-stop cleared for ${describe(status)} (${took})`
        : `e-stop latched on ${describe(status)} (${took}): the robot is held until \`robo-train estop --clear\``,
    );
  }
  if (silent.length > 0) {
    throw new RunFailedError(
      silent.map(({ socket, reply }) => `the training behind ${socket} did not answer (${reply.ok ? '' : reply.error})`).join('; ') +
        ': stop its robot by hand',
    );
  }
  if (acted.length === 0) {
    const running = answers.flatMap(({ reply }) => (reply.ok ? [describe(reply.status)] : []));
    throw new RunFailedError(
      running.length === 0
        ? 'no training is running on this machine (as this user): nothing to stop'
        : `no training${target.runId === undefined ? '' : ` run ${target.runId}`}${target.db === undefined ? '' : ` writing to ${target.db}`} among those running on this machine: ${running.join('; ')}`,
    );
  }
  return EXIT.ok;
}

/** Clears the e-stop of exactly one training: the only one running, or the one the target names. */
async function clearOne(target: ControlTarget, by: string): Promise<TrainingAnswer[]> {
  const running = (await broadcast({ op: 'status' })).flatMap(({ socket, reply }) => (reply.ok ? [{ socket, status: reply.status }] : []));
  const chosen = running.filter(
    ({ status }) => (target.runId === undefined || status.runId === target.runId) && (target.db === undefined || status.db === target.db),
  );
  if (chosen.length > 1) {
    throw new UsageError(
      `${chosen.length} trainings run on this machine: ${chosen.map(({ status }) => describe(status)).join('; ')}. Name the one to clear with --run ID (and --db FILE)`,
    );
  }
  if (chosen.length === 0) return running.map(({ socket, status }) => ({ socket, reply: { ok: true, acted: false, status } }));
  const { socket, status } = chosen[0];
  const reply = await controlRequest(socket, { op: 'clear', by, runId: status.runId ?? undefined, db: status.db }).catch(
    (error: Error) => ({ ok: false as const, error: error.message }),
  );
  return [{ socket, reply }];
}

/** `run 3 (so101, process 1234, logs/robo-train.db)`. */
function describe(status: TrainingStatus): string {
  return `${status.runId === null ? 'a starting run' : `run ${status.runId}`} (${status.robot}, process ${status.pid}, ${status.db})`;
}
