/*
 * The device side of protocol v1 (PROTOCOL.md § 8–10): sessions, the state machine (DISABLED,
 * ENABLED, LATCHED), the watchdog, the e-stop latch, latched faults, the ten acceptance checks of
 * JOINT_COMMAND with rate-limited NAKs, the firmware's own joint limits, repeated control `seq`s and
 * version-mismatch answers. Hardware comes through hal.h, bytes through link.h.
 */
#ifndef DEVICE_H
#define DEVICE_H

#include <stdint.h>
#include "../../firmware-protocol/c/rtp.h"

/* Power-up: safe state, no session, sequence 0, then 0x00 and DEVICE_INFO once (§ 10.1). */
void device_boot(uint64_t now_us);
/* A valid message from the host. `message` is the link's shared buffer (link.h): read it first. */
void device_receive(uint16_t type, uint16_t seq, const rtp_message_t *message, uint64_t now_us);
/* A HELLO dropped as `version`: DEVICE_INFO and NAK VERSION_MISMATCH (§ 10.3). */
void device_version_mismatch(uint16_t hello_seq);
/* Called as often as possible: the watchdog, the e-stop input and the session timeout. */
void device_poll(uint64_t now_us);
/* When the next control cycle is due [µs]. */
uint64_t device_next_cycle_us(void);
/* One control cycle: sample, limit, drive, then JOINT_STATE (or HEARTBEAT without a session). */
void device_cycle(uint64_t now_us);
uint8_t device_torque_enabled(void);

#endif
