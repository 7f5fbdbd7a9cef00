/**
 * The errors robo-train expects, and what each means for the user. Every module's error class extends
 * one of the two kinds below; the CLI maps the kind to an exit code in one place
 * (`cli/exit-codes.ts`) and prints the message as one line. Anything else that reaches the top is a
 * bug: the CLI prints its stack and says so.
 *
 * Messages say what happened and what to do, naming the flag, file, field or value concerned.
 */
export abstract class RoboTrainError extends Error {
  /** 'usage': the input is wrong and nothing was started; 'failed': a started run or command failed. */
  abstract readonly category: 'usage' | 'failed';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input (a flag, a calibration, a config or checkpoint file) found before anything started. */
export class UsageError extends RoboTrainError {
  readonly category = 'usage';
}

/** A run or command that had started could not go on (robot fault, lost link, store error, ...). */
export class RunFailedError extends RoboTrainError {
  readonly category = 'failed';
}
