/**
 * Dynamixel Protocol 2.0 byte stream -> packets, incrementally (see `shared/frame-scanner.ts` for how
 * it resynchronises and stays bounded). The reception rules follow the e-manual ("Processing Order
 * of Reception") and DynamixelSDK `protocol2_packet_handler.py` (`rxPacket`):
 * - a header is FF FF FD followed by anything but FD (FF FF FD FD is stuffing, not a header);
 * - the reserved byte must be 00, the id 0..252 or 254, the length at least 3 (instruction) or 4
 *   (status) and the packet at most `maxPacketLength` bytes;
 * - the host side takes only status packets (instruction 0x55), a servo only instruction packets;
 * - the CRC is checked on the stuffed bytes, then the stuffing is removed (not in Fast Sync Read
 *   status packets, id 254, which are never stuffed).
 */
import { BROADCAST_ID, Instruction, MAX_ID, MAX_PACKET_LENGTH, PREFIX_LENGTH } from './constants.js';
import { crc16 } from './crc.js';
import { packetOfFrame, type DxlPacket } from './packet.js';
import { FrameScanner, type FrameFormat } from '../shared/frame-scanner.js';
import type { Drop, ParserStats } from '../shared/parser-stats.js';

/** Which packets a parser takes: a host takes status packets, a servo instruction packets. */
export type DxlParserRole = 'host' | 'device';

/** Options of `DxlParser`. */
export interface DxlParserOptions {
  role: DxlParserRole;
  /** Largest packet accepted [bytes], header and CRC included; default 1024 (DynamixelSDK). */
  maxPacketLength?: number;
  /** Called for every dropped frame or run of garbage. */
  onDrop?: (drop: Drop) => void;
}

const MAGIC = [0xff, 0xff, 0xfd] as const;

function dxlFormat(role: DxlParserRole, maxPacketLength: number): FrameFormat<DxlPacket> {
  const minLength = role === 'host' ? 4 : 3;
  return {
    magicLength: 4,
    headerLength: PREFIX_LENGTH + 1,
    maxFrameLength: maxPacketLength,
    magicAt: (b, at) => b[at] === 0xff && b[at + 1] === 0xff && b[at + 2] === 0xfd && b[at + 3] !== 0xfd,
    magicPrefixAt: (b, at, end) => {
      for (let i = at; i < end; i++) if (b[i] !== MAGIC[i - at]) return false;
      return true;
    },
    frameLength: (b, at) => {
      const id = b[at + 4];
      const length = b[at + 5] | (b[at + 6] << 8);
      const instruction = b[at + 7];
      if (b[at + 3] !== 0x00) return -1;
      if (id > MAX_ID && id !== BROADCAST_ID) return -1;
      if (length < minLength || PREFIX_LENGTH + length > maxPacketLength) return -1;
      if ((instruction === Instruction.STATUS) !== (role === 'host')) return -1;
      return PREFIX_LENGTH + length;
    },
    frameValid: (b, at, length) => {
      const crc = b[at + length - 2] | (b[at + length - 1] << 8);
      return crc16(b, at, at + length - 2) === crc;
    },
    decode: (b, at, length) => packetOfFrame(b, at, length),
    idAt: (b, at) => b[at + 4],
  };
}

/** Incremental Dynamixel packet parser for one side of the bus. */
export class DxlParser {
  private readonly scanner: FrameScanner<DxlPacket>;

  constructor(options: DxlParserOptions, onPacket: (packet: DxlPacket) => void) {
    const maxPacketLength = options.maxPacketLength ?? MAX_PACKET_LENGTH;
    if (!Number.isInteger(maxPacketLength) || maxPacketLength < PREFIX_LENGTH + 4 || maxPacketLength > PREFIX_LENGTH + 0xffff) {
      throw new RangeError(`maxPacketLength must be an integer in ${PREFIX_LENGTH + 4}..${PREFIX_LENGTH + 0xffff}; got ${maxPacketLength}`);
    }
    this.scanner = new FrameScanner(dxlFormat(options.role, maxPacketLength), onPacket, options.onDrop);
  }

  /** Counters since creation. */
  get stats(): ParserStats {
    return this.scanner.stats;
  }

  /** Bytes held in an incomplete packet. */
  get pending(): number {
    return this.scanner.pending;
  }

  /** Feeds bytes; packets are delivered synchronously, in order. */
  push(bytes: Uint8Array): void {
    this.scanner.push(bytes);
  }

  /** Drops an incomplete packet (counted as 'flushed'). */
  reset(): void {
    this.scanner.reset();
  }
}
