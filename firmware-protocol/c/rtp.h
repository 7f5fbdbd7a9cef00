/*
 * robo-train firmware protocol v1: reference implementation in C99.
 *
 * No heap, no stdio, no floating-point library calls; every buffer is the caller's or sits in a
 * struct the caller owns. Fits a microcontroller: the largest object is the stream decoder
 * (RTP_STREAM_CAPACITY bytes plus a few counters) and rtp_message_t (about 830 bytes, because a
 * JOINT_STATE may carry 32 joints with their wear fields; RTP_WEAR_MAX_JOINTS below makes it smaller).
 *
 * Terms (PROTOCOL.md): a packet is header | payload | CRC; a frame is COBS(packet) followed by 0x00.
 * All multi-byte fields are little-endian; floats are IEEE-754 binary32.
 */
#ifndef RTP_H
#define RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_PROTOCOL_MAJOR 1u
#define RTP_PROTOCOL_MINOR 1u

#define RTP_HEADER_LEN 8u
#define RTP_CRC_LEN 4u
#define RTP_PACKET_OVERHEAD (RTP_HEADER_LEN + RTP_CRC_LEN)
#define RTP_MAX_PACKET_LEN 1024u
#define RTP_MAX_PAYLOAD_LEN (RTP_MAX_PACKET_LEN - RTP_PACKET_OVERHEAD)
/* COBS output for n input bytes, without the delimiter. */
#define RTP_COBS_MAX_LEN(n) ((n) + ((n) + 253u) / 254u + ((n) == 0u ? 1u : 0u))
#define RTP_MAX_FRAME_LEN (RTP_COBS_MAX_LEN(RTP_MAX_PACKET_LEN) + 1u)

#define RTP_MAX_JOINTS 32u
#define RTP_JOINT_NAME_LEN 16u
#define RTP_DEVICE_ID_LEN 32u
#define RTP_HOST_NAME_LEN 24u
#define RTP_FAULT_TEXT_LEN 48u

#define RTP_WATCHDOG_MIN_MS 10u
#define RTP_WATCHDOG_MAX_MS 10000u
#define RTP_COMMAND_HORIZON_US 1000000u
#define RTP_INCOMPATIBLE_FLAGS_MASK 0x0Fu
/* Compatible header flag (1.1): a JOINT_STATE carrying the wear fields. */
#define RTP_FLAG_WEAR 0x10u

/* Message ids (RTP_MSG_*), schema seeds (RTP_SEED_*) and payload layouts (RTP_OFFSET_*), generated
 * from the protocol schema. */
#include "rtp_layout.h"

/* Command modes (one bit each) */
#define RTP_MODE_POSITION 0x01u
#define RTP_MODE_VELOCITY 0x02u
#define RTP_MODE_EFFORT 0x04u

/* Device status bits */
#define RTP_STATUS_TORQUE_ENABLED 0x0001u
#define RTP_STATUS_ESTOPPED 0x0002u
#define RTP_STATUS_WATCHDOG_EXPIRED 0x0004u
#define RTP_STATUS_FAULT 0x0008u
#define RTP_STATUS_SESSION 0x0010u
#define RTP_STATUS_LIMIT_ACTIVE 0x0020u

/* Joint status bits */
#define RTP_JOINT_STATUS_TORQUE_ON 0x01u
#define RTP_JOINT_STATUS_CLAMPED 0x02u
#define RTP_JOINT_STATUS_AT_LIMIT 0x04u
#define RTP_JOINT_STATUS_OVERLOAD 0x08u
#define RTP_JOINT_STATUS_OVERHEAT 0x10u
#define RTP_JOINT_STATUS_SENSOR_ERROR 0x20u
#define RTP_JOINT_STATUS_FAULT 0x40u

/* Wear quantities a device measures (JOINT_STATE wear_fields, 1.1) */
#define RTP_WEAR_CURRENT 0x01u
#define RTP_WEAR_TEMPERATURE 0x02u
#define RTP_WEAR_VOLTAGE 0x04u

