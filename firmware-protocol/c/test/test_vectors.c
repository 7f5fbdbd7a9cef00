/*
 * Host test of the C reference against the golden vectors (vectors.h, generated from the same tables
 * as the JSON files in vectors/). Prints one line per failure and a summary; exits 1 if anything failed.
 */
#include <stdio.h>
#include <string.h>

#include "../rtp.h"
#include "vectors.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            failures++;                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);   \
            printf(__VA_ARGS__);                          \
            printf("\n");                                 \
        }                                                 \
    } while (0)

static const char *status_name(rtp_status_t s)
{
    static const char *names[] = { "ok", "pending", "cobs", "too_long", "truncated", "unknown_type", "crc", "version",
                                   "flags", "length_mismatch", "bad_length", "bad_field", "invalid", "buffer" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static int floats_equal(const float *a, const float *b, unsigned n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* Field by field, over the fields the wire carries. */
static int messages_equal(const rtp_message_t *a, const rtp_message_t *b)
{
    unsigned j;
    if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case RTP_MSG_HELLO: {
        const rtp_hello_t *x = &a->u.hello, *y = &b->u.hello;
        return x->protocol_major == y->protocol_major && x->protocol_minor == y->protocol_minor && x->host_major == y->host_major &&
               x->host_minor == y->host_minor && x->host_patch == y->host_patch && x->state_rate_hz == y->state_rate_hz &&
               strcmp(x->host_name, y->host_name) == 0;
    }
    case RTP_MSG_DEVICE_INFO: {
        const rtp_device_info_t *x = &a->u.device_info, *y = &b->u.device_info;
        if (!(x->protocol_major == y->protocol_major && x->protocol_minor == y->protocol_minor && x->firmware_major == y->firmware_major &&
              x->firmware_minor == y->firmware_minor && x->firmware_patch == y->firmware_patch && x->joint_count == y->joint_count &&
              x->supported_modes == y->supported_modes && x->min_state_rate_hz == y->min_state_rate_hz &&
              x->max_state_rate_hz == y->max_state_rate_hz && x->default_state_rate_hz == y->default_state_rate_hz &&
              x->default_watchdog_ms == y->default_watchdog_ms && strcmp(x->device_id, y->device_id) == 0)) {
            return 0;
        }
        for (j = 0; j < x->joint_count; j++) {
            if (strcmp(x->joint_names[j], y->joint_names[j]) != 0) {
                return 0;
            }
        }
        return 1;
    }
    case RTP_MSG_HEARTBEAT:
        return a->u.heartbeat.time_us == b->u.heartbeat.time_us && a->u.heartbeat.status == b->u.heartbeat.status;
    case RTP_MSG_JOINT_STATE: {
        const rtp_joint_state_t *x = &a->u.joint_state, *y = &b->u.joint_state;
        return x->device_time_us == y->device_time_us && x->device_status == y->device_status && x->last_command_seq == y->last_command_seq &&
               x->commands_rejected == y->commands_rejected && x->active_mode == y->active_mode && x->joint_count == y->joint_count &&
               floats_equal(x->position_rad, y->position_rad, x->joint_count) && floats_equal(x->velocity_rad_s, y->velocity_rad_s, x->joint_count) &&
               floats_equal(x->effort_nm, y->effort_nm, x->joint_count) && memcmp(x->joint_status, y->joint_status, x->joint_count) == 0 &&
               x->wear_fields == y->wear_fields &&
               (x->wear_fields == 0u || (floats_equal(x->current_a, y->current_a, x->joint_count) &&
                                         floats_equal(x->temperature_c, y->temperature_c, x->joint_count) &&
                                         floats_equal(x->voltage_v, y->voltage_v, x->joint_count)));
    }
    case RTP_MSG_JOINT_COMMAND: {
        const rtp_joint_command_t *x = &a->u.joint_command, *y = &b->u.joint_command;
        return x->deadline_us == y->deadline_us && x->state_seq == y->state_seq && x->mode == y->mode && x->joint_count == y->joint_count &&
               floats_equal(x->target, y->target, x->joint_count);
    }
    case RTP_MSG_TORQUE:
        return a->u.torque.enable == b->u.torque.enable;
    case RTP_MSG_ESTOP:
    case RTP_MSG_ESTOP_CLEAR:
        return 1;
    case RTP_MSG_CONFIGURE:
        return a->u.configure.watchdog_timeout_ms == b->u.configure.watchdog_timeout_ms && a->u.configure.state_rate_hz == b->u.configure.state_rate_hz;
    case RTP_MSG_FAULT: {
        const rtp_fault_t *x = &a->u.fault, *y = &b->u.fault;
        return x->device_time_us == y->device_time_us && x->code == y->code && x->joint == y->joint && x->flags == y->flags &&
               strcmp(x->text, y->text) == 0;
    }
    case RTP_MSG_ACK:
        return a->u.ack.acked_type == b->u.ack.acked_type && a->u.ack.acked_seq == b->u.ack.acked_seq && a->u.ack.result == b->u.ack.result;
    default:
        return 0;
    }
}

static uint32_t crc32c_bitwise(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < len; i++) {
        crc ^= data[i];
        for (k = 0; k < 8; k++) {
            crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
    }
    return crc ^ 0xFFFFFFFFu;
}

static void test_crc(void)
{
    uint8_t buf[300];
    uint32_t x = 12345u;
    size_t len;
    int i;
    CHECK(rtp_crc32c((const uint8_t *)"123456789", 9) == 0xE3069283u, "check value of \"123456789\" is 0x%08X", (unsigned)rtp_crc32c((const uint8_t *)"123456789", 9));
    for (len = 0; len < sizeof buf; len += 7) {
        for (i = 0; i < (int)len; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (uint8_t)x;
        }
        CHECK(rtp_crc32c(buf, len) == crc32c_bitwise(buf, len), "table CRC differs from bitwise CRC at length %u", (unsigned)len);
    }
    for (i = 0; i < RTP_SCHEMA_VECTOR_COUNT; i++) {
        const rtp_schema_vector_t *v = &rtp_schema_vectors[i];
        uint32_t seed = 0;
        CHECK(rtp_schema_seed(v->type, &seed) && seed == v->seed, "seed of 0x%04X is 0x%08X, vectors say 0x%08X", (unsigned)v->type,
              (unsigned)seed, (unsigned)v->seed);
        CHECK(rtp_crc32c((const uint8_t *)v->schema, strlen(v->schema)) == v->seed, "CRC-32C of '%s' is not its seed", v->schema);
    }
}

/* Feeds bytes one at a time; returns the status of the first byte that ended a frame (RTP_PENDING if none). */
static rtp_status_t stream_frame(rtp_stream_t *s, const uint8_t *bytes, size_t len, rtp_header_t *h, rtp_message_t *m, size_t *ended_at)
{
    size_t i;
    for (i = 0; i < len; i++) {
        rtp_status_t st = rtp_stream_push(s, bytes[i], h, m);
        if (st != RTP_PENDING) {
            *ended_at = i;
            return st;
        }
    }
    *ended_at = len;
    return RTP_PENDING;
}

static void test_valid(void)
{
    static rtp_stream_t stream;
    static uint8_t out[RTP_MAX_FRAME_LEN];
    int i;
    for (i = 0; i < RTP_VALID_VECTOR_COUNT; i++) {
        const rtp_valid_vector_t *v = &rtp_valid_vectors[i];
        static rtp_message_t msg;
        rtp_header_t h;
        size_t len = 0;
        size_t ended_at;
        rtp_status_t st = rtp_decode_packet(v->packet, v->packet_len, &h, &msg);
        CHECK(st == RTP_OK, "%s: packet decodes to %s", v->name, status_name(st));
        CHECK(st != RTP_OK || (h.seq == v->seq && messages_equal(&msg, &v->expected)), "%s: packet decodes to other fields", v->name);

        rtp_stream_init(&stream);
        memset(&msg, 0, sizeof msg);
        st = stream_frame(&stream, v->frame, v->frame_len, &h, &msg, &ended_at);
        CHECK(st == RTP_OK && ended_at == v->frame_len - 1u, "%s: frame streams to %s at byte %u of %u", v->name, status_name(st),
              (unsigned)ended_at, (unsigned)v->frame_len);
        CHECK(st != RTP_OK || (h.seq == v->seq && messages_equal(&msg, &v->expected)), "%s: frame decodes to other fields", v->name);

        if (v->canonical) {
            st = rtp_encode_packet(&v->expected, v->seq, out, sizeof out, &len);
            CHECK(st == RTP_OK && len == v->packet_len && memcmp(out, v->packet, len) == 0, "%s: encode_packet differs (%s)", v->name, status_name(st));
            st = rtp_encode_frame(&v->expected, v->seq, out, sizeof out, &len);
            CHECK(st == RTP_OK && len == v->frame_len && memcmp(out, v->frame, len) == 0, "%s: encode_frame differs (%s)", v->name, status_name(st));
            st = rtp_encode_frame(&v->expected, v->seq, out, v->frame_len - 1u, &len);
            CHECK(st == RTP_ERR_BUFFER, "%s: encode_frame into a buffer one byte short gives %s", v->name, status_name(st));
        }
    }
}

static void test_invalid(void)
{
    static rtp_stream_t stream;
    static rtp_message_t msg;
    int i;
    for (i = 0; i < RTP_INVALID_VECTOR_COUNT; i++) {
        const rtp_invalid_vector_t *v = &rtp_invalid_vectors[i];
        rtp_header_t h;
        rtp_peer_t peer;
        size_t ended_at;
        rtp_status_t st;
        if (v->has_packet) {
            st = rtp_decode_packet(v->packet, v->packet_len, &h, &msg);
            CHECK(st == v->error, "%s: packet gives %s, expected %s", v->name, status_name(st), status_name(v->error));
        }
        rtp_stream_init(&stream);
        st = stream_frame(&stream, v->frame, v->frame_len, &h, &msg, &ended_at);
        CHECK(st == v->error && ended_at == v->frame_len - 1u, "%s: frame gives %s, expected %s", v->name, status_name(st), status_name(v->error));
        CHECK(stream.rejected[RTP_REJECT_INDEX(v->error)] == 1u && stream.frames_ok == 0u, "%s: stream counters", v->name);
        if (v->has_peer) {
            size_t len;
            const uint8_t *packet = rtp_stream_packet(&stream, &len);
            st = rtp_decode_peer(packet, len, &peer);
            CHECK(st == RTP_OK && peer.is_device == v->peer.is_device && peer.protocol_major == v->peer.protocol_major &&
                      peer.protocol_minor == v->peer.protocol_minor && peer.software_major == v->peer.software_major &&
                      peer.software_minor == v->peer.software_minor && peer.software_patch == v->peer.software_patch &&
                      strcmp(peer.name, v->peer.name) == 0,
                  "%s: peer versions (%s)", v->name, status_name(st));
        }
    }
}

static void test_streams(void)
{
    static rtp_stream_t stream;
    static rtp_message_t msg;
    int i;
    for (i = 0; i < RTP_STREAM_VECTOR_COUNT; i++) {
        const rtp_stream_vector_t *v = &rtp_stream_vectors[i];
        size_t seen = 0;
        size_t b;
        rtp_stream_init(&stream);
        for (b = 0; b < v->len; b++) {
            rtp_header_t h;
            rtp_status_t st = rtp_stream_push(&stream, v->bytes[b], &h, &msg);
            if (st == RTP_PENDING) {
                continue;
            }
            if (seen >= v->outcome_count) {
                CHECK(0, "%s: unexpected outcome %s at byte %u", v->name, status_name(st), (unsigned)b);
            } else {
                const rtp_stream_outcome_t *o = &v->outcomes[seen];
                CHECK(st == o->status, "%s: outcome %u is %s, expected %s", v->name, (unsigned)seen, status_name(st), status_name(o->status));
                if (st == RTP_OK && o->status == RTP_OK) {
                    const rtp_valid_vector_t *expected = &rtp_valid_vectors[o->valid_index];
                    CHECK(h.seq == expected->seq && messages_equal(&msg, &expected->expected), "%s: outcome %u is not %s", v->name,
                          (unsigned)seen, expected->name);
                }
            }
            seen++;
        }
        CHECK(seen == v->outcome_count, "%s: %u outcomes, expected %u", v->name, (unsigned)seen, (unsigned)v->outcome_count);
    }
}

static void test_sequence(void)
{
    int i;
    for (i = 0; i < RTP_SEQ_VECTOR_COUNT; i++) {
        const rtp_seq_vector_t *v = &rtp_seq_vectors[i];
        CHECK(rtp_seq_is_newer(v->a, v->b) == v->newer, "seq_is_newer(%u, %u)", (unsigned)v->a, (unsigned)v->b);
        CHECK(rtp_seq_delta(v->a, v->b) == v->delta, "seq_delta(%u, %u) = %ld", (unsigned)v->a, (unsigned)v->b, (long)rtp_seq_delta(v->a, v->b));
    }
}

/* The encoder refuses what a receiver would reject. */
static void test_encoder_refusals(void)
{
    static rtp_message_t msg;
    static uint8_t out[RTP_MAX_FRAME_LEN];
    size_t len;
    uint32_t nan_bits = 0x7FC00000u;
    float nan_value;
    memcpy(&nan_value, &nan_bits, sizeof nan_value);

    msg = rtp_valid_vectors[4].expected; /* joint_state */
    CHECK(msg.type == RTP_MSG_JOINT_STATE, "vector 4 is a JOINT_STATE");
    msg.u.joint_state.joint_count = 0;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "joint_count 0 refused");
    msg.u.joint_state.joint_count = 33;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "joint_count 33 refused");
    msg.u.joint_state.joint_count = 6;
    msg.u.joint_state.velocity_rad_s[3] = nan_value;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "NaN refused");
    msg = rtp_valid_vectors[4].expected;
    msg.u.joint_state.active_mode = 3;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "active_mode 3 refused");
    msg = rtp_valid_vectors[4].expected;
    msg.u.joint_state.device_time_us = (uint64_t)1 << 53;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "time 2^53 refused");
    CHECK(rtp_encode_packet(&rtp_valid_vectors[4].expected, 1, out, 20, &len) == RTP_ERR_BUFFER, "small buffer refused");

    msg = rtp_valid_vectors[5].expected; /* joint_command */
    CHECK(msg.type == RTP_MSG_JOINT_COMMAND, "vector 5 is a JOINT_COMMAND");
    msg.u.joint_command.mode = 3;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "mode 3 refused");

    msg.type = RTP_MSG_TORQUE;
    msg.u.torque.enable = 2;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "enable 2 refused");

    msg = rtp_valid_vectors[0].expected; /* hello */
    CHECK(msg.type == RTP_MSG_HELLO, "vector 0 is a HELLO");
    memset(msg.u.hello.host_name, 'a', sizeof msg.u.hello.host_name);
    msg.u.hello.host_name[RTP_HOST_NAME_LEN] = '\0';
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_OK, "24-character host name fits");
    msg.u.hello.host_name[3] = '\x7f';
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "non-printable host name refused");
    msg = rtp_valid_vectors[0].expected;
    msg.u.hello.protocol_major = 2;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "protocol_major 2 refused");

    msg.type = 0x0099u;
    CHECK(rtp_encode_packet(&msg, 1, out, sizeof out, &len) == RTP_ERR_INVALID, "unknown type refused");
}

int main(void)
{
    test_crc();
    test_valid();
    test_invalid();
    test_streams();
    test_sequence();
    test_encoder_refusals();
    printf("c-reference vectors: %d valid, %d invalid, %d streams, %d checks, %d failures\n", RTP_VALID_VECTOR_COUNT,
           RTP_INVALID_VECTOR_COUNT, RTP_STREAM_VECTOR_COUNT, checks, failures);
    return failures == 0 ? 0 : 1;
}
