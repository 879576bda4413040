/* test_uart.c: unit tests of the 16550A register model, driven through its bus ops. */
#include <stdarg.h>
#include <stdlib.h>

#include "unit.h"
#include "bus.h"
#include "vm.h"
#include "console.h"
#include "device.h"
#include "log.h"
#include "devices/uart8250.h"

/* Fakes of the core functions the UART calls; they record what they see. */
static struct {
	const struct bus_ops *ops;
	void *opaque;
	uint64_t base, len;
} fbus;
static struct {
	int calls;
	uint32_t irq;
	int level;
} firq;
static struct device *fdev;
static struct {
	uint8_t out[256];
	size_t n;
	console_rx_fn rx;
	void *rx_opaque;
	int rx_ready;
} fcon;

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	fbus.base = base;
	fbus.len = len;
	fbus.ops = ops;
	fbus.opaque = opaque;
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	firq.calls++;
	firq.irq = irq;
	firq.level = level;
	return 0;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	fdev = dev;
}

void console_write(struct console *con, const uint8_t *buf, size_t len)
{
	while (len-- && fcon.n < sizeof(fcon.out))
		fcon.out[fcon.n++] = *buf++;
}

void console_set_receiver(struct console *con, console_rx_fn fn, void *opaque)
{
	fcon.rx = fn;
	fcon.rx_opaque = opaque;
}

void console_rx_ready(struct console *con)
{
	fcon.rx_ready++;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
}

enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define FCR IIR
#define DLL RBR
#define DLM IER

static uint8_t in(unsigned int reg)
{
	uint8_t v = 0;

	fbus.ops->read(fbus.opaque, reg, &v, 1);
	return v;
}

static void out(unsigned int reg, uint8_t v)
{
	fbus.ops->write(fbus.opaque, reg, &v, 1);
}

static size_t feed(const char *s, size_t len)
{
	return fcon.rx(fcon.rx_opaque, (const uint8_t *)s, len);
}

static void drain(void)
{
	while (in(LSR) & 0x01)
		in(RBR);
}

static void test_create(struct vm *vm, struct console *con)
{
	struct uart8250 *u = NULL;

	CHECK_EQ(uart8250_create(vm, &vm->pio, 0x3f8, 4, con, &u), 0);
	CHECK(u != NULL);
	CHECK_EQ(fbus.base, 0x3f8);
	CHECK_EQ(fbus.len, 8);
	CHECK(fdev != NULL && fdev->ops && fdev->ops->destroy);
	CHECK(fcon.rx != NULL);
	CHECK(fcon.rx_opaque == u);
	CHECK_EQ(firq.calls, 0);
}

static void test_power_on(void)
{
	CHECK_EQ(in(IER), 0x00);
	CHECK_EQ(in(IIR), 0x01);
	CHECK_EQ(in(LCR), 0x00);
	CHECK_EQ(in(MCR), 0x00);
	CHECK_EQ(in(LSR), 0x60);
	CHECK_EQ(in(MSR), 0xb0);
	CHECK_EQ(in(SCR), 0x00);
}

static void test_scratch_and_dlab(void)
{
	out(SCR, 0x5a);
	CHECK_EQ(in(SCR), 0x5a);
	out(SCR, 0xa5);
	CHECK_EQ(in(SCR), 0xa5);

	out(IER, 0xff);
	CHECK_EQ(in(IER), 0x0f); /* only four enable bits */
	out(IER, 0);

	out(LCR, 0x83);
	CHECK_EQ(in(LCR), 0x83);
	out(DLL, 0x01);
	out(DLM, 0x02);
	CHECK_EQ(in(DLL), 0x01);
	CHECK_EQ(in(DLM), 0x02);
	CHECK_EQ(fcon.n, 0); /* a DLL write is not a THR write */
	out(LCR, 0x03);
	CHECK_EQ(in(IER), 0x00); /* DLM is hidden again */
	CHECK_EQ(in(LSR) & 0x01, 0);
	out(LCR, 0x83);
	CHECK_EQ(in(DLL), 0x01);
	CHECK_EQ(in(DLM), 0x02);
	out(LCR, 0x03);
}

static void test_output(void)
{
	out(RBR, 'h');
	out(RBR, 'i');
	CHECK_EQ(fcon.n, 2);
	CHECK(memcmp(fcon.out, "hi", 2) == 0);
	CHECK_EQ(in(LSR) & 0x60, 0x60);
	CHECK_EQ(firq.calls, 0); /* no interrupt source enabled */
}

