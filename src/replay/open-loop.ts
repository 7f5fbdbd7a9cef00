import { createJointState, type JointState } from '../core/joint-state.js';
import type { MujocoTwin } from '../sim/twin.js';
import type { LoggedEpisode } from './episode.js';

/** What the twin read while an episode's commands were replayed. */
export interface SimulatedEpisode {
  /** [steps + 1] readings: 0 right after the reset to the logged initial state, t + 1 after command t. */
  states: JointState[];
}

/**
 * Re-runs the logged commands open loop: the twin is teleported to the logged initial state (step
 * 0's reading, velocity included), then given command t and advanced one control period, for every
 * step. Readings go through the twin's sensor model (noise, quantisation), as the robot's did.
 */
export function simulateOpenLoop(twin: MujocoTwin, episode: LoggedEpisode): SimulatedEpisode {
  twin.resetTo(episode.positionRad[0], episode.velocityRadS[0]);
  const states: JointState[] = [readState(twin)];
  for (const command of episode.command) {
    twin.command(command);
    twin.advance();
    states.push(readState(twin));
  }
  return { states };
}

function readState(twin: MujocoTwin): JointState {
  const state = createJointState(twin.jointCount);
  twin.read(state);
  return state;
}

/** Positions of a sequence of readings, [steps][joints]. */
export function positionsOf(states: readonly JointState[]): Float64Array[] {
  return states.map((state) => state.positionRad);
}
