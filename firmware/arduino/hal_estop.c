/*
 * The e-stop input, the same for both hardware layers: a normally closed button from D2 to GND, the
 * pin pulled up. Pressed, or its wire cut, D2 reads high: a broken e-stop circuit stops the robot too.
 */
#include <avr/io.h>
#include "hal.h"

void hal_estop_init(void)
{
    DDRD &= (uint8_t)~_BV(PD2);
    PORTD |= _BV(PD2);
}

uint8_t hal_estop_engaged(void)
{
    return (PIND & _BV(PD2)) != 0;
}
