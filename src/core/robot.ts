import type { JointCommand, JointState } from './joint-state.js';

/**
 * A robot as the episode runner drives it, whatever carries it. Methods may answer synchronously
 * (the in-process twin) or asynchronously (a serial or MQTT device session).
 */
export interface Robot {
  readonly source: 'sim' | 'hardware';
  /**
   * Waits until the robot can be driven (a device: handshake done, torque on), before an episode is
   * begun: a robot that never answers, or answers in a way the run cannot use, leaves no episode behind.
   * Absent for robots that are ready at once.
   */
  prepare?(): Promise<void>;
  /**
   * Brings the robot to the episode's start and returns its state there: the twin is teleported, a
   * real robot follows the jerk-limited homing trajectory through the safety layer.
   */
  startEpisode(start: EpisodeStart): JointState | Promise<JointState>;
  /** Sends one command and returns the next state (one control period later). */
  step(command: JointCommand): JointState | Promise<JointState>;
  /** Puts the robot in a safe state (hold position, or zero effort) before a pause or exit. */
  stop(reason: string): void | Promise<void>;
  close(): void | Promise<void>;
}

/** Where an episode starts: the pose the twin is put at, or the pose a real robot is homed to. */
export interface EpisodeStart {
  /** [joints] rad */
  positionRad: Float64Array;
  /** [joints] rad/s; honoured by simulation only (hardware starts at rest), null = at rest. */
  velocityRadS: Float64Array | null;
}
