/* Packets: encode and decode every v1 message (PROTOCOL.md § Messages, § Receiving). */
#include <string.h>

#include "rtp.h"

/* The wire format is IEEE-754 binary32; refuse to build where float is something else. */
typedef char rtp_float_is_32_bits[(sizeof(float) == 4u) ? 1 : -1];

/* Device and deadline times stay below 2^53 us so that every host language holds them exactly. */
#define TIME_LIMIT ((uint64_t)1 << 53)

typedef struct {
    uint16_t type;
    uint16_t fixed_len;       /* payload bytes that do not repeat per joint */
    uint8_t per_joint_len;    /* payload bytes per joint */
    uint8_t joint_count_at;   /* offset of joint_count in the payload, when per_joint_len > 0 */
} layout_t;

/* Sizes from the generated rtp_layout.h; every offset below is an RTP_OFFSET_* from there too. */
#define LAYOUT_ROW(name, fixed_len, per_joint_len, joint_count_at) { RTP_MSG_##name, fixed_len, per_joint_len, joint_count_at },
static const layout_t layouts[] = { RTP_FOR_EACH_MESSAGE(LAYOUT_ROW) };
#undef LAYOUT_ROW

static const layout_t *layout_of(uint16_t type)
{
    size_t i;
    for (i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        if (layouts[i].type == type) {
            return &layouts[i];
        }
    }
    return NULL;
}

/* ---- little-endian access */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static int bits_finite(uint32_t u)
{
    return ((u >> 23) & 0xFFu) != 0xFFu;
}

static int one_bit(uint8_t v)
{
    return v != 0u && (v & (uint8_t)(v - 1u)) == 0u;
}

/* ---- encoding */

static int put_f32s(uint8_t *p, const float *values, uint8_t n)
{
    uint8_t j;
    for (j = 0; j < n; j++) {
        uint32_t u = float_bits(values[j]);
        if (!bits_finite(u)) {
            return 0;
        }
        put_u32(p + 4u * j, u);
    }
    return 1;
}

/* Copies a NUL-terminated printable-ASCII string of at most `width` characters, NUL-padded. */
static int put_str(uint8_t *p, const char *s, size_t width)
{
    size_t i = 0;
    while (i <= width && s[i] != '\0') {
        uint8_t c = (uint8_t)s[i];
        if (i == width || c < 0x20u || c > 0x7Eu) {
            return 0;
        }
        p[i++] = c;
    }
    while (i < width) {
        p[i++] = 0;
    }
    return 1;
}

static int joint_count_ok(uint8_t n)
{
    return n >= 1u && n <= RTP_MAX_JOINTS;
}

/* The payload length of msg, or 0 with *ok = 0 when its joint count is out of range. */
static size_t payload_len_of(const rtp_message_t *msg, const layout_t *layout, int *ok)
{
    uint8_t n = 0;
    *ok = 1;
    if (layout->per_joint_len == 0u) {
        return layout->fixed_len;
    }
    switch (msg->type) {
    case RTP_MSG_DEVICE_INFO: n = msg->u.device_info.joint_count; break;
    case RTP_MSG_JOINT_STATE: n = msg->u.joint_state.joint_count; break;
    default: n = msg->u.joint_command.joint_count; break;
    }
    if (!joint_count_ok(n)) {
        *ok = 0;
        return 0;
    }
    if (msg->type == RTP_MSG_JOINT_STATE && msg->u.joint_state.wear_fields != 0u) {
        if (n > RTP_WEAR_MAX_JOINTS) {
            *ok = 0;
            return 0;
        }
        return RTP_EXTENDED_PAYLOAD_LEN_JOINT_STATE(n);
    }
    return (size_t)layout->fixed_len + (size_t)layout->per_joint_len * n;
}

