/* The log console: a polled 16550 UART.  Output only; the guest owns the
 * port and its interrupts, Shoji just writes lines between its accesses.
 * This is the one piece of device access in ring 0, kept because a panic
 * must be able to speak without any domain running. */
#include "serial.h"
#include "x86.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20

static uint16_t serial_port;

void serial_init(uint16_t port)
{
	serial_port = port;
	if (!port)
		return;
	outb(port + UART_IER, 0x00); /* we poll; the guest enables what it wants */
	outb(port + UART_LCR, 0x80); /* divisor latch */
	outb(port + 0, 0x01);        /* 115200 baud */
	outb(port + 1, 0x00);
	outb(port + UART_LCR, 0x03); /* 8N1 */
	outb(port + UART_FCR, 0x07); /* FIFOs on and cleared */
	outb(port + UART_MCR, 0x03); /* DTR, RTS */
}

static void serial_putc(char c)
{
	/* Bounded wait: a missing UART must not hang the core. */
	for (unsigned spins = 0; spins < 100000; spins++)
		if (inb(serial_port + UART_LSR) & LSR_THRE)
			break;
	outb(serial_port + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	if (!serial_port)
		return;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
