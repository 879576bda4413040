/* uart8250.h: the 16550A-compatible UART: creation and the PC COM port constants. */
#ifndef MINIVMM_DEVICES_UART8250_H
#define MINIVMM_DEVICES_UART8250_H

#include <stdint.h>

struct vm;
struct bus;
struct console;
struct uart8250;

#define UART8250_NR_PORTS  8  /* registers at base + 0..7 */
#define UART8250_FIFO_SIZE 16 /* RX FIFO depth with FCR.0 set */

/* The PC's legacy ports and ISA IRQs. */
#define UART8250_COM1_BASE 0x3f8
#define UART8250_COM1_IRQ  4
#define UART8250_COM2_BASE 0x2f8
#define UART8250_COM2_IRQ  3

/*
 * Registers a UART at [base, base + 8) on 'bus', adds it to the VM's device
 * list and, when 'con' is not NULL, makes it the console's input receiver
 * (THR bytes go to console_write). The interrupt line 'irq' is driven with
 * vm_irq_line(): high while an enabled source is pending and MCR.OUT2 is set
 * (and loopback is off: the OUT2 pin is forced inactive then, as on a PC).
 * 'out' may be NULL. Returns 0 or -errno.
 */
int uart8250_create(struct vm *vm, struct bus *bus, uint64_t base,
		    uint32_t irq, struct console *con, struct uart8250 **out);

#endif
