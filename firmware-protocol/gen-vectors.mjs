#!/usr/bin/env node
// Writes the golden vectors of protocol v1 from the tables of PROTOCOL.md:
//   firmware-protocol/vectors/{messages,edge-cases,invalid,streams,sequence}.json
//   firmware-protocol/c/test/vectors.h   (the same vectors as C initializers, for the C host test)
//
//   node firmware-protocol/gen-vectors.mjs           write the files
//   node firmware-protocol/gen-vectors.mjs --check   exit 1 when a committed file differs from the output
//
// This script shares no code with src/protocol/ or c/: its CRC (bitwise), COBS encoder and field
// writer are written again from the specification, so that the vectors test both codecs instead of
// echoing one of them. Plain JavaScript, no dependencies, deterministic output.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// The protocol tables (PROTOCOL.md § Messages)
// ---------------------------------------------------------------------------------------------

const MESSAGES = {
  HELLO: [
    0x0001,
    [
      'u8 protocol_major',
      'u8 protocol_minor',
      'u8 host_major',
      'u8 host_minor',
      'u16 host_patch',
      'u16 state_rate_hz',
      'char[24] host_name',
    ],
  ],
  DEVICE_INFO: [
    0x0002,
    [
      'u8 protocol_major',
      'u8 protocol_minor',
      'u8 firmware_major',
      'u8 firmware_minor',
      'u16 firmware_patch',
      'u8 joint_count',
      'u8 supported_modes',
      'u16 min_state_rate_hz',
      'u16 max_state_rate_hz',
      'u16 default_state_rate_hz',
      'u16 default_watchdog_ms',
      'char[32] device_id',
      'char[16][n] joint_names',
    ],
  ],
  HEARTBEAT: [0x0003, ['u64 time_us', 'u16 status']],
  JOINT_STATE: [
    0x0010,
    [
      'u64 device_time_us',
      'u16 device_status',
      'u16 last_command_seq',
      'u16 commands_rejected',
      'u8 active_mode',
      'u8 joint_count',
      'f32[n] position_rad',
      'f32[n] velocity_rad_s',
      'f32[n] effort_nm',
      'u8[n] joint_status',
    ],
  ],
  JOINT_COMMAND: [0x0011, ['u64 deadline_us', 'u16 state_seq', 'u8 mode', 'u8 joint_count', 'f32[n] target']],
  TORQUE: [0x0020, ['u8 enable']],
  ESTOP: [0x0021, []],
  ESTOP_CLEAR: [0x0022, []],
  CONFIGURE: [0x0023, ['u16 watchdog_timeout_ms', 'u16 state_rate_hz']],
  FAULT: [0x0030, ['u64 device_time_us', 'u16 code', 'u8 joint', 'u8 flags', 'char[48] text']],
  ACK: [0x0031, ['u16 acked_type', 'u16 acked_seq', 'u16 result']],
};

const SIZE = { u8: 1, u16: 2, u32: 4, u64: 8, f32: 4, char: 1 };

function parseField(text) {
  const match = /^(u8|u16|u32|u64|f32|char)(?:\[(\d+)\])?(\[n\])? ([a-z_]+)$/.exec(text);
  if (!match) throw new Error(`bad field ${text}`);
  return { type: match[1], width: match[2] ? Number(match[2]) : 1, perJoint: match[3] !== undefined, name: match[4] };
}

const SPECS = Object.fromEntries(
  Object.entries(MESSAGES).map(([name, [id, fields]]) => {
    const schema = `${name}:${fields.join(';')}`;
    return [name, { name, id, fields: fields.map(parseField), schema, seed: crc32c(ascii(schema)) }];
  }),
);

// ---------------------------------------------------------------------------------------------
// Bytes: CRC-32C (bitwise), COBS, little-endian writers
// ---------------------------------------------------------------------------------------------

function ascii(text) {
  return [...text].map((c) => c.charCodeAt(0));
}

function crc32cRegister(bytes, register = 0xffffffff) {
  let crc = register;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return crc >>> 0;
}

function crc32c(bytes) {
  return (crc32cRegister(bytes) ^ 0xffffffff) >>> 0;
}

function le(value, size) {
  const out = [];
  let v = BigInt(value);
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

function f32(value) {
  if (Math.fround(value) !== value) throw new Error(`${value} is not exact in float32`);
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value, true);
  return [view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3)];
}

function chars(text, width) {
  if (text.length > width) throw new Error(`'${text}' is longer than ${width}`);
  return [...ascii(text), ...new Array(width - text.length).fill(0)];
}

function cobs(bytes) {
  const out = [];
  let block = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      out.push(block.length + 1, ...block);
      block = [];
      continue;
    }
    block.push(bytes[i]);
    if (block.length === 254) {
      out.push(0xff, ...block);
      block = [];
      if (i === bytes.length - 1) return out;
    }
  }
  out.push(block.length + 1, ...block);
  return out;
}

function frameOf(packet) {
  return [...cobs(packet), 0];
}

