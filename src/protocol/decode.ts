/**
 * Bytes → messages, for both carriages:
 * - `FrameDecoder` takes a byte stream in chunks of any size (split frames, several frames per chunk,
 *   garbage between them), undoes COBS as bytes arrive and hands each valid message to a listener;
 * - `PacketDecoder` takes whole packets (one MQTT message each).
 *
 * Every field is read where `offsets.ts` (from the layouts of `schema.ts`) places it.
 *
 * Neither throws on bad input nor grows: each holds one packet buffer of at most `MAX_PACKET_LEN`
 * bytes. Every dropped frame is counted under the reason of the first check it fails (`stats`) and,
 * if asked, reported with details (`onReject`). After any bad frame the stream decoder is in sync
 * again at the next 0x00 delimiter.
 *
 * With `reuseMessages`, JOINT_STATE and JOINT_COMMAND are decoded into one preallocated object per
 * joint count, so the steady state of a control loop allocates nothing per frame; such a message is
 * valid until the next `push` and must be copied to be kept.
 */
import {
  DEVICE_ID_LEN,
  FAULT_TEXT_LEN,
  HEADER_LEN,
  HeaderFlag,
  HOST_NAME_LEN,
  INCOMPATIBLE_FLAGS_MASK,
  JOINT_NAME_LEN,
  MAX_JOINTS,
  MAX_PACKET_LEN,
  MessageType,
  PACKET_OVERHEAD,
  PROTOCOL_MAJOR,
  REJECT_REASONS,
  type RejectReason,
} from './constants.js';
import { CRC32C_INIT, crc32cFinish, crc32cUpdate, crc32cUpdateU32 } from './crc32c.js';
import type { JointCommandMessage, JointStateMessage, JointWear, Message, SoftwareVersion } from './messages.js';
import {
  ACK_AT,
  CONFIGURE_AT,
  DEVICE_INFO_AT,
  FAULT_AT,
  HEARTBEAT_AT,
  HELLO_AT,
  JOINT_COMMAND_AT,
  JOINT_STATE_AT,
  JOINT_STATE_PLACES,
  TORQUE_AT,
  offsetOf,
} from './offsets.js';
import { extendedPayloadLength, layoutOfType, payloadLength, type MessageLayout } from './schema.js';

/** What the other side said about its version in a HELLO or DEVICE_INFO of another major version. */
export interface PeerVersion {
  role: 'host' | 'device';
  protocolMajor: number;
  protocolMinor: number;
  /** Host software (HELLO) or firmware (DEVICE_INFO) version. */
  softwareVersion: SoftwareVersion;
  /** Host name or device id; bytes that are not printable ASCII read as '?'. */
  name: string;
}

/** One dropped frame. */
export interface Rejection {
  reason: RejectReason;
  /** A sentence for logs: what was wrong, with the numbers. */
  detail: string;
  /** Header message id and sequence number, present when the CRC matched (reasons after 'crc'). */
  type?: number;
  seq?: number;
  /** With reason 'version', from a HELLO or DEVICE_INFO: the peer's versions, to name in an error. */
  peer?: PeerVersion;
}

export interface DecoderStats {
  bytesIn: number;
  framesOk: number;
  framesRejected: number;
  /** Dropped frames per reason. */
  rejected: Record<RejectReason, number>;
}

/** Receives each valid message and the sequence number from its header. */
export type MessageListener = (message: Message, seq: number) => void;

export interface DecoderOptions {
  /** Called once per dropped frame. */
  onReject?: (rejection: Rejection) => void;
  /** Decode JOINT_STATE and JOINT_COMMAND into reused objects (see the module comment). Default false. */
  reuseMessages?: boolean;
  /** Largest packet accepted [bytes], at most `MAX_PACKET_LEN` (the default); larger ones count as `too_long`. */
  maxPacketLen?: number;
}

export type DecodeResult = { ok: true; message: Message; seq: number } | { ok: false; rejection: Rejection };

const P = HEADER_LEN;
/** Reasons after this index come from packets whose CRC matched. */
const CRC_CHECK = REJECT_REASONS.indexOf('crc');
const TWO_POW_32 = 0x1_0000_0000;
/** The high word of a time below 2^53 µs. */
const MAX_TIME_HIGH_WORD = 0x1f_ffff;

function emptyStats(): DecoderStats {
  const rejected = {} as Record<RejectReason, number>;
  for (const reason of REJECT_REASONS) rejected[reason] = 0;
  return { bytesIn: 0, framesOk: 0, framesRejected: 0, rejected };
}

