import type { Argv } from 'yargs';
import {
  DEFAULT_TRAIN_CONFIG,
  flagName,
  refuseRepeatedFlags,
  resolveTrainConfig,
  TRAIN_OPTIONS,
  type TrainConfig,
} from '../training/config.js';
import { readCheckpointMeta } from '../training/checkpoint.js';
import { OperatorEStop } from '../core/operator-estop.js';
import { ControlServer, type TrainingStatus } from '../training/control-socket.js';
import { resolve } from 'node:path';
import { DashboardListenError, DashboardThread } from '../dashboard/thread.js';
import { openDatabase } from '../store/database.js';
import { UsageError } from '../util/errors.js';
import { announceDashboard, dashboardToken, listenError, parseDashboardAddress } from './dashboard.js';
import { EXIT } from './exit-codes.js';

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
  // --resume continues with the checkpoint's options; flags given on the command line override them.
  const resumed = typeof values['resume'] === 'string' ? readCheckpointMeta(values['resume']).config : {};
  const { dashboard: dashboardAddress, dashboardToken: givenToken, ...options } = values;
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  refuseRepeatedFlags(given);
  const config = resolveTrainConfig({ ...resumed, ...given });
  const dashboard = dashboardAddress === undefined ? null : await startDashboard(dashboardAddress, givenToken, resolve(config.db));
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      console.error(`robo-train: second ${signal}, exiting now`);
      process.exit(EXIT.interrupted);
    }
    console.error(`robo-train: ${signal} received, stopping cleanly (again to force)`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The operator's e-stop: SIGUSR1 latches it (what `robo-train estop` sends), SIGUSR2 clears it.
  const operatorEStop = new OperatorEStop();
  const onEStop = (): void => {
    console.error('robo-train: e-stop (SIGUSR1): holding the robot until `robo-train estop --clear` (or SIGUSR2)');
    operatorEStop.trigger('robo-train estop / SIGUSR1');
  };
  const onClear = (): void => {
    console.error('robo-train: e-stop cleared (SIGUSR2)');
    operatorEStop.clear();
  };
  process.on('SIGUSR1', onEStop);
  process.on('SIGUSR2', onClear);
  // `robo-train estop` finds this training by its control socket, never through the database.
  const status: TrainingStatus = {
    pid: process.pid,
    runId: null,
    db: resolve(config.db),
    robot: config.sim ?? config.robot ?? '',
    startedAt: new Date().toISOString(),
    estop: null,
  };
  let control: ControlServer;
  try {
    control = await ControlServer.open(operatorEStop, () => ({ ...status, estop: operatorEStop.reason }));
  } catch (error) {
    await dashboard?.close();
    throw error;
  }
  try {
    // tfjs and MuJoCo load here, not with every CLI command.
    const { runTraining } = await import('../training/run.js');
    const io = {
      log: (line: string) => console.log(line),
      onRunStarted: (runId: number) => {
        status.runId = runId;
        dashboard?.focus(runId);
      },
    };
    const result = await runTraining(config, io, controller.signal, operatorEStop);
    console.log(
      `run ${result.runId} ${result.status}${result.reason ? ` (${result.reason})` : ''}: ${result.totalSteps} steps, ${result.episodes.length} episodes; checkpoint ${result.checkpointPath}`,
    );
    return EXIT.ok;
  } finally {
    await control.close();
    await dashboard?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onEStop);
    process.off('SIGUSR2', onClear);
  }
}
