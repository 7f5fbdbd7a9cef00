import { RunFailedError } from '../util/errors.js';

/**
 * Errors of a link, tagged the way node-serialport tags its stream errors: `disconnected` when the
 * link went away on its own (unplugged, broker gone), `canceled` when an operation was cut short by a
 * local `close()` or attempted on a closed link. A cancel is never a disconnect.
 */
export interface TransportErrorTags {
  disconnected?: boolean;
  canceled?: boolean;
  /** The operating system's or broker's error code when known: EACCES, ENOENT, EBUSY, ECONNREFUSED, ... */
  code?: string;
  /** The operator must act before another attempt can succeed (permissions, bad credentials). */
  permanent?: boolean;
  cause?: unknown;
}

export class TransportError extends RunFailedError {
  readonly disconnected: boolean;
  readonly canceled: boolean;
  readonly code: string | undefined;
  readonly permanent: boolean;

  constructor(message: string, tags: TransportErrorTags = {}) {
    super(message, tags.cause === undefined ? undefined : { cause: tags.cause });
    this.disconnected = tags.disconnected ?? false;
    this.canceled = tags.canceled ?? false;
    this.code = tags.code;
    this.permanent = tags.permanent ?? false;
  }
}

/** The error `send` throws on a transport that is not open. */
export function notOpenError(description: string): TransportError {
  return new TransportError(`${description} is not open`, { canceled: true });
}
