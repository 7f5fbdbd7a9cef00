/**
 * One transaction at a time on a half-duplex bus: send a request, collect the packets it expects,
 * finish when they are all in, fail at the timeout. Shared by the Dynamixel and Feetech bus masters;
 * they bring the parser and say what each packet means.
 *
 * - Requests queue: a transaction starts when the previous one has finished, whatever its outcome.
 * - Before sending, a partial packet left by an earlier transaction is dropped, like the SDKs'
 *   `clearPort()` before each transmission; packets that arrive outside a transaction are counted
 *   (`unsolicited`) and ignored.
 * - The timeout runs from the moment the request is handed to the link, on the clock's own time (a
 *   timer that fires early, as Node's can when its loop time was stale, waits out the rest). A timer
 *   that fires more than the host allowance late (HOST_ALLOWANCE_MS) means the host was busy past the
 *   deadline: an answer that came in time may sit unread in the OS (a serial read takes more than one
 *   turn of the event loop), so the answers get their full timeout again, counted from then, once:
 *   a busy host makes a transaction slower rather than a present servo absent, and a host late at
 *   every deadline still fails the transaction of a missing servo. When it fires in time,
 *   pending I/O is served first (`afterIo`), then an incomplete packet is dropped and the transaction fails:
 *   `corrupt` when any byte was dropped during it (a CRC / checksum failure, an impossible header,
 *   or an incomplete packet that the plan does not recognise as the valid start of its answer),
 *   `timeout` otherwise.
 */
import type { Clock } from '../../core/clock.js';
import { ServoBusError } from './errors.js';
import type { ByteDuplex } from './link.js';
import { dropsSince, type Drop, type ParserStats } from './parser-stats.js';

/** The parser a transactor feeds. */
export interface StreamParser {
  push(bytes: Uint8Array): void;
  reset(): void;
  readonly stats: ParserStats;
}

/** What a packet means to the running transaction. */
export type PacketVerdict = 'more' | 'done' | ServoBusError;

/** One request and how to read its answers. */
export interface TransactionPlan<P> {
  /** Short description for error messages, e.g. 'sync read of ids 1-6'. */
  readonly what: string;
  readonly bytes: Uint8Array;
  /** Whether any packet answers; without, the transaction ends once the bytes are handed over (plus `holdMs`). */
  readonly expectsReply: boolean;
  /** Time allowed for the answers [ms] (see `transactionTimeoutMs`). */
  readonly timeoutMs: number;
  /** Without a reply: how long the bus stays reserved after sending [ms] (a restarting servo). */
  readonly holdMs?: number;
  /** Takes each packet that arrives. */
  onPacket(packet: P): PacketVerdict;
  /** Ids still expected (for the failure's `missingIds`); none at the timeout ends the transaction without error. */
  missingIds(): number[];
  /**
   * At the timeout, the bytes of the incomplete packet the parser held: returns true when they are
   * the valid beginning of an expected answer (then they do not count as corrupt; the plan has taken
   * what they prove, e.g. the servos that did answer a Fast Sync Read).
   */
  onPartial?(bytes: Uint8Array): boolean;
}

/** Counters of a transactor. */
export interface TransactorStats {
  transactions: number;
  timeouts: number;
  corrupt: number;
  statusErrors: number;
  /** Packets that arrived while no transaction was waiting, or that the transaction did not want. */
  unsolicited: number;
}

/** Inputs of the per-transaction timeout. */
export interface TimeoutInputs {
  baudRate: number;
  /** Bytes of the request. */
  txBytes: number;
  /** Bytes of all expected answers. */
  rxBytes: number;
  /** Answers expected (each waits its servo's return delay). */
  replies: number;
  returnDelayUs: number;
  /** USB-serial latency timer [ms] (FTDI default 16). */
  latencyMs: number;
}

/** The host's share of the SDKs' `setPacketTimeout` allowance (DynamixelSDK `port_handler.py`: the 2 ms beyond the latency timer) [ms]. */
const HOST_ALLOWANCE_MS = 2;

/**
 * Timeout of one transaction [ms]: the wire time of request and answers at 10 bits per byte (start,
 * 8 data, stop), each answer's return delay, and the allowance of the SDKs' `setPacketTimeout`
 * (DynamixelSDK `port_handler.py`: twice the latency timer plus 2 ms).
 */
export function transactionTimeoutMs(t: TimeoutInputs): number {
  const byteMs = 10_000 / t.baudRate;
  return (t.txBytes + t.rxBytes) * byteMs + (t.replies * t.returnDelayUs) / 1000 + 2 * t.latencyMs + HOST_ALLOWANCE_MS;
}

interface Running<P> {
  plan: TransactionPlan<P>;
  resolve(): void;
  reject(error: Error): void;
  cancelTimer: () => void;
  bytesDroppedBefore: number;
  dropsBefore: ParserStats['drops'];
  /** The answers were given their timeout again once, because the host saw the deadline late. */
  extended: boolean;
}

/** Serialises transactions over one link. */
export class Transactor<P> {
  readonly stats: TransactorStats = { transactions: 0, timeouts: 0, corrupt: 0, statusErrors: 0, unsolicited: 0 };
  private readonly parser: StreamParser;
  private readonly unsubscribe: () => void;
  private tail: Promise<void> = Promise.resolve();
  private running: Running<P> | null = null;
  private closed = false;
  private flushed: Uint8Array | null = null;

