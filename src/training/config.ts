import { ACTION_MODES, type ActionMode } from '../calibration/types.js';
import { NOISE_NAMES, type NoiseName } from '../rl/exploration/strategy.js';
import { UsageError } from '../util/errors.js';
import { checkFleetName } from './fleet-wire.js';
import { IntervalError, parseInterval, type IntervalSetting } from './interval.js';
import { withoutPassword } from '../util/url-credentials.js';

/**
 * Every option of a training run, with its default. One table drives the CLI help (`robo-train
 * --help`), the validation, and the `config` column of the run in the store, so that a run can be
 * reproduced from its row. Learner defaults are SB3's.
 */
export interface TrainConfig {
  // where the robot is
  sim: string | null;
  /** --sim: the twin steps at its control rate in wall time, as a robot does, instead of as fast as the CPU allows. */
  realtime: boolean;
  port: string | null;
  baud: number;
  mqtt: string | null;
  robot: string | null;
  watchdogMs: number | null;
  reconnectS: number;
  // what it learns
  /** A built-in task's name or a task module's path; null: the calibration's `defaultTask`. */
  task: string | null;
  episodeSteps: number | null;
  action: 'auto' | ActionMode;
  algo: 'sac' | 'td3';
  hidden: number[];
  learningRate: number;
  batchSize: number;
  bufferSize: number;
  tau: number;
  gamma: number;
  learningStarts: number;
  trainEvery: number | 'episode';
  gradientSteps: number;
  entCoef: number | 'auto';
  targetEntropy: number | 'auto';
  policyDelay: number;
  targetPolicyNoise: number;
  targetNoiseClip: number;
  // how it explores
  noise: NoiseName;
  /** As written: k steps, -1 (once per episode) or `episode/N`; `resolveInterval` gives the k the run uses. */
  interval: IntervalSetting;
  noiseStd: number;
  ouTheta: number;
  ouDt: number;
  ouControlPeriod: boolean;
  pinkBeta: number;
  paramStd: number;
  layerNorm: boolean;
  adaptive: boolean;
  paramTarget: number;
  paramAdaptEvery: number;
  paramAdaptFactor: number;
  gsdeLogStdInit: number;
  gsdeFullStd: boolean;
  gsdeExpln: boolean;
  // the run
  steps: number | null;
  seed: number;
  db: string;
  sweep: string | null;
  sweepCell: string | null;
  evalEvery: number;
  evalEpisodes: number;
  evalStochastic: boolean;
  checkpointEvery: number;
  saveReplay: boolean;
  resume: string | null;
  backend: 'auto' | 'wasm' | 'node' | 'cpu';
  learner: 'auto' | 'inline' | 'worker';
  weightSyncMs: number;
  /** Fleet robot: the fleet whose learner trains this robot's policy (docs/fleet.md), and the learner's broker. */
  fleet: string | null;
  learnerMqtt: string | null;
  /** Fleet robot: batches sent but not yet acknowledged by the broker, at most; beyond, new batches are dropped (and said). */
  fleetBufferBatches: number;
  quiet: boolean;
}

type OptionKind = 'string' | 'number' | 'boolean';

export interface OptionSpec {
  kind: OptionKind;
  group: string;
  describe: string;
  choices?: readonly string[];
}

const ROBOT = 'Robot:';
const LEARNER = 'Learner (defaults as in stable-baselines3):';
const EXPLORATION = 'Exploration:';
const RUN = 'Run:';

