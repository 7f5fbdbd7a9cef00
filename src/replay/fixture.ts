import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CommandMode } from '../calibration/types.js';
import { checkEpisodeShape, ReplayError, type LoggedEpisode } from './episode.js';
import type { StoredEpisode } from './store.js';

/** Format version of episode fixtures. */
export const FIXTURE_FORMAT = 1;

/**
 * A logged episode as a small JSON file, for tests that replay it (`robo-train fixture`). Values are
 * the store's float32 numbers written with 9 significant digits, which read back to the same float32.
 */
export interface EpisodeFixture {
  format: typeof FIXTURE_FORMAT;
  robot: string;
  controlHz: number;
  commandMode: CommandMode;
  /** Measured joints, driven first. */
  jointNames: string[];
  /** Where the episode was logged. */
  source: {
    runId: number;
    episode: number;
    runName: string;
    task: string;
    algo: string;
    noise: string;
    seed: number;
    codeVersion: string;
    evaluation: boolean;
    termination: string | null;
    return: number | null;
  };
  /** The continuity cost the run stored for the episode [%]. */
  continuityCost: number | null;
  /** The state the episode started from: step 0's reading. */
  initial: { positionRad: number[]; velocityRadS: number[] };
  /** [steps][driven joints] applied commands. */
  commands: number[][];
  /** [steps][measured joints] the reading each command answered. */
  readings: { positionRad: number[][]; velocityRadS: number[][] };
  /** [steps] logged rewards (null where none was logged). */
  rewards: (number | null)[];
}

/** A fixture read back: the episode, and where it came from. */
export interface LoadedFixture extends LoggedEpisode {
  path: string;
  source: EpisodeFixture['source'];
}

export function episodeFixture(stored: StoredEpisode): EpisodeFixture {
  const rows = (values: readonly ArrayLike<number>[]): number[][] => values.map((row) => Array.from(row, compact));
  return {
    format: FIXTURE_FORMAT,
    robot: stored.robot,
    controlHz: stored.controlHz,
    commandMode: stored.commandMode,
    jointNames: stored.jointNames,
    source: {
      runId: stored.run.runId,
      episode: stored.episode,
      runName: stored.run.name,
      task: stored.run.task,
      algo: stored.run.algo,
      noise: stored.run.noise,
      seed: stored.run.seed,
      codeVersion: stored.run.codeVersion,
      evaluation: stored.evaluation,
      termination: stored.termination,
      return: stored.loggedReturn === null ? null : compact(stored.loggedReturn),
    },
    continuityCost: stored.continuityCost,
    initial: { positionRad: Array.from(stored.positionRad[0], compact), velocityRadS: Array.from(stored.velocityRadS[0], compact) },
    commands: rows(stored.command),
    readings: { positionRad: rows(stored.positionRad), velocityRadS: rows(stored.velocityRadS) },
    rewards: stored.reward.map((reward) => (reward === null ? null : compact(reward))),
  };
}

/** Writes a fixture as JSON, one step per line, creating the folder. Returns the absolute path. */
export function writeFixture(path: string, fixture: EpisodeFixture): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  const { commands, readings, rewards, ...header } = fixture;
  const lines = (rows: number[][], indent: string): string =>
    `[\n${indent}  ${rows.map((row) => JSON.stringify(row)).join(`,\n${indent}  `)}\n${indent}]`;
  const text = [
    '{',
    ...Object.entries(header).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},`),
    `  "commands": ${lines(commands, '  ')},`,
    '  "readings": {',
    `    "positionRad": ${lines(readings.positionRad, '    ')},`,
    `    "velocityRadS": ${lines(readings.velocityRadS, '    ')}`,
    '  },',
    `  "rewards": ${JSON.stringify(rewards)}`,
    '}',
    '',
  ].join('\n');
  writeFileSync(absolute, text);
  return absolute;
}

/** Reads and checks a fixture written by `writeFixture`; errors name the file. */
export function readFixture(path: string): LoadedFixture {
  const absolute = resolve(path);
  let fixture: EpisodeFixture;
  try {
    fixture = JSON.parse(readFileSync(absolute, 'utf8')) as EpisodeFixture;
  } catch (error) {
    throw new ReplayError(`${absolute}: not a readable fixture (${(error as Error).message})`);
  }
  if (fixture.format !== FIXTURE_FORMAT)
    throw new ReplayError(`${absolute}: fixture format ${JSON.stringify(fixture.format)}, this robo-train reads ${String(FIXTURE_FORMAT)}`);
  const episode: LoadedFixture = {
    path: absolute,
    source: fixture.source,
    robot: fixture.robot,
    controlHz: fixture.controlHz,
    commandMode: fixture.commandMode,
    jointNames: fixture.jointNames,
    positionRad: fixture.readings.positionRad.map((row) => Float64Array.from(row)),
    velocityRadS: fixture.readings.velocityRadS.map((row) => Float64Array.from(row)),
    command: fixture.commands.map((row) => Float64Array.from(row)),
    reward: fixture.rewards,
    continuityCost: fixture.continuityCost,
  };
  checkEpisodeShape(episode, absolute);
  const initialMatches =
    fixture.initial.positionRad.every((value, j) => value === episode.positionRad[0][j]) &&
    fixture.initial.velocityRadS.every((value, j) => value === episode.velocityRadS[0][j]);
  if (!initialMatches) throw new ReplayError(`${absolute}: "initial" differs from the first reading`);
  return episode;
}

/** A float32 value with the 9 significant digits that identify it. */
function compact(value: number): number {
  return Number(value.toPrecision(9));
}