/* Writes the payload at p; 0 when a field breaks its rule. */
static int put_payload(const rtp_message_t *msg, uint8_t *p)
{
    uint8_t j;
    switch (msg->type) {
    case RTP_MSG_HELLO: {
        const rtp_hello_t *m = &msg->u.hello;
        if (m->protocol_major != RTP_PROTOCOL_MAJOR) {
            return 0;
        }
        p[RTP_OFFSET_HELLO_PROTOCOL_MAJOR] = m->protocol_major;
        p[RTP_OFFSET_HELLO_PROTOCOL_MINOR] = m->protocol_minor;
        p[RTP_OFFSET_HELLO_HOST_MAJOR] = m->host_major;
        p[RTP_OFFSET_HELLO_HOST_MINOR] = m->host_minor;
        put_u16(p + RTP_OFFSET_HELLO_HOST_PATCH, m->host_patch);
        put_u16(p + RTP_OFFSET_HELLO_STATE_RATE_HZ, m->state_rate_hz);
        return put_str(p + RTP_OFFSET_HELLO_HOST_NAME, m->host_name, RTP_HOST_NAME_LEN);
    }
    case RTP_MSG_DEVICE_INFO: {
        const rtp_device_info_t *m = &msg->u.device_info;
        if (m->protocol_major != RTP_PROTOCOL_MAJOR) {
            return 0;
        }
        p[RTP_OFFSET_DEVICE_INFO_PROTOCOL_MAJOR] = m->protocol_major;
        p[RTP_OFFSET_DEVICE_INFO_PROTOCOL_MINOR] = m->protocol_minor;
        p[RTP_OFFSET_DEVICE_INFO_FIRMWARE_MAJOR] = m->firmware_major;
        p[RTP_OFFSET_DEVICE_INFO_FIRMWARE_MINOR] = m->firmware_minor;
        put_u16(p + RTP_OFFSET_DEVICE_INFO_FIRMWARE_PATCH, m->firmware_patch);
        p[RTP_OFFSET_DEVICE_INFO_JOINT_COUNT] = m->joint_count;
        p[RTP_OFFSET_DEVICE_INFO_SUPPORTED_MODES] = m->supported_modes;
        put_u16(p + RTP_OFFSET_DEVICE_INFO_MIN_STATE_RATE_HZ, m->min_state_rate_hz);
        put_u16(p + RTP_OFFSET_DEVICE_INFO_MAX_STATE_RATE_HZ, m->max_state_rate_hz);
        put_u16(p + RTP_OFFSET_DEVICE_INFO_DEFAULT_STATE_RATE_HZ, m->default_state_rate_hz);
        put_u16(p + RTP_OFFSET_DEVICE_INFO_DEFAULT_WATCHDOG_MS, m->default_watchdog_ms);
        if (!put_str(p + RTP_OFFSET_DEVICE_INFO_DEVICE_ID, m->device_id, RTP_DEVICE_ID_LEN)) {
            return 0;
        }
        for (j = 0; j < m->joint_count; j++) {
            if (!put_str(p + RTP_OFFSET_DEVICE_INFO_JOINT_NAMES + RTP_JOINT_NAME_LEN * j, m->joint_names[j], RTP_JOINT_NAME_LEN)) {
                return 0;
            }
        }
        return 1;
    }
    case RTP_MSG_HEARTBEAT:
        if (msg->u.heartbeat.time_us >= TIME_LIMIT) {
            return 0;
        }
        put_u64(p + RTP_OFFSET_HEARTBEAT_TIME_US, msg->u.heartbeat.time_us);
        put_u16(p + RTP_OFFSET_HEARTBEAT_STATUS, msg->u.heartbeat.status);
        return 1;
    case RTP_MSG_JOINT_STATE: {
        const rtp_joint_state_t *m = &msg->u.joint_state;
        uint8_t n = m->joint_count;
        if (m->device_time_us >= TIME_LIMIT || (m->active_mode != 0u && !one_bit(m->active_mode))) {
            return 0;
        }
        put_u64(p + RTP_OFFSET_JOINT_STATE_DEVICE_TIME_US, m->device_time_us);
        put_u16(p + RTP_OFFSET_JOINT_STATE_DEVICE_STATUS, m->device_status);
        put_u16(p + RTP_OFFSET_JOINT_STATE_LAST_COMMAND_SEQ, m->last_command_seq);
        put_u16(p + RTP_OFFSET_JOINT_STATE_COMMANDS_REJECTED, m->commands_rejected);
        p[RTP_OFFSET_JOINT_STATE_ACTIVE_MODE] = m->active_mode;
        p[RTP_OFFSET_JOINT_STATE_JOINT_COUNT] = n;
        if (!put_f32s(p + RTP_OFFSET_JOINT_STATE_POSITION_RAD, m->position_rad, n) ||
            !put_f32s(p + RTP_OFFSET_JOINT_STATE_VELOCITY_RAD_S(n), m->velocity_rad_s, n) ||
            !put_f32s(p + RTP_OFFSET_JOINT_STATE_EFFORT_NM(n), m->effort_nm, n)) {
            return 0;
        }
        memcpy(p + RTP_OFFSET_JOINT_STATE_JOINT_STATUS(n), m->joint_status, n);
        if (m->wear_fields == 0u) {
            return 1;
        }
        p[RTP_OFFSET_JOINT_STATE_WEAR_FIELDS(n)] = m->wear_fields;
        return put_f32s(p + RTP_OFFSET_JOINT_STATE_CURRENT_A(n), m->current_a, n) &&
               put_f32s(p + RTP_OFFSET_JOINT_STATE_TEMPERATURE_C(n), m->temperature_c, n) &&
               put_f32s(p + RTP_OFFSET_JOINT_STATE_VOLTAGE_V(n), m->voltage_v, n);
    }
    case RTP_MSG_JOINT_COMMAND: {
        const rtp_joint_command_t *m = &msg->u.joint_command;
        if (m->deadline_us >= TIME_LIMIT || !one_bit(m->mode)) {
            return 0;
        }
        put_u64(p + RTP_OFFSET_JOINT_COMMAND_DEADLINE_US, m->deadline_us);
        put_u16(p + RTP_OFFSET_JOINT_COMMAND_STATE_SEQ, m->state_seq);
        p[RTP_OFFSET_JOINT_COMMAND_MODE] = m->mode;
        p[RTP_OFFSET_JOINT_COMMAND_JOINT_COUNT] = m->joint_count;
        return put_f32s(p + RTP_OFFSET_JOINT_COMMAND_TARGET, m->target, m->joint_count);
    }
    case RTP_MSG_TORQUE:
        if (msg->u.torque.enable > 1u) {
            return 0;
        }
        p[RTP_OFFSET_TORQUE_ENABLE] = msg->u.torque.enable;
        return 1;
    case RTP_MSG_ESTOP:
    case RTP_MSG_ESTOP_CLEAR:
        return 1;
    case RTP_MSG_CONFIGURE:
        put_u16(p + RTP_OFFSET_CONFIGURE_WATCHDOG_TIMEOUT_MS, msg->u.configure.watchdog_timeout_ms);
        put_u16(p + RTP_OFFSET_CONFIGURE_STATE_RATE_HZ, msg->u.configure.state_rate_hz);
        return 1;
    case RTP_MSG_FAULT: {
        const rtp_fault_t *m = &msg->u.fault;
        if (m->device_time_us >= TIME_LIMIT) {
            return 0;
        }
        put_u64(p + RTP_OFFSET_FAULT_DEVICE_TIME_US, m->device_time_us);
        put_u16(p + RTP_OFFSET_FAULT_CODE, m->code);
        p[RTP_OFFSET_FAULT_JOINT] = m->joint;
        p[RTP_OFFSET_FAULT_FLAGS] = m->flags;
        return put_str(p + RTP_OFFSET_FAULT_TEXT, m->text, RTP_FAULT_TEXT_LEN);
    }
    case RTP_MSG_ACK:
        put_u16(p + RTP_OFFSET_ACK_ACKED_TYPE, msg->u.ack.acked_type);
        put_u16(p + RTP_OFFSET_ACK_ACKED_SEQ, msg->u.ack.acked_seq);
        put_u16(p + RTP_OFFSET_ACK_RESULT, msg->u.ack.result);
        return 1;
    default:
        return 0;
    }
}

