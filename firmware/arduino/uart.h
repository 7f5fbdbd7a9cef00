/* UART0 at BAUD_RATE, 8N1: received bytes queue up in an interrupt; sending waits for the line. */
#ifndef UART_H
#define UART_H

#include <stddef.h>
#include <stdint.h>

void uart_init(void);
/* 1 and the oldest received byte in *byte, or 0 when none is waiting. Never blocks. */
uint8_t uart_read(uint8_t *byte);
void uart_write(const uint8_t *data, size_t len);
/* 1 when a received byte waits; call with interrupts disabled before sleeping. */
uint8_t uart_pending(void);

#endif