/* Fault codes (0x8000-0xFFFF vendor-specific), fault flags, the device-wide joint */
#define RTP_FAULT_OVERCURRENT 0x0001u
#define RTP_FAULT_OVERHEAT 0x0002u
#define RTP_FAULT_UNDERVOLTAGE 0x0003u
#define RTP_FAULT_OVERVOLTAGE 0x0004u
#define RTP_FAULT_SENSOR 0x0005u
#define RTP_FAULT_POSITION_LIMIT 0x0006u
#define RTP_FAULT_FOLLOWING_ERROR 0x0007u
#define RTP_FAULT_WATCHDOG_EXPIRED 0x0008u
#define RTP_FAULT_ESTOP_INPUT 0x0009u
#define RTP_FAULT_COMMUNICATION 0x000Au
#define RTP_FAULT_INTERNAL 0x000Bu
#define RTP_FAULT_FLAG_LATCHED 0x01u
#define RTP_FAULT_FLAG_REBOOT_REQUIRED 0x02u
#define RTP_DEVICE_WIDE 0xFFu

/* ACK result codes (0 = ACK, anything else = NAK) */
#define RTP_RESULT_OK 0u
#define RTP_RESULT_VERSION_MISMATCH 1u
#define RTP_RESULT_NO_SESSION 2u
#define RTP_RESULT_INVALID_VALUE 3u
#define RTP_RESULT_UNSUPPORTED_MODE 4u
#define RTP_RESULT_JOINT_COUNT 5u
#define RTP_RESULT_STALE 6u
#define RTP_RESULT_OUT_OF_ORDER 7u
#define RTP_RESULT_ESTOPPED 8u
#define RTP_RESULT_FAULT_ACTIVE 9u
#define RTP_RESULT_TORQUE_DISABLED 10u
#define RTP_RESULT_ESTOP_INPUT_ACTIVE 11u
#define RTP_RESULT_UNSUPPORTED_MESSAGE 12u

/* Outcome of every call. The RTP_ERR_COBS..RTP_ERR_BAD_FIELD values are the reasons a receiver drops
 * a frame, in the order the checks run; RTP_REJECT_INDEX() maps them to 0..RTP_REJECT_REASONS-1. */
typedef enum {
    RTP_OK = 0,
    RTP_PENDING,            /* stream decoder: this byte did not end a frame */
    RTP_ERR_COBS,
    RTP_ERR_TOO_LONG,
    RTP_ERR_TRUNCATED,
    RTP_ERR_UNKNOWN_TYPE,
    RTP_ERR_CRC,
    RTP_ERR_VERSION,
    RTP_ERR_FLAGS,
    RTP_ERR_LENGTH_MISMATCH,
    RTP_ERR_BAD_LENGTH,
    RTP_ERR_BAD_FIELD,
    RTP_ERR_INVALID,        /* encoder: the message breaks a rule of its layout */
    RTP_ERR_BUFFER          /* encoder: the output buffer is too small */
} rtp_status_t;

#define RTP_REJECT_REASONS 10
#define RTP_REJECT_INDEX(status) ((int)(status) - (int)RTP_ERR_COBS)

#ifndef RTP_WEAR_MAX_JOINTS
/* The most joints whose wear fields (JOINT_STATE, 1.1) a message can hold: 12 bytes of RAM per joint
 * in rtp_message_t. A device may define fewer (its own joint count, or 1 when it reports no wear): it
 * only ever encodes its own JOINT_STATE, and ignores the wear fields of any it decodes with more joints. */
#define RTP_WEAR_MAX_JOINTS RTP_MAX_JOINTS
#endif

/* Messages. Strings are NUL-terminated here (one byte longer than on the wire), printable ASCII. */
typedef struct {
    uint8_t protocol_major;
    uint8_t protocol_minor;
    uint8_t host_major;
    uint8_t host_minor;
    uint16_t host_patch;
    uint16_t state_rate_hz;
    char host_name[RTP_HOST_NAME_LEN + 1];
} rtp_hello_t;

