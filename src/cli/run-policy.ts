import type { Argv } from 'yargs';
import { readCheckpointMeta } from '../training/checkpoint.js';
import {
  DEFAULT_TRAIN_CONFIG,
  flagName,
  refuseRepeatedFlags,
  resolveTrainConfig,
  TRAIN_OPTIONS,
  type TrainConfig,
} from '../training/config.js';
import { UsageError } from '../util/errors.js';
import { EXIT } from './exit-codes.js';
import { supervise } from './supervise.js';

/** The training flags that mean something when a trained actor drives the robot: where the robot is, how to explore, the run. */
const RUN_FLAGS = [
  'sim',
  'realtime',
  'port',
  'baud',
  'mqtt',
  'robot',
  'watchdogMs',
  'reconnectS',
  'episodeSteps',
  'noise',
  'interval',
  'noiseStd',
  'ouTheta',
  'ouDt',
  'pinkBeta',
  'paramStd',
  'seed',
  'db',
  'quiet',
] as const satisfies readonly (keyof TrainConfig)[];

/** What a policy run takes from the training that made the checkpoint (the task and its noise scales), unless flags say otherwise. */
const FROM_CHECKPOINT = [
  'task',
  'episodeSteps',
  'action',
  'algo',
  'hidden',
  'layerNorm',
  'noiseStd',
  'ouTheta',
  'ouDt',
  'pinkBeta',
  'paramStd',
] as const;

export function withRunOptions<T>(yargs: Argv<T>): Argv<T> {
  let out = yargs
    .option('checkpoint', {
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'checkpoint.json or its folder (logs/runs/robo-train-3) whose actor drives the robot',
    })
    .option('episodes', { requiresArg: true, describe: 'episodes to run (default: until SIGINT/SIGTERM)' });
  for (const key of RUN_FLAGS) {
    const spec = TRAIN_OPTIONS[key];
    const defaultValue = key === 'noise' ? 'none' : DEFAULT_TRAIN_CONFIG[key];
    out = out.option(flagName(key), {
      type: spec.kind === 'boolean' ? 'boolean' : spec.kind === 'string' ? 'string' : undefined,
      requiresArg: spec.kind !== 'boolean',
      describe:
        key === 'noise' ? 'exploration while the policy acts: none (default) is the deterministic action tanh(mu(s))' : spec.describe,
      ...(spec.choices ? { choices: spec.choices as string[] } : {}),
      defaultDescription: defaultValue === null ? undefined : String(defaultValue),
    });
  }
  return out;
}

/**
 * `robo-train run --checkpoint PATH (--sim NAME | --port ... | --mqtt ...)`: the checkpoint's actor
 * drives the robot, with no learning, until `--episodes` or SIGINT/SIGTERM.
 */
export async function runPolicyCommand(values: Record<string, unknown>): Promise<number> {
  const checkpoint = String(values['checkpoint']);
  const episodes = values['episodes'] === undefined ? null : Number(values['episodes']);
  if (episodes !== null && !(Number.isInteger(episodes) && episodes > 0))
    throw new UsageError(`--episodes must be a positive whole number (got ${String(values['episodes'])})`);
  const trained = readCheckpointMeta(checkpoint).config;
  const given = Object.fromEntries(RUN_FLAGS.filter((key) => values[key] !== undefined).map((key) => [key, values[key]]));
  refuseRepeatedFlags(given);
  const config = resolveTrainConfig({
    ...Object.fromEntries(FROM_CHECKPOINT.map((key) => [key, trained[key]])),
    noise: 'none',
    // Parameter noise adapts its scale on replay batches, which a run without a learner has none of.
    adaptive: false,
    ...given,
  });
  return supervise({ robot: config.sim ?? config.robot ?? '', db: config.db }, async ({ stop, operatorEStop, onRunStarted, onPhase }) => {
    // MuJoCo loads here, not with every CLI command.
    const { runPolicy } = await import('../training/policy-run.js');
    const result = await runPolicy(
      config,
      { checkpoint, episodes },
      { log: (line) => console.log(line), onRunStarted, onPhase },
      stop,
      operatorEStop,
    );
    console.log(
      `run ${result.runId} ${result.status}${result.reason ? ` (${result.reason})` : ''}: ${result.totalSteps} steps, ${result.episodes.length} episodes, no learning`,
    );
    return EXIT.ok;
  });
}