/** Validates and decodes the packet in its own buffer; shared by both decoders. */
class PacketParser {
  readonly bytes: Uint8Array;
  readonly stats = emptyStats();
  readonly capacity: number;
  private readonly view: DataView;
  private readonly reuse: boolean;
  private readonly states: JointStateMessage[] = [];
  private readonly wears: JointWear[] = [];
  private readonly commands: JointCommandMessage[] = [];
  /** Why the last `parse` returned null. */
  private reason: RejectReason = 'truncated';
  private detail = '';
  private peer: PeerVersion | undefined;

  constructor(
    private readonly listener: MessageListener,
    private readonly options: DecoderOptions,
  ) {
    const capacity = options.maxPacketLen ?? MAX_PACKET_LEN;
    if (!Number.isInteger(capacity) || capacity < PACKET_OVERHEAD || capacity > MAX_PACKET_LEN) {
      throw new RangeError(`maxPacketLen must be an integer in ${PACKET_OVERHEAD}..${MAX_PACKET_LEN}; got ${capacity}`);
    }
    this.capacity = capacity;
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
    this.reuse = options.reuseMessages ?? false;
  }

  /** Decodes `bytes[0, length)` and hands the message to the listener, or counts the rejection. */
  accept(length: number): void {
    const message = this.parse(length);
    if (message === null) {
      this.reject(this.reason, this.detail, this.peer);
      return;
    }
    this.stats.framesOk++;
    this.listener(message, this.view.getUint16(4, true));
  }

  reject(reason: RejectReason, detail: string, peer?: PeerVersion): void {
    this.stats.framesRejected++;
    this.stats.rejected[reason]++;
    this.options.onReject?.(this.rejection(reason, detail, peer));
  }

  private rejection(reason: RejectReason, detail: string, peer?: PeerVersion): Rejection {
    const rejection: Rejection = { reason, detail };
    if (REJECT_REASONS.indexOf(reason) > CRC_CHECK) {
      rejection.type = this.view.getUint16(2, true);
      rejection.seq = this.view.getUint16(4, true);
    }
    if (peer !== undefined) rejection.peer = peer;
    return rejection;
  }

  /** The checks of PROTOCOL.md § 5, in order; null (with `reason`) at the first that fails. */
  parse(length: number): Message | null {
    this.peer = undefined;
    const { bytes, view } = this;
    if (length < PACKET_OVERHEAD) return this.fail('truncated', `${length} bytes; a packet has at least ${PACKET_OVERHEAD}`);
    const type = view.getUint16(2, true);
    const layout = layoutOfType(type);
    if (layout === undefined) return this.fail('unknown_type', `message id 0x${hex(type, 4)} is not defined in protocol v1`);
    const crcAt = length - 4;
    const computed = crc32cFinish(crc32cUpdateU32(crc32cUpdate(CRC32C_INIT, bytes, 0, crcAt), layout.seed));
    const received = view.getUint32(crcAt, true);
    if (computed !== received) {
      return this.fail('crc', `${layout.name}: CRC 0x${hex(received, 8)} on the wire, 0x${hex(computed, 8)} computed`);
    }
    if (bytes[0] !== PROTOCOL_MAJOR) {
      this.peer = this.readPeer(type, length - PACKET_OVERHEAD);
      return this.fail('version', `${layout.name} of protocol version ${bytes[0]}; this side speaks ${PROTOCOL_MAJOR}`);
    }
    if ((bytes[1] & INCOMPATIBLE_FLAGS_MASK) !== 0) return this.fail('flags', `unknown incompatible flags 0x${hex(bytes[1], 2)}`);
    const payloadLen = view.getUint16(6, true);
    if (payloadLen !== length - PACKET_OVERHEAD) {
      return this.fail('length_mismatch', `header says ${payloadLen} payload bytes; the packet holds ${length - PACKET_OVERHEAD}`);
    }
    if (payloadLen < layout.fixedLen)
      return this.fail('bad_length', `${layout.name} needs at least ${layout.fixedLen} payload bytes; got ${payloadLen}`);
    let n = 0;
    if (layout.jointCountOffset >= 0) {
      n = bytes[P + layout.jointCountOffset];
      if (n < 1 || n > MAX_JOINTS) return this.fail('bad_field', `${layout.name}.joint_count ${n} is outside 1..${MAX_JOINTS}`);
      const extended = (bytes[1] & layout.extensionFlag) !== 0;
      const needed = extended ? extendedPayloadLength(layout, n) : payloadLength(layout, n);
      if (payloadLen < needed) {
        const what = extended ? ' and its extension fields (header flag set)' : '';
        return this.fail('bad_length', `${layout.name} with ${n} joints${what} needs ${needed} payload bytes; got ${payloadLen}`);
      }
    }
    return this.decodePayload(layout, n);
  }