function payloadOf(spec, fields) {
  const out = [];
  for (const field of spec.fields) {
    const value = fields[field.name];
    if (value === undefined) throw new Error(`${spec.name}.${field.name} missing`);
    const values = field.perJoint ? value : [value];
    if (field.perJoint && values.length !== fields.joint_count) throw new Error(`${spec.name}.${field.name} length`);
    for (const v of values) {
      if (field.type === 'char') out.push(...chars(v, field.width));
      else if (field.type === 'f32') out.push(...f32(v));
      else out.push(...le(v, SIZE[field.type]));
    }
  }
  return out;
}

/** header ‖ payload ‖ CRC-32C(header ‖ payload ‖ seed). */
function packetOf({ version = 1, flags = 0, type, seq, payload, seed, payloadLen = payload.length }) {
  const body = [version, flags, ...le(type, 2), ...le(seq, 2), ...le(payloadLen, 2), ...payload];
  const crc = (crc32cRegister([...body, ...le(seed, 4)]) ^ 0xffffffff) >>> 0;
  return [...body, ...le(crc, 4)];
}

function messagePacket(name, seq, fields, extra = {}) {
  const spec = SPECS[name];
  const payload = [...payloadOf(spec, fields), ...(extra.tail ?? [])];
  return packetOf({ type: spec.id, seq, payload, seed: spec.seed, ...extra.header });
}

/** Overwrites payload bytes of a packet and puts a correct CRC back (seed of `name`). */
function patched(packet, name, payloadOffset, bytes, seedName = name) {
  const body = packet.slice(0, packet.length - 4);
  body.splice(8 + payloadOffset, bytes.length, ...bytes);
  const crc = (crc32cRegister([...body, ...le(SPECS[seedName].seed, 4)]) ^ 0xffffffff) >>> 0;
  return [...body, ...le(crc, 4)];
}

