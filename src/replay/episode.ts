import type { CommandMode } from '../calibration/types.js';
import { UsageError } from '../util/errors.js';

/**
 * One logged episode as the replay needs it, whether read from the run store or from a fixture: the
 * applied commands and the readings they answered. Arrays are per step, then per joint.
 */
export interface LoggedEpisode {
  robot: string;
  controlHz: number;
  commandMode: CommandMode;
  /** Measured joints: the driven ones, then the passive ones. */
  jointNames: string[];
  /** [steps][measured joints] rad: the reading each command answered; step 0 is the initial state. */
  positionRad: Float64Array[];
  /** [steps][measured joints] rad/s */
  velocityRadS: Float64Array[];
  /** [steps][driven joints] the applied command (after the safety layer), rad or N·m. */
  command: Float64Array[];
  /** [steps] reward of each step; null where none was logged (last step of an aborted episode). */
  reward: (number | null)[];
  /** Continuity cost the run stored for the episode; null when it has none (fewer than two steps). */
  continuityCost: number | null;
}

/** A replay that cannot be done as asked (no such run or episode, no twin, no checkpoint); the message says why. */
export class ReplayError extends UsageError {
  constructor(message: string) {
    super(message);
  }
}

/** Throws a `ReplayError` unless every array has the length the episode's shape demands. */
export function checkEpisodeShape(episode: LoggedEpisode, where: string): void {
  const steps = episode.command.length;
  if (steps === 0) throw new ReplayError(`${where}: the episode has no steps`);
  const measured = episode.jointNames.length;
  const lengths: [string, number, number][] = [
    ['positionRad', episode.positionRad.length, steps],
    ['velocityRadS', episode.velocityRadS.length, steps],
    ['reward', episode.reward.length, steps],
  ];
  for (const [name, actual, expected] of lengths) {
    if (actual !== expected) throw new ReplayError(`${where}: ${name} has ${actual} steps, the commands ${expected}`);
  }
  const driven = episode.command[0].length;
  if (driven === 0 || driven > measured) throw new ReplayError(`${where}: commands for ${driven} joints, readings of ${measured}`);
  for (let t = 0; t < steps; t++) {
    if (episode.command[t].length !== driven)
      throw new ReplayError(`${where}: step ${t} commands ${episode.command[t].length} joints, step 0 ${driven}`);
    if (episode.positionRad[t].length !== measured || episode.velocityRadS[t].length !== measured) {
      throw new ReplayError(`${where}: step ${t} reads ${episode.positionRad[t].length} joints, expected ${measured}`);
    }
  }
}
