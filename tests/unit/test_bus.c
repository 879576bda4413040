/* test_bus.c: the I/O bus: registration order, overlap refusal, dispatch and unhandled accesses. */
#include <errno.h>
#include <stdlib.h>

#include "bus.h"
#include "unit.h"

struct fake_dev {
	uint64_t last_off;
	uint32_t last_len;
	int reads, writes;
	uint8_t val;
};

static void fake_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->reads++;
	d->last_off = off;
	d->last_len = len;
	memset(data, d->val, len);
}

static void fake_write(void *opaque, uint64_t off, const uint8_t *data,
		       uint32_t len)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_len = len;
	d->val = data[0];
}

static const struct bus_ops fake_ops = { fake_read, fake_write };

static void test_overlaps(void)
{
	struct bus bus;
	struct fake_dev a = { 0 };

	CHECK_EQ(bus_init(&bus, "pio"), 0);
	CHECK_EQ(bus_register(&bus, 0x100, 0x10, &fake_ops, &a, "a"), 0);
	CHECK_EQ(bus_register(&bus, 0x300, 0x10, &fake_ops, &a, "c"), 0);
	CHECK_EQ(bus_register(&bus, 0x200, 0x10, &fake_ops, &a, "b"), 0);
	/* Exactly adjacent ranges are fine; any shared byte is not. */
	CHECK_EQ(bus_register(&bus, 0x110, 0x10, &fake_ops, &a, "adj"), 0);
	CHECK_EQ(bus_register(&bus, 0xf0, 0x10, &fake_ops, &a, "adj2"), 0);
	CHECK_EQ(bus_register(&bus, 0x10f, 1, &fake_ops, &a, "x"), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x1ff, 2, &fake_ops, &a, "x"), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x0, 0x1000, &fake_ops, &a, "x"), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x20f, 1, &fake_ops, &a, "x"), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x400, 0, &fake_ops, &a, "zero"), -EINVAL);
	CHECK_EQ(bus_register(&bus, UINT64_MAX, 2, &fake_ops, &a, "wrap"),
		 -EINVAL);
	CHECK_EQ(bus.nr, 5);
	for (size_t i = 1; i < bus.nr; i++)
		CHECK(bus.ranges[i - 1].base < bus.ranges[i].base);
	CHECK_EQ(bus_unregister(&bus, 0x200), 0);
	CHECK_EQ(bus_unregister(&bus, 0x200), -ENOENT);
	CHECK_EQ(bus_register(&bus, 0x208, 4, &fake_ops, &a, "b2"), 0);
	bus_destroy(&bus);
}

static void test_dispatch(void)
{
	struct bus bus;
	struct fake_dev a = { .val = 0x5a }, b = { .val = 0x11 };
	uint8_t data[8];

	bus_init(&bus, "mmio");
	bus_register(&bus, 0x1000, 0x100, &fake_ops, &a, "a");
	bus_register(&bus, 0x2000, 0x8, &fake_ops, &b, "b");
	CHECK(bus_access(&bus, 0x1010, data, 4, false));
	CHECK_EQ(a.reads, 1);
	CHECK_EQ(a.last_off, 0x10);
	CHECK_EQ(a.last_len, 4);
	CHECK_EQ(data[3], 0x5a);
	data[0] = 0x77;
	CHECK(bus_access(&bus, 0x2004, data, 1, true));
	CHECK_EQ(b.writes, 1);
	CHECK_EQ(b.last_off, 4);
	CHECK_EQ(b.val, 0x77);
	/* Straddling the end of a range is not the device's. */
	CHECK(!bus_access(&bus, 0x2006, data, 4, false));
	CHECK_EQ(b.reads, 0);
	CHECK_EQ(data[0], 0xff);
	CHECK_EQ(data[3], 0xff);
	CHECK(!bus_access(&bus, 0x500, data, 8, true));
	CHECK(!bus_access(&bus, 0xfff, data, 2, false));
	CHECK_EQ(bus.unhandled_reads, 2);
	CHECK_EQ(bus.unhandled_writes, 1);
	bus.debug = true; /* logs, still counted */
	CHECK(!bus_access(&bus, 0x3000, data, 2, false));
	CHECK_EQ(bus.unhandled_reads, 3);
	bus_destroy(&bus);
}

static void test_many(void)
{
	struct bus bus;
	struct fake_dev d = { .val = 1 };
	uint8_t v;

	bus_init(&bus, "pio");
	/* Register in a scrambled order; lookups must find each one. */
	for (unsigned int i = 0; i < 500; i++) {
		unsigned int k = (i * 7919) % 500;

		CHECK_EQ(bus_register(&bus, k * 16, 8, &fake_ops, &d, "d"), 0);
	}
	for (unsigned int k = 0; k < 500; k++) {
		CHECK(bus_access(&bus, k * 16 + 7, &v, 1, false));
		CHECK(!bus_access(&bus, k * 16 + 8, &v, 1, false));
	}
	bus_destroy(&bus);
}

int main(void)
{
	test_overlaps();
	test_dispatch();
	test_many();
	return unit_done("bus");
}