/* CRC-32C over packet[0..len) followed by the seed as four little-endian bytes. */
static uint32_t packet_crc(const uint8_t *packet, size_t len, uint32_t seed)
{
    uint8_t seed_bytes[4];
    put_u32(seed_bytes, seed);
    return rtp_crc32c_update(rtp_crc32c_update(RTP_CRC32C_INIT, packet, len), seed_bytes, 4) ^ 0xFFFFFFFFu;
}

/* Validates msg and returns its packet length through *packet_len. */
static rtp_status_t packet_len_of(const rtp_message_t *msg, size_t *packet_len, uint32_t *seed)
{
    const layout_t *layout = layout_of(msg->type);
    int ok;
    size_t payload_len;
    if (layout == NULL || !rtp_schema_seed(msg->type, seed)) {
        return RTP_ERR_INVALID;
    }
    payload_len = payload_len_of(msg, layout, &ok);
    if (!ok) {
        return RTP_ERR_INVALID;
    }
    *packet_len = payload_len + RTP_PACKET_OVERHEAD;
    return RTP_OK;
}

rtp_status_t rtp_encode_packet(const rtp_message_t *msg, uint16_t seq, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len;
    uint32_t seed;
    rtp_status_t status = packet_len_of(msg, &len, &seed);
    if (status != RTP_OK) {
        return status;
    }
    if (cap < len) {
        return RTP_ERR_BUFFER;
    }
    if (!put_payload(msg, out + RTP_HEADER_LEN)) {
        return RTP_ERR_INVALID;
    }
    out[0] = (uint8_t)RTP_PROTOCOL_MAJOR;
    out[1] = (msg->type == RTP_MSG_JOINT_STATE && msg->u.joint_state.wear_fields != 0u) ? (uint8_t)RTP_FLAG_WEAR : 0u;
    put_u16(out + 2, msg->type);
    put_u16(out + 4, seq);
    put_u16(out + 6, (uint16_t)(len - RTP_PACKET_OVERHEAD));
    put_u32(out + len - RTP_CRC_LEN, packet_crc(out, len - RTP_CRC_LEN, seed));
    *out_len = len;
    return RTP_OK;
}

