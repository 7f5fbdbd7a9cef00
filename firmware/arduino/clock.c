/*
 * Timer0 at F_CPU/64 (4 µs per count at 16 MHz) overflows every 1024 µs; its interrupt counts the
 * overflows. Timer1 belongs to the servo pulses (hal_servo.c).
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <util/atomic.h>
#include "clock.h"

#define US_PER_COUNT (64000000UL / F_CPU)

static volatile uint32_t overflows;

ISR(TIMER0_OVF_vect)
{
    overflows++;
}

void clock_init(void)
{
    TCCR0A = 0;
    TCCR0B = _BV(CS01) | _BV(CS00);
    TIMSK0 = _BV(TOIE0);
}

uint64_t clock_us(void)
{
    uint32_t count;
    uint8_t tcnt;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        count = overflows;
        tcnt = TCNT0;
        /* An overflow that happened since interrupts were disabled is not counted yet. */
        if ((TIFR0 & _BV(TOV0)) && tcnt < 255u) count++;
    }
    return ((uint64_t)count * 256u + tcnt) * US_PER_COUNT;
}
