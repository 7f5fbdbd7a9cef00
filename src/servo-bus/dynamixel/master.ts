/**
 * The host's side of a Dynamixel Protocol 2.0 bus: typed, asynchronous transactions over an injected
 * byte link and clock, one at a time (`shared/transactor.ts`).
 *
 * Every answer is checked: a status packet with an error number fails the call with a `status`
 * `ServoBusError` (id, number, name); the Alert bit alone does not fail it (the data is valid) but is
 * returned with the values, and `hardwareError(id)` reads and decodes Hardware Error Status. Status
 * packets from ids that were not asked are ignored, as DynamixelSDK's `txRxPacket` does.
 */
import type { Clock } from '../../core/clock.js';
import { BROADCAST_ID, HEADER, Instruction, MAX_ID, PREFIX_LENGTH } from './constants.js';
import { crc16 } from './crc.js';
import { decodeHardwareError, decodeStatusError } from './errors.js';
import { decodeFastSyncStatus, type FastSyncSegment } from './fast-sync-read.js';
import {
  asStatus,
  encodeInstruction,
  fastSyncReadPacket,
  pingPacket,
  readPacket,
  rebootPacket,
  syncReadPacket,
  syncWritePacket,
  writePacket,
  type DxlInstructionPacket,
  type DxlPacket,
} from './packet.js';
import { DxlParser } from './parser.js';
import { decodeRegister, decodeSpan, encodeRegister, registerOf, spanOf, type ControlTable } from '../shared/control-table.js';
import { ServoBusError } from '../shared/errors.js';
import type { ByteDuplex } from '../shared/link.js';
import type { ParserStats } from '../shared/parser-stats.js';
import { Transactor, transactionTimeoutMs, type PacketVerdict, type TransactorStats } from '../shared/transactor.js';

/** Options of a `DxlBus`. */
export interface DxlBusOptions {
  link: ByteDuplex;
  clock: Clock;
  /** Baud rate of the link [bit/s] (for the timeouts). */
  baudRate: number;
  /** The model of each servo id (register names resolve through it). */
  servos: ReadonlyMap<number, ControlTable>;
  /** Return delay assumed per answer [us]; default 500 (Return Delay Time's factory value 250 x 2 us). */
  returnDelayUs?: number;
  /** USB-serial latency timer [ms]; default 16 (FTDI's default). */
  latencyMs?: number;
}

/** Answer to Ping. */
export interface DxlPingResult {
  modelNumber: number;
  firmwareVersion: number;
  /** The servo reports a hardware error (Alert bit). */
  alert: boolean;
}

/** One servo's part of a sync read. */
export interface DxlSyncReadEntry {
  /** Every register of the servo's table lying wholly inside the span read, decoded. */
  values: Record<string, number>;
  alert: boolean;
}

/** Bus master for Dynamixel Protocol 2.0. */
export class DxlBus {
  private readonly transactor: Transactor<DxlPacket>;
  private readonly returnDelayUs: number;
  private readonly latencyMs: number;

