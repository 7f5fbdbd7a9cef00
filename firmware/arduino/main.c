/*
 * robo-train firmware for an ATmega328P (Arduino Uno, Nano) at 16 MHz: the main loop decodes what the
 * host sent, runs the safety checks as often as it can and a control cycle at the state rate, and
 * sleeps in between (any interrupt wakes it: a received byte, the 1 ms clock tick).
 *
 * Pins beyond the hardware layer's: D13 (the Uno's LED) lights while torque is on; D8 is high during
 * each control cycle, for a scope (or simavr's runner) to measure the cycle time. The AVR's own
 * watchdog resets the chip if the loop ever hangs: the reset is the safe state.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include "clock.h"
#include "device.h"
#include "link.h"
#include "uart.h"

#define TORQUE_LED_BIT PB5
#define CYCLE_PIN_BIT PB0

int main(void)
{
    /* A watchdog reset leaves the watchdog running: stop it before anything slow. */
    MCUSR = 0;
    wdt_disable();
    DDRB |= _BV(TORQUE_LED_BIT) | _BV(CYCLE_PIN_BIT);
    clock_init();
    uart_init();
    link_init();
    sei();
    device_boot(clock_us());
    wdt_enable(WDTO_120MS);
    set_sleep_mode(SLEEP_MODE_IDLE);

    for (;;) {
        uint64_t now;
        wdt_reset();
        link_poll();
        now = clock_us();
        device_poll(now);
        if (now >= device_next_cycle_us()) {
            PORTB |= _BV(CYCLE_PIN_BIT);
            device_cycle(now);
            PORTB &= (uint8_t)~_BV(CYCLE_PIN_BIT);
        }
        if (device_torque_enabled()) PORTB |= _BV(TORQUE_LED_BIT);
        else PORTB &= (uint8_t)~_BV(TORQUE_LED_BIT);

        /* Sleep only if no byte slipped in since link_poll; sei then sleep_cpu runs atomically. */
        cli();
        if (!uart_pending()) {
            sleep_enable();
            sei();
            sleep_cpu();
            sleep_disable();
        }
        sei();
    }
}
