/**
 * Dynamixel Protocol 2.0 numbers, from the ROBOTIS e-manual, "DYNAMIXEL Protocol 2.0"
 * (https://emanual.robotis.com/docs/en/dxl/protocol2/; source `docs/en/dxl/protocol2.md` of
 * ROBOTIS-GIT/emanual), cross-checked with DynamixelSDK `python/src/dynamixel_sdk/robotis_def.py`
 * and `protocol2_packet_handler.py`.
 */

/** Header FF FF FD and the reserved byte 00. */
export const HEADER = Uint8Array.of(0xff, 0xff, 0xfd, 0x00);
/** Bytes before the instruction: header (3), reserved, id, length (2). */
export const PREFIX_LENGTH = 7;
/** Broadcast id: every servo executes; only Ping, Sync Read and Fast Sync Read (and Bulk Read) answer. */
export const BROADCAST_ID = 0xfe;
/** Highest servo id (0 to 252); 253 and 255 are never ids because of the header. */
export const MAX_ID = 0xfc;

/** Instruction codes (Instruction table of the Protocol 2.0 page). */
export const Instruction = {
  PING: 0x01,
  READ: 0x02,
  WRITE: 0x03,
  REG_WRITE: 0x04,
  ACTION: 0x05,
  FACTORY_RESET: 0x06,
  REBOOT: 0x08,
  CLEAR: 0x10,
  CONTROL_TABLE_BACKUP: 0x20,
  STATUS: 0x55,
  SYNC_READ: 0x82,
  SYNC_WRITE: 0x83,
  FAST_SYNC_READ: 0x8a,
  BULK_READ: 0x92,
  BULK_WRITE: 0x93,
  FAST_BULK_READ: 0x9a,
} as const;

/** Error numbers, bits 0-6 of a status packet's error field (Status Packet, Error). */
export const ErrorNumber = {
  NONE: 0x00,
  RESULT_FAIL: 0x01,
  INSTRUCTION: 0x02,
  CRC: 0x03,
  DATA_RANGE: 0x04,
  DATA_LENGTH: 0x05,
  DATA_LIMIT: 0x06,
  ACCESS: 0x07,
} as const;

/** Bit 7 of the error field: the servo has a hardware error (see Hardware Error Status, address 70). */
export const ALERT_BIT = 0x80;

/**
 * Largest packet the parser accepts [bytes], header and CRC included: DynamixelSDK's
 * RXPACKET_MAX_LEN and TXPACKET_MAX_LEN are 1024.
 */
export const MAX_PACKET_LENGTH = 1024;

/**
 * Longest pause between two bytes of one instruction packet [ms]: beyond it the servo drops what it
 * has and waits for the next header (Protocol 2.0 page, "Byte to Byte Time").
 */
export const BYTE_TO_BYTE_TIMEOUT_MS = 1.5;
