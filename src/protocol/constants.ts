/**
 * Numbers of the robo-train firmware protocol v1, as `firmware-protocol/PROTOCOL.md` defines them.
 *
 * Terms: a *packet* is header ‖ payload ‖ CRC (one MQTT message carries one packet); a *frame* is
 * COBS(packet) ‖ 0x00 (the unit on a byte stream such as a serial port).
 */

/** Protocol major version: byte 0 of every header. Frames of another major version are rejected. */
export const PROTOCOL_MAJOR = 1;
/** Protocol minor version: carried by HELLO and DEVICE_INFO; minor versions only append. */
export const PROTOCOL_MINOR = 1;

export const HEADER_LEN = 8;
export const CRC_LEN = 4;
/** Header plus CRC: the size of a packet with an empty payload. */
export const PACKET_OVERHEAD = HEADER_LEN + CRC_LEN;
/** Largest packet (header + payload + CRC) in bytes; a larger one is rejected as `too_long`. */
export const MAX_PACKET_LEN = 1024;
export const MAX_PAYLOAD_LEN = MAX_PACKET_LEN - PACKET_OVERHEAD;
/** Largest frame on a byte stream: COBS adds one byte per 254 (rounded up), then the 0x00 delimiter. */
export const MAX_FRAME_LEN = MAX_PACKET_LEN + Math.ceil(MAX_PACKET_LEN / 254) + 1;

export const MAX_JOINTS = 32;
/** Fixed sizes of the NUL-padded ASCII string fields [bytes]. */
export const JOINT_NAME_LEN = 16;
export const DEVICE_ID_LEN = 32;
export const HOST_NAME_LEN = 24;
export const FAULT_TEXT_LEN = 48;

/** Range a device accepts for CONFIGURE's watchdog timeout [ms]. */
export const WATCHDOG_MIN_MS = 10;
export const WATCHDOG_MAX_MS = 10_000;
/** A JOINT_COMMAND whose deadline lies further in the future than this is refused [µs]. */
export const COMMAND_HORIZON_US = 1_000_000;
/** Device and deadline times are below 2^53 µs (285 years), so they are exact as JavaScript numbers. */
export const MAX_TIME_US = Number.MAX_SAFE_INTEGER;

/** Header flag bits 0–3 are incompatible (a receiver drops a frame with one it does not know); bits 4–7 are ignored. */
export const INCOMPATIBLE_FLAGS_MASK = 0x0f;

/** Compatible header flags (bits 4–7), defined since 1.1. */
export const HeaderFlag = {
  /** JOINT_STATE only: the payload carries the wear fields after the 1.0 fields (PROTOCOL.md § 6.4). */
  WEAR: 0x10,
} as const;

/** JOINT_STATE `wear_fields` (1.1): which wear quantities the device measures; the others are sent as 0. */
export const WearField = {
  CURRENT: 0x01,
  TEMPERATURE: 0x02,
  VOLTAGE: 0x04,
} as const;

/** Message ids (header bytes 2–3). Ids 0x8000–0xFFFF are left to vendors and experiments. */
export const MessageType = {
  HELLO: 0x0001,
  DEVICE_INFO: 0x0002,
  HEARTBEAT: 0x0003,
  JOINT_STATE: 0x0010,
  JOINT_COMMAND: 0x0011,
  TORQUE: 0x0020,
  ESTOP: 0x0021,
  ESTOP_CLEAR: 0x0022,
  CONFIGURE: 0x0023,
  FAULT: 0x0030,
  ACK: 0x0031,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
export type MessageName = keyof typeof MessageType;

/** Command modes: one bit each, so that DEVICE_INFO can list the supported ones as a bit set. */
export const CommandModeBit = {
  POSITION: 0x01,
  VELOCITY: 0x02,
  EFFORT: 0x04,
} as const;
export type CommandModeBit = (typeof CommandModeBit)[keyof typeof CommandModeBit];

/** Device status bits (JOINT_STATE `device_status`, device HEARTBEAT `status`). Unknown bits are ignored. */
export const DeviceStatus = {
  TORQUE_ENABLED: 0x0001,
  ESTOPPED: 0x0002,
  WATCHDOG_EXPIRED: 0x0004,
  FAULT: 0x0008,
  SESSION: 0x0010,
  LIMIT_ACTIVE: 0x0020,
} as const;

/** Per-joint status bits (JOINT_STATE `joint_status`). */
export const JointStatus = {
  TORQUE_ON: 0x01,
  CLAMPED: 0x02,
  AT_LIMIT: 0x04,
  OVERLOAD: 0x08,
  OVERHEAT: 0x10,
  SENSOR_ERROR: 0x20,
  FAULT: 0x40,
} as const;

/** FAULT `code`. Codes 0x8000–0xFFFF are vendor-specific. */
export const FaultCode = {
  OVERCURRENT: 0x0001,
  OVERHEAT: 0x0002,
  UNDERVOLTAGE: 0x0003,
  OVERVOLTAGE: 0x0004,
  SENSOR: 0x0005,
  POSITION_LIMIT: 0x0006,
  FOLLOWING_ERROR: 0x0007,
  WATCHDOG_EXPIRED: 0x0008,
  ESTOP_INPUT: 0x0009,
  COMMUNICATION: 0x000a,
  INTERNAL: 0x000b,
} as const;

/** FAULT `flags`. */
export const FaultFlag = {
  /** The device stays stopped until ESTOP_CLEAR. */
  LATCHED: 0x01,
  /** Only a power cycle clears it. */
  REBOOT_REQUIRED: 0x02,
} as const;

/** FAULT `joint` value for a fault of the whole device rather than one joint. */
export const DEVICE_WIDE = 0xff;

/** ACK `result`: 0 is an acknowledgement, anything else a refusal (a NAK). */
export const ResultCode = {
  OK: 0,
  VERSION_MISMATCH: 1,
  NO_SESSION: 2,
  INVALID_VALUE: 3,
  UNSUPPORTED_MODE: 4,
  JOINT_COUNT: 5,
  STALE: 6,
  OUT_OF_ORDER: 7,
  ESTOPPED: 8,
  FAULT_ACTIVE: 9,
  TORQUE_DISABLED: 10,
  ESTOP_INPUT_ACTIVE: 11,
  UNSUPPORTED_MESSAGE: 12,
} as const;

/** Why a receiver dropped a frame, in the order the checks run (the first failing check names it). */
export const REJECT_REASONS = [
  'cobs',
  'too_long',
  'truncated',
  'unknown_type',
  'crc',
  'version',
  'flags',
  'length_mismatch',
  'bad_length',
  'bad_field',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
