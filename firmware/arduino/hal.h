/*
 * The hardware layer: what the protocol logic (device.c) needs of the actuators and sensors. Two
 * implementations, chosen at build time: hal_servo.c (hobby PWM servos with potentiometer feedback on
 * a real board) and hal_plant.c (a first-order servo plant simulated inside the firmware, for simavr
 * and for runs without hardware).
 */
#ifndef HAL_H
#define HAL_H

#include <stdint.h>
#include "config.h"

typedef struct {
    float position_rad[JOINT_COUNT];
    float velocity_rad_s[JOINT_COUNT];
    float effort_nm[JOINT_COUNT];
    /* RTP_JOINT_STATUS_SENSOR_ERROR for a joint whose reading is not valid (then its last good value). */
    uint8_t sensor_status[JOINT_COUNT];
} hal_reading_t;

void hal_init(void);
/* Samples every joint; `dt_s` is the time since the previous sample. */
void hal_sample(float dt_s, hal_reading_t *out);
/* Drives the joints toward `target_rad` when `torque_on`; otherwise the actuators are unpowered. */
void hal_drive(const float *target_rad, uint8_t torque_on);
/* The e-stop button (hal_estop.c); hal_init calls hal_estop_init. */
void hal_estop_init(void);
/* 1 while the hardware e-stop input is engaged. */
uint8_t hal_estop_engaged(void);

#endif
