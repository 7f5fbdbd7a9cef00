#include <string.h>
#include "clock.h"
#include "config.h"
#include "device.h"
#include "link.h"
#include "uart.h"

static rtp_stream_t rx;
static rtp_message_t message;
static uint8_t tx[TX_FRAME_CAPACITY];
static uint16_t tx_seq;

void link_init(void)
{
    rtp_stream_init(&rx);
    tx_seq = 0;
}

void link_poll(void)
{
    uint8_t byte;
    while (uart_read(&byte)) {
        rtp_header_t header;
        rtp_status_t status = rtp_stream_push(&rx, byte, &header, &message);
        if (status == RTP_OK) {
            device_receive(header.type, header.seq, &message, clock_us());
        } else if (status == RTP_ERR_VERSION && header.type == RTP_MSG_HELLO) {
            device_version_mismatch(header.seq);
        }
        /* Every other status: the frame was dropped and counted in rx.rejected (§ 10.2). */
    }
}

rtp_message_t *link_message(void)
{
    return &message;
}

uint16_t link_send(void)
{
    size_t len;
    uint16_t seq = tx_seq;
    /* Every message this firmware builds fits TX_FRAME_CAPACITY and is valid, so this cannot fail;
     * if it ever did, no sequence number is spent and the host sees nothing rather than garbage. */
    if (rtp_encode_frame(&message, seq, tx, sizeof tx, &len) != RTP_OK) return seq;
    uart_write(tx, len);
    tx_seq++;
    return seq;
}

void link_send_delimiter(void)
{
    static const uint8_t zero = 0;
    uart_write(&zero, 1);
}
