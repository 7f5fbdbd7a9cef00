/**
 * `robo-train ports --scan`: which servos answer on a port, at which baud rate, of which model.
 *
 * Dynamixel: one broadcast Ping per baud rate (every servo answers in id order, e-manual Protocol
 * 2.0). Feetech: a Ping to every id 0-252, one at a time, so a Feetech scan takes up to 253 ping
 * timeouts per baud rate (about 9 s behind an FTDI adapter's default 16 ms latency timer). A host
 * too busy to see a Ping's timeout in time gives the answer its time again (shared/transactor.ts):
 * a busy host makes the scan slower, never reports a present servo absent.
 */
import { systemClock } from '../core/clock.js';
import type { BusProtocol } from '../calibration/types.js';
import { dynamixel, feetech, ServoBusError, type ByteDuplex } from '../servo-bus/index.js';
import { describeModelNumber } from './servo-models.js';

/** A servo that answered. */
export interface FoundServo {
  protocol: BusProtocol;
  baudRate: number;
  id: number;
  modelNumber: number;
  /** "XL430-W250 (model 1060)" or "model 1234". */
  model: string;
  firmwareVersion: number;
}

/** Baud rates tried when none is given: the factory defaults and the rates the SO-101 and Koch set-ups use. */
export const SCAN_BAUD_RATES: Readonly<Record<BusProtocol, readonly number[]>> = {
  // XL430/XL330 leave the factory at 57600; LeRobot's Koch set-up moves them to 1 Mbaud.
  dynamixel: [57_600, 1_000_000],
  // The STS3215 leaves the factory at 1 Mbaud.
  feetech: [1_000_000],
};

/** Highest id either family can be set to. */
const MAX_SCAN_ID = 252;

/** Scans one protocol at one baud rate over an open link (already at that rate). */
export async function scanBus(link: ByteDuplex, protocol: BusProtocol, baudRate: number, latencyMs: number): Promise<FoundServo[]> {
  const found: FoundServo[] = [];
  const add = (id: number, modelNumber: number, firmwareVersion: number): void => {
    found.push({ protocol, baudRate, id, modelNumber, model: describeModelNumber(protocol, modelNumber), firmwareVersion });
  };
  if (protocol === 'dynamixel') {
    const bus = new dynamixel.DxlBus({ link, clock: systemClock, baudRate, servos: new Map(), latencyMs });
    try {
      for (const [id, answer] of await bus.broadcastPing()) add(id, answer.modelNumber, answer.firmwareVersion);
    } finally {
      bus.close();
    }
  } else {
    const bus = new feetech.FtBus({ link, clock: systemClock, baudRate, servos: new Map(), latencyMs });
    try {
      for (let id = 0; id <= MAX_SCAN_ID; id++) {
        try {
          const answer = await bus.ping(id);
          add(id, answer.modelNumber, answer.firmwareMajor);
        } catch (error) {
          if (!(error instanceof ServoBusError) || error.kind === 'closed') throw error;
        }
      }
    } finally {
      bus.close();
    }
  }
  return found.sort((a, b) => a.id - b.id);
}