  constructor(private readonly options: DxlBusOptions) {
    this.returnDelayUs = options.returnDelayUs ?? 500;
    this.latencyMs = options.latencyMs ?? 16;
    this.transactor = new Transactor<DxlPacket>(
      options.link,
      options.clock,
      (onPacket, onDrop) => new DxlParser({ role: 'host', onDrop }, onPacket),
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

  /** Ping: model number and firmware version of servo `id`. */
  async ping(id: number): Promise<DxlPingResult> {
    const params = await this.unicast(pingPacket(id), 3, `ping of id ${id}`);
    return { modelNumber: params.data[0] | (params.data[1] << 8), firmwareVersion: params.data[2], alert: params.alert };
  }

  /**
   * Ping to the broadcast id: every servo on the bus answers, in id order (e-manual, Protocol 2.0,
   * Ping, example 2). Waits for as many answers as the bus can hold (ids 0-252), each after its
   * Return Delay Time.
   */
  async broadcastPing(): Promise<Map<number, DxlPingResult>> {
    const bytes = encodeInstruction(pingPacket(BROADCAST_ID));
    const found = new Map<number, DxlPingResult>();
    await this.transactor.run({
      what: 'broadcast ping',
      bytes,
      expectsReply: true,
      timeoutMs: this.timeout(bytes.length, (MAX_ID + 1) * (PREFIX_LENGTH + 4 + 3), MAX_ID + 1),
      onPacket: (p) => {
        const status = asStatus(p);
        if (status === null || status.params.length !== 3 || found.has(status.id)) return 'more';
        const data = status.params;
        found.set(status.id, {
          modelNumber: data[0] | (data[1] << 8),
          firmwareVersion: data[2],
          alert: decodeStatusError(status.error).alert,
        });
        return 'more';
      },
      missingIds: () => [],
    });
    return found;
  }

  /** Reads register `name` of servo `id`. */
  async read(id: number, name: string): Promise<{ value: number; alert: boolean }> {
    const table = this.tableOf(id);
    const spec = registerOf(table, name);
    const answer = await this.unicast(readPacket(id, spec.address, spec.size), spec.size, `read of ${name} from id ${id}`);
    return { value: decodeRegister(table, spec, answer.data, spec.address), alert: answer.alert };
  }

  /** Writes `value` to register `name` of servo `id` and waits for its status packet. */
  async write(id: number, name: string, value: number): Promise<{ alert: boolean }> {
    const table = this.tableOf(id);
    const spec = registerOf(table, name);
    const answer = await this.unicast(
      writePacket(id, spec.address, encodeRegister(table, spec, value)),
      0,
      `write of ${name} = ${value} to id ${id}`,
    );
    return { alert: answer.alert };
  }

  /** Reads Hardware Error Status (70) of servo `id`, in words (empty when none). */
  async hardwareError(id: number): Promise<string[]> {
    return decodeHardwareError((await this.read(id, 'hardwareErrorStatus')).value);
  }

  /** Reboot of servo `id` (answered before it restarts). */
  async reboot(id: number): Promise<{ alert: boolean }> {
    const answer = await this.unicast(rebootPacket(id), 0, `reboot of id ${id}`);
    return { alert: answer.alert };
  }

  /**
   * Sync Read (or Fast Sync Read with `fast`) of the span covering registers `names` (named in the
   * first id's table) from every id; each entry decodes the span with its own servo's table, so
   * mixed models work (XL430 Present Load and XL330 Present Current share address 126).
   */
  async syncRead(
    ids: readonly number[],
    names: readonly string[],
    options: { fast?: boolean } = {},
  ): Promise<Map<number, DxlSyncReadEntry>> {
    if (ids.length === 0) throw new RangeError('sync read needs at least one id');
    if (new Set(ids).size !== ids.length) throw new RangeError(`sync read ids must be distinct: ${ids.join(', ')}`);
    for (const id of ids) this.tableOf(id);
    const { address, length } = spanOf(this.tableOf(ids[0]), names);
    return options.fast ? this.fastSyncRead(ids, address, length) : this.plainSyncRead(ids, address, length);
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
    if (table === undefined) throw new RangeError(`no model known for Dynamixel id ${id}`);
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

  /** One instruction to one id, one status packet back with `dataLength` parameter bytes expected. */
  private async unicast(packet: DxlInstructionPacket, dataLength: number, what: string): Promise<{ data: Uint8Array; alert: boolean }> {
    if (packet.id === BROADCAST_ID) throw new RangeError(`${what}: use a servo id, not the broadcast id`);
    const bytes = encodeInstruction(packet);
    let result: { data: Uint8Array; alert: boolean } | null = null;
    await this.transactor.run({
      what,
      bytes,
      expectsReply: true,
      timeoutMs: this.timeout(bytes.length, PREFIX_LENGTH + 4 + dataLength, 1),
      onPacket: (p) => {
        const status = asStatus(p);
        if (status === null || status.id !== packet.id) return 'more';
        const failure = statusFailure(what, status.id, status.error);
        if (failure !== null) return failure;
        if (status.params.length !== dataLength)
          return new ServoBusError('corrupt', `${what}: id ${status.id} sent ${status.params.length} bytes, not ${dataLength}`, {
            missingIds: [status.id],
          });
        result = { data: status.params, alert: decodeStatusError(status.error).alert };
        return 'done';
      },
      missingIds: () => (result === null ? [packet.id] : []),
    });
    if (result === null) throw new Error(`${what}: finished without a status`);
    return result;
  }

  private async plainSyncRead(ids: readonly number[], address: number, length: number): Promise<Map<number, DxlSyncReadEntry>> {
    const bytes = encodeInstruction(syncReadPacket(address, length, ids));
    const entries = new Map<number, DxlSyncReadEntry>();
    const what = `sync read of ${length} bytes at ${address} from id(s) ${ids.join(', ')}`;
    await this.transactor.run({
      what,
      bytes,
      expectsReply: true,
      timeoutMs: this.timeout(bytes.length, ids.length * (PREFIX_LENGTH + 4 + length), ids.length),
      onPacket: (p): PacketVerdict => {
        const status = asStatus(p);
        if (status === null || !ids.includes(status.id) || entries.has(status.id)) return 'more';
        const failure = statusFailure(what, status.id, status.error);
        if (failure !== null) return failure;
        if (status.params.length !== length)
          return new ServoBusError('corrupt', `${what}: id ${status.id} sent ${status.params.length} bytes, not ${length}`, {
            missingIds: [status.id],
          });
        entries.set(status.id, {
          values: decodeSpan(this.tableOf(status.id), status.params, address),
          alert: decodeStatusError(status.error).alert,
        });
        return entries.size === ids.length ? 'done' : 'more';
      },
      missingIds: () => ids.filter((id) => !entries.has(id)),
    });
    return new Map(ids.map((id) => [id, entries.get(id) as DxlSyncReadEntry]));
  }

  private async fastSyncRead(ids: readonly number[], address: number, length: number): Promise<Map<number, DxlSyncReadEntry>> {
    const bytes = encodeInstruction(fastSyncReadPacket(address, length, ids));
    const entries = new Map<number, DxlSyncReadEntry>();
    const what = `fast sync read of ${length} bytes at ${address} from id(s) ${ids.join(', ')}`;
    await this.transactor.run({
      what,
      bytes,
      expectsReply: true,
      timeoutMs: this.timeout(bytes.length, PREFIX_LENGTH + 1 + ids.length * (length + 4), 1),
      onPacket: (p): PacketVerdict => {
        if (p.id !== BROADCAST_ID || asStatus(p) === null) return 'more';
        const segments = decodeFastSyncStatus(p.params, length);
        if (segments === null || segments.length !== ids.length || segments.some((s, k) => s.id !== ids[k])) {
          return new ServoBusError('corrupt', `${what}: the combined status packet does not list the ids asked`, { missingIds: [...ids] });
        }
        for (const segment of segments) {
          const failure = statusFailure(what, segment.id, segment.error);
          if (failure !== null) return failure;
          entries.set(segment.id, {
            values: decodeSpan(this.tableOf(segment.id), segment.data, address),
            alert: decodeStatusError(segment.error).alert,
          });
        }
        return 'done';
      },
      missingIds: () => ids.filter((id) => !entries.has(id)),
      onPartial: (partial) => {
        const segments = fastSyncPrefix(partial, length);
        if (segments === null || segments.some((s, k) => s.id !== ids[k])) return false;
        for (const segment of segments)
          entries.set(segment.id, {
            values: decodeSpan(this.tableOf(segment.id), segment.data, address),
            alert: decodeStatusError(segment.error).alert,
          });
        return true;
      },
    });
    return new Map(ids.map((id) => [id, entries.get(id) as DxlSyncReadEntry]));
  }
}

/**
 * The servo parts proven by the beginning of a Fast Sync Read status packet that never completed
 * (a listed servo did not add its part): each part up to its inner CRC, which must match the running
 * CRC; null when the bytes are not such a beginning.
 */
function fastSyncPrefix(bytes: Uint8Array, dataLength: number): FastSyncSegment[] | null {
  const stride = dataLength + 4;
  const start = PREFIX_LENGTH + 1;
  if (bytes.length < start || (bytes.length - start) % stride !== 0) return null;
  for (let i = 0; i < HEADER.length; i++) if (bytes[i] !== HEADER[i]) return null;
  if (bytes[4] !== BROADCAST_ID || bytes[PREFIX_LENGTH] !== Instruction.STATUS) return null;
  const segments: FastSyncSegment[] = [];
  for (let at = start; at < bytes.length; at += stride) {
    const end = at + 2 + dataLength;
    if (crc16(bytes, 0, end) !== (bytes[end] | (bytes[end + 1] << 8))) return null;
    segments.push({ error: bytes[at], id: bytes[at + 1], data: bytes.slice(at + 2, end) });
  }
  return segments;
}

/** A `status` error for an error field with an error number, else null. */
function statusFailure(what: string, id: number, error: number): ServoBusError | null {
  const decoded = decodeStatusError(error);
  if (decoded.errorNumber === 0) return null;
  return new ServoBusError(
    'status',
    `${what}: id ${id} answered ${decoded.errorName}${decoded.alert ? ' (and a hardware error alert)' : ''}`,
    {
      id,
      errorNumber: decoded.errorNumber,
      errorName: decoded.errorName,
      alert: decoded.alert,
    },
  );
}
