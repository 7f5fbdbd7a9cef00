/*
 * Fuzz loop of the C reference: random bytes, bit flips and truncations of valid frames, packets with
 * a valid CRC around nonsense headers and payloads, oversize frames. Fixed seed, so a failure replays.
 * Built with -fsanitize=address,undefined where the compiler has it, so an out-of-bounds access or
 * undefined behaviour aborts the run.
 *
 * Invariants checked after every case:
 * - every status is one of rtp_status_t and the stream's counters add up to the frames that ended;
 * - a message the decoder accepts can be encoded again, and decoding that gives the same bytes again;
 * - after a delimiter, the next valid frame decodes (the decoder is in sync again).
 *
 * Usage: fuzz [cases [seed]]   (defaults: 200000 cases, seed 20240611)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rtp.h"
#include "vectors.h"

static const char *const reason_names[RTP_REJECT_REASONS] = { "cobs", "too_long", "truncated", "unknown_type", "crc",
                                                              "version", "flags", "length_mismatch", "bad_length", "bad_field" };

static uint32_t rng;
static rtp_stream_t stream;
static unsigned long outcome_counts[RTP_ERR_BUFFER + 1];
static unsigned long frames_ended;
static unsigned long violations;

static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint32_t below(uint32_t n)
{
    return next_random() % n;
}

static void violation(const char *what, unsigned long index)
{
    violations++;
    if (violations <= 20u) {
        printf("VIOLATION in case %lu: %s\n", index, what);
    }
}

/* Decoded messages must survive encode -> decode -> encode unchanged. */
static void check_reencode(const rtp_message_t *msg, uint16_t seq, unsigned long index)
{
    static uint8_t first[RTP_MAX_PACKET_LEN];
    static uint8_t second[RTP_MAX_PACKET_LEN];
    static rtp_message_t again;
    rtp_header_t h;
    size_t first_len = 0;
    size_t second_len = 0;
    if (rtp_encode_packet(msg, seq, first, sizeof first, &first_len) != RTP_OK) {
        violation("an accepted message cannot be encoded", index);
        return;
    }
    if (rtp_decode_packet(first, first_len, &h, &again) != RTP_OK ||
        rtp_encode_packet(&again, seq, second, sizeof second, &second_len) != RTP_OK || first_len != second_len ||
        memcmp(first, second, first_len) != 0) {
        violation("encode(decode(encode(m))) differs from encode(m)", index);
    }
}

static rtp_status_t push(uint8_t byte, unsigned long index)
{
    static rtp_message_t msg;
    rtp_header_t h;
    rtp_status_t st = rtp_stream_push(&stream, byte, &h, &msg);
    if ((int)st < (int)RTP_OK || (int)st > (int)RTP_ERR_BAD_FIELD) {
        violation("stream returned a status outside its range", index);
        return st;
    }
    outcome_counts[st]++;
    if (st != RTP_PENDING) {
        frames_ended++;
    }
    if (st == RTP_OK) {
        check_reencode(&msg, h.seq, index);
    }
    return st;
}

static void push_all(const uint8_t *bytes, size_t len, unsigned long index)
{
    size_t i;
    for (i = 0; i < len; i++) {
        push(bytes[i], index);
    }
}

/* A delimiter, then a valid frame: it must decode. */
static void check_resync(unsigned long index)
{
    const rtp_valid_vector_t *v = &rtp_valid_vectors[below(RTP_VALID_VECTOR_COUNT)];
    size_t i;
    rtp_status_t st = RTP_PENDING;
    push(0, index);
    for (i = 0; i < v->frame_len; i++) {
        st = push(v->frame[i], index);
        if (st != RTP_PENDING && i + 1u < v->frame_len) {
            violation("a valid frame ended early after resync", index);
        }
    }
    if (st != RTP_OK) {
        violation("no resync: the valid frame after a delimiter did not decode", index);
    }
}

static void fuzz_random_bytes(uint8_t *buf, unsigned long index)
{
    size_t len = below(700);
    size_t i;
    for (i = 0; i < len; i++) {
        buf[i] = below(16) == 0u ? 0u : (uint8_t)next_random();
    }
    push_all(buf, len, index);
}

