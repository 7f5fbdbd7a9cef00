/**
 * Dynamixel Protocol 2.0 packets (e-manual, "Instruction Packet", "Status Packet", "Packet Process"):
 *
 *     FF FF FD 00 | id | length (2, LE) | instruction | parameters ... | CRC (2, LE)
 *
 * `length` counts the instruction, the parameters after stuffing and the CRC (parameters + 3); a
 * status packet's instruction is 0x55 and its first parameter is the error field. Parameters of more
 * than one byte are little endian.
 *
 * The codecs here work on whole packets; `parser.ts` cuts a byte stream into them. Fast Sync Read
 * status packets (one packet for many servos, never stuffed) are in `fast-sync-read.ts`.
 */
import { BROADCAST_ID, HEADER, Instruction, MAX_ID, MAX_PACKET_LENGTH, PREFIX_LENGTH } from './constants.js';
import { crc16 } from './crc.js';
import { stuff, unstuff } from './stuffing.js';

/** An instruction packet, parameters without stuffing. */
export interface DxlInstructionPacket {
  readonly id: number;
  readonly instruction: number;
  readonly params: Uint8Array;
}

/** A status packet, parameters without stuffing. */
export interface DxlStatusPacket {
  readonly id: number;
  /** Error field: error number in bits 0-6, Alert in bit 7. */
  readonly error: number;
  readonly params: Uint8Array;
}

/** Any packet as the parser delivers it: `instruction` 0x55 is a status (its error field is `params[0]`). */
export interface DxlPacket {
  readonly id: number;
  readonly instruction: number;
  /** Parameters after the instruction byte, stuffing removed (a status packet's start with its error field). */
  readonly params: Uint8Array;
}

function checkId(id: number, allowBroadcast: boolean): void {
  const ok = Number.isInteger(id) && ((id >= 0 && id <= MAX_ID) || (allowBroadcast && id === BROADCAST_ID));
  if (!ok) throw new RangeError(`Dynamixel ids are 0..${MAX_ID}${allowBroadcast ? ' or 254 (broadcast)' : ''}; got ${id}`);
}

/**
 * The bytes of a packet with `instruction` and `payload` (parameters, unstuffed). `stuffing` false
 * leaves the payload as it is (Fast Sync Read status packets are sent without stuffing).
 */
export function encodeFrame(id: number, instruction: number, payload: Uint8Array, stuffing = true): Uint8Array {
  const body = new Uint8Array(1 + payload.length);
  body[0] = instruction;
  body.set(payload, 1);
  const stuffed = stuffing ? stuff(body) : body;
  const length = stuffed.length + 2;
  const packet = new Uint8Array(PREFIX_LENGTH + length);
  if (packet.length > MAX_PACKET_LENGTH) throw new RangeError(`packet of ${packet.length} bytes exceeds ${MAX_PACKET_LENGTH}`);
  packet.set(HEADER, 0);
  packet[4] = id;
  packet[5] = length & 0xff;
  packet[6] = length >> 8;
  packet.set(stuffed, PREFIX_LENGTH);
  const crc = crc16(packet, 0, packet.length - 2);
  packet[packet.length - 2] = crc & 0xff;
  packet[packet.length - 1] = crc >> 8;
  return packet;
}

/** Encodes an instruction packet (id 0..252 or broadcast 254). */
export function encodeInstruction(packet: DxlInstructionPacket): Uint8Array {
  checkId(packet.id, true);
  if (packet.instruction === Instruction.STATUS) throw new RangeError('0x55 is the status instruction');
  return encodeFrame(packet.id, packet.instruction, packet.params);
}

/** Encodes a status packet (id 0..252). */
export function encodeStatus(packet: DxlStatusPacket): Uint8Array {
  checkId(packet.id, false);
  const payload = new Uint8Array(1 + packet.params.length);
  payload[0] = packet.error;
  payload.set(packet.params, 1);
  return encodeFrame(packet.id, Instruction.STATUS, payload);
}

/** Why `decodeFrame` refused bytes. */
export type DxlFrameError = 'short' | 'header' | 'length' | 'crc';

/**
 * Decodes one whole packet (exactly the packet's bytes). Stuffing is removed, except in status
 * packets with the broadcast id (Fast Sync Read), which are never stuffed.
 */
export function decodeFrame(bytes: Uint8Array): { ok: true; packet: DxlPacket } | { ok: false; error: DxlFrameError } {
  if (bytes.length < PREFIX_LENGTH + 3) return { ok: false, error: 'short' };
  for (let i = 0; i < HEADER.length; i++) if (bytes[i] !== HEADER[i]) return { ok: false, error: 'header' };
  const length = bytes[5] | (bytes[6] << 8);
  if (PREFIX_LENGTH + length !== bytes.length) return { ok: false, error: 'length' };
  const crc = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);
  if (crc16(bytes, 0, bytes.length - 2) !== crc) return { ok: false, error: 'crc' };
  return { ok: true, packet: packetOfFrame(bytes, 0, bytes.length) };
}

