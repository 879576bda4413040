/* test_rtc.c: unit tests of the CMOS clock: BCD, binary and 12-hour forms, guest offsets. */
#include <errno.h>
#include <stdarg.h>

#include "unit.h"
#include "bus.h"
#include "vm.h"
#include "device.h"
#include "log.h"
#include "devices/rtc.h"

/* 2024-02-29 13:45:56 UTC, a Thursday. */
#define T0 1709214356

static struct {
	const struct bus_ops *ops;
	void *opaque;
	uint64_t base, len;
} fbus;
static struct device *fdev;
static time_t fake_time = T0;

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	fbus.base = base;
	fbus.len = len;
	fbus.ops = ops;
	fbus.opaque = opaque;
	return 0;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	fdev = dev;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
}

static time_t fake_now(void *opaque)
{
	return *(time_t *)opaque;
}

static uint8_t cmos_read(uint8_t reg)
{
	uint8_t v = reg;

	fbus.ops->write(fbus.opaque, 0, &v, 1);
	fbus.ops->read(fbus.opaque, 1, &v, 1);
	return v;
}

static void cmos_write(uint8_t reg, uint8_t val)
{
	fbus.ops->write(fbus.opaque, 0, &reg, 1);
	fbus.ops->write(fbus.opaque, 1, &val, 1);
}

static void test_create(struct vm *vm)
{
	struct device other = { 0 };

	CHECK_EQ(rtc_create(vm), 0);
	CHECK_EQ(fbus.base, 0x70);
	CHECK_EQ(fbus.len, 2);
	CHECK(fdev != NULL);
	CHECK_EQ(rtc_set_time_source(&other, fake_now, &fake_time), -EINVAL);
	CHECK_EQ(rtc_set_time_source(fdev, fake_now, &fake_time), 0);
}

static void test_status_regs(void)
{
	uint8_t v = 0;

	CHECK_EQ(cmos_read(0x0a), 0x26);
	CHECK_EQ(cmos_read(0x0b), 0x02);
	CHECK_EQ(cmos_read(0x0c), 0x00);
	CHECK_EQ(cmos_read(0x0d), 0x80);
	cmos_write(0x0a, 0xa5); /* UIP is read-only */
	CHECK_EQ(cmos_read(0x0a), 0x25);
	cmos_write(0x0a, 0x26);
	cmos_write(0x0d, 0x00);
	CHECK_EQ(cmos_read(0x0d), 0x80);
	fbus.ops->read(fbus.opaque, 0, &v, 1);
	CHECK_EQ(v, 0xff); /* index port is write-only */
}

static void test_bcd_24h(void)
{
	CHECK_EQ(cmos_read(0x00), 0x56);
	CHECK_EQ(cmos_read(0x02), 0x45);
	CHECK_EQ(cmos_read(0x04), 0x13);
	CHECK_EQ(cmos_read(0x06), 0x05); /* Thursday, Sunday = 1 */
	CHECK_EQ(cmos_read(0x07), 0x29);
	CHECK_EQ(cmos_read(0x08), 0x02);
	CHECK_EQ(cmos_read(0x09), 0x24);
	CHECK_EQ(cmos_read(0x32), 0x20);
	fake_time = T0 + 3;
	CHECK_EQ(cmos_read(0x00), 0x59); /* read at access time */
	fake_time = T0;
}

static void test_binary_and_12h(void)
{
	cmos_write(0x0b, 0x06); /* binary, 24 h */
	CHECK_EQ(cmos_read(0x00), 56);
	CHECK_EQ(cmos_read(0x04), 13);
	CHECK_EQ(cmos_read(0x07), 29);
	CHECK_EQ(cmos_read(0x09), 24);
	CHECK_EQ(cmos_read(0x32), 20);
	cmos_write(0x0b, 0x04); /* binary, 12 h: 1 PM */
	CHECK_EQ(cmos_read(0x04), 0x81);
	cmos_write(0x0b, 0x00); /* BCD, 12 h */
	CHECK_EQ(cmos_read(0x04), 0x81);
	fake_time = T0 - 13 * 3600 - 45 * 60; /* 00:00:56: 12 AM */
	CHECK_EQ(cmos_read(0x04), 0x12);
	fake_time = T0 - 3600 - 45 * 60; /* 12:00:56: 12 PM */
	CHECK_EQ(cmos_read(0x04), 0x92);
	fake_time = T0 - 2 * 3600; /* 11 AM */
	CHECK_EQ(cmos_read(0x04), 0x11);
	fake_time = T0;
	cmos_write(0x0b, 0x02);
}

