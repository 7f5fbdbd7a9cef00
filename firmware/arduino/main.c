/*
 * robo-train firmware for an ATmega328P (Arduino Uno, Nano) or an ATmega2560 (Arduino Mega 2560) at 16 MHz: the main loop decodes what the
 * host sent, runs the safety checks as often as it can and a control cycle at the state rate, and
 * sleeps in between (any interrupt wakes it: a received byte, the 1 ms clock tick).
 *
 * Pins beyond the hardware layer's (board.h): D13 (the board's LED) lights while torque is on; D8 is high during
 * each control cycle, for a scope (or simavr's runner) to measure the cycle time. The AVR's own
 * watchdog resets the chip if the loop ever hangs: the reset is the safe state.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include "board.h"
#include "clock.h"
#include "device.h"
#include "link.h"
#include "uart.h"

int main(void)
{
    /* A watchdog reset leaves the watchdog running: stop it before anything slow. */
    MCUSR = 0;
    wdt_disable();
    LED_DDR |= _BV(LED_BIT);
    CYCLE_DDR |= _BV(CYCLE_BIT);
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
            CYCLE_PORT |= _BV(CYCLE_BIT);
            device_cycle(now);
            CYCLE_PORT &= (uint8_t)~_BV(CYCLE_BIT);
        }
        if (device_torque_enabled()) LED_PORT |= _BV(LED_BIT);
        else LED_PORT &= (uint8_t)~_BV(LED_BIT);

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
