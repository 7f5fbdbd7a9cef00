/*
 * A first-order servo plant simulated inside the firmware, for simavr and for a bare board: the horn
 * turns toward its target with time constant PLANT_TIME_CONSTANT_S, no faster than the servo's top
 * speed; unpowered it coasts to rest against the gear train's friction. The e-stop button on D2 is
 * real (hal_estop.c): simavr's runner presses it.
 * Integration is implicit Euler (alpha = dt / (tau + dt)): stable at any control period, no libm.
 */
#include "hal.h"
#include "servo_model.h"

#define PLANT_TIME_CONSTANT_S 0.08f
#define PLANT_FRICTION_TIME_S 0.03f

static float position_rad[JOINT_COUNT];
static float velocity_rad_s[JOINT_COUNT];
static float target_rad[JOINT_COUNT];
static uint8_t powered;

void hal_init(void)
{
    uint8_t j;
    for (j = 0; j < JOINT_COUNT; j++) {
        position_rad[j] = 0.0f;
        velocity_rad_s[j] = 0.0f;
        target_rad[j] = 0.0f;
    }
    powered = 0;
    hal_estop_init();
}

void hal_sample(float dt_s, hal_reading_t *out)
{
    uint8_t j;
    for (j = 0; j < JOINT_COUNT; j++) {
        float v;
        if (powered) {
            v = (target_rad[j] - position_rad[j]) / (PLANT_TIME_CONSTANT_S + dt_s);
            if (v > SERVO_TOP_SPEED_RAD_S) v = SERVO_TOP_SPEED_RAD_S;
            if (v < -SERVO_TOP_SPEED_RAD_S) v = -SERVO_TOP_SPEED_RAD_S;
        } else {
            v = velocity_rad_s[j] * PLANT_FRICTION_TIME_S / (PLANT_FRICTION_TIME_S + dt_s);
        }
        position_rad[j] += v * dt_s;
        velocity_rad_s[j] = v;
        out->position_rad[j] = position_rad[j];
        out->velocity_rad_s[j] = v;
        out->effort_nm[j] = powered ? servo_effort_nm(target_rad[j] - position_rad[j], v) : 0.0f;
        out->sensor_status[j] = 0;
    }
}

void hal_drive(const float *target, uint8_t torque_on)
{
    uint8_t j;
    for (j = 0; j < JOINT_COUNT; j++) target_rad[j] = target[j];
    powered = torque_on;
}
