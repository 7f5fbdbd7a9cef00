/**
 * The payload layout of every v1 message, as data: field order, wire types and per-joint arrays, and
 * what each field means. This table is the one source of the layouts: the codec takes its offsets
 * from it (`offsets.ts`), and `npm run gen:protocol` writes the C reference's `rtp_layout.h` and the
 * byte tables of PROTOCOL.md from it (`render.ts`).
 *
 * Each layout yields a canonical schema string, e.g. `TORQUE:u8 enable`, and its CRC-32C is the
 * message's *schema seed*. The seed is fed into every packet's CRC after the packet bytes (it is not
 * transmitted), so two sides that disagree on a layout reject each other's frames instead of misreading
 * them. The layouts are pinned by `test/protocol/schema.test.ts`: v1 evolves only by appending.
 */
import { DEVICE_ID_LEN, FAULT_TEXT_LEN, HOST_NAME_LEN, HeaderFlag, JOINT_NAME_LEN, MessageType, type MessageName } from './constants.js';
import { CRC32C_INIT, crc32cFinish, crc32cUpdate } from './crc32c.js';

export type WireType = 'u8' | 'u16' | 'u32' | 'u64' | 'f32' | 'char';

export interface FieldSpec {
  /** snake_case, as in PROTOCOL.md and the vectors. */
  readonly name: string;
  readonly type: WireType;
  /** For `char` only: the string's fixed width [bytes], NUL-padded. */
  readonly length?: number;
  /** 'n': one value per joint; absent: one value. */
  readonly count?: 'n';
  /** For PROTOCOL.md's byte tables (Markdown): the unit, the values allowed, what the field means. */
  readonly unit?: string;
  readonly range?: string;
  readonly meaning?: string;
  /**
   * An extension field (PROTOCOL.md § 13): appended by minor version `minor`, after every 1.0 field,
   * outside the schema string (the seed stays), and present only in packets whose header carries
   * `headerFlag`, so that a device without it sends the 1.0 layout unchanged.
   */
  readonly extension?: { readonly minor: number; readonly headerFlag: number };
}

export type Direction = 'host_to_device' | 'device_to_host' | 'both';

export interface MessageSpec {
  readonly type: MessageType;
  readonly name: MessageName;
  readonly direction: Direction;
  readonly fields: readonly FieldSpec[];
}

export interface MessageLayout extends MessageSpec {
  readonly schema: string;
  readonly seed: number;
  /** Bytes of the 1.0 fields that do not repeat per joint. */
  readonly fixedLen: number;
  /** Bytes added per joint by the 1.0 fields (0 for messages without per-joint arrays). */
  readonly perJointLen: number;
  /** The same with the extension fields, when the header flag `extensionFlag` is set; equal to the 1.0 sizes without extensions. */
  readonly extendedFixedLen: number;
  readonly extendedPerJointLen: number;
  /** The header flag that gates the extension fields; 0 when the message has none. */
  readonly extensionFlag: number;
  /** Offset of `joint_count` in the payload, or -1. */
  readonly jointCountOffset: number;
  /** Where each field starts, by name: `fixed + perJoint × jointCount` bytes into the payload. */
  readonly places: ReadonlyMap<string, FieldPlace>;
}

/** A field's offset in the payload: `fixed + perJoint × jointCount` [bytes] (a field after per-joint arrays moves with the count). */
export interface FieldPlace {
  readonly fixed: number;
  readonly perJoint: number;
}

const WIRE_SIZE: Record<WireType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, f32: 4, char: 1 };

/** JOINT_STATE's wear fields: protocol 1.1, present when the header carries the WEAR flag. */
const WEAR_SINCE_1_1 = { minor: 1, headerFlag: HeaderFlag.WEAR } as const;