static void test_thre(void)
{
	int calls;

	out(MCR, 0x08); /* OUT2: the IRQ reaches the PIC */
	CHECK_EQ(firq.calls, 0);
	out(IER, 0x02); /* newly enabled with THR empty: THRE at once */
	CHECK_EQ(firq.calls, 1);
	CHECK_EQ(firq.irq, 4);
	CHECK_EQ(firq.level, 1);
	CHECK_EQ(in(IIR), 0x02); /* reading it as the source clears it */
	CHECK_EQ(firq.calls, 2);
	CHECK_EQ(firq.level, 0);
	CHECK_EQ(in(IIR), 0x01);
	out(IER, 0x02); /* not a new enable: nothing */
	CHECK_EQ(in(IIR), 0x01);
	CHECK_EQ(firq.calls, 2);

	out(RBR, 'x'); /* THR empties again: a new THRE event */
	CHECK_EQ(firq.calls, 3);
	CHECK_EQ(firq.level, 1);
	out(RBR, 'y'); /* still pending: the line does not move */
	CHECK_EQ(firq.calls, 3);
	CHECK_EQ(in(IIR), 0x02);
	CHECK_EQ(firq.level, 0);

	out(IER, 0x00);
	out(IER, 0x02); /* re-enabling raises it again */
	CHECK_EQ(firq.level, 1);
	CHECK_EQ(in(IIR), 0x02);
	CHECK_EQ(in(IIR), 0x01);
	out(IER, 0x00);

	/* OUT2 gating: IIR reports the source, the line stays low. */
	calls = firq.calls;
	out(MCR, 0x00);
	out(IER, 0x02);
	CHECK_EQ(firq.calls, calls);
	out(MCR, 0x08);
	CHECK_EQ(firq.calls, calls + 1);
	CHECK_EQ(firq.level, 1);
	out(MCR, 0x00);
	CHECK_EQ(firq.calls, calls + 2);
	CHECK_EQ(firq.level, 0);
	CHECK_EQ(in(IIR), 0x02);
	out(IER, 0x00);
	out(MCR, 0x08);
	CHECK_EQ(firq.level, 0);
	CHECK_EQ(fcon.n, 4);
}

static void test_rx_no_fifo(void)
{
	int ready = fcon.rx_ready;

	CHECK_EQ(feed("abc", 3), 1); /* the 16450 holds one byte */
	CHECK_EQ(in(LSR), 0x61);
	CHECK_EQ(in(IIR), 0x01); /* ERBFI off */
	out(IER, 0x01);
	CHECK_EQ(in(IIR), 0x04);
	CHECK_EQ(firq.level, 1);
	CHECK_EQ(in(RBR), 'a');
	CHECK_EQ(firq.level, 0);
	CHECK_EQ(in(LSR), 0x60);
	CHECK_EQ(fcon.rx_ready, ready + 1); /* drained: push the rest */
	CHECK_EQ(feed("bc", 2), 1);
	CHECK_EQ(in(RBR), 'b');
	CHECK_EQ(fcon.rx_ready, ready + 2);
	CHECK_EQ(feed("c", 1), 1);
	CHECK_EQ(in(RBR), 'c');
	CHECK_EQ(fcon.rx_ready, ready + 2); /* nothing was refused */
	CHECK_EQ(in(RBR), 'c'); /* empty: the last byte again */
	out(IER, 0x00);
}

static void test_fifo(void)
{
	char buf[20];
	int i, ready;

	out(FCR, 0x41); /* FIFO on, trigger 4 */
	CHECK_EQ(in(IIR), 0xc1);
	out(IER, 0x01);
	CHECK_EQ(feed("ab", 2), 2);
	CHECK_EQ(in(IIR), 0xcc); /* below trigger: character timeout */
	CHECK_EQ(firq.level, 1);
	CHECK_EQ(feed("cd", 2), 2);
	CHECK_EQ(in(IIR), 0xc4); /* trigger level reached */
	CHECK_EQ(in(RBR), 'a');
	CHECK_EQ(in(IIR), 0xcc);
	drain();
	CHECK_EQ(in(IIR), 0xc1);
	CHECK_EQ(firq.level, 0);

	out(FCR, 0x81); /* trigger 8 */
	CHECK_EQ(feed("1234567", 7), 7);
	CHECK_EQ(in(IIR), 0xcc);
	CHECK_EQ(feed("8", 1), 1);
	CHECK_EQ(in(IIR), 0xc4);
	out(FCR, 0x83); /* RX FIFO reset */
	CHECK_EQ(in(LSR) & 0x01, 0);
	CHECK_EQ(in(IIR), 0xc1);

	out(FCR, 0xc1); /* trigger 14 */
	for (i = 0; i < 20; i++)
		buf[i] = (char)('A' + i);
	ready = fcon.rx_ready;
	CHECK_EQ(feed(buf, 13), 13);
	CHECK_EQ(in(IIR), 0xcc);
	CHECK_EQ(feed(buf + 13, 7), 3); /* 16 bytes deep */
	CHECK_EQ(in(IIR), 0xc4);
	CHECK_EQ(in(LSR) & 0x02, 0); /* refused input is no overrun */
	for (i = 0; i < 15; i++)
		CHECK_EQ(in(RBR), 'A' + i);
	CHECK_EQ(fcon.rx_ready, ready); /* not drained yet */
	CHECK_EQ(in(RBR), 'P');
	CHECK_EQ(fcon.rx_ready, ready + 1);
	CHECK_EQ(in(LSR) & 0x01, 0);

	CHECK_EQ(feed("xy", 2), 2);
	out(FCR, 0x00); /* back to 16450 mode empties the FIFO */
	CHECK_EQ(in(LSR) & 0x01, 0);
	CHECK_EQ(in(IIR), 0x01);
	out(IER, 0x00);
}

