/**
 * The one error type of the bus master, tagged by `kind` so that a driver can react per failure:
 * - `timeout`: some expected status packets did not arrive in time (`missingIds`); nothing corrupt
 *   was seen meanwhile;
 * - `corrupt`: status packets did not arrive whole, and bytes that failed the CRC (Dynamixel) or
 *   checksum (Feetech) did arrive meanwhile (`missingIds` as for a timeout, `rejected` says what);
 * - `status`: a Dynamixel servo answered with an error number in its status packet (`id`,
 *   `errorNumber`, `errorName`; `alert` tells whether bit 7 was set as well);
 * - `closed`: the bus was closed before or during the transaction.
 */

/** Failure kinds. */
export type ServoBusErrorKind = 'timeout' | 'corrupt' | 'status' | 'closed';

/** Details of a `ServoBusError`. */
export interface ServoBusErrorDetails {
  /** Ids whose status packet was expected and did not arrive (timeout, corrupt). */
  missingIds?: readonly number[];
  /** Reasons and counts of the bytes the parser dropped during the transaction (corrupt). */
  rejected?: Readonly<Record<string, number>>;
  /** The servo that reported an error (status). */
  id?: number;
  /** Error number of the status packet, bits 0-6 (status). */
  errorNumber?: number;
  /** Name of that error number (status). */
  errorName?: string;
  /** Bit 7 (Alert) of the status packet's error field (status). */
  alert?: boolean;
}

/** A failed bus transaction. */
export class ServoBusError extends Error {
  readonly kind: ServoBusErrorKind;
  readonly missingIds: readonly number[];
  readonly rejected: Readonly<Record<string, number>>;
  readonly id: number | undefined;
  readonly errorNumber: number | undefined;
  readonly errorName: string | undefined;
  readonly alert: boolean;

  constructor(kind: ServoBusErrorKind, message: string, details: ServoBusErrorDetails = {}) {
    super(message);
    this.name = 'ServoBusError';
    this.kind = kind;
    this.missingIds = details.missingIds ?? [];
    this.rejected = details.rejected ?? {};
    this.id = details.id;
    this.errorNumber = details.errorNumber;
    this.errorName = details.errorName;
    this.alert = details.alert ?? false;
  }
}
