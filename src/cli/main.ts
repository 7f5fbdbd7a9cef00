import yargs from 'yargs';
import { DEFAULT_DB_PATH } from '../store/database.js';
import { estopCommand, withEStopOptions } from './estop.js';
import { dashboardCommand, withDashboardOptions } from './dashboard.js';
import { ArgumentError, EXIT, reportError } from './exit-codes.js';
import { brokerCommand, withBrokerOptions } from './broker.js';
import { mqttAclCommand, withMqttAclOptions } from './mqtt-acl.js';
import { learnerCommand, withLearnerOptions } from './learner.js';
import { calibrateCommand, withCalibrateOptions } from './calibrate.js';
import { portsCommand, withPortsOptions } from './ports.js';
import { simDeviceCommand, withSimDeviceOptions } from './sim-device.js';
import { runsCommand } from './runs.js';
import { inspectCommand } from './inspect.js';
import { configCommand } from './config.js';
import { compareCommand } from './compare.js';
import { exportCommand } from './export.js';
import { exportPolicyCommand, withExportPolicyOptions } from './export-policy.js';
import { runPolicyCommand, withRunOptions } from './run-policy.js';
import { trainCommand, withTrainingDaemonOptions, withTrainOptions } from './train.js';
import { reportCommand, withReportOptions } from './report.js';
import { sweepCommand, withSweepOptions } from './sweep.js';
import { sweepArchiveCommand, withSweepArchiveOptions } from './sweep-archive.js';