static void test_priorities_and_overrun(void)
{
	int i, calls = firq.calls;

	out(FCR, 0x07); /* FIFO on, trigger 1, both FIFOs reset */
	out(MCR, 0x18); /* loopback: CTS, DSR, DCD drop */
	CHECK_EQ(firq.calls, calls); /* loopback gates the IRQ */
	out(IER, 0x0f);
	for (i = 0; i < 17; i++)
		out(RBR, (uint8_t)(0x30 + i));
	CHECK_EQ(fcon.n, 4); /* loopback does not reach the console */
	CHECK_EQ(firq.calls, calls);
	CHECK_EQ(in(IIR), 0xc6); /* RLS first */
	CHECK_EQ(in(LSR), 0x63); /* OE, reading clears it */
	CHECK_EQ(in(LSR), 0x61);
	CHECK_EQ(in(IIR), 0xc4); /* then RDA */
	for (i = 0; i < 16; i++)
		CHECK_EQ(in(RBR), 0x30 + i); /* the 17th byte was lost */
	CHECK_EQ(in(IIR), 0xc2); /* then THRE, cleared by this read */
	CHECK_EQ(in(IIR), 0xc0); /* then modem status */
	CHECK_EQ(in(MSR), 0x83); /* DCD = OUT2; CTS and DSR fell */
	CHECK_EQ(in(IIR), 0xc1);
	out(IER, 0x00);

	/* 16450 mode: the holding register is overwritten. */
	out(FCR, 0x00);
	out(RBR, 'x');
	out(RBR, 'y');
	CHECK_EQ(in(LSR), 0x63);
	CHECK_EQ(in(RBR), 'y');
	CHECK_EQ(in(LSR), 0x60);
}

static void test_loopback(void)
{
	int ready;

	out(MCR, 0x1a); /* LOOP | OUT2 | RTS: Linux's probe expects 0x90 */
	CHECK_EQ(in(MSR) & 0xf0, 0x90);
	out(MCR, 0x15); /* LOOP | OUT1 | DTR */
	CHECK_EQ(in(MSR), 0x6b); /* DSR, RI; CTS, DSR, DCD changed */
	out(MCR, 0x11);		 /* RI falls: trailing edge */
	CHECK_EQ(in(MSR), 0x24);
	CHECK_EQ(in(MSR), 0x20);

	out(RBR, 'L');
	CHECK_EQ(in(LSR) & 0x01, 1);
	CHECK_EQ(in(RBR), 'L');
	CHECK_EQ(fcon.n, 4);

	ready = fcon.rx_ready;
	CHECK_EQ(feed("q", 1), 0); /* receiver disconnected */
	out(MCR, 0x08); /* leave loopback: ask for input again */
	CHECK_EQ(fcon.rx_ready, ready + 1);
	CHECK_EQ(in(MSR), 0xb9); /* back to CTS, DSR, DCD */
	CHECK_EQ(in(MSR), 0xb0);
	CHECK_EQ(feed("q", 1), 1);
	CHECK_EQ(in(RBR), 'q');
	out(RBR, '!');
	CHECK_EQ(fcon.n, 5);
	CHECK_EQ(fcon.out[4], '!');
}

static void test_wide_and_reset(void)
{
	uint8_t d[2] = { 0x11, 0x22 };

	fbus.ops->write(fbus.opaque, LCR, d, 2); /* LCR, then MCR */
	CHECK_EQ(in(LCR), 0x11);
	CHECK_EQ(in(MCR), 0x02);
	out(MCR, 0x08);
	out(IER, 0x02);
	CHECK_EQ(firq.level, 1);
	fdev->ops->reset(fdev);
	CHECK_EQ(firq.level, 0);
	CHECK_EQ(in(IER), 0);
	CHECK_EQ(in(LCR), 0);
	CHECK_EQ(in(IIR), 0x01);
}

int main(void)
{
	static struct vm vm;
	static int dummy;
	struct console *con = (struct console *)&dummy;

	test_create(&vm, con);
	test_power_on();
	test_scratch_and_dlab();
	test_output();
	test_thre();
	test_rx_no_fifo();
	test_fifo();
	test_priorities_and_overrun();
	test_loopback();
	test_wide_and_reset();
	fdev->ops->destroy(fdev);
	return unit_done("uart");
}