rtp_status_t rtp_encode_frame(const rtp_message_t *msg, uint16_t seq, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len;
    size_t head_room;
    size_t packet_len;
    size_t encoded;
    uint32_t seed;
    rtp_status_t status = packet_len_of(msg, &len, &seed);
    if (status != RTP_OK) {
        return status;
    }
    if (cap < RTP_COBS_MAX_LEN(len) + 1u) {
        return RTP_ERR_BUFFER;
    }
    /* The packet goes behind as many bytes as COBS can add; encoding forward from there never
     * overwrites a byte it has yet to read, so one buffer is enough. */
    head_room = RTP_COBS_MAX_LEN(len) - len;
    status = rtp_encode_packet(msg, seq, out + head_room, cap - head_room, &packet_len);
    if (status != RTP_OK) {
        return status;
    }
    encoded = rtp_cobs_encode(out + head_room, packet_len, out, cap);
    out[encoded] = 0;
    *out_len = encoded + 1u;
    return RTP_OK;
}

/* ---- decoding */

static int get_f32s(const uint8_t *p, float *out, uint8_t n)
{
    uint8_t j;
    for (j = 0; j < n; j++) {
        uint32_t u = get_u32(p + 4u * j);
        if (!bits_finite(u)) {
            return 0;
        }
        memcpy(&out[j], &u, sizeof u);
    }
    return 1;
}

/* A NUL-padded printable-ASCII field of `width` bytes into a NUL-terminated string. */
static int get_str(const uint8_t *p, size_t width, char *out)
{
    size_t i;
    int ended = 0;
    for (i = 0; i < width; i++) {
        uint8_t c = p[i];
        if (c == 0u) {
            ended = 1;
        } else if (ended || c < 0x20u || c > 0x7Eu) {
            return 0;
        }
        out[i] = (char)c;
    }
    out[width] = '\0';
    return 1;
}

static int get_time(const uint8_t *p, uint64_t *out)
{
    *out = get_u64(p);
    return *out < TIME_LIMIT;
}

