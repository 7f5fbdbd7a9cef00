import { UsageError } from '../util/errors.js';

/**
 * Faults the simulated firmware can be asked to show, by name, from the command line
 * (`--fault stall@3:1.5`, or a line `stall 1.5` on stdin) or from tests. Parsing only; `SimDevice`
 * carries them out.
 *
 * | kind | argument | what the device does |
 * |---|---|---|
 * | `stall` | seconds (default 1) | hangs: no frames out, frames in ignored, then carries on |
 * | `disconnect` | seconds (default 1) | drops its link (an MQTT client vanishes, a serial end closes), reboots and reconnects after that time |
 * | `garbage` | seconds (default 1) | every frame it sends is corrupted and noise bytes are mixed in |
 * | `drop` | frames (default 10) | the next frames it sends are lost |
 * | `fault` | seconds the cause persists (default 0) | latches a FOLLOWING_ERROR fault (torque off, FAULT sent) |
 * | `reboot-fault` | — | latches an OVERCURRENT fault that needs a power cycle |
 * | `estop` | seconds the button stays pressed (default 1) | its hardware e-stop input is pressed |
 * | `reset` | — | resets (a brown-out) and boots again; its boot DEVICE_INFO is lost on the wire, so only its restarted sequence numbers tell |
 * | `joints` | a joint count (default 1) | from then on its states carry that many joints while its DEVICE_INFO announces its own (a firmware built for another robot) |
 */
export const FAULT_KINDS = ['stall', 'disconnect', 'garbage', 'drop', 'fault', 'reboot-fault', 'estop', 'reset', 'joints'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRequest {
  kind: FaultKind;
  /** Seconds (stall, disconnect, garbage, fault, estop) or a frame count (drop). */
  amount: number;
}

export interface ScheduledFault extends FaultRequest {
  /** Seconds after the device first enabled torque (the start of training). */
  atS: number;
}

const DEFAULT_AMOUNT: Record<FaultKind, number> = {
  stall: 1,
  disconnect: 1,
  garbage: 1,
  drop: 10,
  fault: 0,
  'reboot-fault': 0,
  estop: 1,
  reset: 0,
  joints: 1,
};

/** `KIND@SECONDS[:AMOUNT]`, e.g. `stall@3:1.5`. */
export function parseScheduledFault(text: string): ScheduledFault {
  const match = /^([a-z-]+)@([0-9.]+)(?::([0-9.]+))?$/.exec(text.trim());
  if (!match)
    throw new UsageError(`fault '${text}' must look like KIND@SECONDS[:AMOUNT], e.g. stall@3:1.5 (kinds: ${FAULT_KINDS.join(', ')})`);
  const request = faultRequest(match[1], match[3]);
  const atS = Number(match[2]);
  if (!Number.isFinite(atS)) throw new UsageError(`fault '${text}': ${match[2]} is not a number of seconds`);
  return { ...request, atS };
}

/** `KIND [AMOUNT]`, e.g. `garbage 0.5`: a command line read from stdin. */
export function parseFaultCommand(line: string): FaultRequest {
  const [kind, amount, ...rest] = line.trim().split(/\s+/);
  if (!kind || rest.length > 0) throw new UsageError(`'${line}' must be KIND [AMOUNT] (kinds: ${FAULT_KINDS.join(', ')})`);
  return faultRequest(kind, amount);
}

function faultRequest(kind: string, amount: string | undefined): FaultRequest {
  if (!(FAULT_KINDS as readonly string[]).includes(kind))
    throw new UsageError(`unknown fault '${kind}' (kinds: ${FAULT_KINDS.join(', ')})`);
  const value = amount === undefined ? DEFAULT_AMOUNT[kind as FaultKind] : Number(amount);
  if (!(Number.isFinite(value) && value >= 0)) throw new UsageError(`fault '${kind}': '${amount}' is not a number >= 0`);
  return { kind: kind as FaultKind, amount: value };
}
