/* Sequence numbers: serial-number arithmetic modulo 65536. */
#include "rtp.h"

int rtp_seq_is_newer(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    return d != 0u && d < 0x8000u;
}

int32_t rtp_seq_delta(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    return d >= 0x8000u ? (int32_t)d - 0x10000 : (int32_t)d;
}