  private fail(reason: RejectReason, detail: string): null {
    this.reason = reason;
    this.detail = detail;
    return null;
  }

  private decodePayload(layout: MessageLayout, n: number): Message | null {
    const { bytes, view } = this;
    switch (layout.type) {
      case MessageType.HELLO: {
        const at = HELLO_AT;
        if (!this.protocolMajorMatches(layout, at.protocol_major)) return null;
        const hostName = this.chars(P + at.host_name, HOST_NAME_LEN, 'HELLO.host_name');
        if (hostName === null) return null;
        return {
          type: MessageType.HELLO,
          protocolMajor: bytes[P + at.protocol_major],
          protocolMinor: bytes[P + at.protocol_minor],
          hostVersion: this.softwareVersion(at.host_major, at.host_minor, at.host_patch),
          stateRateHz: view.getUint16(P + at.state_rate_hz, true),
          hostName,
        };
      }
      case MessageType.DEVICE_INFO: {
        const at = DEVICE_INFO_AT;
        if (!this.protocolMajorMatches(layout, at.protocol_major)) return null;
        const deviceId = this.chars(P + at.device_id, DEVICE_ID_LEN, 'DEVICE_INFO.device_id');
        if (deviceId === null) return null;
        const jointNames: string[] = [];
        for (let j = 0; j < n; j++) {
          const name = this.chars(P + at.joint_names + j * JOINT_NAME_LEN, JOINT_NAME_LEN, `DEVICE_INFO.joint_names[${j}]`);
          if (name === null) return null;
          jointNames.push(name);
        }
        return {
          type: MessageType.DEVICE_INFO,
          protocolMajor: bytes[P + at.protocol_major],
          protocolMinor: bytes[P + at.protocol_minor],
          firmwareVersion: this.softwareVersion(at.firmware_major, at.firmware_minor, at.firmware_patch),
          supportedModes: bytes[P + at.supported_modes],
          minStateRateHz: view.getUint16(P + at.min_state_rate_hz, true),
          maxStateRateHz: view.getUint16(P + at.max_state_rate_hz, true),
          defaultStateRateHz: view.getUint16(P + at.default_state_rate_hz, true),
          defaultWatchdogMs: view.getUint16(P + at.default_watchdog_ms, true),
          deviceId,
          jointNames,
        };
      }
      case MessageType.HEARTBEAT: {
        const timeUs = this.timeUs(P + HEARTBEAT_AT.time_us, 'HEARTBEAT.time_us');
        if (timeUs < 0) return null;
        return { type: MessageType.HEARTBEAT, timeUs, status: view.getUint16(P + HEARTBEAT_AT.status, true) };
      }
      case MessageType.JOINT_STATE:
        return this.jointState(n);
      case MessageType.JOINT_COMMAND:
        return this.jointCommand(n);
      case MessageType.TORQUE: {
        const enable = bytes[P + TORQUE_AT.enable];
        if (enable > 1) return this.fail('bad_field', `TORQUE.enable ${enable} is neither 0 nor 1`);
        return { type: MessageType.TORQUE, enable: enable === 1 };
      }
      case MessageType.ESTOP:
        return { type: MessageType.ESTOP };
      case MessageType.ESTOP_CLEAR:
        return { type: MessageType.ESTOP_CLEAR };
      case MessageType.CONFIGURE:
        return {
          type: MessageType.CONFIGURE,
          watchdogTimeoutMs: view.getUint16(P + CONFIGURE_AT.watchdog_timeout_ms, true),
          stateRateHz: view.getUint16(P + CONFIGURE_AT.state_rate_hz, true),
        };
      case MessageType.FAULT: {
        const at = FAULT_AT;
        const deviceTimeUs = this.timeUs(P + at.device_time_us, 'FAULT.device_time_us');
        if (deviceTimeUs < 0) return null;
        const text = this.chars(P + at.text, FAULT_TEXT_LEN, 'FAULT.text');
        if (text === null) return null;
        return {
          type: MessageType.FAULT,
          deviceTimeUs,
          code: view.getUint16(P + at.code, true),
          joint: bytes[P + at.joint],
          flags: bytes[P + at.flags],
          text,
        };
      }
      case MessageType.ACK:
        return {
          type: MessageType.ACK,
          ackedType: view.getUint16(P + ACK_AT.acked_type, true),
          ackedSeq: view.getUint16(P + ACK_AT.acked_seq, true),
          result: view.getUint16(P + ACK_AT.result, true),
        };
    }
  }

