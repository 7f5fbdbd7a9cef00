/**
 * Message → packet → frame. Pure; the `...Into` forms write into the caller's buffer and allocate
 * nothing, for the control tick.
 *
 * The encoder refuses (with an `EncodeError`) any message a receiver would reject: integers out of
 * their wire range, non-finite floats, per-joint arrays of unequal length or outside 1–32 joints,
 * strings too long or not printable ASCII, a mode that is not exactly one bit.
 */
import { cobsEncodeInto, cobsMaxEncodedLength } from './cobs.js';
import {
  DEVICE_ID_LEN,
  FAULT_TEXT_LEN,
  HEADER_LEN,
  HOST_NAME_LEN,
  JOINT_NAME_LEN,
  MAX_JOINTS,
  MAX_PACKET_LEN,
  MAX_TIME_US,
  MessageType,
  PROTOCOL_MAJOR,
} from './constants.js';
import { CRC32C_INIT, crc32cFinish, crc32cUpdate, crc32cUpdateU32 } from './crc32c.js';
import type { Message, SoftwareVersion } from './messages.js';
import {
  ACK_AT,
  offsetOf,
  CONFIGURE_AT,
  DEVICE_INFO_AT,
  FAULT_AT,
  HEARTBEAT_AT,
  HELLO_AT,
  JOINT_COMMAND_AT,
  JOINT_STATE_AT,
  JOINT_STATE_PLACES,
  TORQUE_AT,
} from './offsets.js';
import { extendedPayloadLength, layoutOfType, payloadLength, type MessageLayout } from './schema.js';

/** A message that cannot be put on the wire; `field` names the offending field. */
export class EncodeError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'EncodeError';
  }
}

// One packet is assembled here before it is copied or COBS-encoded into the caller's buffer.
// JavaScript runs one encode at a time per thread, so a module-level scratch is safe.
const packet = new Uint8Array(MAX_PACKET_LEN);
const view = new DataView(packet.buffer);
const P = HEADER_LEN;
/** Header flags of the packet being assembled: `writePayload` sets those its message's extension fields need. */
let flags = 0;

/** Encodes `message` with header sequence number `seq` into a new packet (header ‖ payload ‖ CRC). */
export function encodePacket(message: Message, seq: number): Uint8Array {
  const length = assemble(message, seq);
  return packet.slice(0, length);
}

/** Writes the packet at `out[offset]` and returns its length; `out` needs up to `MAX_PACKET_LEN` bytes there. */
export function encodePacketInto(message: Message, seq: number, out: Uint8Array, offset = 0): number {
  const length = assemble(message, seq);
  if (offset + length > out.length) throw new EncodeError('out', `has ${out.length - offset} bytes free; the packet needs ${length}`);
  for (let i = 0; i < length; i++) out[offset + i] = packet[i];
  return length;
}

/** Encodes `message` into a new byte-stream frame: COBS(packet) followed by the 0x00 delimiter. */
export function encodeFrame(message: Message, seq: number): Uint8Array {
  const length = assemble(message, seq);
  const out = new Uint8Array(cobsMaxEncodedLength(length) + 1);
  const written = cobsEncodeInto(packet, 0, length, out, 0);
  out[written] = 0;
  return out.slice(0, written + 1);
}

/** Writes the frame (delimiter included) at `out[offset]` and returns its length; up to `MAX_FRAME_LEN` bytes. */
export function encodeFrameInto(message: Message, seq: number, out: Uint8Array, offset = 0): number {
  const length = assemble(message, seq);
  const needed = cobsMaxEncodedLength(length) + 1;
  if (offset + needed > out.length) throw new EncodeError('out', `has ${out.length - offset} bytes free; the frame may need ${needed}`);
  const written = cobsEncodeInto(packet, 0, length, out, offset);
  out[offset + written] = 0;
  return written + 1;
}

/** Fills the scratch packet and returns its length. */
function assemble(message: Message, seq: number): number {
  const layout = layoutOfType(message.type);
  if (layout === undefined) throw new EncodeError('type', `${String(message.type)} is not a v1 message id`);
  checkUint(seq, 0xffff, 'seq');
  flags = 0;
  const payloadLen = writePayload(message, layout);
  packet[0] = PROTOCOL_MAJOR;
  packet[1] = flags;
  view.setUint16(2, message.type, true);
  view.setUint16(4, seq, true);
  view.setUint16(6, payloadLen, true);
  const end = HEADER_LEN + payloadLen;
  const crc = crc32cFinish(crc32cUpdateU32(crc32cUpdate(CRC32C_INIT, packet, 0, end), layout.seed));
  view.setUint32(end, crc, true);
  return end + 4;
}