const SPECS: readonly MessageSpec[] = [
  {
    type: MessageType.HELLO,
    name: 'HELLO',
    direction: 'host_to_device',
    fields: [
      { name: 'protocol_major', type: 'u8', range: '= header `version`', meaning: 'protocol major version of the host' },
      { name: 'protocol_minor', type: 'u8', range: '0–255', meaning: 'protocol minor version of the host' },
      { name: 'host_major', type: 'u8', meaning: 'host software version (major.minor.patch)' },
      { name: 'host_minor', type: 'u8' },
      { name: 'host_patch', type: 'u16' },
      {
        name: 'state_rate_hz',
        type: 'u16',
        unit: 'Hz',
        range: '0–65535',
        meaning:
          "JOINT_STATE rate requested; 0 = the device's default. The device uses `clamp(state_rate_hz, min, max)` of its DEVICE_INFO range.",
      },
      { name: 'host_name', type: 'char', length: HOST_NAME_LEN, meaning: 'e.g. `robo-train`' },
    ],
  },
  {
    type: MessageType.DEVICE_INFO,
    name: 'DEVICE_INFO',
    direction: 'device_to_host',
    fields: [
      { name: 'protocol_major', type: 'u8', range: '= header `version`', meaning: 'protocol major version of the firmware' },
      { name: 'protocol_minor', type: 'u8', range: '0–255', meaning: 'protocol minor version of the firmware' },
      { name: 'firmware_major', type: 'u8', meaning: 'firmware version (major.minor.patch)' },
      { name: 'firmware_minor', type: 'u8' },
      { name: 'firmware_patch', type: 'u16' },
      { name: 'joint_count', type: 'u8', range: '1–32', meaning: 'n' },
      { name: 'supported_modes', type: 'u8', range: 'bit set', meaning: 'command modes the device accepts (§ 7.2), at least one' },
      { name: 'min_state_rate_hz', type: 'u16', unit: 'Hz', range: '≥ 1', meaning: 'slowest JOINT_STATE rate' },
      { name: 'max_state_rate_hz', type: 'u16', unit: 'Hz', range: '≥ min', meaning: 'fastest JOINT_STATE rate' },
      { name: 'default_state_rate_hz', type: 'u16', unit: 'Hz', range: 'min–max', meaning: 'rate used when HELLO asks for 0' },
      { name: 'default_watchdog_ms', type: 'u16', unit: 'ms', range: '10–10000', meaning: 'watchdog timeout at the start of each session' },
      { name: 'device_id', type: 'char', length: DEVICE_ID_LEN, meaning: 'unique name of this robot, e.g. `koch-arm-07`' },
      {
        name: 'joint_names',
        type: 'char',
        length: JOINT_NAME_LEN,
        count: 'n',
        meaning: 'joint names, in the order of every per-joint array',
      },
    ],
  },
  {
    type: MessageType.HEARTBEAT,
    name: 'HEARTBEAT',
    direction: 'both',
    fields: [
      { name: 'time_us', type: 'u64', unit: 'µs', range: '< 2^53', meaning: "sender's monotonic clock" },
      { name: 'status', type: 'u16', range: 'bit set', meaning: 'device: its device status (§ 7.3); host: 0' },
    ],
  },
  {
    type: MessageType.JOINT_STATE,
    name: 'JOINT_STATE',
    direction: 'device_to_host',
    fields: [
      { name: 'device_time_us', type: 'u64', unit: 'µs', range: '< 2^53', meaning: 'device clock when the joints were sampled' },
      { name: 'device_status', type: 'u16', range: 'bit set', meaning: '§ 7.3' },
      {
        name: 'last_command_seq',
        type: 'u16',
        meaning: 'header `seq` of the last JOINT_COMMAND applied in this session; 0 before the first (see below)',
      },
      { name: 'commands_rejected', type: 'u16', meaning: 'JOINT_COMMANDs refused in this session, modulo 65536' },
      {
        name: 'active_mode',
        type: 'u8',
        range: '0 or one mode bit',
        meaning: 'mode of the last applied command while ENABLED; 0 in the safe state and before the first command after TORQUE enable',
      },
      { name: 'joint_count', type: 'u8', range: '1–32', meaning: "n, equal to DEVICE_INFO's" },
      { name: 'position_rad', type: 'f32', count: 'n', unit: 'rad', range: 'finite', meaning: 'joint positions' },
      { name: 'velocity_rad_s', type: 'f32', count: 'n', unit: 'rad/s', range: 'finite', meaning: 'joint velocities' },
      { name: 'effort_nm', type: 'f32', count: 'n', unit: 'N·m', range: 'finite', meaning: 'joint efforts (torques)' },
      { name: 'joint_status', type: 'u8', count: 'n', range: 'bit set', meaning: 'per-joint status (§ 7.4)' },
      {
        name: 'wear_fields',
        type: 'u8',
        range: 'bit set',
        meaning: 'which wear quantities the device measures (§ 7.9); the others are sent as 0',
        extension: WEAR_SINCE_1_1,
      },
      {
        name: 'current_a',
        type: 'f32',
        count: 'n',
        unit: 'A',
        range: 'finite',
        meaning: 'motor current, signed as the actuator reports it',
        extension: WEAR_SINCE_1_1,
      },
      {
        name: 'temperature_c',
        type: 'f32',
        count: 'n',
        unit: '°C',
        range: 'finite',
        meaning: "the actuator's internal temperature",
        extension: WEAR_SINCE_1_1,
      },
      {
        name: 'voltage_v',
        type: 'f32',
        count: 'n',
        unit: 'V',
        range: 'finite',
        meaning: 'input (supply) voltage at the actuator',
        extension: WEAR_SINCE_1_1,
      },
    ],
  },
  {
    type: MessageType.JOINT_COMMAND,
    name: 'JOINT_COMMAND',
    direction: 'host_to_device',
    fields: [
      {
        name: 'deadline_us',
        type: 'u64',
        unit: 'µs (device clock)',
        range: '< 2^53',
        meaning: 'the device MUST NOT apply the command after this time',
      },
      { name: 'state_seq', type: 'u16', meaning: 'header `seq` of the JOINT_STATE this command answers' },
      { name: 'mode', type: 'u8', range: 'exactly one bit', meaning: 'POSITION, VELOCITY or EFFORT (§ 7.2)' },
      { name: 'joint_count', type: 'u8', range: '1–32', meaning: "n, equal to DEVICE_INFO's" },
      { name: 'target', type: 'f32', count: 'n', unit: 'rad, rad/s or N·m by mode', range: 'finite', meaning: 'one target per joint' },
    ],
  },
  {
    type: MessageType.TORQUE,
    name: 'TORQUE',
    direction: 'host_to_device',
    fields: [{ name: 'enable', type: 'u8', range: '0 or 1', meaning: '1: enable (follow commands), 0: disable' }],
  },
  { type: MessageType.ESTOP, name: 'ESTOP', direction: 'host_to_device', fields: [] },
  { type: MessageType.ESTOP_CLEAR, name: 'ESTOP_CLEAR', direction: 'host_to_device', fields: [] },
  {
    type: MessageType.CONFIGURE,
    name: 'CONFIGURE',
    direction: 'host_to_device',
    fields: [
      { name: 'watchdog_timeout_ms', type: 'u16', unit: 'ms', range: '0, or 10–10000', meaning: 'new watchdog timeout; 0 = unchanged' },
      {
        name: 'state_rate_hz',
        type: 'u16',
        unit: 'Hz',
        range: '0, or min–max of DEVICE_INFO',
        meaning: 'new JOINT_STATE rate; 0 = unchanged',
      },
    ],
  },
  {
    type: MessageType.FAULT,
    name: 'FAULT',
    direction: 'device_to_host',
    fields: [
      { name: 'device_time_us', type: 'u64', unit: 'µs', range: '< 2^53', meaning: 'when it happened' },
      { name: 'code', type: 'u16', range: '§ 7.5', meaning: 'what happened; 0x8000–0xFFFF vendor-specific' },
      { name: 'joint', type: 'u8', range: '0–31, 0xFF', meaning: 'joint index, or 0xFF for the whole device' },
      { name: 'flags', type: 'u8', range: 'bit set', meaning: '§ 7.6: latched, reboot required' },
      { name: 'text', type: 'char', length: FAULT_TEXT_LEN, meaning: 'for people, e.g. `wrist_roll motor at 81 C`' },
    ],
  },
  {
    type: MessageType.ACK,
    name: 'ACK',
    direction: 'device_to_host',
    fields: [
      { name: 'acked_type', type: 'u16', meaning: 'message id of the frame answered' },
      { name: 'acked_seq', type: 'u16', meaning: 'header `seq` of the frame answered' },
      { name: 'result', type: 'u16', range: '§ 7.7', meaning: '0 = OK (ACK); anything else is a refusal (NAK) with its reason' },
    ],
  },
];