static void test_set_with_set_bit(void)
{
	cmos_write(0x0b, 0x82); /* SET: updates halted */
	fake_time = T0 + 10;
	CHECK_EQ(cmos_read(0x00), 0x56); /* frozen */
	cmos_write(0x04, 0x08);
	cmos_write(0x02, 0x30);
	cmos_write(0x00, 0x00);
	cmos_write(0x07, 0x31); /* day 31 before the month: kept raw */
	cmos_write(0x08, 0x12);
	cmos_write(0x09, 0x99);
	cmos_write(0x32, 0x19);
	fake_time = T0 + 20;
	CHECK_EQ(cmos_read(0x02), 0x30);
	cmos_write(0x0b, 0x02); /* release: 1999-12-31 08:30:00 */
	CHECK_EQ(cmos_read(0x00), 0x00);
	fake_time = T0 + 25;
	CHECK_EQ(cmos_read(0x00), 0x05); /* runs from there */
	CHECK_EQ(cmos_read(0x02), 0x30);
	CHECK_EQ(cmos_read(0x04), 0x08);
	CHECK_EQ(cmos_read(0x06), 0x06); /* a Friday */
	CHECK_EQ(cmos_read(0x07), 0x31);
	CHECK_EQ(cmos_read(0x08), 0x12);
	CHECK_EQ(cmos_read(0x09), 0x99);
	CHECK_EQ(cmos_read(0x32), 0x19);
	fake_time = T0 + 25 + 16 * 3600; /* rolls into 2000 */
	CHECK_EQ(cmos_read(0x04), 0x00);
	CHECK_EQ(cmos_read(0x07), 0x01);
	CHECK_EQ(cmos_read(0x08), 0x01);
	CHECK_EQ(cmos_read(0x09), 0x00);
	CHECK_EQ(cmos_read(0x32), 0x20);
	fake_time = T0;
}

static void test_direct_writes(void)
{
	cmos_write(0x0b, 0x06); /* binary, 24 h, no SET: applies at once */
	cmos_write(0x32, 20);
	cmos_write(0x09, 30);
	cmos_write(0x07, 15); /* day first: each write is normalised */
	cmos_write(0x08, 6);
	cmos_write(0x04, 23);
	cmos_write(0x02, 59);
	cmos_write(0x00, 58);
	CHECK_EQ(cmos_read(0x09), 30);
	CHECK_EQ(cmos_read(0x08), 6);
	CHECK_EQ(cmos_read(0x07), 15);
	CHECK_EQ(cmos_read(0x04), 23);
	CHECK_EQ(cmos_read(0x00), 58);
	fake_time = T0 + 2; /* 2030-06-16 00:00:00 */
	CHECK_EQ(cmos_read(0x04), 0);
	CHECK_EQ(cmos_read(0x02), 0);
	CHECK_EQ(cmos_read(0x07), 16);
	CHECK_EQ(cmos_read(0x06), 1); /* Sunday */
	cmos_write(0x06, 4);	      /* day of week follows the date */
	CHECK_EQ(cmos_read(0x06), 1);

	cmos_write(0x0b, 0x04); /* binary, 12 h writes */
	cmos_write(0x04, 0x80 | 5); /* 5 PM */
	cmos_write(0x0b, 0x06);
	CHECK_EQ(cmos_read(0x04), 17);
	cmos_write(0x0b, 0x04);
	cmos_write(0x04, 12); /* 12 AM */
	CHECK_EQ(cmos_read(0x04), 12);
	cmos_write(0x0b, 0x06);
	CHECK_EQ(cmos_read(0x04), 0);
	cmos_write(0x0b, 0x00); /* BCD 12 h */
	cmos_write(0x04, 0x92);
	cmos_write(0x0b, 0x02);
	CHECK_EQ(cmos_read(0x04), 0x12);
	cmos_write(0x0b, 0x00);
	cmos_write(0x04, 0x81);
	cmos_write(0x0b, 0x02);
	CHECK_EQ(cmos_read(0x04), 0x13);
	CHECK_EQ(cmos_read(0x07), 0x16); /* the date did not move */
	CHECK_EQ(cmos_read(0x09), 0x30);
}

static void test_ram(void)
{
	uint8_t idx = 0xc0, v = 0x5a;

	cmos_write(0x40, 0x11);
	CHECK_EQ(cmos_read(0x40), 0x11);
	fbus.ops->write(fbus.opaque, 0, &idx, 1); /* NMI bit: same register */
	fbus.ops->write(fbus.opaque, 1, &v, 1);
	CHECK_EQ(cmos_read(0x40), 0x5a);
	cmos_write(0x7f, 0x77);
	CHECK_EQ(cmos_read(0x7f), 0x77);
	cmos_write(0x01, 0x33); /* alarm seconds: plain storage */
	CHECK_EQ(cmos_read(0x01), 0x33);
	CHECK_EQ(cmos_read(0x0e), 0x00);
}

int main(void)
{
	static struct vm vm;

	test_create(&vm);
	test_status_regs();
	test_bcd_24h();
	test_binary_and_12h();
	test_set_with_set_bit();
	test_direct_writes();
	test_ram();
	fdev->ops->destroy(fdev);
	return unit_done("rtc");
}
