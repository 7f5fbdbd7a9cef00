import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { ConfigError, DEFAULT_TRAIN_CONFIG, flagName, parseOption, TRAIN_OPTIONS, type TrainConfig } from './config.js';

/**
 * Configuration files (`--config FILE`): a JSON object whose keys are the training flags without their
 * dashes (`"learning-rate": 0.001`, `"layer-norm": true`, `"hidden": [64, 64]`), or the same mapping
 * in YAML (a file ending in .yaml or .yml: `learning-rate: 0.001`). Flags given on the
 * command line override the file. `robo-train config RUN` writes the resolved configuration of a past
 * run in the same form, so that the run can be repeated exactly.
 */

/** A configuration file is a few kilobytes; this keeps a wrong path (a database, a log) from being read whole. */
const MAX_CONFIG_BYTES = 1_000_000;

type OptionKey = keyof TrainConfig;

/**
 * Reads and checks a configuration file. Returns its values under the option names `resolveTrainConfig`
 * takes; an unknown key or a value of the wrong kind is a `ConfigError` naming the file and the key.
 */
export function readConfigFile(file: string): Partial<Record<OptionKey, unknown>> {
  const extension = extname(file).toLowerCase();
  const yaml = extension === '.yaml' || extension === '.yml';
  let text: string;
  try {
    const bytes = statSync(file).size;
    if (bytes > MAX_CONFIG_BYTES)
      throw new ConfigError(`${file}: ${bytes} bytes is not a configuration file (at most ${MAX_CONFIG_BYTES})`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`--config ${file} cannot be read (${(error as Error).message})`);
  }
  const json = yaml ? parseYaml(file, text) : parseJson(file, text);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(
      yaml
        ? `${file}: must hold one YAML mapping of options, e.g. 'sim: pendulum' and 'steps: 20000' on lines of their own`
        : `${file}: must hold one JSON object of options, e.g. { "sim": "pendulum", "steps": 20000 }`,
    );
  }
  const keyOf = new Map((Object.keys(TRAIN_OPTIONS) as OptionKey[]).map((key) => [flagName(key), key]));
  const values: Partial<Record<OptionKey, unknown>> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    const key = keyOf.get(name);
    if (key === undefined) {
      throw new ConfigError(`${file}: unknown key '${name}': the keys are the training flags without their dashes (robo-train --help)`);
    }
    if (value === null) continue;
    values[key] = checkValue(file, name, key, value);
  }
  return values;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * YAML 1.2's core schema: plain scalars are strings, numbers, true/false and null as in JSON, with no
 * dates or other types that the flags could not take.
 */
function parseYaml(file: string, text: string): unknown {
  try {
    return loadYaml(text, { schema: CORE_SCHEMA, filename: file });
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
}

/** A value of the file, of the kind its flag takes, checked as the flag would be. */
function checkValue(file: string, name: string, key: OptionKey, value: unknown): unknown {
  const fail = (problem: string): never => {
    throw new ConfigError(`${file}: ${name} ${problem}`);
  };
  const spec = TRAIN_OPTIONS[key];
  let given = value;
  if (key === 'hidden' && Array.isArray(value)) given = value.join(',');
  else if (spec.kind === 'boolean' && typeof value !== 'boolean') fail(`must be true or false (got ${JSON.stringify(value)})`);
  else if (spec.kind === 'number' && typeof value !== 'number') fail(`must be a number (got ${JSON.stringify(value)})`);
  // trainEvery, entCoef and targetEntropy are numbers or a word.
  else if (spec.kind === 'string' && typeof value !== 'string' && typeof value !== 'number')
    fail(`must be a string (got ${JSON.stringify(value)})`);
  try {
    parseOption(key, given);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The option's message starts with its flag: the key of the file is named instead.
    const flag = `--${name} `;
    fail(error.message.startsWith(flag) ? error.message.slice(flag.length) : error.message);
  }
  return given;
}

/** The names tfjs gives its backends, as `--backend` names them. */
const BACKEND_OPTION: Record<string, TrainConfig['backend']> = { tensorflow: 'node', wasm: 'wasm', cpu: 'cpu' };

/**
 * The configuration file of a past run, from its stored `config` (runs.config): every option, as the
 * run resolved it. The task is the one that ran (the calibration's default, or the module's path), the
 * backend and learner placement those that ran, so that the file repeats the run rather than the
 * choice that led to it. The sweep tags are left out: a repeat is not a cell of the sweep.
 */
export function runConfigFile(stored: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(TRAIN_OPTIONS) as OptionKey[]) {
    // An option missing from the stored run is newer than the run: its default stood then.
    let value: unknown = key in stored ? stored[key] : DEFAULT_TRAIN_CONFIG[key];
    if (key === 'task') value = storedTask(value);
    else if (key === 'backend' && value !== null && typeof value === 'object')
      value = BACKEND_OPTION[String((value as { name?: unknown }).name)];
    else if (key === 'learner' && (stored['trainer'] === 'inline' || stored['trainer'] === 'worker')) value = stored['trainer'];
    else if (key === 'sweep' || key === 'sweepCell') value = null;
    out[flagName(key)] = value ?? null;
  }
  return out;
}

/** The stored `task` is the task's description: `{ task: name, module?: path, ... }`. */
function storedTask(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const description = value as { task?: unknown; module?: unknown };
  return typeof description.module === 'string' ? description.module : description.task;
}

export function formatConfigFile(values: Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(values, null, 2)}\n`;
}