/** `NAME:type name;...`, e.g. `char[32] device_id` for a string, `f32[n] position_rad` for a per-joint array; extension fields are not part of it. */
export function schemaString(spec: MessageSpec): string {
  const fields = spec.fields
    .filter((field) => field.extension === undefined)
    .map((field) => {
      const width = field.length === undefined ? '' : `[${field.length}]`;
      const count = field.count === 'n' ? '[n]' : '';
      return `${field.type}${width}${count} ${field.name}`;
    });
  return `${spec.name}:${fields.join(';')}`;
}

function layoutOf(spec: MessageSpec): MessageLayout {
  let fixed = 0;
  let perJoint = 0;
  let fixedLen = -1;
  let perJointLen = -1;
  let extensionFlag = 0;
  let jointCountOffset = -1;
  const places = new Map<string, FieldPlace>();
  for (const field of spec.fields) {
    if (field.extension !== undefined && fixedLen < 0) {
      fixedLen = fixed;
      perJointLen = perJoint;
      extensionFlag = field.extension.headerFlag;
    }
    if (field.extension === undefined && fixedLen >= 0) throw new Error(`bug: ${spec.name}.${field.name} follows an extension field`);
    if (field.extension !== undefined && field.extension.headerFlag !== extensionFlag)
      throw new Error(`bug: ${spec.name}'s extension fields need one header flag`);
    places.set(field.name, { fixed, perJoint });
    const size = WIRE_SIZE[field.type] * (field.length ?? 1);
    if (field.count === 'n') perJoint += size;
    else {
      if (field.name === 'joint_count') jointCountOffset = fixed;
      fixed += size;
    }
  }
  if (fixedLen < 0) {
    fixedLen = fixed;
    perJointLen = perJoint;
  }
  const schema = schemaString(spec);
  const seed = crc32cFinish(crc32cUpdate(CRC32C_INIT, new TextEncoder().encode(schema)));
  return {
    ...spec,
    schema,
    seed,
    fixedLen,
    perJointLen,
    extendedFixedLen: fixed,
    extendedPerJointLen: perJoint,
    extensionFlag,
    jointCountOffset,
    places,
  };
}

/** Every v1 message layout, in id order. */
export const LAYOUTS: readonly MessageLayout[] = SPECS.map(layoutOf);

const BY_TYPE = new Map<number, MessageLayout>(LAYOUTS.map((layout) => [layout.type, layout]));

/** The layout of a message id, or undefined when v1 does not define it. */
export function layoutOfType(type: number): MessageLayout | undefined {
  return BY_TYPE.get(type);
}

/** The 1.0 payload size of a message with `jointCount` joints (ignored for messages without joints). */
export function payloadLength(layout: MessageLayout, jointCount: number): number {
  return layout.fixedLen + layout.perJointLen * jointCount;
}

/** The payload size with the extension fields, which a packet carries when its header has `layout.extensionFlag`. */
export function extendedPayloadLength(layout: MessageLayout, jointCount: number): number {
  return layout.extendedFixedLen + layout.extendedPerJointLen * jointCount;
}
