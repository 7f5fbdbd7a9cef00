/*
 * What this robot is: its joints, their last-resort limits, its rates and its link. The host's
 * calibration (calibration/arduino-sim.json) must name the same joints in the same order; robo-train
 * refuses to run when DEVICE_INFO and the calibration differ.
 *
 * Two joints: a pan-tilt bracket of two hobby servos (SG90/MG90S class), each turning ±90°. Positions
 * are raw device angles [rad], 0 at the servo's centre (1500 µs pulse).
 */
#ifndef CONFIG_H
#define CONFIG_H

#define FIRMWARE_MAJOR 1u
#define FIRMWARE_MINOR 0u
#define FIRMWARE_PATCH 0u

/* DEVICE_INFO device_id: robo-train prints it; change it per robot when you build several. */
#define DEVICE_ID "arduino-pan-tilt"

#define JOINT_COUNT 2u
#define JOINT_NAMES { "pan", "tilt" }

/* Last-resort limits (PROTOCOL.md § 10.5), per joint. The hard range stays inside the servo's own
 * ±1.57 rad travel so that a target never drives it into its end stop. */
#define JOINT_MIN_POSITION_RAD { -1.4f, -1.4f }
#define JOINT_MAX_POSITION_RAD { 1.4f, 1.4f }
/* Following speed: an SG90 turns 60° in 0.1 s (10.5 rad/s) unloaded; 4 rad/s keeps it well inside. */
#define JOINT_MAX_VELOCITY_RAD_S { 4.0f, 4.0f }
/* A joint pushed this far beyond its hard range while driven latches a POSITION_LIMIT fault. */
#define POSITION_FAULT_MARGIN_RAD 0.08f

/* JOINT_STATE rates. The default is a hobby servo's pulse rate (50 Hz): a new target cannot reach the
 * servo faster. The maximum is what the firmware sustains at BAUD_RATE, measured in simavr
 * (README.md, "Cycle time and state rate"). */
#define MIN_STATE_RATE_HZ 1u
#define DEFAULT_STATE_RATE_HZ 50u
#define MAX_STATE_RATE_HZ 250u
#define DEFAULT_WATCHDOG_MS 500u

/* 1 Mbaud is exact at 16 MHz (U2X, UBRR 1) and is robo-train's default --baud. */
#define BAUD_RATE 1000000UL

/* The largest frame this firmware sends: DEVICE_INFO, 12 + 48 + 16 per joint bytes of packet, one
 * COBS code byte per 254 and the delimiter (94 bytes for 2 joints). */
#define TX_FRAME_CAPACITY (12u + 48u + 16u * JOINT_COUNT + 2u)

#endif