static rtp_status_t get_payload(const uint8_t *header, const uint8_t *p, uint8_t n, rtp_message_t *msg)
{
    uint8_t j;
    switch (msg->type) {
    case RTP_MSG_HELLO: {
        rtp_hello_t *m = &msg->u.hello;
        m->protocol_major = p[RTP_OFFSET_HELLO_PROTOCOL_MAJOR];
        m->protocol_minor = p[RTP_OFFSET_HELLO_PROTOCOL_MINOR];
        m->host_major = p[RTP_OFFSET_HELLO_HOST_MAJOR];
        m->host_minor = p[RTP_OFFSET_HELLO_HOST_MINOR];
        m->host_patch = get_u16(p + RTP_OFFSET_HELLO_HOST_PATCH);
        m->state_rate_hz = get_u16(p + RTP_OFFSET_HELLO_STATE_RATE_HZ);
        if (m->protocol_major != header[0] || !get_str(p + RTP_OFFSET_HELLO_HOST_NAME, RTP_HOST_NAME_LEN, m->host_name)) {
            return RTP_ERR_BAD_FIELD;
        }
        return RTP_OK;
    }
    case RTP_MSG_DEVICE_INFO: {
        rtp_device_info_t *m = &msg->u.device_info;
        m->protocol_major = p[RTP_OFFSET_DEVICE_INFO_PROTOCOL_MAJOR];
        m->protocol_minor = p[RTP_OFFSET_DEVICE_INFO_PROTOCOL_MINOR];
        m->firmware_major = p[RTP_OFFSET_DEVICE_INFO_FIRMWARE_MAJOR];
        m->firmware_minor = p[RTP_OFFSET_DEVICE_INFO_FIRMWARE_MINOR];
        m->firmware_patch = get_u16(p + RTP_OFFSET_DEVICE_INFO_FIRMWARE_PATCH);
        m->joint_count = n;
        m->supported_modes = p[RTP_OFFSET_DEVICE_INFO_SUPPORTED_MODES];
        m->min_state_rate_hz = get_u16(p + RTP_OFFSET_DEVICE_INFO_MIN_STATE_RATE_HZ);
        m->max_state_rate_hz = get_u16(p + RTP_OFFSET_DEVICE_INFO_MAX_STATE_RATE_HZ);
        m->default_state_rate_hz = get_u16(p + RTP_OFFSET_DEVICE_INFO_DEFAULT_STATE_RATE_HZ);
        m->default_watchdog_ms = get_u16(p + RTP_OFFSET_DEVICE_INFO_DEFAULT_WATCHDOG_MS);
        if (m->protocol_major != header[0] || !get_str(p + RTP_OFFSET_DEVICE_INFO_DEVICE_ID, RTP_DEVICE_ID_LEN, m->device_id)) {
            return RTP_ERR_BAD_FIELD;
        }
        for (j = 0; j < n; j++) {
            if (!get_str(p + RTP_OFFSET_DEVICE_INFO_JOINT_NAMES + RTP_JOINT_NAME_LEN * j, RTP_JOINT_NAME_LEN, m->joint_names[j])) {
                return RTP_ERR_BAD_FIELD;
            }
        }
        return RTP_OK;
    }
    case RTP_MSG_HEARTBEAT:
        msg->u.heartbeat.status = get_u16(p + RTP_OFFSET_HEARTBEAT_STATUS);
        return get_time(p + RTP_OFFSET_HEARTBEAT_TIME_US, &msg->u.heartbeat.time_us) ? RTP_OK : RTP_ERR_BAD_FIELD;
    case RTP_MSG_JOINT_STATE: {
        rtp_joint_state_t *m = &msg->u.joint_state;
        m->device_status = get_u16(p + RTP_OFFSET_JOINT_STATE_DEVICE_STATUS);
        m->last_command_seq = get_u16(p + RTP_OFFSET_JOINT_STATE_LAST_COMMAND_SEQ);
        m->commands_rejected = get_u16(p + RTP_OFFSET_JOINT_STATE_COMMANDS_REJECTED);
        m->active_mode = p[RTP_OFFSET_JOINT_STATE_ACTIVE_MODE];
        m->joint_count = n;
        if (!get_time(p + RTP_OFFSET_JOINT_STATE_DEVICE_TIME_US, &m->device_time_us) ||
            (m->active_mode != 0u && !one_bit(m->active_mode)) || !get_f32s(p + RTP_OFFSET_JOINT_STATE_POSITION_RAD, m->position_rad, n) ||
            !get_f32s(p + RTP_OFFSET_JOINT_STATE_VELOCITY_RAD_S(n), m->velocity_rad_s, n) ||
            !get_f32s(p + RTP_OFFSET_JOINT_STATE_EFFORT_NM(n), m->effort_nm, n)) {
            return RTP_ERR_BAD_FIELD;
        }
        memcpy(m->joint_status, p + RTP_OFFSET_JOINT_STATE_JOINT_STATUS(n), n);
        m->wear_fields = 0u;
        if ((header[1] & RTP_FLAG_WEAR) == 0u || n > RTP_WEAR_MAX_JOINTS) {
            return RTP_OK;
        }
        m->wear_fields = p[RTP_OFFSET_JOINT_STATE_WEAR_FIELDS(n)];
        if (!get_f32s(p + RTP_OFFSET_JOINT_STATE_CURRENT_A(n), m->current_a, n) ||
            !get_f32s(p + RTP_OFFSET_JOINT_STATE_TEMPERATURE_C(n), m->temperature_c, n) ||
            !get_f32s(p + RTP_OFFSET_JOINT_STATE_VOLTAGE_V(n), m->voltage_v, n)) {
            return RTP_ERR_BAD_FIELD;
        }
        return RTP_OK;
    }
    case RTP_MSG_JOINT_COMMAND: {
        rtp_joint_command_t *m = &msg->u.joint_command;
        m->state_seq = get_u16(p + RTP_OFFSET_JOINT_COMMAND_STATE_SEQ);
        m->mode = p[RTP_OFFSET_JOINT_COMMAND_MODE];
        m->joint_count = n;
        if (!get_time(p + RTP_OFFSET_JOINT_COMMAND_DEADLINE_US, &m->deadline_us) || !one_bit(m->mode) ||
            !get_f32s(p + RTP_OFFSET_JOINT_COMMAND_TARGET, m->target, n)) {
            return RTP_ERR_BAD_FIELD;
        }
        return RTP_OK;
    }
    case RTP_MSG_TORQUE:
        msg->u.torque.enable = p[RTP_OFFSET_TORQUE_ENABLE];
        return msg->u.torque.enable <= 1u ? RTP_OK : RTP_ERR_BAD_FIELD;
    case RTP_MSG_ESTOP:
    case RTP_MSG_ESTOP_CLEAR:
        return RTP_OK;
    case RTP_MSG_CONFIGURE:
        msg->u.configure.watchdog_timeout_ms = get_u16(p + RTP_OFFSET_CONFIGURE_WATCHDOG_TIMEOUT_MS);
        msg->u.configure.state_rate_hz = get_u16(p + RTP_OFFSET_CONFIGURE_STATE_RATE_HZ);
        return RTP_OK;
    case RTP_MSG_FAULT: {
        rtp_fault_t *m = &msg->u.fault;
        m->code = get_u16(p + RTP_OFFSET_FAULT_CODE);
        m->joint = p[RTP_OFFSET_FAULT_JOINT];
        m->flags = p[RTP_OFFSET_FAULT_FLAGS];
        if (!get_time(p + RTP_OFFSET_FAULT_DEVICE_TIME_US, &m->device_time_us) || !get_str(p + RTP_OFFSET_FAULT_TEXT, RTP_FAULT_TEXT_LEN, m->text)) {
            return RTP_ERR_BAD_FIELD;
        }
        return RTP_OK;
    }
    case RTP_MSG_ACK:
        msg->u.ack.acked_type = get_u16(p + RTP_OFFSET_ACK_ACKED_TYPE);
        msg->u.ack.acked_seq = get_u16(p + RTP_OFFSET_ACK_ACKED_SEQ);
        msg->u.ack.result = get_u16(p + RTP_OFFSET_ACK_RESULT);
        return RTP_OK;
    default:
        return RTP_ERR_UNKNOWN_TYPE;
    }
}