/** The CLI flag of every option (kebab-case of the field name) with its help text. */
export const TRAIN_OPTIONS: Record<keyof TrainConfig, OptionSpec> = {
  sim: { kind: 'string', group: ROBOT, describe: 'train on the MuJoCo twin of this robot: a calibration name (sim-reacher) or file' },
  realtime: {
    kind: 'boolean',
    group: ROBOT,
    describe: '--sim: step the twin at its control rate in wall time, as the robot would (fleets, dashboards, demos)',
  },
  port: { kind: 'string', group: ROBOT, describe: 'serial port of a real robot, e.g. /dev/ttyUSB0' },
  baud: { kind: 'number', group: ROBOT, describe: 'serial baud rate' },
  mqtt: { kind: 'string', group: ROBOT, describe: 'MQTT broker of a robot bridge, e.g. mqtt://localhost:1883' },
  robot: { kind: 'string', group: ROBOT, describe: 'robot id: its calibration name and MQTT topic (with --port/--mqtt)' },
  watchdogMs: {
    kind: 'number',
    group: ROBOT,
    describe:
      'hardware: no state frame for this long aborts the episode and sends an e-stop [ms] (default: 500, or 5 state periods if longer)',
  },
  reconnectS: {
    kind: 'number',
    group: ROBOT,
    describe: 'hardware: a lost link that does not come back within this time fails the run [s]',
  },
  task: {
    kind: 'string',
    group: LEARNER,
    describe: "task: reach, swingup, furuta, or a task module ./my-task.mjs (docs/tasks.md); default: the calibration's defaultTask",
  },
  episodeSteps: { kind: 'number', group: LEARNER, describe: "steps per episode (default: the task's)" },
  action: {
    kind: 'string',
    group: LEARNER,
    describe:
      "position actions: absolute targets, or delta: a velocity reference (action × velocity limit) the target follows inside the acceleration and jerk limits (auto: the calibration's actionMode)",
    choices: ['auto', ...ACTION_MODES],
  },
  algo: { kind: 'string', group: LEARNER, describe: 'learner', choices: ['sac', 'td3'] },
  hidden: { kind: 'string', group: LEARNER, describe: 'hidden layer widths of actor and critics, e.g. 256,256' },
  learningRate: { kind: 'number', group: LEARNER, describe: 'Adam learning rate' },
  batchSize: { kind: 'number', group: LEARNER, describe: 'minibatch size' },
  bufferSize: { kind: 'number', group: LEARNER, describe: 'replay buffer capacity (transitions)' },
  tau: { kind: 'number', group: LEARNER, describe: 'target network Polyak coefficient' },
  gamma: { kind: 'number', group: LEARNER, describe: 'discount factor' },
  learningStarts: { kind: 'number', group: LEARNER, describe: 'transitions collected before training starts' },
  trainEvery: { kind: 'string', group: LEARNER, describe: 'train after every N steps, or "episode" for once at the end of each episode' },
  gradientSteps: { kind: 'number', group: LEARNER, describe: 'gradient steps per training round (-1: as many as steps collected)' },
  entCoef: { kind: 'string', group: LEARNER, describe: 'SAC entropy coefficient: a number, or "auto" (learned from 1.0)' },
  targetEntropy: { kind: 'string', group: LEARNER, describe: 'SAC target entropy: a number, or "auto" (-action dimensions)' },
  policyDelay: { kind: 'number', group: LEARNER, describe: 'TD3: critic updates per actor update' },
  targetPolicyNoise: { kind: 'number', group: LEARNER, describe: 'TD3: std of the target policy smoothing noise' },
  targetNoiseClip: { kind: 'number', group: LEARNER, describe: 'TD3: clip of the target policy smoothing noise' },
  noise: { kind: 'string', group: EXPLORATION, describe: 'exploration strategy', choices: NOISE_NAMES },
  interval: {
    kind: 'string',
    group: EXPLORATION,
    describe: 'resample the noise every k steps (1: every step, -1: once per episode), or episode/N: N times per episode',
  },
  noiseStd: { kind: 'number', group: EXPLORATION, describe: "TD3: action-space noise std (SAC's std is learned)" },
  ouTheta: { kind: 'number', group: EXPLORATION, describe: 'ou: mean reversion rate θ' },
  ouDt: { kind: 'number', group: EXPLORATION, describe: 'ou: time step dt of one draw (SB3: 0.01)' },
  ouControlPeriod: {
    kind: 'boolean',
    group: EXPLORATION,
    describe: 'ou: dt = the control period × the interval instead of --ou-dt (θ then in 1/s)',
  },
  pinkBeta: { kind: 'number', group: EXPLORATION, describe: 'pink: spectral exponent β (0 white, 1 pink, 2 red)' },
  paramStd: { kind: 'number', group: EXPLORATION, describe: 'param: initial std σ of the weight perturbation' },
  layerNorm: { kind: 'boolean', group: EXPLORATION, describe: "layer normalisation in the actor's hidden layers (never perturbed)" },
  adaptive: { kind: 'boolean', group: EXPLORATION, describe: 'param: adapt σ toward the target action-space distance' },
  paramTarget: { kind: 'number', group: EXPLORATION, describe: 'param: target action-space distance δ' },
  paramAdaptEvery: { kind: 'number', group: EXPLORATION, describe: 'param: adapt σ every N training steps' },
  paramAdaptFactor: { kind: 'number', group: EXPLORATION, describe: 'param: σ is divided or multiplied by this factor' },
  gsdeLogStdInit: { kind: 'number', group: EXPLORATION, describe: 'gsde: initial log σ' },
  gsdeFullStd: { kind: 'boolean', group: EXPLORATION, describe: 'gsde: one σ per (feature, action) pair instead of per feature' },
  gsdeExpln: { kind: 'boolean', group: EXPLORATION, describe: 'gsde: σ = expln(log σ) instead of exp, to keep σ from exploding' },
  steps: { kind: 'number', group: RUN, describe: 'stop after this many control steps (default: run until SIGINT/SIGTERM)' },
  seed: { kind: 'number', group: RUN, describe: 'seed of every random draw of the run' },
  db: { kind: 'string', group: RUN, describe: 'run database (SQLite)' },
  sweep: { kind: 'string', group: RUN, describe: 'tag the run as a cell of this sweep' },
  sweepCell: {
    kind: 'string',
    group: RUN,
    describe: 'set by robo-train sweep: which cell of the sweep this run is (its axis values, e.g. noise=gsde;interval=8;seed=2)',
  },
  evalEvery: {
    kind: 'number',
    group: RUN,
    describe: 'evaluate every N training episodes, and once more at the end of the --steps budget (0: never)',
  },
  evalEpisodes: { kind: 'number', group: RUN, describe: 'episodes per evaluation' },
  evalStochastic: {
    kind: 'boolean',
    group: RUN,
    describe: 'evaluate with exploration noise (resampled as in training) instead of the mean action',
  },
  checkpointEvery: { kind: 'number', group: RUN, describe: 'write a checkpoint every N episodes (0: only at the end)' },
  saveReplay: { kind: 'boolean', group: RUN, describe: 'include the replay buffer in checkpoints' },
  resume: {
    kind: 'string',
    group: RUN,
    describe: "continue from a checkpoint file; 'auto': from this robot's newest checkpoint in --db, if there is one (for services)",
  },
  backend: {
    kind: 'string',
    group: RUN,
    describe: 'tfjs backend: auto uses tfjs-node when installed, else WASM',
    choices: ['auto', 'wasm', 'node', 'cpu'],
  },
  learner: {
    kind: 'string',
    group: RUN,
    describe:
      'where the learner trains: inline (between ticks, exact schedule, reproducible) or worker (its own thread, never blocks a tick); auto: inline on a twin, worker on hardware and on a --realtime twin',
    choices: ['auto', 'inline', 'worker'],
  },
  weightSyncMs: { kind: 'number', group: RUN, describe: 'worker learner: shortest time between two hand-overs of new actor weights [ms]' },
  fleet: { kind: 'string', group: RUN, describe: "act for a fleet: stream transitions to the fleet's learner, act with its weights" },
  learnerMqtt: { kind: 'string', group: RUN, describe: "--fleet: the learner's MQTT broker, e.g. mqtts://arm-2:pass@learner:8883" },
  fleetBufferBatches: {
    kind: 'number',
    group: RUN,
    describe: '--fleet: batches of 32 transitions kept while the broker is away; beyond, new ones are dropped',
  },
  quiet: { kind: 'boolean', group: RUN, describe: 'no progress lines' },
};

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  sim: null,
  realtime: false,
  port: null,
  baud: 1_000_000,
  mqtt: null,
  robot: null,
  watchdogMs: null,
  reconnectS: 60,
  task: null,
  episodeSteps: null,
  action: 'auto',
  algo: 'sac',
  hidden: [256, 256],
  learningRate: 3e-4,
  batchSize: 256,
  bufferSize: 1_000_000,
  tau: 0.005,
  gamma: 0.99,
  learningStarts: 100,
  trainEvery: 1,
  gradientSteps: 1,
  entCoef: 'auto',
  targetEntropy: 'auto',
  policyDelay: 2,
  targetPolicyNoise: 0.2,
  targetNoiseClip: 0.5,
  noise: 'gaussian',
  interval: 1,
  noiseStd: 0.1,
  ouTheta: 0.15,
  ouDt: 0.01,
  ouControlPeriod: false,
  pinkBeta: 1,
  paramStd: 0.1,
  layerNorm: false,
  adaptive: false,
  paramTarget: 0.1,
  paramAdaptEvery: 50,
  paramAdaptFactor: 1.01,
  gsdeLogStdInit: -3,
  gsdeFullStd: true,
  gsdeExpln: false,
  steps: null,
  seed: 0,
  db: 'logs/robo-train.db',
  sweep: null,
  sweepCell: null,
  evalEvery: 0,
  evalEpisodes: 5,
  evalStochastic: false,
  checkpointEvery: 0,
  saveReplay: false,
  resume: null,
  backend: 'auto',
  learner: 'auto',
  weightSyncMs: 20,
  fleet: null,
  learnerMqtt: null,
  fleetBufferBatches: 1000,
  quiet: false,
};

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/**
 * Builds a validated config from parsed CLI values (kebab or camel case keys), filling defaults.
 * Errors name the flag and the accepted values.
 */