typedef struct {
    uint8_t protocol_major;
    uint8_t protocol_minor;
    uint8_t firmware_major;
    uint8_t firmware_minor;
    uint16_t firmware_patch;
    uint8_t joint_count;
    uint8_t supported_modes;
    uint16_t min_state_rate_hz;
    uint16_t max_state_rate_hz;
    uint16_t default_state_rate_hz;
    uint16_t default_watchdog_ms;
    char device_id[RTP_DEVICE_ID_LEN + 1];
    char joint_names[RTP_MAX_JOINTS][RTP_JOINT_NAME_LEN + 1];
} rtp_device_info_t;

typedef struct {
    uint64_t time_us;
    uint16_t status;
} rtp_heartbeat_t;

typedef struct {
    uint64_t device_time_us;
    uint16_t device_status;
    uint16_t last_command_seq;
    uint16_t commands_rejected;
    uint8_t active_mode;
    uint8_t joint_count;
    float position_rad[RTP_MAX_JOINTS];
    float velocity_rad_s[RTP_MAX_JOINTS];
    float effort_nm[RTP_MAX_JOINTS];
    uint8_t joint_status[RTP_MAX_JOINTS];
    /* Wear fields (1.1): RTP_WEAR_* bits of the quantities measured. 0 sends the 1.0 layout without
     * them (set it: the message is a union, so the byte is not 0 by itself); otherwise the packet gets
     * the header flag RTP_FLAG_WEAR and all three arrays, 0 for what is not measured. Decoding sets
     * wear_fields to 0 for a packet without the flag. */
    uint8_t wear_fields;
    float current_a[RTP_WEAR_MAX_JOINTS];
    float temperature_c[RTP_WEAR_MAX_JOINTS];
    float voltage_v[RTP_WEAR_MAX_JOINTS];
} rtp_joint_state_t;

typedef struct {
    uint64_t deadline_us;
    uint16_t state_seq;
    uint8_t mode;
    uint8_t joint_count;
    float target[RTP_MAX_JOINTS];
} rtp_joint_command_t;

typedef struct {
    uint8_t enable;
} rtp_torque_t;

typedef struct {
    uint16_t watchdog_timeout_ms;
    uint16_t state_rate_hz;
} rtp_configure_t;

typedef struct {
    uint64_t device_time_us;
    uint16_t code;
    uint8_t joint;
    uint8_t flags;
    char text[RTP_FAULT_TEXT_LEN + 1];
} rtp_fault_t;

typedef struct {
    uint16_t acked_type;
    uint16_t acked_seq;
    uint16_t result;
} rtp_ack_t;

/* ESTOP and ESTOP_CLEAR have no payload and no union member. */
typedef struct {
    uint16_t type;
    union {
        rtp_hello_t hello;
        rtp_device_info_t device_info;
        rtp_heartbeat_t heartbeat;
        rtp_joint_state_t joint_state;
        rtp_joint_command_t joint_command;
        rtp_torque_t torque;
        rtp_configure_t configure;
        rtp_fault_t fault;
        rtp_ack_t ack;
    } u;
} rtp_message_t;

typedef struct {
    uint8_t version;
    uint8_t flags;
    uint16_t type;
    uint16_t seq;
    uint16_t payload_len;
} rtp_header_t;

/* Versions read from a HELLO (is_device = 0) or DEVICE_INFO (is_device = 1) of any protocol version. */
typedef struct {
    uint8_t is_device;
    uint8_t protocol_major;
    uint8_t protocol_minor;
    uint8_t software_major;
    uint8_t software_minor;
    uint16_t software_patch;
    char name[RTP_DEVICE_ID_LEN + 1];
} rtp_peer_t;