function hex(bytes) {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------
// Field values: distinct, non-zero, exact in float32 (multiples of 1/1024)
// ---------------------------------------------------------------------------------------------

const ARM_JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow_flex', 'wrist_flex', 'wrist_roll', 'gripper'];

function series(n, start, step) {
  return Array.from({ length: n }, (_, j) => Math.fround(start + step * j));
}

function jointState(n, overrides = {}) {
  return {
    device_time_us: 1234567890123,
    device_status: 0x0031,
    last_command_seq: 0x1234,
    commands_rejected: 3,
    active_mode: 1,
    joint_count: n,
    position_rad: series(n, -1.5, 0.2509765625),
    velocity_rad_s: series(n, 0.75, -0.125),
    effort_nm: series(n, -2.25, 0.0625),
    joint_status: Array.from({ length: n }, (_, j) => 1 + ((j * 2) % 127)),
    ...overrides,
  };
}

function jointCommand(n, overrides = {}) {
  return {
    deadline_us: 1234567895123,
    state_seq: 0x1235,
    mode: 1,
    joint_count: n,
    target: series(n, 0.5, -0.1875),
    ...overrides,
  };
}

function deviceInfo(names, overrides = {}) {
  return {
    protocol_major: 1,
    protocol_minor: 1,
    firmware_major: 2,
    firmware_minor: 7,
    firmware_patch: 300,
    joint_count: names.length,
    supported_modes: 5,
    min_state_rate_hz: 10,
    max_state_rate_hz: 1000,
    default_state_rate_hz: 200,
    default_watchdog_ms: 150,
    device_id: 'koch-arm-07',
    joint_names: names,
    ...overrides,
  };
}

const HELLO_FIELDS = {
  protocol_major: 1,
  protocol_minor: 2,
  host_major: 3,
  host_minor: 4,
  host_patch: 517,
  state_rate_hz: 250,
  host_name: 'robo-train',
};

// ---------------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------------

function valid(name, description, message, seq, fields, extra = {}) {
  const packet = messagePacket(message, seq, fields, extra);
  return {
    name,
    description,
    message,
    type: SPECS[message].id,
    seq,
    canonical: extra.tail === undefined && extra.header === undefined,
    fields,
    packet_hex: hex(packet),
    frame_hex: hex(frameOf(packet)),
  };
}

function messageVectors() {
  return [
    valid('hello', 'Host opens a session: protocol 1.2, robo-train 3.4.517, asks for 250 Hz.', 'HELLO', 0x0001, HELLO_FIELDS),
    valid('device_info', 'A six-joint arm, position and effort modes, firmware 2.7.300.', 'DEVICE_INFO', 0x0002, deviceInfo(ARM_JOINTS)),
    valid('heartbeat_device', 'Device heartbeat with its status bits.', 'HEARTBEAT', 0x0003, { time_us: 987654321, status: 0x0011 }),
    valid('heartbeat_host', 'Host heartbeat (status 0).', 'HEARTBEAT', 0x0104, { time_us: 5000000123, status: 0 }),
    valid('joint_state', 'Six joints; device time above 2^32 µs.', 'JOINT_STATE', 0x1235, jointState(6)),
    valid('joint_command', 'Position targets for six joints answering state 0x1235.', 'JOINT_COMMAND', 0x0105, jointCommand(6)),
    valid('torque_enable', 'Enable the actuators.', 'TORQUE', 0x0106, { enable: 1 }),
    valid('torque_disable', 'Disable the actuators.', 'TORQUE', 0x0107, { enable: 0 }),
    valid('estop', 'Emergency stop: empty payload.', 'ESTOP', 0x0108, {}),
    valid('estop_clear', 'Release the latch: empty payload.', 'ESTOP_CLEAR', 0x0109, {}),
    valid('configure', 'Watchdog 250 ms, state rate 500 Hz.', 'CONFIGURE', 0x010a, { watchdog_timeout_ms: 250, state_rate_hz: 500 }),
    valid('fault', 'Latched overheat of joint 4.', 'FAULT', 0x1236, {
      device_time_us: 1234567999999,
      code: 0x0002,
      joint: 4,
      flags: 1,
      text: 'wrist_roll motor at 81 C',
    }),
    valid('ack', 'TORQUE 0x0106 accepted.', 'ACK', 0x1237, { acked_type: 0x0020, acked_seq: 0x0106, result: 0 }),
    valid('nak_stale', 'JOINT_COMMAND 0x0105 refused: its deadline had passed (STALE).', 'ACK', 0x1238, {
      acked_type: 0x0011,
      acked_seq: 0x0105,
      result: 6,
    }),
  ];
}

/** A DEVICE_INFO whose packet ends in exactly 254 non-zero bytes: its frame ends on a full 0xFF block. */
function fullBlockAtEnd() {
  const names = Array.from({ length: 13 }, (_, j) => `joint-${String.fromCharCode(65 + j)}-abcdefgh`);
  const fields = deviceInfo(names, {
    firmware_patch: 77,
    device_id: 'stuffing-test-device-0123456789A',
    min_state_rate_hz: 300,
    max_state_rate_hz: 1000,
    default_state_rate_hz: 500,
    default_watchdog_ms: 500,
    supported_modes: 7,
  });
  for (let seq = 0x0101; seq < 0xffff; seq++) {
    const packet = messagePacket('DEVICE_INFO', seq, fields);
    const lastZero = packet.lastIndexOf(0);
    if (packet.length - lastZero - 1 === 254) {
      const vector = valid(
        'stuffing_full_block_at_end',
        'The last 254 bytes are non-zero: the frame ends on a 0xFF block with no empty block after it.',
        'DEVICE_INFO',
        seq,
        fields,
      );
      const frame = frameOf(packet);
      if (frame[frame.length - 256] !== 0xff) throw new Error('full block not at end');
      return vector;
    }
  }
  throw new Error('no sequence number gives a CRC without zero bytes');
}

function edgeVectors() {
  const longNames = Array.from({ length: 32 }, (_, j) => `joint_${String(j).padStart(2, '0')}_abcdefg`);
  const maxInfo = deviceInfo(longNames, { device_id: 'device-id-with-thirty-two-chars!' });
  const maxInfoPacket = messagePacket('DEVICE_INFO', 0x2001, maxInfo);
  const tailLength = 1024 - maxInfoPacket.length;
  const tail = Array.from({ length: tailLength }, (_, i) => (i * 7 + 3) & 0xff);
  const worked = valid('worked_example', 'The worked example of PROTOCOL.md: TORQUE enable, seq 0x0102.', 'TORQUE', 0x0102, { enable: 1 });
  return [
    worked,
    valid('joint_state_1_joint', 'Smallest JOINT_STATE: one joint.', 'JOINT_STATE', 0x3001, jointState(1)),
    valid('joint_state_32_joints', 'Largest JOINT_STATE: 32 joints.', 'JOINT_STATE', 0x3002, jointState(32)),
    valid(
      'joint_command_32_joints',
      'Largest JOINT_COMMAND: 32 joints, effort mode.',
      'JOINT_COMMAND',
      0x3003,
      jointCommand(32, { mode: 4 }),
    ),
    valid(
      'joint_command_velocity_zero_targets',
      'Velocity mode, all targets 0: long runs of zero bytes to stuff.',
      'JOINT_COMMAND',
      0x3004,
      jointCommand(3, { mode: 2, target: [0, 0, 0] }),
    ),
    valid(
      'device_info_32_joints',
      'Largest v1 message: 32 full-length joint names and device id, so COBS writes 0xFF blocks.',
      'DEVICE_INFO',
      0x2001,
      maxInfo,
    ),
    valid(
      'device_info_max_packet',
      `A 1024-byte packet, the maximum: the 32-joint DEVICE_INFO followed by ${tailLength} bytes of fields from a later minor version, which a v1 receiver ignores.`,
      'DEVICE_INFO',
      0x2002,
      maxInfo,
      { tail },
    ),
    valid(
      'joint_state_extension_tail',
      'Four bytes after the v1 fields (a later minor version): ignored.',
      'JOINT_STATE',
      0x3005,
      jointState(2),
      { tail: [0xa1, 0xb2, 0xc3, 0xd4] },
    ),
    valid(
      'compatible_flag_ignored',
      'Header flag bit 4 (compatible) set: the receiver ignores it.',
      'ESTOP',
      0x3006,
      {},
      { header: { flags: 0x10 } },
    ),
    valid('heartbeat_all_zero_payload', 'A payload of ten zero bytes: every one becomes a COBS code byte.', 'HEARTBEAT', 0x0000, {
      time_us: 0,
      status: 0,
    }),
    valid('seq_65535', 'Sequence number 0xFFFF, the last before the wrap.', 'HEARTBEAT', 0xffff, { time_us: 1000, status: 0x0010 }),
    valid('seq_0_after_wrap', 'Sequence number 0, the first after the wrap.', 'HEARTBEAT', 0x0000, { time_us: 2000, status: 0x0010 }),
    valid('time_max', 'Device time 2^53 - 1 µs, the largest allowed.', 'HEARTBEAT', 0x3007, { time_us: 2 ** 53 - 1, status: 1 }),
    valid('fault_vendor_code_device_wide', 'Vendor fault code 0x8001 for the whole device (joint 0xFF), empty text.', 'FAULT', 0x3008, {
      device_time_us: 42,
      code: 0x8001,
      joint: 0xff,
      flags: 3,
      text: '',
    }),
    valid(
      'joint_command_undefined_mode_bit',
      'JOINT_COMMAND mode 0x80: exactly one bit, though no mode of v1.0; it decodes, and a device refuses it with NAK UNSUPPORTED_MODE (§ 5 notes).',
      'JOINT_COMMAND',
      0x3009,
      jointCommand(2, { mode: 0x80 }),
    ),
    valid(
      'joint_state_active_mode_undefined_bit',
      'JOINT_STATE active_mode 0x40: one bit, of a mode a later minor version may define.',
      'JOINT_STATE',
      0x300a,
      jointState(2, { active_mode: 0x40 }),
    ),
    valid(
      'fault_joint_out_of_range',
      'FAULT for joint 200 (neither 0–31 nor 0xFF): valid as a packet; the host reports it by number (§ 11).',
      'FAULT',
      0x300b,
      {
        device_time_us: 43,
        code: 0x0001,
        joint: 200,
        flags: 1,
        text: 'joint 200',
      },
    ),
    valid(
      'ack_undefined_result',
      'ACK with result 0x1234, a code v1.0 does not define: valid as a packet; the host takes it as a NAK (§ 11).',
      'ACK',
      0x300c,
      {
        acked_type: 0x0020,
        acked_seq: 7,
        result: 0x1234,
      },
    ),
    fullBlockAtEnd(),
  ];
}

function invalid(name, description, error, packet, extra = {}) {
  const vector = { name, description, error };
  if (packet !== null) vector.packet_hex = hex(packet);
  vector.frame_hex = hex(extra.frame ?? frameOf(packet));
  if (extra.peer) vector.peer = extra.peer;
  return vector;
}

function invalidVectors() {
  const state = messagePacket('JOINT_STATE', 0x4001, jointState(6));
  const command = messagePacket('JOINT_COMMAND', 0x4002, jointCommand(6));
  const hello = messagePacket('HELLO', 0x4003, HELLO_FIELDS);
  const info = messagePacket('DEVICE_INFO', 0x4004, deviceInfo(ARM_JOINTS));
  const torque = messagePacket('TORQUE', 0x4005, { enable: 1 });
  const flipped = state.slice();
  flipped[30] ^= 0x04;
  const badCrc = state.slice();
  badCrc[badCrc.length - 1] ^= 0x80;
  const oversize = packetOf({ type: 0x0010, seq: 0x4006, payload: new Array(1025 - 12).fill(0x5a), seed: SPECS.JOINT_STATE.seed });
  const driftedSpec = `JOINT_COMMAND:${MESSAGES.JOINT_COMMAND[1].filter((f) => f !== 'u8 mode').join(';')};u8 mode`;
  const drifted = packetOf({
    type: 0x0011,
    seq: 0x4007,
    payload: payloadOf(SPECS.JOINT_COMMAND, jointCommand(6)),
    seed: crc32c(ascii(driftedSpec)),
  });
  const v2Info = packetOf({
    version: 2,
    type: 0x0002,
    seq: 0x4008,
    payload: [
      ...payloadOf(
        SPECS.DEVICE_INFO,
        deviceInfo(ARM_JOINTS, { protocol_major: 2, protocol_minor: 3, firmware_major: 4, firmware_minor: 5, firmware_patch: 6 }),
      ),
      0xee,
      0xee,
    ],
    seed: SPECS.DEVICE_INFO.seed,
  });
  const v0Hello = packetOf({
    version: 0,
    type: 0x0001,
    seq: 0x4009,
    payload: payloadOf(SPECS.HELLO, { ...HELLO_FIELDS, protocol_major: 0, protocol_minor: 9 }),
    seed: SPECS.HELLO.seed,
  });
  const v2State = packetOf({
    version: 2,
    type: 0x0010,
    seq: 0x400a,
    payload: payloadOf(SPECS.JOINT_STATE, jointState(6)),
    seed: SPECS.JOINT_STATE.seed,
  });
  const nan = [0x00, 0x00, 0xc0, 0x7f];
  const infinity = [0x00, 0x00, 0x80, 0x7f];
  return [
    invalid('cobs_block_past_delimiter', 'Code byte 0x05 announces four data bytes; the delimiter comes after two.', 'cobs', null, {
      frame: [0x05, 0x11, 0x22, 0x00],
    }),
    invalid('too_long', 'A 1025-byte packet, one more than the maximum.', 'too_long', oversize),
    invalid('truncated_empty_packet', 'COBS of nothing (0x01): a packet of zero bytes.', 'truncated', []),
    invalid('truncated_11_bytes', 'The first 11 bytes of a packet: shorter than header and CRC.', 'truncated', state.slice(0, 11)),
    invalid(
      'unknown_type',
      'Message id 0x0099, not defined in v1 (CRC computed with seed 0).',
      'unknown_type',
      packetOf({ type: 0x0099, seq: 0x400b, payload: [1, 2, 3], seed: 0 }),
    ),
    invalid(
      'unknown_type_vendor',
      'Vendor message id 0x8001, unknown to this receiver.',
      'unknown_type',
      packetOf({ type: 0x8001, seq: 0x400c, payload: [], seed: 0 }),
    ),
    invalid('crc_bit_flip', 'JOINT_STATE with one payload bit flipped.', 'crc', flipped),
    invalid('crc_last_byte', 'JOINT_STATE with the top bit of its CRC flipped.', 'crc', badCrc),
    invalid(
      'crc_schema_drift',
      "JOINT_COMMAND from a sender whose layout puts 'mode' last: a different schema seed, so the CRC fails.",
      'crc',
      drifted,
    ),
    invalid('crc_truncated_frame', 'JOINT_STATE cut by 3 bytes: the CRC no longer matches.', 'crc', state.slice(0, state.length - 3)),
    invalid(
      'version_device_info_v2',
      'DEVICE_INFO of protocol 2.3 (firmware 4.5.6): rejected, but the peer versions are readable.',
      'version',
      v2Info,
      {
        peer: {
          role: 'device',
          protocol_major: 2,
          protocol_minor: 3,
          software_major: 4,
          software_minor: 5,
          software_patch: 6,
          name: 'koch-arm-07',
        },
      },
    ),
    invalid('version_hello_v0', 'HELLO of protocol 0.9: rejected, the peer versions are readable.', 'version', v0Hello, {
      peer: {
        role: 'host',
        protocol_major: 0,
        protocol_minor: 9,
        software_major: 3,
        software_minor: 4,
        software_patch: 517,
        name: 'robo-train',
      },
    }),
    invalid('version_joint_state_v2', 'JOINT_STATE with header version 2 (and a CRC that matches).', 'version', v2State),
    invalid(
      'flags_incompatible',
      'Header flag bit 0 (incompatible, unknown in v1) set.',
      'flags',
      packetOf({ flags: 0x01, type: 0x0021, seq: 0x400d, payload: [], seed: SPECS.ESTOP.seed }),
    ),
    invalid(
      'length_mismatch',
      'Header says 95 payload bytes; the packet holds 94.',
      'length_mismatch',
      packetOf({
        type: 0x0010,
        seq: 0x400e,
        payload: payloadOf(SPECS.JOINT_STATE, jointState(6)),
        payloadLen: 95,
        seed: SPECS.JOINT_STATE.seed,
      }),
    ),
    invalid(
      'bad_length_joint_state',
      'joint_count 6 with a payload sized for 5 joints.',
      'bad_length',
      packetOf({
        type: 0x0010,
        seq: 0x400f,
        payload: [...payloadOf(SPECS.JOINT_STATE, jointState(5)).slice(0, 15), 6, ...payloadOf(SPECS.JOINT_STATE, jointState(5)).slice(16)],
        seed: SPECS.JOINT_STATE.seed,
      }),
    ),
    invalid(
      'bad_length_torque_empty',
      'TORQUE without its one payload byte.',
      'bad_length',
      packetOf({ type: 0x0020, seq: 0x4010, payload: [], seed: SPECS.TORQUE.seed }),
    ),
    invalid(
      'bad_length_fixed_part',
      'JOINT_STATE with a 15-byte payload, one short of its fixed part (whose last byte is joint_count): bad_length, before any joint-count check (§ 5 notes).',
      'bad_length',
      packetOf({
        type: 0x0010,
        seq: 0x4011,
        payload: payloadOf(SPECS.JOINT_STATE, jointState(1)).slice(0, 15),
        seed: SPECS.JOINT_STATE.seed,
      }),
    ),
    invalid('bad_field_joint_count_0', 'JOINT_COMMAND with joint_count 0.', 'bad_field', patched(command, 'JOINT_COMMAND', 11, [0])),
    invalid(
      'bad_field_joint_count_33',
      'JOINT_STATE with joint_count 33 and a payload sized for 6 joints: the count is checked before the length it implies, so bad_field, not bad_length (§ 5 notes).',
      'bad_field',
      patched(state, 'JOINT_STATE', 15, [33]),
    ),
    invalid(
      'bad_field_mode_two_bits',
      'JOINT_COMMAND mode 0x03: two modes at once.',
      'bad_field',
      patched(command, 'JOINT_COMMAND', 10, [3]),
    ),
    invalid('bad_field_mode_zero', 'JOINT_COMMAND mode 0.', 'bad_field', patched(command, 'JOINT_COMMAND', 10, [0])),
    invalid('bad_field_active_mode', 'JOINT_STATE active_mode 0x06.', 'bad_field', patched(state, 'JOINT_STATE', 14, [6])),
    invalid('bad_field_torque_enable_2', 'TORQUE enable 2.', 'bad_field', patched(torque, 'TORQUE', 0, [2])),
    invalid('bad_field_nan_position', 'JOINT_STATE with a NaN position.', 'bad_field', patched(state, 'JOINT_STATE', 16 + 4 * 2, nan)),
    invalid(
      'bad_field_infinite_target',
      'JOINT_COMMAND with a +Inf target.',
      'bad_field',
      patched(command, 'JOINT_COMMAND', 12 + 4 * 5, infinity),
    ),
    invalid(
      'bad_field_time_2_pow_53',
      'JOINT_STATE device_time_us = 2^53.',
      'bad_field',
      patched(state, 'JOINT_STATE', 0, le(2n ** 53n, 8)),
    ),
    invalid(
      'bad_field_heartbeat_time_2_pow_53',
      "HEARTBEAT time_us = 2^53: every u64 is a time under the 2^53 rule, HEARTBEAT's too (§ 2).",
      'bad_field',
      messagePacket('HEARTBEAT', 0x4012, { time_us: 2 ** 53, status: 0 }),
    ),
    invalid(
      'bad_field_non_ascii_name',
      'DEVICE_INFO with byte 0xC3 in a joint name.',
      'bad_field',
      patched(info, 'DEVICE_INFO', 48 + 16 * 2 + 1, [0xc3]),
    ),
    invalid(
      'bad_field_byte_after_nul',
      'HELLO host_name with a letter after its NUL padding.',
      'bad_field',
      patched(hello, 'HELLO', 8 + 20, [0x41]),
    ),
    invalid(
      'bad_field_protocol_major',
      'HELLO whose protocol_major (2) differs from the header version (1).',
      'bad_field',
      patched(hello, 'HELLO', 0, [2]),
    ),
  ];
}

function streamVectors(messages) {
  const byName = Object.fromEntries(messages.map((v) => [v.name, v]));
  const frame = (name) => fromHex(byName[name].frame_hex);
  // Flip one data byte (not a COBS code byte) inside the payload, so that only the CRC can notice.
  const corrupted = frame('joint_command');
  const codeBytes = new Set();
  for (let i = 0; i < corrupted.length - 1; i += corrupted[i]) codeBytes.add(i);
  let at = 24;
  while (codeBytes.has(at) || corrupted[at] === 0x01) at++;
  corrupted[at] ^= 0x01;
  return [
    {
      name: 'garbage_between_frames',
      description: 'Invalid COBS, a frame, a 2-byte packet, a frame, two empty frames, a corrupted frame, a frame.',
      stream_hex: hex([
        0xde,
        0xad,
        0xbe,
        0xef,
        0x00,
        ...frame('joint_state'),
        0x03,
        0x11,
        0x22,
        0x00,
        ...frame('heartbeat_device'),
        0x00,
        0x00,
        ...corrupted,
        ...frame('ack'),
      ]),
      expect: [
        { error: 'cobs' },
        { message: 'joint_state' },
        { error: 'truncated' },
        { message: 'heartbeat_device' },
        { error: 'crc' },
        { message: 'ack' },
      ],
    },
    {
      name: 'leading_delimiter_and_back_to_back',
      description: 'A leading 0x00 (allowed before any frame) and frames back to back.',
      stream_hex: hex([0x00, ...frame('hello'), ...frame('device_info'), ...frame('estop'), ...frame('estop_clear')]),
      expect: [{ message: 'hello' }, { message: 'device_info' }, { message: 'estop' }, { message: 'estop_clear' }],
    },
    {
      name: 'junk_without_delimiter_eats_next_frame',
      description: 'One junk byte (0xFE) with no delimiter after it merges with the next frame, which is lost; the one after decodes.',
      stream_hex: hex([0xfe, ...frame('joint_state'), ...frame('joint_command')]),
      expect: [{ error: 'cobs' }, { message: 'joint_command' }],
    },
    {
      name: 'too_long_and_bad_cobs',
      description:
        'A frame of 1271 decoded bytes whose last COBS block runs past the delimiter: too long and malformed; too_long wins (§ 3.2). Then a valid frame.',
      stream_hex: hex([
        ...Array.from({ length: 5 }, () => [0xff, ...new Array(254).fill(0x66)]).flat(),
        0x20,
        0x77,
        0x00,
        ...frame('estop'),
      ]),
      expect: [{ error: 'too_long' }, { message: 'estop' }],
    },
    {
      name: 'overflow_then_resync',
      description: '2000 non-zero bytes without a delimiter (too long), then a valid frame.',
      stream_hex: hex([...new Array(2000).fill(0x55), 0x00, ...frame('torque_enable')]),
      expect: [{ error: 'too_long' }, { message: 'torque_enable' }],
    },
  ];
}

function fromHex(text) {
  return text.match(/../g).map((pair) => parseInt(pair, 16));
}

function sequenceVectors() {
  const pairs = [
    [1, 0],
    [0, 1],
    [0, 0xffff],
    [0xffff, 0],
    [5, 5],
    [0x7fff, 0],
    [0x8000, 0],
    [0x8001, 0],
    [0x1234, 0x9234],
    [0x0010, 0xfff0],
  ];
  const newer = pairs.map(([a, b]) => {
    const d = (a - b) & 0xffff;
    return { a, b, newer: d !== 0 && d < 0x8000, delta: d >= 0x8000 ? d - 0x10000 : d };
  });
  return {
    description:
      "a is newer than b when (a - b) mod 65536 is in 1..32767; delta is that difference as a signed 16-bit number. The tracker counts one sender's valid frames; a seq that is not newer and not equal is a restart (a reboot), after which the frames 0..seq-1 of the new count are lost.",
    newer,
    tracker: {
      seqs: [65533, 65534, 65535, 0, 3, 3, 4, 10, 2, 3],
      events: ['first', 'in_order', 'in_order', 'in_order', 'gap', 'duplicate', 'in_order', 'gap', 'restart', 'in_order'],
      received: 10,
      lost: 9,
      duplicates: 1,
      restarts: 1,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Output: JSON with short arrays on one line, and the C header
// ---------------------------------------------------------------------------------------------

function toJson(value, indent = '') {
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object')) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    const inner = indent + '  ';
    return `[\n${value.map((item) => inner + toJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const inner = indent + '  ';
    const entries = Object.entries(value).map(([key, item]) => `${inner}${JSON.stringify(key)}: ${toJson(item, inner)}`);
    return entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function document(description, vectors, extra = {}) {
  return (
    toJson({
      protocol: 'robo-train firmware protocol 1.0',
      generated_by: 'firmware-protocol/gen-vectors.mjs',
      description,
      ...extra,
      vectors,
    }) + '\n'
  );
}

function cBytes(name, bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16)
    lines.push(
      '    ' +
        bytes
          .slice(i, i + 16)
          .map((b) => `0x${b.toString(16).padStart(2, '0')}`)
          .join(', ') +
        ',',
    );
  return `static const uint8_t ${name}[] = {\n${lines.join('\n')}\n};`;
}

function cFloat(value) {
  const text = String(value);
  return /[.e]/.test(text) ? `${text}f` : `${text}.0f`;
}

function cString(text) {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function cValue(field, value) {
  const one = (v) => (field.type === 'char' ? cString(v) : field.type === 'f32' ? cFloat(v) : field.type === 'u64' ? `${v}ULL` : `${v}u`);
  return field.perJoint ? `{ ${value.map(one).join(', ')} }` : one(value);
}

function cMessage(vector) {
  const spec = SPECS[vector.message];
  const member = vector.message.toLowerCase();
  const fields = spec.fields.map((field) => `.u.${member}.${field.name} = ${cValue(field, vector.fields[field.name])}`);
  return `{ ${[`.type = RTP_MSG_${vector.message}`, ...fields].join(', ')} }`;
}

function cHeader(validVectors, invalidVectors, streams, sequence) {
  const out = [
    '/* Generated by firmware-protocol/gen-vectors.mjs from the same tables as the JSON files in vectors/: do not edit. */',
    '#ifndef RTP_TEST_VECTORS_H',
    '#define RTP_TEST_VECTORS_H',
    '',
    '#include "../rtp.h"',
    '',
    'typedef struct {',
    '    const char *name;',
    '    uint16_t seq;',
    '    int canonical; /* encoding `expected` gives `packet` again */',
    '    const uint8_t *packet;',
    '    size_t packet_len;',
    '    const uint8_t *frame;',
    '    size_t frame_len;',
    '    rtp_message_t expected;',
    '} rtp_valid_vector_t;',
    '',
    'typedef struct {',
    '    const char *name;',
    '    rtp_status_t error;',
    '    int has_packet; /* 0 when the frame is not valid COBS */',
    '    const uint8_t *packet; /* NULL when there is no packet or it is empty */',
    '    size_t packet_len;',
    '    const uint8_t *frame;',
    '    size_t frame_len;',
    '    int has_peer;',
    '    rtp_peer_t peer;',
    '} rtp_invalid_vector_t;',
    '',
    'typedef struct {',
    '    rtp_status_t status; /* RTP_OK: a message equal to valid vector `valid_index` */',
    '    int valid_index;',
    '} rtp_stream_outcome_t;',
    '',
    'typedef struct {',
    '    const char *name;',
    '    const uint8_t *bytes;',
    '    size_t len;',
    '    const rtp_stream_outcome_t *outcomes;',
    '    size_t outcome_count;',
    '} rtp_stream_vector_t;',
    '',
    'typedef struct {',
    '    uint16_t type;',
    '    const char *schema;',
    '    uint32_t seed;',
    '} rtp_schema_vector_t;',
    '',
    'typedef struct {',
    '    uint16_t a;',
    '    uint16_t b;',
    '    int newer;',
    '    int32_t delta;',
    '} rtp_seq_vector_t;',
    '',
  ];
  validVectors.forEach((v, i) => {
    out.push(cBytes(`valid_${i}_packet`, fromHex(v.packet_hex)));
    out.push(cBytes(`valid_${i}_frame`, fromHex(v.frame_hex)));
  });
  out.push('', 'static const rtp_valid_vector_t rtp_valid_vectors[] = {');
  validVectors.forEach((v, i) => {
    const packetLen = v.packet_hex.length / 2;
    const frameLen = v.frame_hex.length / 2;
    out.push(
      `    { ${cString(v.name)}, ${v.seq}u, ${v.canonical ? 1 : 0}, valid_${i}_packet, ${packetLen}, valid_${i}_frame, ${frameLen},`,
    );
    out.push(`      ${cMessage(v)} },`);
  });
  out.push('};', `#define RTP_VALID_VECTOR_COUNT ${validVectors.length}`, '');
  invalidVectors.forEach((v, i) => {
    if (v.packet_hex !== undefined && v.packet_hex.length > 0) out.push(cBytes(`invalid_${i}_packet`, fromHex(v.packet_hex)));
    out.push(cBytes(`invalid_${i}_frame`, fromHex(v.frame_hex)));
  });
  out.push('', 'static const rtp_invalid_vector_t rtp_invalid_vectors[] = {');
  invalidVectors.forEach((v, i) => {
    const hasPacket = v.packet_hex !== undefined && v.packet_hex.length > 0;
    const packet = `${v.packet_hex === undefined ? 0 : 1}, ${hasPacket ? `invalid_${i}_packet, ${v.packet_hex.length / 2}` : 'NULL, 0'}`;
    const peer = v.peer
      ? `1, { ${v.peer.role === 'device' ? 1 : 0}, ${v.peer.protocol_major}, ${v.peer.protocol_minor}, ${v.peer.software_major}, ${v.peer.software_minor}, ${v.peer.software_patch}, ${cString(v.peer.name)} }`
      : '0, { 0, 0, 0, 0, 0, 0, "" }';
    out.push(
      `    { ${cString(v.name)}, RTP_ERR_${v.error.toUpperCase()}, ${packet}, invalid_${i}_frame, ${v.frame_hex.length / 2}, ${peer} },`,
    );
  });
  out.push('};', `#define RTP_INVALID_VECTOR_COUNT ${invalidVectors.length}`, '');
  const validIndex = Object.fromEntries(validVectors.map((v, i) => [v.name, i]));
  streams.forEach((s, i) => {
    out.push(cBytes(`stream_${i}_bytes`, fromHex(s.stream_hex)));
    const outcomes = s.expect.map((e) =>
      e.message !== undefined ? `{ RTP_OK, ${validIndex[e.message]} }` : `{ RTP_ERR_${e.error.toUpperCase()}, -1 }`,
    );
    out.push(`static const rtp_stream_outcome_t stream_${i}_outcomes[] = { ${outcomes.join(', ')} };`);
  });
  out.push('', 'static const rtp_stream_vector_t rtp_stream_vectors[] = {');
  streams.forEach((s, i) =>
    out.push(`    { ${cString(s.name)}, stream_${i}_bytes, ${s.stream_hex.length / 2}, stream_${i}_outcomes, ${s.expect.length} },`),
  );
  out.push('};', `#define RTP_STREAM_VECTOR_COUNT ${streams.length}`, '');
  out.push('static const rtp_schema_vector_t rtp_schema_vectors[] = {');
  for (const spec of Object.values(SPECS))
    out.push(
      `    { 0x${spec.id.toString(16).padStart(4, '0')}u, ${cString(spec.schema)}, 0x${spec.seed.toString(16).padStart(8, '0')}u },`,
    );
  out.push('};', `#define RTP_SCHEMA_VECTOR_COUNT ${Object.keys(SPECS).length}`, '');
  out.push('static const rtp_seq_vector_t rtp_seq_vectors[] = {');
  for (const p of sequence.newer) out.push(`    { ${p.a}u, ${p.b}u, ${p.newer ? 1 : 0}, ${p.delta} },`);
  out.push('};', `#define RTP_SEQ_VECTOR_COUNT ${sequence.newer.length}`, '', '#endif', '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

export function generate() {
  const messages = messageVectors();
  const edges = edgeVectors();
  const invalids = invalidVectors();
  const streams = streamVectors(messages);
  const sequence = sequenceVectors();
  const schemas = Object.values(SPECS).map((s) => ({
    name: s.name,
    type: s.id,
    schema: s.schema,
    seed: `0x${s.seed.toString(16).padStart(8, '0')}`,
  }));
  return {
    'vectors/messages.json': document(
      'One packet per message type, with distinct non-zero field values; `schemas` gives every schema string and its seed.',
      messages,
      { schemas },
    ),
    'vectors/edge-cases.json': document(
      'Valid packets at the limits. canonical=false: a decoder accepts the packet, an encoder of the decoded fields writes the v1 form instead.',
      edges,
    ),
    'vectors/invalid.json': document(
      'Frames a receiver must drop, with the reason of the first check that fails (PROTOCOL.md § 5). packet_hex is absent when the frame is not valid COBS.',
      invalids,
    ),
    'vectors/streams.json': document(
      'Byte streams and the outcomes a streaming decoder reports, in order. A message outcome names a vector of messages.json.',
      streams,
    ),
    'vectors/sequence.json':
      toJson({ protocol: 'robo-train firmware protocol 1.0', generated_by: 'firmware-protocol/gen-vectors.mjs', ...sequence }) + '\n',
    'c/test/vectors.h': cHeader([...messages, ...edges], invalids, streams, sequence),
  };
}

function main() {
  const check = process.argv.includes('--check');
  const drift = [];
  for (const [path, content] of Object.entries(generate())) {
    const file = join(HERE, path);
    if (check) {
      let current = null;
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        current = null;
      }
      if (current !== content) drift.push(relative(process.cwd(), file));
    } else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }
  if (drift.length > 0) {
    console.error(`generated output differs from the committed files: ${drift.join(', ')}\nrun: node firmware-protocol/gen-vectors.mjs`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
