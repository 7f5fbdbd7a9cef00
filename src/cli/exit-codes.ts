import { RoboTrainError, UsageError } from '../util/errors.js';

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

/** Arguments that the command line parser rejected (unknown flag, missing value, invalid choice). */
export class ArgumentError extends UsageError {
  constructor(
    message: string,
    /** The command that lists the options: `robo-train --help`, `robo-train estop --help`. */
    readonly help = 'robo-train --help',
  ) {
    super(message);
  }
}

/**
 * The one place where errors become exit codes, for `main` and for the e-stop's fast path (which
 * loads nothing but Node's own modules, so this module imports no more than util/errors). An
 * expected error (a `RoboTrainError`) prints one line and exits with its category's code; anything
 * else is a bug: its stack is printed, and it says so.
 */
export function reportError(error: unknown): number {
  if (error instanceof ArgumentError) {
    console.error(`robo-train: ${error.message}\nRun '${error.help}' for the options.`);
    return exitCodeOf(error);
  }
  if (error instanceof RoboTrainError) {
    console.error(`robo-train: ${error.message}`);
    return exitCodeOf(error);
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`robo-train: internal error (a bug in robo-train: please report it with the command you ran and this output)\n${detail}`);
  return EXIT.failed;
}