/** Writes the payload at offset P (each field where `offsets.ts` says) and returns its length. */
function writePayload(message: Message, layout: MessageLayout): number {
  switch (message.type) {
    case MessageType.HELLO: {
      const at = HELLO_AT;
      writeProtocolVersion(message.protocolMajor, message.protocolMinor, at.protocol_major, at.protocol_minor);
      writeSoftwareVersion(message.hostVersion, 'hostVersion', at.host_major, at.host_minor, at.host_patch);
      writeU16(P + at.state_rate_hz, message.stateRateHz, 'stateRateHz');
      writeChars(P + at.host_name, HOST_NAME_LEN, message.hostName, 'hostName');
      return payloadLength(layout, 0);
    }
    case MessageType.DEVICE_INFO: {
      const at = DEVICE_INFO_AT;
      const n = checkJointCount(message.jointNames.length, 'jointNames');
      writeProtocolVersion(message.protocolMajor, message.protocolMinor, at.protocol_major, at.protocol_minor);
      writeSoftwareVersion(message.firmwareVersion, 'firmwareVersion', at.firmware_major, at.firmware_minor, at.firmware_patch);
      packet[P + at.joint_count] = n;
      writeU8(P + at.supported_modes, message.supportedModes, 'supportedModes');
      writeU16(P + at.min_state_rate_hz, message.minStateRateHz, 'minStateRateHz');
      writeU16(P + at.max_state_rate_hz, message.maxStateRateHz, 'maxStateRateHz');
      writeU16(P + at.default_state_rate_hz, message.defaultStateRateHz, 'defaultStateRateHz');
      writeU16(P + at.default_watchdog_ms, message.defaultWatchdogMs, 'defaultWatchdogMs');
      writeChars(P + at.device_id, DEVICE_ID_LEN, message.deviceId, 'deviceId');
      for (let j = 0; j < n; j++)
        writeChars(P + at.joint_names + j * JOINT_NAME_LEN, JOINT_NAME_LEN, message.jointNames[j], `jointNames[${j}]`);
      return payloadLength(layout, n);
    }
    case MessageType.HEARTBEAT:
      writeTimeUs(P + HEARTBEAT_AT.time_us, message.timeUs, 'timeUs');
      writeU16(P + HEARTBEAT_AT.status, message.status, 'status');
      return payloadLength(layout, 0);
    case MessageType.JOINT_STATE: {
      const at = JOINT_STATE_AT;
      const n = checkJointCount(message.positionRad.length, 'positionRad');
      checkSameLength(message.velocityRadS.length, n, 'velocityRadS');
      checkSameLength(message.effortNm.length, n, 'effortNm');
      checkSameLength(message.jointStatus.length, n, 'jointStatus');
      writeTimeUs(P + at.device_time_us, message.deviceTimeUs, 'deviceTimeUs');
      writeU16(P + at.device_status, message.deviceStatus, 'deviceStatus');
      writeU16(P + at.last_command_seq, message.lastCommandSeq, 'lastCommandSeq');
      writeU16(P + at.commands_rejected, message.commandsRejected, 'commandsRejected');
      if (message.activeMode !== 0) checkOneBit(message.activeMode, 'activeMode');
      packet[P + at.active_mode] = message.activeMode;
      packet[P + at.joint_count] = n;
      writeF32s(P + at.position_rad, message.positionRad, 'positionRad');
      writeF32s(P + offsetOf(JOINT_STATE_PLACES.velocity_rad_s, n), message.velocityRadS, 'velocityRadS');
      writeF32s(P + offsetOf(JOINT_STATE_PLACES.effort_nm, n), message.effortNm, 'effortNm');
      const statusAt = P + offsetOf(JOINT_STATE_PLACES.joint_status, n);
      for (let j = 0; j < n; j++) packet[statusAt + j] = message.jointStatus[j];
      const wear = message.wear;
      if (wear === undefined) return payloadLength(layout, n);
      checkSameLength(wear.currentA.length, n, 'wear.currentA');
      checkSameLength(wear.temperatureC.length, n, 'wear.temperatureC');
      checkSameLength(wear.voltageV.length, n, 'wear.voltageV');
      writeU8(P + offsetOf(JOINT_STATE_PLACES.wear_fields, n), wear.fields, 'wear.fields');
      writeF32s(P + offsetOf(JOINT_STATE_PLACES.current_a, n), wear.currentA, 'wear.currentA');
      writeF32s(P + offsetOf(JOINT_STATE_PLACES.temperature_c, n), wear.temperatureC, 'wear.temperatureC');
      writeF32s(P + offsetOf(JOINT_STATE_PLACES.voltage_v, n), wear.voltageV, 'wear.voltageV');
      flags |= layout.extensionFlag;
      return extendedPayloadLength(layout, n);
    }
    case MessageType.JOINT_COMMAND: {
      const at = JOINT_COMMAND_AT;
      const n = checkJointCount(message.target.length, 'target');
      writeTimeUs(P + at.deadline_us, message.deadlineUs, 'deadlineUs');
      writeU16(P + at.state_seq, message.stateSeq, 'stateSeq');
      checkOneBit(message.mode, 'mode');
      packet[P + at.mode] = message.mode;
      packet[P + at.joint_count] = n;
      writeF32s(P + at.target, message.target, 'target');
      return payloadLength(layout, n);
    }
    case MessageType.TORQUE:
      packet[P + TORQUE_AT.enable] = message.enable ? 1 : 0;
      return payloadLength(layout, 0);
    case MessageType.ESTOP:
    case MessageType.ESTOP_CLEAR:
      return payloadLength(layout, 0);
    case MessageType.CONFIGURE:
      writeU16(P + CONFIGURE_AT.watchdog_timeout_ms, message.watchdogTimeoutMs, 'watchdogTimeoutMs');
      writeU16(P + CONFIGURE_AT.state_rate_hz, message.stateRateHz, 'stateRateHz');
      return payloadLength(layout, 0);
    case MessageType.FAULT:
      writeTimeUs(P + FAULT_AT.device_time_us, message.deviceTimeUs, 'deviceTimeUs');
      writeU16(P + FAULT_AT.code, message.code, 'code');
      writeU8(P + FAULT_AT.joint, message.joint, 'joint');
      writeU8(P + FAULT_AT.flags, message.flags, 'flags');
      writeChars(P + FAULT_AT.text, FAULT_TEXT_LEN, message.text, 'text');
      return payloadLength(layout, 0);
    case MessageType.ACK:
      writeU16(P + ACK_AT.acked_type, message.ackedType, 'ackedType');
      writeU16(P + ACK_AT.acked_seq, message.ackedSeq, 'ackedSeq');
      writeU16(P + ACK_AT.result, message.result, 'result');
      return payloadLength(layout, 0);
  }
}

function checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new EncodeError(field, `must be an integer in 0..${max}; got ${value}`);
}

function writeU8(offset: number, value: number, field: string): void {
  checkUint(value, 0xff, field);
  packet[offset] = value;
}

function writeU16(offset: number, value: number, field: string): void {
  checkUint(value, 0xffff, field);
  view.setUint16(offset, value, true);
}

function writeTimeUs(offset: number, value: number, field: string): void {
  checkUint(value, MAX_TIME_US, field);
  view.setUint32(offset, value % 0x1_0000_0000, true);
  view.setUint32(offset + 4, Math.floor(value / 0x1_0000_0000), true);
}

function writeF32s(offset: number, values: Float32Array, field: string): void {
  for (let j = 0; j < values.length; j++) {
    const value = values[j];
    if (!Number.isFinite(value)) throw new EncodeError(`${field}[${j}]`, `must be finite; got ${value}`);
    view.setFloat32(offset + 4 * j, value, true);
  }
}

function writeChars(offset: number, width: number, text: string, field: string): void {
  if (text.length > width) throw new EncodeError(field, `has ${text.length} characters; at most ${width} fit`);
  for (let i = 0; i < width; i++) {
    if (i >= text.length) {
      packet[offset + i] = 0;
      continue;
    }
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e)
      throw new EncodeError(field, `must be printable ASCII; character ${i} is U+${code.toString(16).padStart(4, '0')}`);
    packet[offset + i] = code;
  }
}

function writeProtocolVersion(major: number, minor: number, majorAt: number, minorAt: number): void {
  if (major !== PROTOCOL_MAJOR) throw new EncodeError('protocolMajor', `must be ${PROTOCOL_MAJOR} (the header's version); got ${major}`);
  packet[P + majorAt] = major;
  writeU8(P + minorAt, minor, 'protocolMinor');
}

function writeSoftwareVersion(version: SoftwareVersion, field: string, majorAt: number, minorAt: number, patchAt: number): void {
  writeU8(P + majorAt, version.major, `${field}.major`);
  writeU8(P + minorAt, version.minor, `${field}.minor`);
  writeU16(P + patchAt, version.patch, `${field}.patch`);
}

function checkJointCount(n: number, field: string): number {
  if (n < 1 || n > MAX_JOINTS) throw new EncodeError(field, `must hold 1..${MAX_JOINTS} joints; got ${n}`);
  return n;
}

function checkSameLength(length: number, n: number, field: string): void {
  if (length !== n) throw new EncodeError(field, `has ${length} joints; positionRad has ${n}`);
}

function checkOneBit(mode: number, field: string): void {
  if (!Number.isInteger(mode) || mode <= 0 || mode > 0xff || (mode & (mode - 1)) !== 0) {
    throw new EncodeError(field, `must be exactly one command mode bit; got ${mode}`);
  }
}
