/**
 * What the session makes of what the device reports about itself (PROTOCOL.md § 8, § 10): the
 * status bits of a running session's states and FAULT messages. Pure, so that each rule is tested
 * without a link; the session acts on the verdict.
 */
import { DeviceStatus, FaultCode, FaultFlag, type FaultMessage } from '../protocol/index.js';
import { RobotLinkError, type RobotLinkErrorKind } from './errors.js';

export type Verdict =
  /** The link is lost: a new session is opened. */
  | { readonly kind: 'link_lost'; readonly message: string }
  /** The robot may not be run again in this run. */
  | { readonly kind: 'fatal'; readonly error: () => RobotLinkError }
  /** The motion stops until the next episode clears it; the link stays up. */
  | { readonly kind: 'motion'; readonly errorKind: RobotLinkErrorKind; readonly message: string }
  /** Only worth saying. */
  | { readonly kind: 'notice'; readonly text: string };

// A state's verdicts are constants: a fault shows in every state until it is cleared, and states are on the hot path of every tick.
const SESSION_ENDED: Verdict = { kind: 'link_lost', message: 'the device ended the session' };
const ESTOP_DURING_RUN: Verdict = { kind: 'fatal', error: () => estopError('the e-stop latch was set during the run') };
const LATCHED_FAULT: Verdict = { kind: 'motion', errorKind: 'fault', message: 'the device reports a latched fault' };
const WATCHDOG_DROPPED_TORQUE: Verdict = {
  kind: 'motion',
  errorKind: 'device_watchdog',
  message: "the device's watchdog expired: it disabled torque",
};
const TORQUE_DROPPED: Verdict = { kind: 'motion', errorKind: 'fault', message: 'the device disabled torque' };

/**
 * The status bits of a state in a running session; null when all is well. `moving`: the host enabled
 * torque for an episode; `ownEstop`: an e-stop latch would be this host's to clear.
 */
export function statusVerdict(status: number, moving: boolean, ownEstop: boolean): Verdict | null {
  if ((status & DeviceStatus.SESSION) === 0) return SESSION_ENDED;
  if ((status & DeviceStatus.ESTOPPED) !== 0 && !ownEstop) return ESTOP_DURING_RUN;
  if ((status & DeviceStatus.FAULT) !== 0) return LATCHED_FAULT;
  if (moving && (status & DeviceStatus.TORQUE_ENABLED) === 0)
    return (status & DeviceStatus.WATCHDOG_EXPIRED) !== 0 ? WATCHDOG_DROPPED_TORQUE : TORQUE_DROPPED;
  return null;
}

const FAULT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(FaultCode).map(([name, code]) => [code, name]));

/** A FAULT message from the device. */
export function faultVerdict(fault: FaultMessage): Verdict {
  const what = `${FAULT_NAMES[fault.code] ?? `fault 0x${fault.code.toString(16)}`}${fault.joint === 0xff ? '' : ` on joint ${fault.joint}`}${fault.text ? `: ${fault.text}` : ''}`;
  if ((fault.flags & FaultFlag.REBOOT_REQUIRED) !== 0) {
    return {
      kind: 'fatal',
      error: () =>
        new RobotLinkError('reboot_required', `the device needs a power cycle (${what}); robo-train does not retry after such a fault`),
    };
  }
  if (fault.code === FaultCode.ESTOP_INPUT) return { kind: 'fatal', error: () => estopError(`the e-stop input was triggered (${what})`) };
  if (fault.code === FaultCode.WATCHDOG_EXPIRED)
    return { kind: 'motion', errorKind: 'device_watchdog', message: `the device's watchdog expired (${what})` };
  if ((fault.flags & FaultFlag.LATCHED) !== 0) return { kind: 'motion', errorKind: 'fault', message: `the device reports ${what}` };
  return { kind: 'notice', text: `device warning: ${what}` };
}

export function estopError(what: string): RobotLinkError {
  return new RobotLinkError(
    'estop',
    `${what} on the robot: the run stops. Release the e-stop, make the robot safe and start the run again (robo-train clears only an e-stop latch it set itself or found set when the run started, and never an engaged e-stop input).`,
  );
}
