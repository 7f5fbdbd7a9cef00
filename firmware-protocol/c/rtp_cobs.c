/* COBS with 0x00 as the delimiter; canonical form (no empty block after a final 254-byte run). */
#include "rtp.h"

size_t rtp_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t code_at = 0;
    size_t o = 1;
    uint8_t code = 1;
    size_t i;
    if (cap < RTP_COBS_MAX_LEN(len)) {
        return 0;
    }
    /* out may overlap in if in starts at least RTP_COBS_MAX_LEN(len) - len bytes after out:
     * the write position never passes the read position then (see rtp_encode_frame). */
    for (i = 0; i < len; i++) {
        uint8_t byte = in[i];
        if (byte != 0u) {
            out[o++] = byte;
            code++;
        }
        if (byte == 0u || code == 0xFFu) {
            out[code_at] = code;
            if (byte != 0u && i + 1u == len) {
                return o;
            }
            code = 1;
            code_at = o++;
        }
    }
    out[code_at] = code;
    return o;
}

rtp_status_t rtp_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t i = 0;
    size_t o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        uint8_t k;
        if (code == 0u || (size_t)(code - 1u) > len - i) {
            return RTP_ERR_COBS;
        }
        for (k = 1; k < code; k++) {
            if (in[i] == 0u) {
                return RTP_ERR_COBS;
            }
            if (o == cap) {
                return RTP_ERR_TOO_LONG;
            }
            out[o++] = in[i++];
        }
        if (code != 0xFFu && i < len) {
            if (o == cap) {
                return RTP_ERR_TOO_LONG;
            }
            out[o++] = 0;
        }
    }
    *out_len = o;
    return RTP_OK;
}
