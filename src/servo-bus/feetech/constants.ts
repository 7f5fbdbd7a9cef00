/**
 * Feetech SCS/STS protocol numbers, from the vendor's protocol description and SDK
 * (vassar-robotics/feetech-servo-sdk: `docs/reference/scs_communication_protocol.md`,
 * `scservo_sdk/scservo_def.py`, `scservo_sdk/protocol_packet_handler.py`).
 */

/** Header FF FF. */
export const HEADER = Uint8Array.of(0xff, 0xff);
/** Broadcast id: every servo executes, none answers except Ping and Sync Read. */
export const BROADCAST_ID = 0xfe;
/** Highest servo id (0 to 253). */
export const MAX_ID = 0xfd;

/** Instruction codes (protocol description, section 4). */
export const Instruction = {
  PING: 0x01,
  READ: 0x02,
  WRITE: 0x03,
  REG_WRITE: 0x04,
  ACTION: 0x05,
  RESTORE_PARAMS: 0x06,
  REBOOT: 0x08,
  BACKUP_PARAMS: 0x09,
  RESET: 0x0a,
  POSITION_CALIBRATE: 0x0b,
  SYNC_READ: 0x82,
  SYNC_WRITE: 0x83,
} as const;

/**
 * Largest value of the length field the host accepts (SDK `RXPACKET_MAX_LEN` = 250, compared with
 * the length byte in `rxPacket`); a packet is the length plus 4 bytes.
 */
export const MAX_LENGTH_FIELD = 250;

/** Time a servo takes to restart after Reboot [ms] (protocol description, 4.12: "~800ms"). */
export const REBOOT_MS = 800;
