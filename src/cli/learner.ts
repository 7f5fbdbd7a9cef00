import type { Argv } from 'yargs';
import { DEFAULT_DB_PATH } from '../store/database.js';
import { FleetLearner } from '../training/fleet-learner.js';
import { RunFailedError, UsageError } from '../util/errors.js';
import { untilSignal } from './broker.js';
import { EXIT } from './exit-codes.js';

export function withLearnerOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('mqtt', { type: 'string', demandOption: true, describe: 'the fleet broker, mqtt://host:1883 or mqtts://user:pass@host:8883' })
    .option('fleet', { type: 'string', demandOption: true, describe: 'the fleet name (names its MQTT topics)' })
    .option('algo', { type: 'string', choices: ['sac', 'td3'] as const, default: 'sac' as const, describe: 'learner' })
    .option('hidden', { type: 'string', describe: 'hidden layer widths, e.g. 256,256 (default: the algorithm’s)' })
    .option('db', {
      type: 'string',
      default: DEFAULT_DB_PATH,
      describe: 'database; checkpoints go to runs/<db name>-fleet-<fleet>/ beside it',
    })
    .option('buffer-size', { type: 'number', default: 1_000_000, describe: 'replay buffer capacity [transitions]' })
    .option('batch-size', { type: 'number', default: 256, describe: 'minibatch size' })
    .option('learning-starts', { type: 'number', default: 100, describe: 'transitions before the first gradient step' })
    .option('utd', { type: 'number', default: 1, describe: 'gradient steps per transition ingested' })
    .option('weights-every-ms', { type: 'number', default: 1000, describe: 'shortest time between two weight publications [ms]' })
    .option('checkpoint-every-s', { type: 'number', default: 30, describe: 'time between two checkpoints [s]' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the learner and its replay sampling' });
}

export interface LearnerArgs {
  mqtt: string;
  fleet: string;
  algo: 'sac' | 'td3';
  hidden?: string;
  db: string;
  bufferSize: number;
  batchSize: number;
  learningStarts: number;
  utd: number;
  weightsEveryMs: number;
  checkpointEveryS: number;
  seed: number;
}

/** `robo-train learner`: the fleet's learner until SIGINT/SIGTERM (a final checkpoint then). */
export async function learnerCommand(args: LearnerArgs): Promise<number> {
  const hidden = args.hidden === undefined ? null : args.hidden.split(',').map(Number);
  if (hidden && !hidden.every((width) => Number.isInteger(width) && width >= 1))
    throw new UsageError(`--hidden '${args.hidden}' must be positive whole widths separated by commas, e.g. 256,256`);
  for (const [flag, value] of [
    ['--buffer-size', args.bufferSize],
    ['--batch-size', args.batchSize],
    ['--weights-every-ms', args.weightsEveryMs],
    ['--checkpoint-every-s', args.checkpointEveryS],
  ] as const)
    if (!(value > 0)) throw new UsageError(`${flag} must be positive (got ${value})`);
  if (!(args.utd > 0)) throw new UsageError(`--utd must be positive (got ${args.utd})`);
  const learner = new FleetLearner(
    {
      mqtt: args.mqtt,
      fleet: args.fleet,
      algo: args.algo,
      hidden,
      db: args.db,
      bufferSize: args.bufferSize,
      batchSize: args.batchSize,
      learningStarts: args.learningStarts,
      updateToData: args.utd,
      weightsEveryMs: args.weightsEveryMs,
      checkpointEveryMs: args.checkpointEveryS * 1000,
      seed: args.seed,
    },
    (line) => console.log(line),
  );
  await learner.start();
  const outcome = await Promise.race([untilSignal(), learner.failed]);
  await learner.close();
  if (outcome instanceof Error)
    throw new RunFailedError(
      `the learner of fleet ${args.fleet} failed: ${outcome.message} (its last checkpoint is in ${learner.checkpointFolder})`,
    );
  console.log(`learner: stopped by ${outcome}`);
  return EXIT.ok;
}
