import { ConfigError, DEFAULT_TRAIN_CONFIG, flagName, resolveTrainConfig, TRAIN_OPTIONS, type TrainConfig } from '../training/config.js';
import { UsageError } from '../util/errors.js';

/**
 * The grid of a sweep: which training options vary and over which values.
 *
 * Syntax (one `--grid` argument is one block): axes separated by `;`, values by `,`:
 *
 *     noise=gaussian,param,gsde;interval=1,2,4,8,16,32,64,episode;layer-norm=on,off;seed=0..2
 *
 * - An axis is any training flag (without the dashes), e.g. `param-target=0.1,0.2`, `train-every=episode,8`.
 * - `a..b` lists the whole numbers from a to b; `on`/`off` (or true/false) set a boolean flag;
 *   `interval=episode` is `-1` (once per episode), `interval=episode/8` resamples 8 times per episode (k in
 *   steps follows from each run's episode length, training/interval.ts); `hidden` lists layer widths joined
 *   by `x` (`64x64,256x256`).
 * - A block is the Cartesian product of its axes. Several blocks (several `--grid` arguments or
 *   presets) make the union of their cells, so that unequal groups (the baselines beside a grid)
 *   fit in one sweep.
 */
export class GridError extends UsageError {
  constructor(message: string) {
    super(message);
  }
}

export type OptionKey = keyof TrainConfig;
export type OptionValue = string | number | boolean;

/** Options that say where and how the runs go rather than what they learn: set once for the sweep. */
export const NOT_AN_AXIS: ReadonlySet<OptionKey> = new Set<OptionKey>([
  'sim',
  'port',
  'baud',
  'mqtt',
  'robot',
  'watchdogMs',
  'reconnectS',
  'db',
  'sweep',
  'sweepCell',
  'resume',
  'quiet',
]);

export interface GridAxis {
  key: OptionKey;
  /** Values as `resolveTrainConfig` accepts them, in the order given. */
  values: readonly OptionValue[];
}

/** One block: its axes in the order written. */
export type GridBlock = readonly GridAxis[];

const KEY_BY_FLAG = new Map<string, OptionKey>(
  (Object.keys(TRAIN_OPTIONS) as OptionKey[]).flatMap((key) => [
    [flagName(key), key],
    [key, key],
  ]),
);

/** Parses one block. Errors name the axis and say what it accepts. */
export function parseGrid(spec: string): GridBlock {
  const axes: GridAxis[] = [];
  for (const part of spec.split(';').map((text) => text.trim())) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals <= 0) throw new GridError(`grid axis '${part}': write it as name=value,value,... (e.g. interval=1,8,episode)`);
    const name = part.slice(0, equals).trim().replace(/^--/, '');
    const key = axisKey(name);
    if (axes.some((axis) => axis.key === key)) throw new GridError(`grid axis '${name}' appears twice in one block`);
    axes.push({ key, values: parseAxisValues(name, key, part.slice(equals + 1)) });
  }
  return axes;
}

function axisKey(name: string): OptionKey {
  const key = KEY_BY_FLAG.get(name);
  if (key === undefined) {
    // Suggest the kebab-case flags (those without capitals) within two edits.
    const near = [...KEY_BY_FLAG.keys()].filter((flag) => flag === flagName(flag) && editDistance(flag, name) <= 2);
    throw new GridError(
      `grid axis '${name}' is not a training option${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : "; 'robo-train --help' lists them"}`,
    );
  }
  if (NOT_AN_AXIS.has(key))
    throw new GridError(`grid axis '${name}' cannot vary within a sweep: give it once, as --${flagName(key)}, for every cell`);
  return key;
}

function parseAxisValues(name: string, key: OptionKey, text: string): OptionValue[] {
  const words = text.split(',').map((word) => word.trim());
  if (words.some((word) => word === '')) throw new GridError(`grid axis '${name}' has an empty value in '${text}'`);
  const values: OptionValue[] = [];
  for (const word of words) {
    for (const value of expandWord(name, key, word)) {
      checkValue(name, key, value);
      if (values.some((known) => formatOptionValue(known) === formatOptionValue(value)))
        throw new GridError(`grid axis '${name}' lists ${word} twice`);
      values.push(value);
    }
  }
  return values;
}

function expandWord(name: string, key: OptionKey, word: string): OptionValue[] {
  const range = /^(-?\d+)\.\.(-?\d+)$/.exec(word);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    if (to < from) throw new GridError(`grid axis '${name}': the range ${word} is empty (write low..high)`);
    return Array.from({ length: to - from + 1 }, (_, index) => from + index);
  }
  if (TRAIN_OPTIONS[key].kind === 'boolean') {
    if (/^(on|true|yes)$/i.test(word)) return [true];
    if (/^(off|false|no)$/i.test(word)) return [false];
    throw new GridError(`grid axis '${name}' takes on or off (got '${word}')`);
  }
  if (key === 'interval' && word === 'episode') return [-1];
  if (key === 'hidden') return [word.replace(/x/g, ',')];
  return [word];
}

/** Validates one value through the option table, so that the message is the flag's own. */
function checkValue(name: string, key: OptionKey, value: OptionValue): void {
  try {
    resolveTrainConfig({ sim: 'grid-check', [key]: value });
  } catch (error) {
    if (error instanceof ConfigError) throw new GridError(`grid axis '${name}': ${error.message}`);
    throw error;
  }
}

/** A value as the grid, the cell keys and the tables write it: on/off, widths joined by commas, numbers plain. */
export function formatOptionValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.join(',');
  if (value === null || value === undefined) return 'default';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** Levenshtein distance, for "did you mean" (short strings only). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** Where the CLI default applies, for code that builds flags from a config. */
export function isDefault(key: OptionKey, value: unknown): boolean {
  return formatOptionValue(value) === formatOptionValue(DEFAULT_TRAIN_CONFIG[key]);
}