static void fuzz_bit_flips(uint8_t *buf, unsigned long index)
{
    const rtp_valid_vector_t *v = &rtp_valid_vectors[below(RTP_VALID_VECTOR_COUNT)];
    uint32_t flips = 1u + below(8);
    uint32_t k;
    memcpy(buf, v->frame, v->frame_len);
    for (k = 0; k < flips; k++) {
        uint32_t bit = below((uint32_t)v->frame_len * 8u);
        buf[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
    }
    push_all(buf, v->frame_len, index);
}

static void fuzz_truncation(unsigned long index)
{
    const rtp_valid_vector_t *v = &rtp_valid_vectors[below(RTP_VALID_VECTOR_COUNT)];
    push_all(v->frame, below((uint32_t)v->frame_len - 1u), index);
}

/* A packet with a CRC that matches (for known types) around random header fields and payload. */
static void fuzz_valid_crc(uint8_t *buf, unsigned long index)
{
    static const uint16_t types[] = { RTP_MSG_HELLO, RTP_MSG_DEVICE_INFO, RTP_MSG_HEARTBEAT, RTP_MSG_JOINT_STATE,
                                      RTP_MSG_JOINT_COMMAND, RTP_MSG_TORQUE, RTP_MSG_ESTOP, RTP_MSG_ESTOP_CLEAR,
                                      RTP_MSG_CONFIGURE, RTP_MSG_FAULT, RTP_MSG_ACK, 0x0099u, 0x8001u };
    static uint8_t packet[RTP_MAX_PACKET_LEN + 16];
    static rtp_message_t msg;
    uint16_t type = types[below(sizeof types / sizeof types[0])];
    size_t payload_len = below(8) == 0u ? below(RTP_MAX_PAYLOAD_LEN + 4u) : below(120);
    size_t len = payload_len + RTP_PACKET_OVERHEAD;
    uint16_t header_len = below(4) == 0u ? (uint16_t)next_random() : (uint16_t)payload_len;
    uint32_t seed = next_random();
    uint32_t crc;
    uint8_t seed_bytes[4];
    size_t i;
    size_t encoded;
    rtp_header_t h;
    rtp_status_t st;
    packet[0] = below(8) == 0u ? (uint8_t)next_random() : 1u;
    packet[1] = below(8) == 0u ? (uint8_t)next_random() : 0u;
    packet[2] = (uint8_t)type;
    packet[3] = (uint8_t)(type >> 8);
    packet[4] = (uint8_t)next_random();
    packet[5] = (uint8_t)next_random();
    packet[6] = (uint8_t)header_len;
    packet[7] = (uint8_t)(header_len >> 8);
    for (i = 0; i < payload_len; i++) {
        /* Small values make joint counts, modes and flags land in their valid ranges now and then. */
        packet[RTP_HEADER_LEN + i] = below(3) == 0u ? (uint8_t)below(8) : (uint8_t)next_random();
    }
    rtp_schema_seed(type, &seed);
    seed_bytes[0] = (uint8_t)seed;
    seed_bytes[1] = (uint8_t)(seed >> 8);
    seed_bytes[2] = (uint8_t)(seed >> 16);
    seed_bytes[3] = (uint8_t)(seed >> 24);
    crc = rtp_crc32c_update(rtp_crc32c_update(RTP_CRC32C_INIT, packet, len - RTP_CRC_LEN), seed_bytes, 4) ^ 0xFFFFFFFFu;
    packet[len - 4] = (uint8_t)crc;
    packet[len - 3] = (uint8_t)(crc >> 8);
    packet[len - 2] = (uint8_t)(crc >> 16);
    packet[len - 1] = (uint8_t)(crc >> 24);
    st = rtp_decode_packet(packet, len, &h, &msg);
    if (st == RTP_OK) {
        check_reencode(&msg, h.seq, index);
    }
    encoded = rtp_cobs_encode(packet, len, buf, RTP_COBS_MAX_LEN(RTP_MAX_PACKET_LEN + 16u));
    if (encoded == 0u) {
        violation("COBS could not encode a packet into a buffer of its maximum size", index);
        return;
    }
    buf[encoded] = 0;
    push_all(buf, encoded + 1u, index);
}

static void fuzz_oversize(uint8_t *buf, unsigned long index)
{
    size_t len = RTP_MAX_PACKET_LEN + 1u + below(1200);
    size_t i;
    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)(1u + below(255));
    }
    push_all(buf, len, index);
}

static void fuzz_cobs_decode(uint8_t *buf, unsigned long index)
{
    static uint8_t out[64];
    size_t len = below(200);
    size_t out_len = 0;
    size_t i;
    rtp_status_t st;
    for (i = 0; i < len; i++) {
        buf[i] = below(32) == 0u ? 0u : (uint8_t)next_random();
    }
    st = rtp_cobs_decode(buf, len, out, sizeof out, &out_len);
    if (st != RTP_OK && st != RTP_ERR_COBS && st != RTP_ERR_TOO_LONG) {
        violation("cobs_decode returned an unexpected status", index);
    }
    if (st == RTP_OK && out_len > sizeof out) {
        violation("cobs_decode reported more bytes than its buffer", index);
    }
}

int main(int argc, char **argv)
{
    static uint8_t buf[4096];
    unsigned long cases = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000ul;
    unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 20240611ul;
    unsigned long i;
    unsigned long counted = 0;
    int r;
    rng = (uint32_t)seed != 0u ? (uint32_t)seed : 1u;
    rtp_stream_init(&stream);
    for (i = 0; i < cases; i++) {
        switch (i % 6u) {
        case 0: fuzz_random_bytes(buf, i); break;
        case 1: fuzz_bit_flips(buf, i); break;
        case 2: fuzz_truncation(i); break;
        case 3: fuzz_valid_crc(buf, i); break;
        case 4: fuzz_oversize(buf, i); break;
        default: fuzz_cobs_decode(buf, i); break;
        }
        check_resync(i);
    }
    counted = stream.frames_ok;
    for (r = 0; r < RTP_REJECT_REASONS; r++) {
        counted += stream.rejected[r];
    }
    if (counted != frames_ended) {
        violation("stream counters do not add up to the frames that ended", cases);
    }
    printf("c-fuzz: %lu cases, seed %lu, %lu frames ended: ok %lu", cases, seed, frames_ended, (unsigned long)stream.frames_ok);
    for (r = 0; r < RTP_REJECT_REASONS; r++) {
        printf(", %s %lu", reason_names[r], (unsigned long)stream.rejected[r]);
    }
    printf("; %lu violations\n", violations);
    return violations == 0u ? 0 : 1;
}
