/**
 * The host's side of a Feetech SCS/STS bus: typed, asynchronous transactions over an injected byte
 * link and clock, one at a time (`shared/transactor.ts`). A response's status byte carries the
 * servo's error bits (voltage, angle sensor, overheat, overcurrent, overload); it never fails a call —
 * the data is valid — and is returned, decoded, with the values.
 */
import type { Clock } from '../../core/clock.js';
import { BROADCAST_ID, REBOOT_MS } from './constants.js';
import { decodeFeetechStatus } from './errors.js';
import {
  asStatus,
  encodeInstruction,
  pingPacket,
  readPacket,
  rebootPacket,
  syncReadPacket,
  syncWritePacket,
  writePacket,
  type FtInstructionPacket,
  type FtPacket,
} from './packet.js';
import { FtParser } from './parser.js';
import { decodeRegister, decodeSpan, encodeRegister, registerOf, spanOf, type ControlTable } from '../shared/control-table.js';
import { ServoBusError } from '../shared/errors.js';
import type { ByteDuplex } from '../shared/link.js';
import type { ParserStats } from '../shared/parser-stats.js';
import { Transactor, transactionTimeoutMs, type PacketVerdict, type TransactorStats } from '../shared/transactor.js';

/** Options of an `FtBus`. */
export interface FtBusOptions {
  link: ByteDuplex;
  clock: Clock;
  /** Baud rate of the link [bit/s] (STS default 1 000 000). */
  baudRate: number;
  /** The model of each servo id. */
  servos: ReadonlyMap<number, ControlTable>;
  /** Return delay assumed per answer [us]; default 0 (Return Delay Time is not functional on STS). */
  returnDelayUs?: number;
  /** USB-serial latency timer [ms]; default 16. */
  latencyMs?: number;
}

/** A response's status byte. */
export interface FtStatusInfo {
  /** The raw status byte. */
  status: number;
  /** Its error bits in words (empty when none). */
  errors: string[];
}

/** Answer to `ping`. */
export interface FtPingResult extends FtStatusInfo {
  modelNumber: number;
  firmwareMajor: number;
  firmwareMinor: number;
}

/** One servo's part of a sync read. */
export interface FtSyncReadEntry extends FtStatusInfo {
  /** Every register of the servo's table lying wholly inside the span read, decoded. */
  values: Record<string, number>;
}

function info(status: number): FtStatusInfo {
  return { status, errors: decodeFeetechStatus(status) };
}

/** Bus master for Feetech SCS/STS servos. */
export class FtBus {
  private readonly transactor: Transactor<FtPacket>;
  private readonly returnDelayUs: number;
  private readonly latencyMs: number;

  constructor(private readonly options: FtBusOptions) {
    this.returnDelayUs = options.returnDelayUs ?? 0;
    this.latencyMs = options.latencyMs ?? 16;
    this.transactor = new Transactor<FtPacket>(
      options.link,
      options.clock,
      (onPacket, onDrop) => new FtParser({ role: 'host', onDrop }, onPacket),
    );
  }

  /** Transaction counters. */
  get stats(): TransactorStats {
    return this.transactor.stats;
  }

  /** Parser counters of the host side. */
  get parserStats(): ParserStats {
    return this.transactor.parserStats;
  }

  /** Stops listening to the link; pending calls fail with kind 'closed'. */
  close(): void {
    this.transactor.close();
  }

  /** Ping, then a read of addresses 0-4 (firmware version and model number), as the SDK's `ping` does. */
  async ping(id: number): Promise<FtPingResult> {
    await this.unicast(pingPacket(id), 0, `ping of id ${id}`);
    const answer = await this.unicast(readPacket(id, 0, 5), 5, `read of the model number of id ${id}`);
    const d = answer.data;
    return { modelNumber: d[3] | (d[4] << 8), firmwareMajor: d[0], firmwareMinor: d[1], ...info(answer.status) };
  }

  /** Reads register `name` of servo `id`. */
  async read(id: number, name: string): Promise<FtStatusInfo & { value: number }> {
    const table = this.tableOf(id);
    const spec = registerOf(table, name);
    const answer = await this.unicast(readPacket(id, spec.address, spec.size), spec.size, `read of ${name} from id ${id}`);
    return { value: decodeRegister(table, spec, answer.data, spec.address), ...info(answer.status) };
  }

  /** Writes `value` to register `name` of servo `id` and waits for its response (Response Level 1). */
  async write(id: number, name: string, value: number): Promise<FtStatusInfo> {
    const table = this.tableOf(id);
    const spec = registerOf(table, name);
    const answer = await this.unicast(
      writePacket(id, spec.address, encodeRegister(table, spec, value)),
      0,
      `write of ${name} = ${value} to id ${id}`,
    );
    return info(answer.status);
  }