export function resolveTrainConfig(values: Partial<Record<string, unknown>>): TrainConfig {
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, hidden: [...DEFAULT_TRAIN_CONFIG.hidden] };
  const target = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(TRAIN_OPTIONS) as (keyof TrainConfig)[]) {
    const value = values[key];
    if (value === undefined || value === null) continue;
    target[key] = parseOption(key, value);
  }
  const targets = [config.sim, config.port, config.mqtt].filter((value) => value !== null);
  if (targets.length !== 1) throw new ConfigError('say where the robot is: exactly one of --sim NAME, --port PATH or --mqtt URL');
  if (config.sim === null && config.robot === null)
    throw new ConfigError('--port and --mqtt need --robot NAME: the calibration of the robot behind them (calibration/NAME.json)');
  if (config.realtime && config.sim === null)
    throw new ConfigError('--realtime paces a twin (--sim NAME): a robot on --port or --mqtt keeps its own pace');
  if (config.watchdogMs !== null && !(config.watchdogMs >= 10))
    throw new ConfigError(`--watchdog-ms must be at least 10 ms (got ${config.watchdogMs})`);
  if (!(config.reconnectS > 0)) throw new ConfigError(`--reconnect-s must be a positive number of seconds (got ${config.reconnectS})`);
  if (config.noise === 'gsde' && config.algo !== 'sac')
    throw new ConfigError('--noise gsde needs --algo sac (gSDE replaces the Gaussian policy head of SAC)');
  if (config.steps !== null && !(Number.isInteger(config.steps) && config.steps > 0))
    throw new ConfigError(`--steps must be a positive whole number (got ${config.steps})`);
  for (const [key, max] of Object.entries(WHOLE_NUMBER_LIMITS) as [keyof typeof WHOLE_NUMBER_LIMITS, [number, number]][]) {
    const [least, most] = max;
    const value = config[key];
    if (!(Number.isInteger(value) && value >= least && value <= most)) {
      throw new ConfigError(`--${flagName(key)} must be a whole number from ${least} to ${most} (got ${value})`);
    }
  }
  if (config.fleet !== null) checkFleetName(config.fleet);
  if ((config.fleet === null) !== (config.learnerMqtt === null))
    throw new ConfigError('--fleet and --learner-mqtt go together: the fleet and the broker its learner listens on');
  if (config.fleet !== null && config.resume !== null)
    throw new ConfigError('--resume does not apply with --fleet: the fleet learner keeps the checkpoints; restart the robot without it');
  if (config.batchSize > config.bufferSize) {
    throw new ConfigError(`--batch-size ${config.batchSize} exceeds --buffer-size ${config.bufferSize}: a batch is drawn from the buffer`);
  }
  return config;
}

