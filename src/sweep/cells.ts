import { ConfigError, flagName, resolveTrainConfig, TRAIN_OPTIONS, type TrainConfig } from '../training/config.js';
import { formatOptionValue, GridError, isDefault, NOT_AN_AXIS, type GridBlock, type OptionKey, type OptionValue } from './grid.js';

/**
 * One cell of a sweep: one training run.
 *
 * Its `key` lists, in the option table's order, the options whose value differs from the sweep's
 * base (defaults plus the flags given for the whole sweep), then the seed:
 * `noise=param;interval=-1;layer-norm=on;seed=2`. Two blocks that reach the same options give the
 * same key, so a cell shared by two presets runs once. The key is stored with the run (`sweepCell`
 * in its config) for the resume logic and the report.
 */
export interface SweepCell {
  key: string;
  /** The key without the seed: the configuration the report aggregates over seeds ('' = the base). */
  configuration: string;
  config: TrainConfig;
  /** Flags of `robo-train train` that reproduce the cell (non-default options only). */
  args: string[];
}

/**
 * The cells of the union of `blocks`, in order, without duplicates. `base` holds the sweep-wide
 * option values (camelCase keys, as `resolveTrainConfig` takes them) and must name the twin.
 * `seeds` [n], when given, is crossed with every block that has no seed axis.
 */
export function expandCells(
  blocks: readonly GridBlock[],
  base: Readonly<Record<string, unknown>>,
  sweep: string,
  seeds?: readonly number[],
): SweepCell[] {
  const baseConfig = resolveOrExplain(base, 'the sweep-wide flags');
  const cells = new Map<string, SweepCell>();
  for (const block of blocks.length > 0 ? blocks : [[]]) {
    const axes = seeds && !block.some((axis) => axis.key === 'seed') ? [...block, { key: 'seed' as const, values: seeds }] : block;
    for (const combination of product(axes)) {
      const values: Record<string, unknown> = { ...base };
      for (const [key, value] of combination) values[key] = value;
      const label = combination.map(([key, value]) => `${flagName(key)}=${formatOptionValue(value)}`).join(';') || 'the base';
      const config = resolveOrExplain(values, `cell ${label}`);
      const configuration = differingOptions(config, baseConfig)
        .map((key) => `${flagName(key)}=${formatOptionValue(config[key])}`)
        .join(';');
      const key = configuration === '' ? `seed=${config.seed}` : `${configuration};seed=${config.seed}`;
      if (cells.has(key)) continue;
      const cellConfig: TrainConfig = { ...config, sweep, sweepCell: key, quiet: true };
      cells.set(key, { key, configuration, config: cellConfig, args: trainArgs(cellConfig) });
    }
  }
  return [...cells.values()];
}

/** Options (not the seed, nor where the run goes) whose values differ, in the option table's order. */
function differingOptions(config: TrainConfig, base: TrainConfig): OptionKey[] {
  return (Object.keys(TRAIN_OPTIONS) as OptionKey[]).filter(
    (key) => key !== 'seed' && !NOT_AN_AXIS.has(key) && formatOptionValue(config[key]) !== formatOptionValue(base[key]),
  );
}

function resolveOrExplain(values: Readonly<Record<string, unknown>>, what: string): TrainConfig {
  try {
    return resolveTrainConfig(values);
  } catch (error) {
    if (error instanceof ConfigError) throw new GridError(`${what}: ${error.message}`);
    throw error;
  }
}

function product(axes: readonly { key: OptionKey; values: readonly OptionValue[] }[]): [OptionKey, OptionValue][][] {
  let combinations: [OptionKey, OptionValue][][] = [[]];
  for (const axis of axes) {
    combinations = combinations.flatMap((combination) =>
      axis.values.map((value) => [...combination, [axis.key, value] as [OptionKey, OptionValue]]),
    );
  }
  return combinations;
}

/**
 * The `robo-train train` flags of a config: every option that differs from its default (the twin,
 * the database, the sweep tags and the seed always). `--flag=value` keeps negative numbers attached.
 */
export function trainArgs(config: TrainConfig): string[] {
  const always: ReadonlySet<OptionKey> = new Set<OptionKey>(['sim', 'db', 'sweep', 'sweepCell', 'seed']);
  const args: string[] = [];
  for (const key of Object.keys(TRAIN_OPTIONS) as OptionKey[]) {
    const value = config[key];
    if (value === null || (!always.has(key) && isDefault(key, value))) continue;
    const flag = `--${flagName(key)}`;
    if (typeof value === 'boolean') args.push(value ? flag : `--no-${flagName(key)}`);
    else args.push(`${flag}=${Array.isArray(value) ? value.join(',') : String(value)}`);
  }
  return args;
}

/** A configuration key split into its options: `noise=param;interval=-1` → [['noise', 'param'], ['interval', '-1']]. */
export function parseCellKey(key: string): [string, string][] {
  if (key === '') return [];
  return key.split(';').map((part) => {
    const equals = part.indexOf('=');
    return [part.slice(0, equals), part.slice(equals + 1)];
  });
}
