import type { RoboTrainError } from '../util/errors.js';

/**
 * Exit codes of `robo-train` (documented in the README):
 * 0 the command finished, or training was stopped cleanly by SIGINT/SIGTERM;
 * 1 a run failed (robot fault, lost link that did not come back, store error, diverged learner);
 * 2 usage or configuration error (bad flag, invalid calibration file): nothing was started;
 * 130 forced exit on a second SIGINT/SIGTERM (no final checkpoint).
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** The exit code of an expected error: its category decides. */
export function exitCodeOf(error: RoboTrainError): number {
  return error.category === 'usage' ? EXIT.usage : EXIT.failed;
}