rtp_status_t rtp_decode_packet(const uint8_t *packet, size_t len, rtp_header_t *header, rtp_message_t *msg)
{
    const layout_t *layout;
    uint32_t seed;
    size_t payload_len;
    uint8_t n = 0;
    if (len >= RTP_HEADER_LEN && len <= RTP_MAX_PACKET_LEN) {
        header->version = packet[0];
        header->flags = packet[1];
        header->type = get_u16(packet + 2);
        header->seq = get_u16(packet + 4);
        header->payload_len = get_u16(packet + 6);
    }
    if (len > RTP_MAX_PACKET_LEN) {
        return RTP_ERR_TOO_LONG;
    }
    if (len < RTP_PACKET_OVERHEAD) {
        return RTP_ERR_TRUNCATED;
    }
    layout = layout_of(header->type);
    if (layout == NULL || !rtp_schema_seed(header->type, &seed)) {
        return RTP_ERR_UNKNOWN_TYPE;
    }
    if (packet_crc(packet, len - RTP_CRC_LEN, seed) != get_u32(packet + len - RTP_CRC_LEN)) {
        return RTP_ERR_CRC;
    }
    if (header->version != RTP_PROTOCOL_MAJOR) {
        return RTP_ERR_VERSION;
    }
    if ((header->flags & RTP_INCOMPATIBLE_FLAGS_MASK) != 0u) {
        return RTP_ERR_FLAGS;
    }
    payload_len = len - RTP_PACKET_OVERHEAD;
    if (header->payload_len != payload_len) {
        return RTP_ERR_LENGTH_MISMATCH;
    }
    if (payload_len < layout->fixed_len) {
        return RTP_ERR_BAD_LENGTH;
    }
    if (layout->per_joint_len > 0u) {
        n = packet[RTP_HEADER_LEN + layout->joint_count_at];
        if (!joint_count_ok(n)) {
            return RTP_ERR_BAD_FIELD;
        }
        if (payload_len < (size_t)layout->fixed_len + (size_t)layout->per_joint_len * n) {
            return RTP_ERR_BAD_LENGTH;
        }
        /* A JOINT_STATE with the WEAR flag carries the wear fields after the 1.0 fields (1.1). */
        if (header->type == RTP_MSG_JOINT_STATE && (header->flags & RTP_FLAG_WEAR) != 0u &&
            payload_len < RTP_EXTENDED_PAYLOAD_LEN_JOINT_STATE(n)) {
            return RTP_ERR_BAD_LENGTH;
        }
    }
    msg->type = header->type;
    return get_payload(packet, packet + RTP_HEADER_LEN, n, msg);
}

