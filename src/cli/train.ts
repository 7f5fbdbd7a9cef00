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
  return supervise({ robot: config.sim ?? config.robot ?? '', db: config.db }, async ({ stop, operatorEStop, onRunStarted }) => {
    // tfjs and MuJoCo load here, not with every CLI command.
    const { runTraining } = await import('../training/run.js');
    const result = await runTraining(config, { log: (line: string) => console.log(line), onRunStarted }, stop, operatorEStop);
    console.log(
      `run ${result.runId} ${result.status}${result.reason ? ` (${result.reason})` : ''}: ${result.totalSteps} steps, ${result.episodes.length} episodes; checkpoint ${result.checkpointPath}`,
    );
    return EXIT.ok;
  });
}