  private jointState(n: number): JointStateMessage | null {
    const { bytes, view } = this;
    const at = JOINT_STATE_AT;
    const deviceTimeUs = this.timeUs(P + at.device_time_us, 'JOINT_STATE.device_time_us');
    if (deviceTimeUs < 0) return null;
    const activeMode = bytes[P + at.active_mode];
    if ((activeMode & (activeMode - 1)) !== 0)
      return this.fail('bad_field', `JOINT_STATE.active_mode 0x${hex(activeMode, 2)} has more than one bit set`);
    const message = this.reuse ? (this.states[n] ??= newJointState(n)) : newJointState(n);
    if (!this.f32s(P + at.position_rad, message.positionRad, 'JOINT_STATE.position_rad')) return null;
    if (!this.f32s(P + offsetOf(JOINT_STATE_PLACES.velocity_rad_s, n), message.velocityRadS, 'JOINT_STATE.velocity_rad_s')) return null;
    if (!this.f32s(P + offsetOf(JOINT_STATE_PLACES.effort_nm, n), message.effortNm, 'JOINT_STATE.effort_nm')) return null;
    const statusAt = P + offsetOf(JOINT_STATE_PLACES.joint_status, n);
    for (let j = 0; j < n; j++) message.jointStatus[j] = bytes[statusAt + j];
    if ((bytes[1] & HeaderFlag.WEAR) === 0) {
      // Absent rather than undefined, so that a state without wear equals one built without it.
      if (message.wear !== undefined) delete message.wear;
    } else {
      const wear = this.reuse ? (this.wears[n] ??= newJointWear(n)) : newJointWear(n);
      wear.fields = bytes[P + offsetOf(JOINT_STATE_PLACES.wear_fields, n)];
      if (!this.f32s(P + offsetOf(JOINT_STATE_PLACES.current_a, n), wear.currentA, 'JOINT_STATE.current_a')) return null;
      if (!this.f32s(P + offsetOf(JOINT_STATE_PLACES.temperature_c, n), wear.temperatureC, 'JOINT_STATE.temperature_c')) return null;
      if (!this.f32s(P + offsetOf(JOINT_STATE_PLACES.voltage_v, n), wear.voltageV, 'JOINT_STATE.voltage_v')) return null;
      message.wear = wear;
    }
    message.deviceTimeUs = deviceTimeUs;
    message.deviceStatus = view.getUint16(P + at.device_status, true);
    message.lastCommandSeq = view.getUint16(P + at.last_command_seq, true);
    message.commandsRejected = view.getUint16(P + at.commands_rejected, true);
    message.activeMode = activeMode;
    return message;
  }

  private jointCommand(n: number): JointCommandMessage | null {
    const { bytes, view } = this;
    const at = JOINT_COMMAND_AT;
    const deadlineUs = this.timeUs(P + at.deadline_us, 'JOINT_COMMAND.deadline_us');
    if (deadlineUs < 0) return null;
    const mode = bytes[P + at.mode];
    if (mode === 0 || (mode & (mode - 1)) !== 0)
      return this.fail('bad_field', `JOINT_COMMAND.mode 0x${hex(mode, 2)} is not exactly one mode bit`);
    const message = this.reuse ? (this.commands[n] ??= newJointCommand(n)) : newJointCommand(n);
    if (!this.f32s(P + at.target, message.target, 'JOINT_COMMAND.target')) return null;
    message.deadlineUs = deadlineUs;
    message.stateSeq = view.getUint16(P + at.state_seq, true);
    message.mode = mode;
    return message;
  }

  /** A u64 time, or -1 (with `reason` set) when it is not below 2^53. */
  private timeUs(offset: number, field: string): number {
    const high = this.view.getUint32(offset + 4, true);
    if (high > MAX_TIME_HIGH_WORD) {
      this.fail('bad_field', `${field} is not below 2^53 µs`);
      return -1;
    }
    return high * TWO_POW_32 + this.view.getUint32(offset, true);
  }

