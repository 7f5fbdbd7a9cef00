/**
 * The device session's link, one state at a time: each state holds the data that exists only in it
 * (the connection attempt that waits can be cancelled, the device of a running session, the error
 * of a lost or failed link). `DeviceSession.enter` is the one place that changes it.
 *
 *   idle → connecting → handshaking → running → lost → connecting …
 *   any → failed (a fatal error: no more attempts) ; any → closed
 */
import type { DeviceInfoMessage } from '../protocol/index.js';
import type { RobotLinkError } from './errors.js';

/** The coarse view of the link that the session reports ('phase' events, `DeviceSession.phase`). */
export type SessionPhase = 'idle' | 'connecting' | 'ready' | 'recovering' | 'failed' | 'closed';

/** What the host has the running robot do. */
export type Motion =
  /** Torque not asked for (a new session, `torqueOff`, `estop`): states may show it off. */
  | { readonly kind: 'holding' }
  /** `prepareToMove` enabled torque: a state without TORQUE_ENABLED is a motion fault. */
  | { readonly kind: 'moving' }
  /** A latched device fault, the device's watchdog, or torque dropped: the next `prepareToMove` clears it. */
  | { readonly kind: 'halted'; readonly fault: RobotLinkError };

/** Data of one connection attempt, from opening the transport until the link is lost. */
interface Attempt {
  /** Aborted with the link fault (or 'closed') that ends the attempt: every wait of the attempt ends with it. */
  readonly attempt: AbortController;
  /** When the current outage began [clock ms]; null on the run's first attempt. */
  readonly downSinceMs: number | null;
  /** Why the previous attempt failed (null on the first), for the message when a wait for the robot ends. */
  readonly lastError: RobotLinkError | null;
}

export type LinkState =
  | { readonly kind: 'idle' }
  /** Opening the transport. */
  | ({ readonly kind: 'connecting' } & Attempt)
  /** HELLO until DEVICE_INFO and a state in the session, the device checked, CONFIGURE. */
  | ({ readonly kind: 'handshaking' } & Attempt)
  /** States flow; the host watchdog watches them. */
  | {
      readonly kind: 'running';
      readonly attempt: AbortController;
      readonly info: DeviceInfoMessage;
      readonly motion: Motion;
      /** TORQUE enable was sent since the last acknowledged TORQUE disable (a new session starts with torque off, § 8.3). */
      readonly torqueMayBeOn: boolean;
    }
  /** Between attempts (backoff). */
  | { readonly kind: 'lost'; readonly error: RobotLinkError; readonly downSinceMs: number }
  | { readonly kind: 'failed'; readonly error: RobotLinkError }
  /** `failure`: the fatal error, if the session had failed before it was closed. */
  | { readonly kind: 'closed'; readonly failure: RobotLinkError | null };

export const HOLDING: Motion = { kind: 'holding' };
export const MOVING: Motion = { kind: 'moving' };

export function phaseOf(link: LinkState): SessionPhase {
  switch (link.kind) {
    case 'idle':
      return 'idle';
    case 'connecting':
    case 'handshaking':
      // Only the run's first attempt is 'connecting': later ones are part of recovering from a loss.
      return link.downSinceMs === null ? 'connecting' : 'recovering';
    case 'running':
      return 'ready';
    case 'lost':
      return 'recovering';
    case 'failed':
      return 'failed';
    case 'closed':
      return 'closed';
  }
}