/** The packet in the checked frame `bytes[at, at + length)`. */
export function packetOfFrame(bytes: Uint8Array, at: number, length: number): DxlPacket {
  const id = bytes[at + 4];
  const instruction = bytes[at + PREFIX_LENGTH];
  const paramsStart = at + PREFIX_LENGTH + 1;
  const paramsEnd = at + length - 2;
  const fast = instruction === Instruction.STATUS && id === BROADCAST_ID;
  const params = fast ? bytes.slice(paramsStart, paramsEnd) : unstuffParams(bytes, at + PREFIX_LENGTH, paramsEnd);
  return { id, instruction, params };
}

/** Unstuffs instruction + parameters and returns the parameters. */
function unstuffParams(bytes: Uint8Array, bodyStart: number, bodyEnd: number): Uint8Array {
  return unstuff(bytes, bodyStart, bodyEnd).subarray(1);
}

/** The status packet in a delivered packet, or null when it is an instruction packet. */
export function asStatus(packet: DxlPacket): DxlStatusPacket | null {
  if (packet.instruction !== Instruction.STATUS || packet.params.length < 1) return null;
  return { id: packet.id, error: packet.params[0], params: packet.params.subarray(1) };
}

function u16(value: number): [number, number] {
  return [value & 0xff, (value >> 8) & 0xff];
}

/** Ping (0x01) to `id` (or broadcast). */
export function pingPacket(id: number): DxlInstructionPacket {
  return { id, instruction: Instruction.PING, params: new Uint8Array(0) };
}

/** Read (0x02) of `length` bytes from `address`. */
export function readPacket(id: number, address: number, length: number): DxlInstructionPacket {
  return { id, instruction: Instruction.READ, params: Uint8Array.of(...u16(address), ...u16(length)) };
}

/** Write (0x03) of `data` at `address`. */
export function writePacket(id: number, address: number, data: Uint8Array): DxlInstructionPacket {
  return { id, instruction: Instruction.WRITE, params: Uint8Array.of(...u16(address), ...data) };
}

/** Reg Write (0x04): like Write, executed at the next Action. */
export function regWritePacket(id: number, address: number, data: Uint8Array): DxlInstructionPacket {
  return { id, instruction: Instruction.REG_WRITE, params: Uint8Array.of(...u16(address), ...data) };
}

/** Action (0x05): executes what Reg Write registered. */
export function actionPacket(id: number): DxlInstructionPacket {
  return { id, instruction: Instruction.ACTION, params: new Uint8Array(0) };
}

/** Reboot (0x08). */
export function rebootPacket(id: number): DxlInstructionPacket {
  return { id, instruction: Instruction.REBOOT, params: new Uint8Array(0) };
}

function syncReadParams(address: number, length: number, ids: readonly number[]): Uint8Array {
  for (const id of ids) checkId(id, false);
  return Uint8Array.of(...u16(address), ...u16(length), ...ids);
}

/** Sync Read (0x82, broadcast): `length` bytes from `address` of each of `ids`, answered in that order. */
export function syncReadPacket(address: number, length: number, ids: readonly number[]): DxlInstructionPacket {
  return { id: BROADCAST_ID, instruction: Instruction.SYNC_READ, params: syncReadParams(address, length, ids) };
}

/** Fast Sync Read (0x8A, broadcast): as Sync Read, answered with one combined status packet. */
export function fastSyncReadPacket(address: number, length: number, ids: readonly number[]): DxlInstructionPacket {
  return { id: BROADCAST_ID, instruction: Instruction.FAST_SYNC_READ, params: syncReadParams(address, length, ids) };
}

/** Sync Write (0x83, broadcast): `data[k]` (each `length` bytes) to `address` of `ids[k]`. */
export function syncWritePacket(
  address: number,
  length: number,
  ids: readonly number[],
  data: readonly Uint8Array[],
): DxlInstructionPacket {
  if (ids.length !== data.length) throw new RangeError(`sync write: ${ids.length} ids but ${data.length} data blocks`);
  const params = new Uint8Array(4 + ids.length * (1 + length));
  params.set([...u16(address), ...u16(length)], 0);
  ids.forEach((id, k) => {
    checkId(id, false);
    if (data[k].length !== length) throw new RangeError(`sync write: data for id ${id} has ${data[k].length} bytes, not ${length}`);
    params[4 + k * (1 + length)] = id;
    params.set(data[k], 5 + k * (1 + length));
  });
  return { id: BROADCAST_ID, instruction: Instruction.SYNC_WRITE, params };
}
