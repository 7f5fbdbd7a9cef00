/* Streaming decoder: undoes COBS byte by byte into a fixed buffer and checks each packet at its delimiter. */
#include "rtp.h"

static void start_frame(rtp_stream_t *s)
{
    s->len = 0;
    s->block_left = 0;
    s->zero_pending = 0;
    s->in_frame = 0;
    s->overflow = 0;
}

void rtp_stream_init(rtp_stream_t *s)
{
    int i;
    start_frame(s);
    s->last_len = 0;
    s->frames_ok = 0;
    for (i = 0; i < RTP_REJECT_REASONS; i++) {
        s->rejected[i] = 0;
    }
}

static void store(rtp_stream_t *s, uint8_t byte)
{
    if (s->len == RTP_STREAM_CAPACITY) {
        s->overflow = 1;
        return;
    }
    s->buf[s->len++] = byte;
}

static rtp_status_t end_frame(rtp_stream_t *s, rtp_header_t *header, rtp_message_t *msg)
{
    rtp_status_t status;
    if (s->overflow) {
        status = RTP_ERR_TOO_LONG;
    } else if (s->block_left != 0u) {
        status = RTP_ERR_COBS;
    } else {
        status = rtp_decode_packet(s->buf, s->len, header, msg);
    }
    s->last_len = s->overflow ? 0u : s->len;
    if (status == RTP_OK) {
        s->frames_ok++;
    } else {
        s->rejected[RTP_REJECT_INDEX(status)]++;
    }
    start_frame(s);
    return status;
}

rtp_status_t rtp_stream_push(rtp_stream_t *s, uint8_t byte, rtp_header_t *header, rtp_message_t *msg)
{
    if (byte == 0u) {
        if (!s->in_frame) {
            return RTP_PENDING; /* an empty frame: a delimiter after a delimiter */
        }
        return end_frame(s, header, msg);
    }
    s->in_frame = 1;
    if (s->overflow) {
        return RTP_PENDING;
    }
    if (s->block_left == 0u) {
        /* A code byte: the previous block's zero belongs to the data only if a block follows it. */
        if (s->zero_pending) {
            store(s, 0);
        }
        s->zero_pending = byte != 0xFFu;
        s->block_left = (uint8_t)(byte - 1u);
    } else {
        store(s, byte);
        s->block_left--;
    }
    return RTP_PENDING;
}

const uint8_t *rtp_stream_packet(const rtp_stream_t *s, size_t *len)
{
    *len = s->last_len;
    return s->buf;
}
