/* test_i8042.c: unit tests of the PS/2 controller stub: self-test, CTR, identify, reset. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "unit.h"
#include "bus.h"
#include "vm.h"
#include "device.h"
#include "log.h"
#include "devices/i8042.h"

/* Fakes of the core functions the device calls. */
static struct {
	const struct bus_ops *ops[2]; /* [0] port 0x60, [1] port 0x64 */
	void *opaque[2];
	int registered;
} fbus;
static struct {
	int level[16];
	int rises[16]; /* 0 -> 1 transitions per line */
	int calls;
} firq;
static struct {
	int calls;
	enum vm_end end;
	int code;
	char detail[160];
} fend;
static struct device *fdev;

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	int i = base == 0x64;

	if (len != 1 || (base != 0x60 && base != 0x64))
		return -EINVAL;
	fbus.ops[i] = ops;
	fbus.opaque[i] = opaque;
	fbus.registered++;
	return 0;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	fbus.registered--;
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	if (irq < 16) {
		if (level && !firq.level[irq])
			firq.rises[irq]++;
		firq.level[irq] = level;
	}
	firq.calls++;
	return 0;
}

void vm_request_end(struct vm *vm, enum vm_end end, int code,
		    const char *detail, ...)
{
	va_list ap;

	fend.calls++;
	fend.end = end;
	fend.code = code;
	va_start(ap, detail);
	vsnprintf(fend.detail, sizeof(fend.detail), detail, ap);
	va_end(ap);
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	fdev = dev;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
}

static uint8_t in(uint16_t port)
{
	uint8_t v = 0;
	int i = port == 0x64;

	fbus.ops[i]->read(fbus.opaque[i], 0, &v, 1);
	return v;
}

static void out(uint16_t port, uint8_t v)
{
	int i = port == 0x64;

	fbus.ops[i]->write(fbus.opaque[i], 0, &v, 1);
}

/* Reads one byte the way Linux does: status first, then data. */
static int read_byte(uint8_t *aux)
{
	uint8_t s = in(0x64);

	if (!(s & 0x01))
		return -1;
	*aux = !!(s & 0x20);
	return in(0x60);
}

static void test_create(struct vm *vm)
{
	CHECK_EQ(i8042_create(vm), 0);
	CHECK_EQ(fbus.registered, 2);
	CHECK(fdev != NULL);
	CHECK_STR(fdev->name, "i8042");
	CHECK_EQ(in(0x64), 0x14); /* key lock off, SYS, nothing to read */
}

static void test_self_test(void)
{
	uint8_t aux;

	out(0x64, 0xaa);
	CHECK_EQ(in(0x64), 0x1d); /* OBF, SYS, CMD, unlocked */
	CHECK_EQ(firq.level[1], 1); /* default CTR has the kbd IRQ on */
	CHECK_EQ(read_byte(&aux), 0x55);
	CHECK_EQ(aux, 0);
	CHECK_EQ(firq.level[1], 0);
	CHECK_EQ(read_byte(&aux), -1);
	out(0x64, 0xab);
	CHECK_EQ(read_byte(&aux), 0x00);
	out(0x64, 0xa9);
	CHECK_EQ(read_byte(&aux), 0x00);
}

static void test_ctr(void)
{
	uint8_t aux;
	int calls;

	out(0x64, 0x20);
	CHECK_EQ(read_byte(&aux), 0x47);
	out(0x64, 0x60);
	out(0x60, 0x44); /* interrupts off */
	CHECK_EQ(in(0x64) & 0x09, 0x00); /* last write was data, no OBF */
	calls = firq.calls;
	out(0x64, 0x20);
	CHECK_EQ(read_byte(&aux), 0x44);
	CHECK_EQ(firq.calls, calls); /* CTR says no IRQ */
	out(0x64, 0xa7);
	out(0x64, 0x20);
	CHECK_EQ(read_byte(&aux), 0x64);
	out(0x64, 0xa8);
	out(0x64, 0xad);
	out(0x64, 0x20);
	CHECK_EQ(read_byte(&aux), 0x54);
	out(0x64, 0xae);
	out(0x64, 0x20);
	CHECK_EQ(read_byte(&aux), 0x44);
	out(0x64, 0x60);
	out(0x60, 0x40); /* SYS cleared: status follows */
	CHECK_EQ(in(0x64) & 0x04, 0);
	out(0x64, 0x60);
	out(0x60, 0x47);
	CHECK_EQ(in(0x64) & 0x04, 0x04);
}

