import { measuredJointNames } from '../calibration/load.js';
import type { Calibration } from '../calibration/types.js';
import { ActionMap } from '../control/action-map.js';
import { continuityCost } from '../metrics/continuity.js';
import { MujocoTwin } from '../sim/twin.js';
import { commandCompliance, type JointCompliance } from './compliance.js';
import { ReplayError, type LoggedEpisode } from './episode.js';
import { positionsOf, simulateOpenLoop, type SimulatedEpisode } from './open-loop.js';
import { trackingError, type JointTracking } from './tracking.js';

/** An open-loop replay and its measures. */
export interface OpenLoopReplay {
  simulated: SimulatedEpisode;
  /** Per measured joint: simulated against logged positions, steps 1 onwards. */
  tracking: JointTracking[];
  /** Per driven joint: the logged command sequence against the calibration's limits. */
  compliance: JointCompliance[];
  /** Continuity cost of the commands as replayed (the logged ones, as stored: float32). */
  continuityCost: number;
}

/**
 * Throws a `ReplayError` unless `calibration` describes the robot that logged `episode`: same
 * measured joints, control rate and command mode, and a twin to replay in.
 */
export function checkCompatible(calibration: Calibration, episode: LoggedEpisode): void {
  const where = `calibration '${calibration.robot}' (${calibration.sourcePath})`;
  if (!calibration.twin) throw new ReplayError(`${where} has no twin section: nothing to replay in`);
  const joints = measuredJointNames(calibration);
  if (joints.join(',') !== episode.jointNames.join(',')) {
    throw new ReplayError(`${where} measures joints [${joints.join(', ')}], the log [${episode.jointNames.join(', ')}]`);
  }
  if (calibration.joints.length !== episode.command[0].length) {
    throw new ReplayError(`${where} drives ${calibration.joints.length} joints, the log commands ${episode.command[0].length}`);
  }
  if (calibration.controlHz !== episode.controlHz)
    throw new ReplayError(`${where} runs at ${calibration.controlHz} Hz, the log at ${episode.controlHz} Hz`);
  if (calibration.commandMode !== episode.commandMode)
    throw new ReplayError(`${where} takes ${calibration.commandMode} commands, the log holds ${episode.commandMode} commands`);
}

/** Continuity cost of commands [steps][driven joints] over the joints' soft ranges (or effort ranges), as the control loop computes it. */
export function commandContinuity(calibration: Calibration, commands: readonly ArrayLike<number>[]): number {
  const actionMap = new ActionMap(calibration);
  return continuityCost(commands, actionMap.low, actionMap.high);
}

/**
 * Replays a logged episode's commands open loop in a fresh twin of `calibration` (sensor noise
 * seeded by `twinSeed`) and measures tracking error, limit compliance and continuity.
 */
export async function replayOpenLoop(calibration: Calibration, episode: LoggedEpisode, twinSeed: number): Promise<OpenLoopReplay> {
  checkCompatible(calibration, episode);
  const twin = await MujocoTwin.create(calibration, twinSeed);
  try {
    const simulated = simulateOpenLoop(twin, episode);
    return {
      simulated,
      tracking: trackingError(episode.jointNames, positionsOf(simulated.states), episode.positionRad),
      compliance: commandCompliance(calibration, episode.positionRad[0], episode.command),
      continuityCost: commandContinuity(calibration, episode.command),
    };
  } finally {
    twin.dispose();
  }
}