  constructor(
    private readonly link: ByteDuplex,
    private readonly clock: Clock,
    makeParser: (onPacket: (packet: P) => void, onDrop: (drop: Drop) => void) => StreamParser,
  ) {
    this.parser = makeParser(
      (packet) => this.onPacket(packet),
      (drop) => this.onDrop(drop),
    );
    this.unsubscribe = link.onData((bytes) => this.parser.push(bytes));
  }

  /** Parser counters (bytes, packets, drops by reason). */
  get parserStats(): ParserStats {
    return this.parser.stats;
  }

  /** Queues a transaction; resolves when its answers are in, rejects with a `ServoBusError`. */
  run(plan: TransactionPlan<P>): Promise<void> {
    const result = this.tail.then(() => this.start(plan));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** The parser's report of a dropped frame: keeps the bytes of a flushed one for `onPartial`. */
  private onDrop(drop: Drop): void {
    if (drop.reason === 'flushed' && drop.bytes !== undefined) this.flushed = drop.bytes;
  }

  /** Stops listening; the running and queued transactions fail with kind 'closed'. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    const running = this.running;
    if (running !== null) this.finish(running, new ServoBusError('closed', `${running.plan.what}: the bus was closed`));
  }

  private start(plan: TransactionPlan<P>): Promise<void> {
    if (this.closed) return Promise.reject(new ServoBusError('closed', `${plan.what}: the bus is closed`));
    return new Promise<void>((resolve, reject) => {
      this.stats.transactions++;
      this.parser.reset();
      const running: Running<P> = {
        plan,
        resolve,
        reject,
        cancelTimer: () => undefined,
        bytesDroppedBefore: this.parser.stats.bytesDropped,
        dropsBefore: { ...this.parser.stats.drops },
        extended: false,
      };
      this.running = running;
      this.link.write(plan.bytes);
      if (!plan.expectsReply) {
        const holdMs = plan.holdMs ?? 0;
        if (holdMs <= 0) this.finish(running, null);
        else running.cancelTimer = this.clock.setTimer(() => this.finish(running, null), holdMs);
        return;
      }
      this.armTimeout(running, this.clock.nowMs() + plan.timeoutMs);
    });
  }

  /** Fails `running` at `deadlineMs` unless the host was late to see the deadline (see the top of this file). */
  private armTimeout(running: Running<P>, deadlineMs: number): void {
    running.cancelTimer = this.clock.setTimer(() => {
      const nowMs = this.clock.nowMs();
      if (nowMs < deadlineMs) this.armTimeout(running, deadlineMs);
      else if (nowMs - deadlineMs > HOST_ALLOWANCE_MS && !running.extended) {
        // Once only: a host late at every deadline must still see a missing servo fail its transaction.
        running.extended = true;
        this.armTimeout(running, nowMs + running.plan.timeoutMs);
      } else this.clock.afterIo(() => this.expire(running));
    }, deadlineMs - this.clock.nowMs());
  }

  private onPacket(packet: P): void {
    const running = this.running;
    if (running === null || !running.plan.expectsReply) {
      this.stats.unsolicited++;
      return;
    }
    const verdict = running.plan.onPacket(packet);
    if (verdict === 'done') this.finish(running, null);
    else if (verdict instanceof ServoBusError) {
      if (verdict.kind === 'status') this.stats.statusErrors++;
      else this.stats.corrupt++;
      this.finish(running, verdict);
    }
  }

  private expire(running: Running<P>): void {
    if (this.running !== running) return;
    this.flushed = null;
    this.parser.reset();
    const partial = this.flushed as Uint8Array | null;
    const explained = partial !== null && running.plan.onPartial !== undefined && running.plan.onPartial(partial) ? partial.length : 0;
    const missingIds = running.plan.missingIds();
    const corrupt = this.parser.stats.bytesDropped - explained > running.bytesDroppedBefore;
    const rejected = dropsSince(running.dropsBefore, this.parser.stats.drops);
    const ids = missingIds.join(', ');
    const timeoutMs = running.plan.timeoutMs.toFixed(2);
    // A plan that collects answers until its time is up (a broadcast Ping) ends well when it misses none.
    if (!corrupt && missingIds.length === 0) {
      this.finish(running, null);
      return;
    }
    if (corrupt) {
      this.stats.corrupt++;
      const reasons = Object.entries(rejected)
        .map(([reason, count]) => `${count} ${reason}`)
        .join(', ');
      this.finish(
        running,
        new ServoBusError('corrupt', `${running.plan.what}: no valid status from id(s) ${ids} within ${timeoutMs} ms; dropped ${reasons}`, {
          missingIds,
          rejected,
        }),
      );
    } else {
      this.stats.timeouts++;
      this.finish(
        running,
        new ServoBusError('timeout', `${running.plan.what}: no status from id(s) ${ids} within ${timeoutMs} ms`, { missingIds }),
      );
    }
  }

  private finish(running: Running<P>, error: Error | null): void {
    if (this.running !== running) return;
    this.running = null;
    running.cancelTimer();
    if (error === null) running.resolve();
    else running.reject(error);
  }
}