/**
 * Whole-number options and their accepted range. The upper bounds keep a typo from becoming an
 * allocation that fails far away: the replay buffer's memory is checked against the machine when the
 * observation size is known (training/run.ts); a batch is sized for the learner's WASM memory; a seed
 * is an unsigned 32-bit integer (the generator's state), so larger values would collapse onto others.
 */
const WHOLE_NUMBER_LIMITS = {
  batchSize: [1, 65_536],
  bufferSize: [1, 100_000_000],
  evalEpisodes: [1, 1_000_000],
  learningStarts: [0, Number.MAX_SAFE_INTEGER],
  evalEvery: [0, Number.MAX_SAFE_INTEGER],
  checkpointEvery: [0, Number.MAX_SAFE_INTEGER],
  fleetBufferBatches: [1, 1_000_000],
  seed: [0, 2 ** 32 - 1],
} as const;

export class ConfigError extends UsageError {}

/**
 * Refuses a training flag given more than once on the command line (the parser would join the values:
 * `--db a.db --db b.db` became a folder named `a.db,`). `given`: the command line's values only.
 */
export function refuseRepeatedFlags(given: Partial<Record<string, unknown>>): void {
  for (const key of Object.keys(TRAIN_OPTIONS)) {
    const value = given[key];
    if (Array.isArray(value)) {
      throw new ConfigError(
        `--${flagName(key)} was given ${value.length} times (${value.map((item) => `'${String(item)}'`).join(', ')}): give it once`,
      );
    }
  }
}