rtp_status_t rtp_decode_peer(const uint8_t *packet, size_t len, rtp_peer_t *peer)
{
    const uint8_t *p = packet + RTP_HEADER_LEN;
    uint16_t type;
    uint32_t seed;
    size_t name_at;
    size_t name_len;
    size_t i;
    if (len > RTP_MAX_PACKET_LEN) {
        return RTP_ERR_TOO_LONG;
    }
    if (len < RTP_PACKET_OVERHEAD) {
        return RTP_ERR_TRUNCATED;
    }
    type = get_u16(packet + 2);
    if (type != RTP_MSG_HELLO && type != RTP_MSG_DEVICE_INFO) {
        return RTP_ERR_UNKNOWN_TYPE;
    }
    /* HELLO and DEVICE_INFO keep their v1 layout and seed in every protocol version. */
    if (!rtp_schema_seed(type, &seed) || packet_crc(packet, len - RTP_CRC_LEN, seed) != get_u32(packet + len - RTP_CRC_LEN)) {
        return RTP_ERR_CRC;
    }
    name_at = type == RTP_MSG_HELLO ? RTP_OFFSET_HELLO_HOST_NAME : RTP_OFFSET_DEVICE_INFO_DEVICE_ID;
    name_len = type == RTP_MSG_HELLO ? RTP_HOST_NAME_LEN : RTP_DEVICE_ID_LEN;
    if (len - RTP_PACKET_OVERHEAD < name_at + name_len) {
        return RTP_ERR_BAD_LENGTH;
    }
    peer->is_device = type == RTP_MSG_DEVICE_INFO ? 1u : 0u;
    if (type == RTP_MSG_HELLO) {
        peer->protocol_major = p[RTP_OFFSET_HELLO_PROTOCOL_MAJOR];
        peer->protocol_minor = p[RTP_OFFSET_HELLO_PROTOCOL_MINOR];
        peer->software_major = p[RTP_OFFSET_HELLO_HOST_MAJOR];
        peer->software_minor = p[RTP_OFFSET_HELLO_HOST_MINOR];
        peer->software_patch = get_u16(p + RTP_OFFSET_HELLO_HOST_PATCH);
    } else {
        peer->protocol_major = p[RTP_OFFSET_DEVICE_INFO_PROTOCOL_MAJOR];
        peer->protocol_minor = p[RTP_OFFSET_DEVICE_INFO_PROTOCOL_MINOR];
        peer->software_major = p[RTP_OFFSET_DEVICE_INFO_FIRMWARE_MAJOR];
        peer->software_minor = p[RTP_OFFSET_DEVICE_INFO_FIRMWARE_MINOR];
        peer->software_patch = get_u16(p + RTP_OFFSET_DEVICE_INFO_FIRMWARE_PATCH);
    }
    for (i = 0; i < name_len && p[name_at + i] != 0u; i++) {
        uint8_t c = p[name_at + i];
        peer->name[i] = (c >= 0x20u && c <= 0x7Eu) ? (char)c : '?';
    }
    peer->name[i] = '\0';
    return RTP_OK;
}
