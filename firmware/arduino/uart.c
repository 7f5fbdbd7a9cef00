/*
 * At 1 Mbaud a byte arrives every 10 µs (160 cycles): the receive interrupt only queues it, and the
 * main loop decodes. 128 bytes hold more than a 2-joint JOINT_COMMAND frame (34 bytes) plus a control
 * message, so a control cycle spent sending a state does not lose the host's answer. Sending polls the
 * data register: a JOINT_STATE frame (56 bytes) takes 560 µs on the line.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include "board.h"
#include "config.h"
#include "uart.h"

#define RX_QUEUE 128u /* a power of two */

static volatile uint8_t rx_queue[RX_QUEUE];
static volatile uint8_t rx_head;
static volatile uint8_t rx_tail;

ISR(UART0_RX_VECT)
{
    uint8_t byte = UDR0;
    uint8_t next = (uint8_t)((rx_head + 1u) & (RX_QUEUE - 1u));
    /* Full: the byte is lost, and the stream decoder drops the damaged frame (PROTOCOL.md § 3.2). */
    if (next == rx_tail) return;
    rx_queue[rx_head] = byte;
    rx_head = next;
}

void uart_init(void)
{
    UCSR0A = _BV(U2X0);
    UBRR0 = (uint16_t)(F_CPU / (8UL * BAUD_RATE) - 1UL);
    UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
}

uint8_t uart_read(uint8_t *byte)
{
    if (rx_tail == rx_head) return 0;
    *byte = rx_queue[rx_tail];
    rx_tail = (uint8_t)((rx_tail + 1u) & (RX_QUEUE - 1u));
    return 1;
}

void uart_write(const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        while (!(UCSR0A & _BV(UDRE0))) {
        }
        UDR0 = data[i];
    }
}

uint8_t uart_pending(void)
{
    return rx_tail != rx_head;
}
