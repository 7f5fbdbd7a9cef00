/*
 * Hobby PWM servos with potentiometer feedback (README.md, "Wiring"):
 * - pulses on Timer1's OC1A (joint 0) and OC1B (joint 1), fast PWM at 50 Hz, 0.5 µs steps: D9 and
 *   D10 on the Uno, D11 and D12 on the Mega (board.h);
 * - positions from the servos' own potentiometers on A0 and A1 (a feedback wire soldered to the pot's
 *   wiper, or a servo sold with analog feedback);
 * - D7 switches the servos' supply (a logic-level MOSFET or relay): many digital servos hold their
 *   last pulse when the pulses stop, so torque off also cuts their power;
 * - e-stop: a normally closed button from D2 to GND (hal_estop.c).
 * Velocity is a filtered difference of positions; effort is the servo_model.h estimate.
 */
#include <avr/io.h>
#include "../../firmware-protocol/c/rtp.h"
#include "board.h"
#include "hal.h"
#include "servo_model.h"

/* Pulse width: 1500 µs at 0 rad, SERVO_US_PER_RAD more per radian (500–2500 µs for ±90°). */
#define SERVO_CENTER_US 1500.0f
#define SERVO_US_PER_RAD 636.6f
/* Potentiometer: ADC counts at 0 rad and per radian. Measure both per servo (README.md,
 * "Calibration"): the pot reads about 1.6 V at centre and moves about 0.6 V per radian at 5 V. */
#define POT_CENTER_COUNTS 330.0f
#define POT_COUNTS_PER_RAD 120.0f
/* Readings this close to a rail mean a broken feedback wire. */
#define POT_RAIL_COUNTS 8u
#define VELOCITY_FILTER 0.3f

/* Two pulse outputs on Timer1: one per joint. */
typedef char two_joints_on_timer1[(JOINT_COUNT == 2u) ? 1 : -1];

static const uint8_t pot_channel[JOINT_COUNT] = { 0, 1 };
static float last_position_rad[JOINT_COUNT];
static float velocity_rad_s[JOINT_COUNT];
static float target_rad[JOINT_COUNT];
static uint8_t powered;

static uint16_t adc_read(uint8_t channel)
{
    ADMUX = _BV(REFS0) | channel;
    ADCSRA |= _BV(ADSC);
    while (ADCSRA & _BV(ADSC)) {
    }
    return ADC;
}

static void pulses_off(void)
{
    TCCR1A &= (uint8_t)~(_BV(COM1A1) | _BV(COM1B1));
    SERVO_PORT &= (uint8_t)~(_BV(SERVO_A_BIT) | _BV(SERVO_B_BIT));
    POWER_PORT &= (uint8_t)~_BV(POWER_BIT);
}

void hal_init(void)
{
    uint8_t j;
    SERVO_DDR |= _BV(SERVO_A_BIT) | _BV(SERVO_B_BIT);
    POWER_DDR |= _BV(POWER_BIT);
    hal_estop_init();
    /* Timer1: fast PWM with TOP = ICR1 (mode 14), F_CPU/8: 0.5 µs per count, 20 ms per period. */
    ICR1 = (uint16_t)(F_CPU / 8UL / 50UL - 1UL);
    TCCR1A = _BV(WGM11);
    TCCR1B = _BV(WGM13) | _BV(WGM12) | _BV(CS11);
    pulses_off();
    /* ADC: AVcc reference, 125 kHz clock (F_CPU/128). */
    ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0);
    for (j = 0; j < JOINT_COUNT; j++) {
        last_position_rad[j] = ((float)adc_read(pot_channel[j]) - POT_CENTER_COUNTS) / POT_COUNTS_PER_RAD;
        velocity_rad_s[j] = 0.0f;
    }
    powered = 0;
}

void hal_sample(float dt_s, hal_reading_t *out)
{
    uint8_t j;
    for (j = 0; j < JOINT_COUNT; j++) {
        uint16_t counts = adc_read(pot_channel[j]);
        if (counts < POT_RAIL_COUNTS || counts > 1023u - POT_RAIL_COUNTS) {
            out->sensor_status[j] = RTP_JOINT_STATUS_SENSOR_ERROR; /* the last good value stays */
        } else {
            float q = ((float)counts - POT_CENTER_COUNTS) / POT_COUNTS_PER_RAD;
            if (dt_s > 0.0f) velocity_rad_s[j] += VELOCITY_FILTER * ((q - last_position_rad[j]) / dt_s - velocity_rad_s[j]);
            last_position_rad[j] = q;
            out->sensor_status[j] = 0;
        }
        out->position_rad[j] = last_position_rad[j];
        out->velocity_rad_s[j] = velocity_rad_s[j];
        out->effort_nm[j] = powered ? servo_effort_nm(target_rad[j] - last_position_rad[j], velocity_rad_s[j]) : 0.0f;
    }
}

void hal_drive(const float *target, uint8_t torque_on)
{
    uint8_t j;
    for (j = 0; j < JOINT_COUNT; j++) target_rad[j] = target[j];
    powered = torque_on;
    if (!torque_on) {
        pulses_off();
        return;
    }
    /* Half-microsecond counts: the pulse in µs times 2. */
    OCR1A = (uint16_t)((SERVO_CENTER_US + SERVO_US_PER_RAD * target[0]) * 2.0f);
    OCR1B = (uint16_t)((SERVO_CENTER_US + SERVO_US_PER_RAD * target[1]) * 2.0f);
    POWER_PORT |= _BV(POWER_BIT);
    TCCR1A |= _BV(COM1A1) | _BV(COM1B1);
}
