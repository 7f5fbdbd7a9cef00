import { RunFailedError } from '../util/errors.js';

/**
 * Why a robot cannot go on moving. `step` and `startEpisode` of a hardware robot reject with a
 * `RobotLinkError`; the training run ends the episode as 'aborted', records an event named by
 * `kind`, and, unless the error is `fatal`, waits for the robot and goes on with a fresh episode.
 */
export type RobotLinkErrorKind =
  /** No state frame for the host's watchdog time: the host sent an e-stop and re-opens the session. */
  | 'watchdog'
  /** The transport failed (unplugged, broker gone), the device went offline or rebooted. */
  | 'link_lost'
  /** The device reported a latched fault (FAULT status bit or message); cleared with ESTOP_CLEAR once its cause is gone. */
  | 'fault'
  /** The device's own watchdog expired and it dropped torque; torque is enabled again before the next episode. */
  | 'device_watchdog'
  /** The device's e-stop latch is set and robo-train did not set it (hardware input, another host). Fatal. */
  | 'estop'
  /** The device asks for a power cycle (FAULT with REBOOT_REQUIRED). Fatal. */
  | 'reboot_required'
  /** The device speaks another protocol major version. Fatal. */
  | 'version_mismatch'
  /** DEVICE_INFO disagrees with the calibration (joints, modes, rates), or the device refused the session settings. Fatal. */
  | 'device_mismatch'
  /** A joint is outside its calibrated range, so no move can start from there. Fatal. */
  | 'out_of_range'
  /** The link cannot work until an operator acts (permissions, credentials, ACLs). Fatal. */
  | 'permanent'
  /** The device sent a valid frame that contradicts its DEVICE_INFO (a state with another joint count): refused, and the session opened again. */
  | 'protocol_error'
  /** No DEVICE_INFO answered HELLO in time. */
  | 'handshake_timeout'
  /** A control message went unanswered or was refused. */
  | 'no_answer'
  /** The link did not come back within the reconnect time. Fatal. */
  | 'link_down'
  /** The session was closed or the wait interrupted (Ctrl-C). */
  | 'closed'
  /** The operator's e-stop (`robo-train estop`) stopped a homing move; the run waits for `--clear`. */
  | 'operator_estop';

const FATAL: ReadonlySet<RobotLinkErrorKind> = new Set([
  'estop',
  'reboot_required',
  'version_mismatch',
  'device_mismatch',
  'out_of_range',
  'permanent',
  'link_down',
  'closed',
]);

export class RobotLinkError extends RunFailedError {
  /** No waiting helps: the run must stop. */
  readonly fatal: boolean;

  constructor(
    readonly kind: RobotLinkErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.fatal = FATAL.has(kind);
  }
}
