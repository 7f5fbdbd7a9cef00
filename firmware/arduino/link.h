/*
 * The byte stream to the host: frames in through the C reference's stream decoder, frames out with
 * the device's one sequence counter (PROTOCOL.md § 3, § 8.2).
 *
 * RAM is scarce (2 KiB on an ATmega328P) and an rtp_message_t takes about 600 bytes, so one message
 * buffer serves both ways: link_poll decodes into it and hands it to device.c, and device.c builds
 * every answer in the same buffer (link_message()). A receive handler therefore reads every field
 * it needs before it sends anything.
 */
#ifndef LINK_H
#define LINK_H

#include <stdint.h>
#include "../../firmware-protocol/c/rtp.h"

void link_init(void);
/* Decodes every byte received so far; valid messages go to device_receive. */
void link_poll(void);
rtp_message_t *link_message(void);
/* Sends the message built in link_message() and returns the sequence number it went out with. */
uint16_t link_send(void);
/* A lone 0x00, so that bytes of an interrupted frame cannot merge with the next one (§ 3.2). */
void link_send_delimiter(void);

#endif
