/*
 * The e-stop input, the same for both hardware layers: a normally closed button from D2 to GND, the
 * pin pulled up. Pressed, or its wire cut, D2 reads high: a broken e-stop circuit stops the robot too.
 */
#include <avr/io.h>
#include "board.h"
#include "hal.h"

void hal_estop_init(void)
{
    ESTOP_DDR &= (uint8_t)~_BV(ESTOP_BIT);
    ESTOP_PORT |= _BV(ESTOP_BIT);
}

uint8_t hal_estop_engaged(void)
{
    return (ESTOP_PIN & _BV(ESTOP_BIT)) != 0;
}
