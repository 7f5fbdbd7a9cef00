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
import { OperatorEStop } from '../core/operator-estop.js';
import { ControlServer, type TrainingStatus } from '../training/control-socket.js';
import { resolve } from 'node:path';
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

/**
 * `robo-train [train] ...`: runs until `--steps` or SIGINT/SIGTERM. The first signal stops cleanly
 * (episode marked interrupted, database flushed, checkpoint written); a second one exits at once.
 */
export async function trainCommand(values: Record<string, unknown>): Promise<number> {
  const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  refuseRepeatedFlags(given);
  if (Array.isArray(given['config'])) throw new ConfigError(`--config was given ${given['config'].length} times: give one file`);
  const fromFile = typeof given['config'] === 'string' ? readConfigFile(given['config']) : {};
  // --resume continues with the checkpoint's options; a --config file overrides them, and flags given
  // on the command line override both.
  const resume = given['resume'] ?? fromFile.resume;
  const resumed = typeof resume === 'string' ? readCheckpointMeta(resume).config : {};
  const config = resolveTrainConfig({ ...resumed, ...fromFile, ...given });
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
  const control = await ControlServer.open(operatorEStop, () => ({ ...status, estop: operatorEStop.reason }));
  try {
    // tfjs and MuJoCo load here, not with every CLI command.
    const { runTraining } = await import('../training/run.js');
    const io = { log: (line: string) => console.log(line), onRunStarted: (runId: number) => (status.runId = runId) };
    const result = await runTraining(config, io, controller.signal, operatorEStop);
    console.log(
      `run ${result.runId} ${result.status}${result.reason ? ` (${result.reason})` : ''}: ${result.totalSteps} steps, ${result.episodes.length} episodes; checkpoint ${result.checkpointPath}`,
    );
    return EXIT.ok;
  } finally {
    await control.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onEStop);
    process.off('SIGUSR2', onClear);
  }
}
