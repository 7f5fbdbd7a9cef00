/**
 * Feetech SCS/STS packets (protocol description, sections 2 and 3):
 *
 *     FF FF | id | length | instruction (or error, in a response) | parameters ... | checksum
 *
 * `length` counts the parameters plus 2 (instruction or error, and checksum). Multi-byte parameters
 * follow the servo's byte order (STS little endian); addresses and lengths are single bytes.
 */
import { BROADCAST_ID, HEADER, Instruction, MAX_ID, MAX_LENGTH_FIELD } from './constants.js';
import { feetechChecksum } from './checksum.js';

/** An instruction packet. */
export interface FtInstructionPacket {
  readonly id: number;
  readonly instruction: number;
  readonly params: Uint8Array;
}

/** A response (status) packet. */
export interface FtStatusPacket {
  readonly id: number;
  /** Status byte: the servo's error bits (see `errors.ts`). */
  readonly error: number;
  readonly params: Uint8Array;
}

/** A packet as the parser delivers it: the byte after the length is `code` (instruction or status). */
export interface FtPacket {
  readonly id: number;
  readonly code: number;
  readonly params: Uint8Array;
}

function frame(id: number, code: number, params: Uint8Array): Uint8Array {
  const length = params.length + 2;
  if (length > MAX_LENGTH_FIELD) throw new RangeError(`Feetech length field ${length} exceeds ${MAX_LENGTH_FIELD}`);
  const out = new Uint8Array(4 + length);
  out.set(HEADER, 0);
  out[2] = id;
  out[3] = length;
  out[4] = code;
  out.set(params, 5);
  out[out.length - 1] = feetechChecksum(out, 2, out.length - 1);
  return out;
}

function checkId(id: number, allowBroadcast: boolean): void {
  const ok = Number.isInteger(id) && ((id >= 0 && id <= MAX_ID) || (allowBroadcast && id === BROADCAST_ID));
  if (!ok) throw new RangeError(`Feetech ids are 0..${MAX_ID}${allowBroadcast ? ' or 254 (broadcast)' : ''}; got ${id}`);
}

/** Encodes an instruction packet. */
export function encodeInstruction(packet: FtInstructionPacket): Uint8Array {
  checkId(packet.id, true);
  return frame(packet.id, packet.instruction, packet.params);
}

/** Encodes a response packet. */
export function encodeStatus(packet: FtStatusPacket): Uint8Array {
  checkId(packet.id, false);
  if (packet.error < 0 || packet.error > 0x7f) throw new RangeError(`status byte must be 0..127; got ${packet.error}`);
  return frame(packet.id, packet.error, packet.params);
}

/** Why `decodeFrame` refused bytes. */
export type FtFrameError = 'short' | 'header' | 'length' | 'checksum';

/** Decodes one whole packet (exactly its bytes). */
export function decodeFrame(bytes: Uint8Array): { ok: true; packet: FtPacket } | { ok: false; error: FtFrameError } {
  if (bytes.length < 6) return { ok: false, error: 'short' };
  if (bytes[0] !== 0xff || bytes[1] !== 0xff) return { ok: false, error: 'header' };
  if (bytes[3] + 4 !== bytes.length) return { ok: false, error: 'length' };
  if (feetechChecksum(bytes, 2, bytes.length - 1) !== bytes[bytes.length - 1]) return { ok: false, error: 'checksum' };
  return { ok: true, packet: packetOfFrame(bytes, 0, bytes.length) };
}

/** The packet in the checked frame `bytes[at, at + length)`. */
export function packetOfFrame(bytes: Uint8Array, at: number, length: number): FtPacket {
  return { id: bytes[at + 2], code: bytes[at + 4], params: bytes.slice(at + 5, at + length - 1) };
}

/** A delivered packet read as a response. */
export function asStatus(packet: FtPacket): FtStatusPacket {
  return { id: packet.id, error: packet.code, params: packet.params };
}

/** Ping (0x01). */
export function pingPacket(id: number): FtInstructionPacket {
  return { id, instruction: Instruction.PING, params: new Uint8Array(0) };
}

/** Read (0x02) of `length` bytes from `address`. */
export function readPacket(id: number, address: number, length: number): FtInstructionPacket {
  return { id, instruction: Instruction.READ, params: Uint8Array.of(address, length) };
}

/** Write (0x03) of `data` at `address`. */
export function writePacket(id: number, address: number, data: Uint8Array): FtInstructionPacket {
  return { id, instruction: Instruction.WRITE, params: Uint8Array.of(address, ...data) };
}

/** Reg Write (0x04): stored until Action. */
export function regWritePacket(id: number, address: number, data: Uint8Array): FtInstructionPacket {
  return { id, instruction: Instruction.REG_WRITE, params: Uint8Array.of(address, ...data) };
}

/** Action (0x05). */
export function actionPacket(id: number): FtInstructionPacket {
  return { id, instruction: Instruction.ACTION, params: new Uint8Array(0) };
}

/** Reboot (0x08): no response; the servo restarts in about 800 ms. */
export function rebootPacket(id: number): FtInstructionPacket {
  return { id, instruction: Instruction.REBOOT, params: new Uint8Array(0) };
}

/** Sync Read (0x82, broadcast): `length` bytes from `address` of each of `ids`, answered in that order. */
export function syncReadPacket(address: number, length: number, ids: readonly number[]): FtInstructionPacket {
  for (const id of ids) checkId(id, false);
  return { id: BROADCAST_ID, instruction: Instruction.SYNC_READ, params: Uint8Array.of(address, length, ...ids) };
}

/** Sync Write (0x83, broadcast): `data[k]` (each `length` bytes) to `address` of `ids[k]`. */
export function syncWritePacket(address: number, length: number, ids: readonly number[], data: readonly Uint8Array[]): FtInstructionPacket {
  if (ids.length !== data.length) throw new RangeError(`sync write: ${ids.length} ids but ${data.length} data blocks`);
  const params = new Uint8Array(2 + ids.length * (1 + length));
  params[0] = address;
  params[1] = length;
  ids.forEach((id, k) => {
    checkId(id, false);
    if (data[k].length !== length) throw new RangeError(`sync write: data for id ${id} has ${data[k].length} bytes, not ${length}`);
    params[2 + k * (1 + length)] = id;
    params.set(data[k], 3 + k * (1 + length));
  });
  return { id: BROADCAST_ID, instruction: Instruction.SYNC_WRITE, params };
}