/** One option's value checked and converted as `resolveTrainConfig` does; a `ConfigError` names the flag. */
export function parseOption(key: keyof TrainConfig, value: unknown): unknown {
  const flag = `--${flagName(key)}`;
  const spec = TRAIN_OPTIONS[key];
  switch (key) {
    case 'hidden': {
      const widths = String(value)
        .split(',')
        .map((part) => Number(part.trim()));
      if (widths.length === 0 || widths.some((width) => !Number.isInteger(width) || width < 1)) {
        throw new ConfigError(`${flag} must list positive layer widths separated by commas, e.g. 256,256 (got '${String(value)}')`);
      }
      return widths;
    }
    case 'trainEvery':
      return value === 'episode' ? 'episode' : wholeNumber(flag, value, 1);
    case 'interval':
      try {
        return parseInterval(value);
      } catch (error) {
        if (error instanceof IntervalError) throw new ConfigError(error.message);
        throw error;
      }
    case 'entCoef':
    case 'targetEntropy':
      return value === 'auto' ? 'auto' : finiteNumber(flag, value);
    default:
      break;
  }
  if (spec.choices && !spec.choices.includes(String(value)))
    throw new ConfigError(`${flag} must be one of ${spec.choices.join(', ')} (got '${String(value)}')`);
  if (spec.kind === 'number') return finiteNumber(flag, value);
  if (spec.kind === 'boolean') return Boolean(value);
  return String(value);
}

function finiteNumber(flag: string, value: unknown): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number)) throw new ConfigError(`${flag} must be a number (got '${String(value)}')`);
  return number;
}

function wholeNumber(flag: string, value: unknown, minimum: number): number {
  const number = finiteNumber(flag, value);
  if (!Number.isInteger(number) || number < minimum) throw new ConfigError(`${flag} must be a whole number >= ${minimum} (got ${number})`);
  return number;
}

/** The config as runs and checkpoints store it: the MQTT URL without its password (credentials are never persisted). */
export function storableConfig(config: TrainConfig): TrainConfig {
  return {
    ...config,
    mqtt: config.mqtt === null ? null : withoutPassword(config.mqtt),
    learnerMqtt: config.learnerMqtt === null ? null : withoutPassword(config.learnerMqtt),
  };
}
