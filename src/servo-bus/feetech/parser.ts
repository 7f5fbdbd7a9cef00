/**
 * Feetech byte stream -> packets, incrementally (see `shared/frame-scanner.ts` for resynchronisation
 * and bounds). Reception rules of the SDK's `rxPacket` (`protocol_packet_handler.py`): a header is
 * FF FF; the id must be at most 0xFD (0xFE too for instruction packets, the broadcast id), the length
 * field at most 250 (and at least 2), and a response's status byte at most 0x7F; then the checksum.
 */
import { BROADCAST_ID, MAX_ID, MAX_LENGTH_FIELD } from './constants.js';
import { feetechChecksum } from './checksum.js';
import { packetOfFrame, type FtPacket } from './packet.js';
import { FrameScanner, type FrameFormat } from '../shared/frame-scanner.js';
import type { Drop, ParserStats } from '../shared/parser-stats.js';

/** Which packets a parser takes: a host takes responses, a servo instruction packets. */
export type FtParserRole = 'host' | 'device';

/** Options of `FtParser`. */
export interface FtParserOptions {
  role: FtParserRole;
  onDrop?: (drop: Drop) => void;
}

function ftFormat(role: FtParserRole): FrameFormat<FtPacket> {
  return {
    magicLength: 2,
    headerLength: 5,
    maxFrameLength: MAX_LENGTH_FIELD + 4,
    magicAt: (b, at) => b[at] === 0xff && b[at + 1] === 0xff,
    magicPrefixAt: (b, at, end) => end - at === 1 && b[at] === 0xff,
    frameLength: (b, at) => {
      const id = b[at + 2];
      const length = b[at + 3];
      if (id > MAX_ID && !(role === 'device' && id === BROADCAST_ID)) return -1;
      if (length < 2 || length > MAX_LENGTH_FIELD) return -1;
      if (role === 'host' && b[at + 4] > 0x7f) return -1;
      return length + 4;
    },
    frameValid: (b, at, length) => feetechChecksum(b, at + 2, at + length - 1) === b[at + length - 1],
    decode: (b, at, length) => packetOfFrame(b, at, length),
    idAt: (b, at) => b[at + 2],
  };
}

/** Incremental Feetech packet parser for one side of the bus. */
export class FtParser {
  private readonly scanner: FrameScanner<FtPacket>;

  constructor(options: FtParserOptions, onPacket: (packet: FtPacket) => void) {
    this.scanner = new FrameScanner(ftFormat(options.role), onPacket, options.onDrop);
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
