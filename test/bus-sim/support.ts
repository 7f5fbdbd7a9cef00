/** Shared by the bus emulator's tests: the masters' link latency for loaded CI cores, and waiting for a bus to answer. */
import { setTimeout as delay } from 'node:timers/promises';
import { loadCalibration } from '../../src/calibration/load.js';
import { dynamixel, type ControlTable } from '../../src/servo-bus/index.js';

export const BAUD = 1_000_000;

/**
 * The latency the bus masters allow for the link (their timeouts are twice it plus the bytes' time),
 * far above the FTDI default of 16 ms: on two loaded cores a round trip through socat measured up to
 * 116 ms (p99 18 ms), and a reply that misses its timeout spoils the next transaction too.
 */
export const LATENCY_MS = 100;

/**
 * Retries `ping` until it answers: the first packets meet a process that is still starting (or a
 * test file starting beside it), and a late first answer must not fail what the test checks.
 */
export async function untilAnswering(ping: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(50);
    }
  }
}

/** The Koch's servo models by id, as its calibration names them. */
export function kochTables(): Map<number, ControlTable> {
  return new Map(
    loadCalibration('koch').joints.map((joint) => [
      joint.servo!.id,
      joint.servo!.model === 'xl430-w250' ? dynamixel.XL430_W250 : dynamixel.XL330_M288,
    ]),
  );
}
