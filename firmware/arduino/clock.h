/* The device clock: microseconds since boot (PROTOCOL.md § 2), from Timer0. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

void clock_init(void);
uint64_t clock_us(void);

#endif