/* ---- CRC-32C: poly 0x1EDC6F41 reflected (0x82F63B78), init and xorout 0xFFFFFFFF; "123456789" -> 0xE3069283 */
#define RTP_CRC32C_INIT 0xFFFFFFFFu
/* Feeds bytes into a running register (start with RTP_CRC32C_INIT; the CRC is register ^ 0xFFFFFFFF). */
uint32_t rtp_crc32c_update(uint32_t reg, const uint8_t *data, size_t len);
uint32_t rtp_crc32c(const uint8_t *data, size_t len);
/* The schema seed of a v1 message id; returns 0 when the id is not defined in v1. */
int rtp_schema_seed(uint16_t type, uint32_t *seed);

/* ---- COBS (no delimiter in or out) */
/* Returns the encoded length, or 0 when `cap` is too small. */
size_t rtp_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap);
/* RTP_OK, RTP_ERR_COBS (zero byte inside, block past the end) or RTP_ERR_TOO_LONG (output > cap). */
rtp_status_t rtp_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* ---- Packets and frames */
/* header | payload | CRC into out[0..cap); *out_len receives the length. */
rtp_status_t rtp_encode_packet(const rtp_message_t *msg, uint16_t seq, uint8_t *out, size_t cap, size_t *out_len);
/* COBS(packet) | 0x00 into out[0..cap), encoded in place (no second buffer). */
rtp_status_t rtp_encode_frame(const rtp_message_t *msg, uint16_t seq, uint8_t *out, size_t cap, size_t *out_len);
/* Runs the receive checks of PROTOCOL.md in order. `header` is filled whenever len >= 8; trust its
 * fields only when the result is RTP_OK or an error after RTP_ERR_CRC (the CRC matched). */
rtp_status_t rtp_decode_packet(const uint8_t *packet, size_t len, rtp_header_t *header, rtp_message_t *msg);
/* Reads the peer's versions from a CRC-valid HELLO or DEVICE_INFO of any protocol version, e.g. after
 * RTP_ERR_VERSION. Returns RTP_OK, or the reason it cannot. */
rtp_status_t rtp_decode_peer(const uint8_t *packet, size_t len, rtp_peer_t *peer);

/* ---- Streaming decoder: one byte at a time, e.g. from a UART interrupt or a polling loop */
#ifndef RTP_STREAM_CAPACITY
/* A device may define a smaller capacity: the largest packet it must receive (PROTOCOL.md § Buffers). */
#define RTP_STREAM_CAPACITY RTP_MAX_PACKET_LEN
#endif

typedef struct {
    uint8_t buf[RTP_STREAM_CAPACITY];
    uint16_t len;          /* decoded bytes of the frame in progress */
    uint16_t last_len;     /* length of the packet of the last frame that ended */
    uint8_t block_left;    /* data bytes left in the current COBS block */
    uint8_t zero_pending;  /* the previous block implies a zero if another block follows */
    uint8_t in_frame;      /* a non-delimiter byte arrived since the last delimiter */
    uint8_t overflow;      /* the frame outgrew buf: skip to the next delimiter */
    uint32_t frames_ok;
    uint32_t rejected[RTP_REJECT_REASONS];
} rtp_stream_t;

void rtp_stream_init(rtp_stream_t *s);
/* Returns RTP_PENDING until a delimiter ends a non-empty frame; then RTP_OK with *msg and *header
 * filled, or the reason the frame was dropped. Never blocks, never reads past buf. */
rtp_status_t rtp_stream_push(rtp_stream_t *s, uint8_t byte, rtp_header_t *header, rtp_message_t *msg);
/* The packet of the last frame that ended (valid until the next push), e.g. for rtp_decode_peer. */
const uint8_t *rtp_stream_packet(const rtp_stream_t *s, size_t *len);

/* ---- Sequence numbers (modulo 65536) */
/* 1 when a was sent after b: (a - b) mod 65536 in 1..32767. */
int rtp_seq_is_newer(uint16_t a, uint16_t b);
/* a - b as a signed distance in -32768..32767. */
int32_t rtp_seq_delta(uint16_t a, uint16_t b);

#endif