/**
 * The `robo-train` command line. Returns the exit code (see exit-codes.ts) instead of exiting, so
 * that tests can call it in-process.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('robo-train')
    .usage('$0 [command] [options]')
    .epilogue('Trains RL policies on a robot or its MuJoCo twin, safely, with every step logged to SQLite. See README.md.')
    .command(
      ['train', '$0'],
      'train a policy (the default command)',
      (y) =>
        withTrainingDaemonOptions(withTrainOptions(y))
          .option('config', {
            type: 'string',
            requiresArg: true,
            group: 'Run:',
            describe: 'read options from this JSON or YAML file (keys: the flags without dashes); flags given here override it',
          })
          .example('$0 --sim sim-reacher --steps 3000', 'train on the simulated 2-joint arm')
          .example(
            '$0 --port /dev/ttyUSB0 --robot my-arm --noise gsde --interval 8',
            'train a real robot with gSDE resampled every 8 steps',
          ),
      async (args) => {
        exitCode = await trainCommand(camelCaseKeys(args));
      },
    )
    .command(
      'run',
      "drive the robot with a checkpoint's actor, without learning (deterministic, or exploring with --noise)",
      (y) =>
        withRunOptions(y).example(
          '$0 run --checkpoint logs/runs/robo-train-3 --sim sim-reacher --episodes 5',
          'five deterministic episodes of run 3 on the twin',
        ),
      async (args) => {
        exitCode = await runPolicyCommand(camelCaseKeys(args));
      },
    )
    .command(
      'runs',
      'list the runs in the database',
      (y) =>
        y
          .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database' })
          .option('source', { type: 'string', choices: ['hardware', 'sim', 'replay'], describe: 'only runs of this source' })
          .option('noise', { type: 'string', describe: 'only runs with this exploration noise' })
          .option('robot', { type: 'string', describe: 'only runs of this robot' })
          .option('sweep', { type: 'string', describe: 'only runs of this sweep' })
          .option('status', { type: 'string', describe: 'only runs with this status (running, finished, interrupted, failed, crashed)' })
          .option('since', { type: 'string', describe: 'only runs started at or after this date (2026-11-25, 2026-11-25T14:00)' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object per run instead of a table' }),
      (args) => {
        exitCode = runsCommand(args);
      },
    )
    .command(
      'config <run>',
      'the resolved configuration of a past run, as a --config file (robo-train config 3 > run3.json; robo-train --config run3.json)',
      (y) =>
        y
          .positional('run', { type: 'string', demandOption: true, describe: 'run id or name (robo-train runs lists them)' })
          .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database' })
          .option('format', { choices: ['json', 'yaml'] as const, default: 'json' as const, describe: 'file format to print' }),
      (args) => {
        exitCode = configCommand(args);
      },
    )
    .command(
      'inspect <run>',
      'one run: its summary (return, continuity cost, jerk, safety interventions), every episode, its events',
      (y) =>
        y
          .positional('run', { type: 'string', demandOption: true, describe: 'run id or name (robo-train runs lists them)' })
          .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database' })
          .option('events', { type: 'number', default: 20, describe: 'how many of the newest events to list' })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'one JSON object (summary, episodes, all events) instead of tables',
          }),
      (args) => {
        exitCode = inspectCommand(args);
      },
    )
    .command(
      'compare <runs..>',
      'runs side by side (for example a robot next to its twin): return, continuity cost, jerk, safety interventions',
      (y) =>
        y
          .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'two or more run ids or names' })
          .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database' })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object per run instead of a table' }),
      (args) => {
        exitCode = compareCommand(args);
      },
    )
    .command(
      'export <run>',
      "a run's steps (arrays expanded into named columns) and episodes as CSV or JSON lines",
      (y) =>
        y
          .positional('run', { type: 'string', demandOption: true, describe: 'run id or name' })
          .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database' })
          .option('format', {
            type: 'string',
            choices: ['csv', 'jsonl'] as const,
            default: 'csv' as const,
            describe: 'csv (one table per file) or jsonl (both tables, each line tagged with "table")',
          })
          .option('out', {
            type: 'string',
            describe: 'file to write instead of stdout (csv: the episodes go beside it, as NAME.episodes.csv)',
          })
          .option('table', {
            type: 'string',
            choices: ['steps', 'episodes'] as const,
            describe: 'only this table (csv to stdout: steps unless episodes)',
          }),
      async (args) => {
        exitCode = await exportCommand(args);
      },
    )
    .command(
      'export-policy <checkpoint>',
      "a checkpoint's deterministic actor as ONNX, as C99 for a microcontroller, or as JSON",
      (y) =>
        withExportPolicyOptions(y).example(
          '$0 export-policy logs/runs/robo-train-3 --format onnx --out reacher.onnx',
          'the actor of run 3 for onnxruntime',
        ),
      (args) => {
        exitCode = exportPolicyCommand(args);
      },
    )
    .command(
      'replay',
      'replay a logged episode in the twin (open loop, or the checkpoint closed loop with --policy); report tracking error, continuity and limit compliance',
      (y) =>
        y
          .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database' })
          .option('run', { type: 'number', demandOption: true, describe: 'run id' })
          .option('episode', { type: 'number', demandOption: true, describe: 'episode number in the run (from 0)' })
          .option('policy', {
            type: 'boolean',
            default: false,
            describe: "re-run the run's checkpoint closed loop instead of the logged commands",
          })
          .option('json', { type: 'boolean', default: false, describe: 'one JSON object instead of tables' }),
      async (args) => {
        exitCode = await (await import('./replay.js')).replayCommand(args);
      },
    )
    .command(
      'fixture',
      'write a logged episode as a small JSON fixture for replay tests',
      (y) =>
        y
          .option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'run database' })
          .option('run', { type: 'number', demandOption: true, describe: 'run id' })
          .option('episode', { type: 'number', demandOption: true, describe: 'episode number in the run (from 0)' })
          .option('out', { type: 'string', demandOption: true, describe: 'fixture file to write, e.g. test/fixtures/reacher.json' }),
      async (args) => {
        exitCode = (await import('./fixture.js')).fixtureCommand(args);
      },
    )
    .command(
      'sweep <name>',
      'run a grid of training runs on a twin (in parallel, resumable): noise x interval x layer norm x adaptation x seeds',
      (y) =>
        withSweepOptions(y)
          .example(
            "$0 sweep k --sim pendulum --task swingup --steps 20000 --grid 'noise=param,gsde;interval=1,8,episode' --seeds 5",
            'a 30-run interval sweep',
          )
          .example('$0 sweep study-pendulum --sim pendulum --task swingup --preset study --seeds 10', "the study's four questions"),
      async (args) => {
        exitCode = await sweepCommand(camelCaseKeys(args), argv);
      },
    )
    .command(
      'sweep-archive <action> <sweeps..>',
      "export a sweep's finished cells to a compact file that git carries to another machine, or import them into a run database",
      (y) =>
        withSweepArchiveOptions(y)
          .example(
            '$0 sweep-archive export study-pendulum --dir docs/study-data --db logs/study.db',
            'write docs/study-data/study-pendulum.jsonl.gz',
          )
          .example('$0 sweep-archive import study-pendulum --dir docs/study-data --db logs/study.db', 'add its runs (those not there yet)'),
      (args) => {
        exitCode = sweepArchiveCommand(args);
      },
    )
    .command(
      'report [sweeps..]',
      'tables (Markdown, CSV) and plots (SVG, PNG) of sweeps: IQM with bootstrap CIs over seeds of return, continuity cost and safety interventions; --pair ROBOT=TWIN: the robot next to its twin',
      (y) => withReportOptions(y),
      async (args) => {
        exitCode = await reportCommand(args);
      },
    )
    .command(
      'ports',
      'list the serial ports with their USB ids; --scan PORT lists the servos that answer on a bus',
      (y) => withPortsOptions(y),
      async (args) => {
        exitCode = await portsCommand(args);
      },
    )
    .command(
      'sim-device',
      'serve the MuJoCo twin behind the real protocol (a simulated firmware) on a serial port or MQTT',
      (y) => withSimDeviceOptions(y),
      async (args) => {
        exitCode = await simDeviceCommand(args);
      },
    )
    .command(
      'broker',
      'run the embedded MQTT broker (aedes) on this machine',
      (y) => withBrokerOptions(y),
      async (args) => {
        exitCode = await brokerCommand(args);
      },
    )
    .command(
      'learner',
      "a fleet's learner: trains on the transitions of every robot of --fleet, publishes the actor's weights",
      (y) => withLearnerOptions(y),
      async (args) => {
        exitCode = await learnerCommand(args);
      },
    )
    .command(
      'mqtt-acl',
      'print a mosquitto ACL for one robot: only its host publishes commands, only the device publishes states',
      (y) => withMqttAclOptions(y),
      (args) => {
        exitCode = mqttAclCommand(args);
      },
    )
    .command(
      'calibrate',
      'calibrate a robot: record its joint ranges and home pose by hand, write calibration/<robot>.json',
      (y) => withCalibrateOptions(y),
      async (args) => {
        exitCode = await calibrateCommand(args);
      },
    )
    .command(
      'dashboard',
      'serve the live view of a run database in the browser: runs, learning curves, continuity cost, safety, events, e-stop button',
      (y) => withDashboardOptions(y).example('$0 dashboard --db logs/robo-train.db --port 8080', 'then open the address it prints'),
      async (args) => {
        exitCode = await dashboardCommand(args);
      },
    )
    .command(
      'estop',
      "latch (or --clear) the operator's e-stop of a training running on this machine",
      (y) => withEStopOptions(y),
      async (args) => {
        exitCode = await estopCommand(args);
      },
    )
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((message, error) => {
      // Throwing stops yargs before it runs the command's handler with arguments it rejected.
      // yargs's own complaints (YError: a flag without its value, ...) are usage errors; anything a
      // command threw goes on as it is.
      if (error === null || error === undefined || error.name === 'YError')
        throw new ArgumentError(message || error?.message || 'bad arguments');
      throw error;
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    return reportError(error);
  }
  return exitCode;
}

function camelCaseKeys(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (key === '_' || key === '$0' || key.includes('-')) continue;
    out[key] = value;
  }
  return out;
}