  /** Reboot of servo `id`: not answered; the bus stays reserved for the ~800 ms restart. */
  async reboot(id: number): Promise<void> {
    const bytes = encodeInstruction(rebootPacket(id));
    await this.transactor.run({
      what: `reboot of id ${id}`,
      bytes,
      expectsReply: false,
      holdMs: REBOOT_MS,
      timeoutMs: 0,
      onPacket: () => 'more',
      missingIds: () => [],
    });
  }

  /** Sync Read of the span covering registers `names` (named in the first id's table) from every id. */
  async syncRead(ids: readonly number[], names: readonly string[]): Promise<Map<number, FtSyncReadEntry>> {
    if (ids.length === 0) throw new RangeError('sync read needs at least one id');
    if (new Set(ids).size !== ids.length) throw new RangeError(`sync read ids must be distinct: ${ids.join(', ')}`);
    for (const id of ids) this.tableOf(id);
    const { address, length } = spanOf(this.tableOf(ids[0]), names);
    const bytes = encodeInstruction(syncReadPacket(address, length, ids));
    const entries = new Map<number, FtSyncReadEntry>();
    const what = `sync read of ${length} bytes at ${address} from id(s) ${ids.join(', ')}`;
    await this.transactor.run({
      what,
      bytes,
      expectsReply: true,
      timeoutMs: this.timeout(bytes.length, ids.length * (6 + length), ids.length),
      onPacket: (p): PacketVerdict => {
        const status = asStatus(p);
        if (!ids.includes(status.id) || entries.has(status.id)) return 'more';
        if (status.params.length !== length)
          return new ServoBusError('corrupt', `${what}: id ${status.id} sent ${status.params.length} bytes, not ${length}`, {
            missingIds: [status.id],
          });
        entries.set(status.id, { values: decodeSpan(this.tableOf(status.id), status.params, address), ...info(status.error) });
        return entries.size === ids.length ? 'done' : 'more';
      },
      missingIds: () => ids.filter((id) => !entries.has(id)),
    });
    return new Map(ids.map((id) => [id, entries.get(id) as FtSyncReadEntry]));
  }

  /** Sync Write of `values[k]` to register `name` of `ids[k]` (no answer). */
  async syncWrite(ids: readonly number[], name: string, values: readonly number[]): Promise<void> {
    if (ids.length !== values.length) throw new RangeError(`sync write: ${ids.length} ids but ${values.length} values`);
    const specs = ids.map((id) => registerOf(this.tableOf(id), name));
    const { address, size } = specs[0];
    if (specs.some((spec) => spec.address !== address || spec.size !== size))
      throw new RangeError(`sync write: ${name} is not at the same address on every model`);
    const data = ids.map((id, k) => encodeRegister(this.tableOf(id), specs[k], values[k]));
    const bytes = encodeInstruction(syncWritePacket(address, size, ids, data));
    await this.transactor.run({
      what: `sync write of ${name}`,
      bytes,
      expectsReply: false,
      timeoutMs: 0,
      onPacket: () => 'more',
      missingIds: () => [],
    });
  }

  private tableOf(id: number): ControlTable {
    const table = this.options.servos.get(id);
    if (table === undefined) throw new RangeError(`no model known for Feetech id ${id}`);
    return table;
  }

  private timeout(txBytes: number, rxBytes: number, replies: number): number {
    return transactionTimeoutMs({
      baudRate: this.options.baudRate,
      txBytes,
      rxBytes,
      replies,
      returnDelayUs: this.returnDelayUs,
      latencyMs: this.latencyMs,
    });
  }

  private async unicast(packet: FtInstructionPacket, dataLength: number, what: string): Promise<{ data: Uint8Array; status: number }> {
    if (packet.id === BROADCAST_ID) throw new RangeError(`${what}: use a servo id, not the broadcast id`);
    const bytes = encodeInstruction(packet);
    let result: { data: Uint8Array; status: number } | null = null;
    await this.transactor.run({
      what,
      bytes,
      expectsReply: true,
      timeoutMs: this.timeout(bytes.length, 6 + dataLength, 1),
      onPacket: (p) => {
        if (p.id !== packet.id) return 'more';
        const status = asStatus(p);
        if (status.params.length !== dataLength)
          return new ServoBusError('corrupt', `${what}: id ${status.id} sent ${status.params.length} bytes, not ${dataLength}`, {
            missingIds: [status.id],
          });
        result = { data: status.params, status: status.error };
        return 'done';
      },
      missingIds: () => (result === null ? [packet.id] : []),
    });
    if (result === null) throw new Error(`${what}: finished without a response`);
    return result;
  }
}
