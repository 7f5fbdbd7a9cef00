import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { readConfigFile } from '../training/config-file.js';
import {
  ConfigError,
  DEFAULT_TRAIN_CONFIG,
  flagName,
  refuseRepeatedFlags,
  resolveTrainConfig,
  TRAIN_OPTIONS,
  type TrainConfig,
} from '../training/config.js';
import { readCheckpointMeta } from '../training/checkpoint.js';
import { latestCheckpoint } from '../training/resume-auto.js';
import { DashboardListenError, DashboardThread } from '../dashboard/thread.js';
import { openDatabase } from '../store/database.js';
import { UsageError } from '../util/errors.js';
import { announceDashboard, dashboardToken, listenError, parseDashboardAddress } from './dashboard.js';
import { EXIT } from './exit-codes.js';
import { supervise } from './supervise.js';

/** Adds every training flag (from the one option table) to a yargs command. */
export function withTrainOptions<T>(yargs: Argv<T>): Argv<T> {
  let out = yargs;
  for (const [key, spec] of Object.entries(TRAIN_OPTIONS)) {
    const defaultValue = DEFAULT_TRAIN_CONFIG[key as keyof TrainConfig];
    out = out.option(flagName(key), {
      // Numbers are not typed here: yargs would turn 'abc' into NaN before resolveTrainConfig could
      // quote what was typed; untyped, a number arrives parsed and anything else as typed.
      type: spec.kind === 'boolean' ? 'boolean' : spec.kind === 'string' ? 'string' : undefined,
      // `--steps` with no value is an error, not a flag that means "no limit".
      requiresArg: spec.kind !== 'boolean',
      describe: spec.describe,
      group: spec.group,
      ...(spec.choices ? { choices: spec.choices as string[] } : {}),
      // Defaults are applied by resolveTrainConfig; shown here for the help text only.
      defaultDescription: defaultValue === null ? undefined : Array.isArray(defaultValue) ? defaultValue.join(',') : String(defaultValue),
    });
  }
  return out;
}

/** The training's own flags that are not options of the run (not stored with it, not taken by sweeps). */
export function withTrainingDaemonOptions<T>(yargs: Argv<T>): Argv<T> {
  return yargs
    .option('dashboard', {
      type: 'string',
      requiresArg: true,
      describe:
        'serve the live view of this training at [HOST:]PORT (host 127.0.0.1 unless given; the e-stop button needs the token printed)',
    })
    .option('dashboard-token', {
      type: 'string',
      requiresArg: true,
      describe: "token of the dashboard's e-stop button (default: a random one)",
    });
}

/**
 * Starts the training's dashboard, on a thread of its own, over the run database (created here if
 * new, so that the dashboard has a file to read before the run's first row).
 */
async function startDashboard(address: unknown, token: unknown, db: string): Promise<DashboardThread> {
  if (typeof address !== 'string') throw new UsageError('--dashboard takes [HOST:]PORT once');
  if (token !== undefined && typeof token !== 'string') throw new UsageError('--dashboard-token takes one token');
  const { host, port } = parseDashboardAddress(address);
  openDatabase(db).close();
  try {
    const thread = await DashboardThread.start({ db, host, port, token: dashboardToken(token, '--dashboard-token') });
    announceDashboard('this training', thread.url, host);
    return thread;
  } catch (error) {
    throw error instanceof DashboardListenError ? listenError(error, host, port, '--dashboard') : error;
  }
}

/**
 * `robo-train [train] ...`: runs until `--steps` or SIGINT/SIGTERM. The first signal stops cleanly
 * (episode marked interrupted, database flushed, checkpoint written); a second one exits at once.
 */
export async function trainCommand(values: Record<string, unknown>): Promise<number> {
  const { dashboard: dashboardAddress, dashboardToken: givenToken, ...options } = values;
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  refuseRepeatedFlags(given);
  if (Array.isArray(given['config'])) throw new ConfigError(`--config was given ${given['config'].length} times: give one file`);
  const fromFile = typeof given['config'] === 'string' ? readConfigFile(given['config']) : {};
  // --resume continues with the checkpoint's options; a --config file overrides them, and flags given
  // on the command line override both.
  let resume = given['resume'] ?? fromFile.resume;
  if (resume === 'auto') {
    const latest = latestCheckpoint(resolveTrainConfig({ ...fromFile, ...given, resume: null }));
    console.log(
      latest === null ? '--resume auto: no checkpoint of this robot in the database yet, starting a new run' : `--resume auto: ${latest}`,
    );
    resume = latest;
  }
  const resumed = typeof resume === 'string' ? readCheckpointMeta(resume).config : {};
  const config = resolveTrainConfig({ ...resumed, ...fromFile, ...given, resume: resume ?? null });
  const dashboard = dashboardAddress === undefined ? null : await startDashboard(dashboardAddress, givenToken, resolve(config.db));
  try {
    return await supervise(
      { robot: config.sim ?? config.robot ?? '', db: config.db },
      async ({ stop, operatorEStop, onRunStarted, onPhase }) => {
        // tfjs and MuJoCo load here, not with every CLI command.
        const { runTraining } = await import('../training/run.js');
        const io = {
          log: (line: string) => console.log(line),
          onRunStarted: (runId: number) => {
            onRunStarted(runId);
            dashboard?.focus(runId);
          },
          onPhase,
        };
        const result = await runTraining(config, io, stop, operatorEStop);
        console.log(
          `run ${result.runId} ${result.status}${result.reason ? ` (${result.reason})` : ''}: ${result.totalSteps} steps, ${result.episodes.length} episodes; checkpoint ${result.checkpointPath}`,
        );
        return EXIT.ok;
      },
    );
  } finally {
    await dashboard?.close();
  }
}
