/* serirq.c: interrupt-driven serial input. Routes COM1's IRQ 4 through the
 * IOAPIC (pin from the MP table) to the local APIC, enables the UART's
 * received-data interrupt and OUT2, and sleeps in sti;hlt. The interrupt
 * handler drains the receiver into a ring; the main loop echoes each byte
 * and, at a newline, the whole line, then exits with GX_PASS_SERIRQ. */
#include "mp.h"

#define IRQ_VECTOR 0x30
#define UART_IRQ   4
#define RING	   256

void main64(const u8 *bp);

static volatile u8 ring[RING];
static volatile u32 ring_head, ring_tail, irq_count, rx_total;

static void uart_irq(int vector)
{
	(void)vector;
	irq_count++;
	while (inb(COM1 + 5) & 0x01) { /* LSR: data ready */
		u8 c = inb(COM1);

		rx_total++;
		if (ring_head - ring_tail < RING)
			ring[ring_head++ % RING] = c;
	}
	lapic_write(0xb0, 0); /* EOI */
}

void main64(const u8 *bp)
{
	char line[128];
	u32 n = 0, apic_id, a, b, c, d;
	int pin;

	(void)bp;
	serial_init();
	idt_init();
	irq_handlers[IRQ_VECTOR] = uart_irq;

	/* The legacy PICs stay masked: only the IOAPIC delivers. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);

	cpuid(1, &a, &b, &c, &d);
	apic_id = b >> 24;
	lapic_write(0xf0, 0x100 | 0xff);  /* SVR: enabled, spurious 0xff */
	lapic_write(0x350, 0x10000);	  /* LVT LINT0 masked */
	lapic_write(0x80, 0);		  /* TPR: accept everything */

	pin = mp_isa_irq_pin(UART_IRQ);
	printf("serirq: MP table routes ISA IRQ %u to IOAPIC pin %d\n",
	       UART_IRQ, pin);
	if (pin < 0)
		pin = UART_IRQ;
	/* Level-triggered, active high, fixed delivery to this CPU. */
	ioapic_write(0x11 + 2 * pin, apic_id << 24);
	ioapic_write(0x10 + 2 * pin, IRQ_VECTOR | (1 << 15));
	printf("serirq: IOAPIC id %x version %x, pin %d -> vector %x on APIC %u\n",
	       ioapic_read(0) >> 24, ioapic_read(1) & 0xff, pin, IRQ_VECTOR,
	       apic_id);

	outb(COM1 + 4, 0x0b); /* MCR: DTR, RTS, OUT2 (the IRQ gate) */
	outb(COM1 + 1, 0x01); /* IER: received data available */
	puts("serirq: ready for input\n");

	for (;;) {
		u8 ch;

		cli();
		if (ring_head == ring_tail) {
			/* sti's one-instruction shadow: no wakeup is lost. */
			__asm__ volatile("sti; hlt" ::: "memory");
			continue;
		}
		ch = ring[ring_tail++ % RING];
		if (ch == '\r' || ch == '\n') {
			line[n] = 0;
			printf("serirq: echo: %s\n", line);
			printf("serirq: %u interrupts, %u bytes received\n",
			       irq_count, rx_total);
			if (!irq_count)
				guest_exit(GX_FAIL);
			guest_exit(GX_PASS_SERIRQ);
		}
		printf("serirq: rx %02x '%c'\n", ch,
		       ch >= 0x20 && ch < 0x7f ? ch : '.');
		if (n + 1 < sizeof(line))
			line[n++] = (char)ch;
	}
}
