/*
 * A hobby servo's motor as both hardware layers see it: its controller drives the motor with a
 * voltage proportional to the position error, at full voltage from SATURATION_ERROR_RAD on, and a DC
 * motor's torque falls linearly with speed (stall torque at rest, none at top speed). The servo HAL
 * has no current sensor, so its effort is this estimate; the plant HAL uses the same curve.
 * Numbers: an SG90-class servo (1.8 kg·cm stall torque, 0.1 s per 60° unloaded).
 */
#ifndef SERVO_MODEL_H
#define SERVO_MODEL_H

#define SERVO_STALL_TORQUE_NM 0.176f
#define SERVO_TOP_SPEED_RAD_S 10.5f
#define SERVO_SATURATION_ERROR_RAD 0.17f

/* Motor torque [N·m] for a position error [rad] at a speed [rad/s], with the motor powered. */
static inline float servo_effort_nm(float error_rad, float velocity_rad_s)
{
    float drive = error_rad / SERVO_SATURATION_ERROR_RAD;
    if (drive > 1.0f) drive = 1.0f;
    if (drive < -1.0f) drive = -1.0f;
    return SERVO_STALL_TORQUE_NM * (drive - velocity_rad_s / SERVO_TOP_SPEED_RAD_S);
}

#endif