static void test_keyboard(void)
{
	uint8_t aux;
	int rises = firq.rises[1];

	out(0x60, 0xf2); /* identify */
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(read_byte(&aux), 0xab);
	CHECK_EQ(read_byte(&aux), 0x83);
	CHECK_EQ(aux, 0);
	CHECK_EQ(read_byte(&aux), -1);
	CHECK_EQ(firq.rises[1], rises + 3); /* one edge per byte */
	CHECK_EQ(firq.level[1], 0);

	out(0x60, 0xff); /* reset */
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(read_byte(&aux), 0xaa);
	CHECK_EQ(read_byte(&aux), -1);

	out(0x60, 0xed); /* LEDs; the parameter is not a command */
	out(0x60, 0xff);
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(read_byte(&aux), -1);
	out(0x60, 0xf4); /* enable */
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(read_byte(&aux), -1);
	CHECK_EQ(firq.rises[12], 0);
}

static void test_aux(void)
{
	uint8_t aux = 0;

	out(0x64, 0xd4);
	out(0x60, 0xff);
	CHECK_EQ(firq.level[12], 1);
	CHECK_EQ(firq.level[1], 0);
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(aux, 1);
	CHECK_EQ(read_byte(&aux), 0xaa);
	CHECK_EQ(read_byte(&aux), 0x00);
	CHECK_EQ(aux, 1);
	CHECK_EQ(read_byte(&aux), -1);
	CHECK_EQ(firq.rises[12], 3);
	CHECK_EQ(firq.level[12], 0);

	out(0x64, 0xd4);
	out(0x60, 0xf2);
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(read_byte(&aux), 0x00);
	CHECK_EQ(read_byte(&aux), -1);

	out(0x64, 0xd3); /* aux loop: Linux's AUX IRQ test */
	out(0x60, 0xa5);
	CHECK_EQ(firq.level[12], 1);
	CHECK_EQ(read_byte(&aux), 0xa5);
	CHECK_EQ(aux, 1);
	out(0x64, 0xd2);
	out(0x60, 0x5a);
	CHECK_EQ(firq.level[1], 1);
	CHECK_EQ(read_byte(&aux), 0x5a);
	CHECK_EQ(aux, 0);

	out(0x60, 0xf2); /* without 0xd4 it is the keyboard again */
	CHECK_EQ(read_byte(&aux), 0xfa);
	CHECK_EQ(read_byte(&aux), 0xab);
	CHECK_EQ(aux, 0);
	CHECK_EQ(read_byte(&aux), 0x83);

	out(0x64, 0x60);
	out(0x60, 0x45); /* aux interrupt off: data but no IRQ12 */
	out(0x64, 0xd3);
	out(0x60, 0x77);
	CHECK_EQ(in(0x64) & 0x21, 0x21);
	CHECK_EQ(firq.level[12], 0);
	CHECK_EQ(read_byte(&aux), 0x77);
	out(0x64, 0x60);
	out(0x60, 0x47);
}

static void test_output_port_and_reset(void)
{
	uint8_t aux;

	out(0x64, 0xd0);
	CHECK_EQ(read_byte(&aux), 0x03);
	out(0x64, 0xd1);
	out(0x60, 0xdf); /* A20 on, reset line high: nothing happens */
	out(0x64, 0xd0);
	CHECK_EQ(read_byte(&aux), 0xdf);
	out(0x64, 0xff); /* pulse nothing */
	CHECK_EQ(fend.calls, 0);

	out(0x64, 0xfe);
	CHECK_EQ(fend.calls, 1);
	CHECK_EQ(fend.end, VM_END_RESET);
	CHECK_EQ(fend.code, 0);
	CHECK_STR(fend.detail, "guest reset via i8042 (port 0x64 0xfe)");
	out(0x64, 0xf0);
	CHECK_EQ(fend.calls, 2);

	fdev->ops->reset(fdev);
	out(0x64, 0x20);
	CHECK_EQ(read_byte(&aux), 0x47);
}

int main(void)
{
	static struct vm vm;

	test_create(&vm);
	test_self_test();
	test_ctr();
	test_keyboard();
	test_aux();
	test_output_port_and_reset();
	fdev->ops->destroy(fdev);
	return unit_done("i8042");
}