  /** Fills `out` from consecutive float32s; false (with `reason` set) at the first non-finite one. */
  private f32s(offset: number, out: Float32Array, field: string): boolean {
    for (let j = 0; j < out.length; j++) {
      const value = this.view.getFloat32(offset + 4 * j, true);
      if (value - value !== 0) {
        this.fail('bad_field', `${field}[${j}] is ${value}; floats on the wire are finite`);
        return false;
      }
      out[j] = value;
    }
    return true;
  }

  /** A NUL-padded printable-ASCII string, or null (with `reason` set). */
  private chars(offset: number, width: number, field: string): string | null {
    let text = '';
    let ended = false;
    for (let i = 0; i < width; i++) {
      const code = this.bytes[offset + i];
      if (code === 0) ended = true;
      else if (ended) return this.fail('bad_field', `${field} has byte 0x${hex(code, 2)} after its NUL padding`);
      else if (code < 0x20 || code > 0x7e) return this.fail('bad_field', `${field} byte ${i} is 0x${hex(code, 2)}, not printable ASCII`);
      else text += String.fromCharCode(code);
    }
    return text;
  }

  private softwareVersion(majorAt: number, minorAt: number, patchAt: number): SoftwareVersion {
    return { major: this.bytes[P + majorAt], minor: this.bytes[P + minorAt], patch: this.view.getUint16(P + patchAt, true) };
  }

  private protocolMajorMatches(layout: MessageLayout, majorAt: number): boolean {
    const major = this.bytes[P + majorAt];
    if (major === this.bytes[0]) return true;
    this.fail('bad_field', `${layout.name}.protocol_major ${major} differs from the header's version ${this.bytes[0]}`);
    return false;
  }

  /**
   * HELLO and DEVICE_INFO keep their v1 layout (and schema seed) in every protocol version, so the
   * versions and the peer's name can be read from a packet of any version.
   */
  private readPeer(type: number, payloadLen: number): PeerVersion | undefined {
    if (type !== MessageType.HELLO && type !== MessageType.DEVICE_INFO) return undefined;
    const hello = type === MessageType.HELLO;
    const nameAt = hello ? HELLO_AT.host_name : DEVICE_INFO_AT.device_id;
    const nameLen = hello ? HOST_NAME_LEN : DEVICE_ID_LEN;
    if (payloadLen < nameAt + nameLen) return undefined;
    let name = '';
    for (let i = 0; i < nameLen; i++) {
      const code = this.bytes[P + nameAt + i];
      if (code === 0) break;
      name += code >= 0x20 && code <= 0x7e ? String.fromCharCode(code) : '?';
    }
    return {
      role: hello ? 'host' : 'device',
      protocolMajor: this.bytes[P + (hello ? HELLO_AT.protocol_major : DEVICE_INFO_AT.protocol_major)],
      protocolMinor: this.bytes[P + (hello ? HELLO_AT.protocol_minor : DEVICE_INFO_AT.protocol_minor)],
      softwareVersion: hello
        ? this.softwareVersion(HELLO_AT.host_major, HELLO_AT.host_minor, HELLO_AT.host_patch)
        : this.softwareVersion(DEVICE_INFO_AT.firmware_major, DEVICE_INFO_AT.firmware_minor, DEVICE_INFO_AT.firmware_patch),
      name,
    };
  }
}

/** A JOINT_STATE of `n` joints, zeroed: the buffer a reusing decoder (or a copy of a state) fills. */
export function newJointState(n: number): JointStateMessage {
  return {
    type: MessageType.JOINT_STATE,
    deviceTimeUs: 0,
    deviceStatus: 0,
    lastCommandSeq: 0,
    commandsRejected: 0,
    activeMode: 0,
    positionRad: new Float32Array(n),
    velocityRadS: new Float32Array(n),
    effortNm: new Float32Array(n),
    jointStatus: new Uint8Array(n),
  };
}

function newJointWear(n: number): JointWear {
  return { fields: 0, currentA: new Float32Array(n), temperatureC: new Float32Array(n), voltageV: new Float32Array(n) };
}

function newJointCommand(n: number): JointCommandMessage {
  return { type: MessageType.JOINT_COMMAND, deadlineUs: 0, stateSeq: 0, mode: 0, target: new Float32Array(n) };
}

function hex(value: number, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}

