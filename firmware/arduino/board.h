/*
 * Where the firmware's signals are on each board it builds for (README.md, "Wiring"). The same
 * Arduino header numbers where the chip allows: the e-stop on D2, the servo supply on D7, the cycle
 * pin on D8, the LED on D13. The servo pulses come from Timer1's compare outputs, which are D9/D10 on
 * the Uno and D11/D12 on the Mega (ATmega2560 datasheet, "Pin Configurations": OC1A/PB5, OC1B/PB6).
 * The pots read ADC0 and ADC1 (A0, A1) on both, with MUX5 clear on the ATmega2560.
 */
#ifndef BOARD_H
#define BOARD_H

#include <avr/io.h>

#if defined(__AVR_ATmega328P__)
/* Arduino Uno / Nano: ATmega328P. */
#define SERVO_DDR DDRB
#define SERVO_PORT PORTB
#define SERVO_A_BIT PB1 /* D9, OC1A */
#define SERVO_B_BIT PB2 /* D10, OC1B */
#define POWER_DDR DDRD
#define POWER_PORT PORTD
#define POWER_BIT PD7 /* D7 */
#define ESTOP_DDR DDRD
#define ESTOP_PORT PORTD
#define ESTOP_PIN PIND
#define ESTOP_BIT PD2 /* D2 */
#define LED_DDR DDRB
#define LED_PORT PORTB
#define LED_BIT PB5 /* D13 */
#define CYCLE_DDR DDRB
#define CYCLE_PORT PORTB
#define CYCLE_BIT PB0 /* D8 */
#define UART0_RX_VECT USART_RX_vect
#elif defined(__AVR_ATmega2560__)
/* Arduino Mega 2560: ATmega2560. */
#define SERVO_DDR DDRB
#define SERVO_PORT PORTB
#define SERVO_A_BIT PB5 /* D11, OC1A */
#define SERVO_B_BIT PB6 /* D12, OC1B */
#define POWER_DDR DDRH
#define POWER_PORT PORTH
#define POWER_BIT PH4 /* D7 */
#define ESTOP_DDR DDRE
#define ESTOP_PORT PORTE
#define ESTOP_PIN PINE
#define ESTOP_BIT PE4 /* D2 */
#define LED_DDR DDRB
#define LED_PORT PORTB
#define LED_BIT PB7 /* D13 */
#define CYCLE_DDR DDRH
#define CYCLE_PORT PORTH
#define CYCLE_BIT PH5 /* D8 */
/* The ATmega2560 has four USARTs: the USB bridge is wired to USART0. */
#define UART0_RX_VECT USART0_RX_vect
#else
#error "no pin map for this MCU in board.h: build with MCU=atmega328p or MCU=atmega2560"
#endif

#endif
