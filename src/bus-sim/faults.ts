import { UsageError } from '../util/errors.js';

/**
 * Faults the bus emulator can be asked to show, from the command line (`--fault silent@3:4`, or a
 * line `silent 4` on stdin) or from tests. Parsing only; `BusSimDevice` carries them out.
 *
 * | kind | argument | what the bus does |
 * |---|---|---|
 * | `silent` | servo id | the servo leaves the bus for good: it hears nothing and answers nothing (a broken cable to it) |
 * | `corrupt` | seconds (default 1) | every reply goes out with a wrong checksum (CRC) |
 * | `overheat` | servo id | the servo's temperature jumps 5 °C past its limit (as after a long stall); its own firmware trips: Overheating in Hardware Error Status and torque off (Dynamixel), the overheat status bit and torque off (Feetech); then it cools |
 * | `unplug` | seconds (default 1) | the bus cable is unplugged from the adapter: nothing answers, the servos keep their power and state |
 * | `reboot` | servo id | the servo restarts (a brown-out): torque off, RAM to its initial values, errors cleared; a Feetech servo is deaf for its 800 ms restart |
 */
export const BUS_FAULT_KINDS = ['silent', 'corrupt', 'overheat', 'unplug', 'reboot'] as const;
export type BusFaultKind = (typeof BUS_FAULT_KINDS)[number];

/** Kinds whose argument is a servo id (required); the others take seconds. */
const ID_KINDS: ReadonlySet<BusFaultKind> = new Set(['silent', 'overheat', 'reboot']);
const DEFAULT_SECONDS = 1;

export interface BusFaultRequest {
  kind: BusFaultKind;
  /** A servo id (silent, overheat, reboot) or seconds (corrupt, unplug). */
  amount: number;
}

export interface ScheduledBusFault extends BusFaultRequest {
  /** Seconds after a servo's torque was first switched on (the start of training). */
  atS: number;
}

const KINDS_TEXT = `${BUS_FAULT_KINDS.join(', ')}; silent, overheat and reboot name a servo id`;

/** `KIND@SECONDS[:ARG]`, e.g. `silent@3:4` or `corrupt@2:0.5`. */
export function parseScheduledBusFault(text: string): ScheduledBusFault {
  const match = /^([a-z]+)@([0-9.]+)(?::([0-9.]+))?$/.exec(text.trim());
  if (!match) throw new UsageError(`fault '${text}' must look like KIND@SECONDS[:ARG], e.g. silent@3:4 (kinds: ${KINDS_TEXT})`);
  const atS = Number(match[2]);
  if (!Number.isFinite(atS)) throw new UsageError(`fault '${text}': ${match[2]} is not a number of seconds`);
  return { ...busFaultRequest(match[1], match[3]), atS };
}

/** `KIND [ARG]`, e.g. `overheat 3`: a command line read from stdin. */
export function parseBusFaultCommand(line: string): BusFaultRequest {
  const [kind, amount, ...rest] = line.trim().split(/\s+/);
  if (!kind || rest.length > 0) throw new UsageError(`'${line}' must be KIND [ARG] (kinds: ${KINDS_TEXT})`);
  return busFaultRequest(kind, amount);
}

function busFaultRequest(kind: string, amount: string | undefined): BusFaultRequest {
  if (!(BUS_FAULT_KINDS as readonly string[]).includes(kind)) throw new UsageError(`unknown bus fault '${kind}' (kinds: ${KINDS_TEXT})`);
  const k = kind as BusFaultKind;
  if (ID_KINDS.has(k)) {
    const id = Number(amount);
    if (amount === undefined || !Number.isInteger(id)) throw new UsageError(`bus fault '${kind}' needs a servo id, e.g. ${kind}@3:2`);
    return { kind: k, amount: id };
  }
  const seconds = amount === undefined ? DEFAULT_SECONDS : Number(amount);
  if (!(Number.isFinite(seconds) && seconds >= 0)) throw new UsageError(`bus fault '${kind}': '${amount}' is not a number of seconds >= 0`);
  return { kind: k, amount: seconds };
}