/** Decoder of a byte stream (serial port, pty, TCP): COBS frames delimited by 0x00. */
export class FrameDecoder {
  private readonly parser: PacketParser;
  /** Decoded bytes of the frame in progress. */
  private length = 0;
  /** Data bytes left in the current COBS block; 0 when the next byte is a code byte. */
  private blockLeft = 0;
  /** The previous block stands for its data plus a zero, written once another block follows. */
  private zeroPending = false;
  /** A byte other than the delimiter arrived since the last delimiter. */
  private inFrame = false;
  /** The frame outgrew the buffer: skip to the next delimiter. */
  private overflow = false;

  /**
   * `listener` must not call `push` on this decoder. An exception it throws propagates out of `push`;
   * the rest of that chunk is lost and decoding resumes at the next delimiter.
   */
  constructor(listener: MessageListener, options: DecoderOptions = {}) {
    this.parser = new PacketParser(listener, options);
  }

  get stats(): DecoderStats {
    return this.parser.stats;
  }

  /** Feeds a chunk of any length. Valid messages reach the listener before `push` returns. */
  push(chunk: Uint8Array): void {
    const bytes = this.parser.bytes;
    const capacity = this.parser.capacity;
    this.parser.stats.bytesIn += chunk.length;
    let { length, blockLeft, zeroPending, inFrame, overflow } = this;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const byte = chunk[i];
      if (byte === 0) {
        if (inFrame) {
          // The next frame starts clean even if the listener throws out of endFrame.
          this.reset();
          this.endFrame(length, blockLeft, overflow);
        }
        length = 0;
        blockLeft = 0;
        zeroPending = false;
        inFrame = false;
        overflow = false;
        i++;
        continue;
      }
      inFrame = true;
      if (overflow) {
        // Skip to the next delimiter.
        const next = chunk.indexOf(0, i);
        i = next < 0 ? n : next;
        continue;
      }
      if (blockLeft === 0) {
        if (zeroPending) {
          if (length === capacity) {
            overflow = true;
            continue;
          }
          bytes[length++] = 0;
        }
        zeroPending = byte !== 0xff;
        blockLeft = byte - 1;
        i++;
        continue;
      }
      // Data bytes of the current block, up to the block's end, the chunk's end or a delimiter.
      const end = Math.min(n, i + blockLeft);
      const room = capacity - length;
      const stop = Math.min(end, i + room);
      const from = i;
      while (i < stop && chunk[i] !== 0) bytes[length++] = chunk[i++];
      blockLeft -= i - from;
      if (i === stop && stop < end && chunk[i] !== 0) overflow = true;
    }
    this.length = length;
    this.blockLeft = blockLeft;
    this.zeroPending = zeroPending;
    this.inFrame = inFrame;
    this.overflow = overflow;
  }

  /** Forgets a frame in progress, e.g. after the port was reopened. Statistics are kept. */
  reset(): void {
    this.length = 0;
    this.blockLeft = 0;
    this.zeroPending = false;
    this.inFrame = false;
    this.overflow = false;
  }

  private endFrame(length: number, blockLeft: number, overflow: boolean): void {
    if (overflow) this.parser.reject('too_long', `more than ${this.parser.capacity} bytes before the delimiter`);
    else if (blockLeft !== 0) this.parser.reject('cobs', `a COBS block runs ${blockLeft} bytes past the delimiter`);
    else this.parser.accept(length);
  }
}

/** Decoder of whole packets, one per call (the payload of one MQTT message). */
export class PacketDecoder {
  private readonly parser: PacketParser;

  constructor(listener: MessageListener, options: DecoderOptions = {}) {
    this.parser = new PacketParser(listener, options);
  }

  get stats(): DecoderStats {
    return this.parser.stats;
  }

  push(packet: Uint8Array): void {
    this.parser.stats.bytesIn += packet.length;
    if (packet.length > this.parser.capacity) {
      this.parser.reject('too_long', `${packet.length} bytes; at most ${this.parser.capacity}`);
      return;
    }
    this.parser.bytes.set(packet);
    this.parser.accept(packet.length);
  }
}

/** Decodes one packet into a new message, or says why not. Allocates; for tools and tests. */
export function decodePacket(packet: Uint8Array): DecodeResult {
  let result: DecodeResult = { ok: false, rejection: { reason: 'truncated', detail: 'nothing decoded' } };
  const decoder = new PacketDecoder((message, seq) => (result = { ok: true, message, seq }), {
    onReject: (rejection) => (result = { ok: false, rejection }),
  });
  decoder.push(packet);
  return result;
}
