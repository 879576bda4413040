/* boot_timer.c: reports how long the guest took to boot when it writes 123 to port 0x440. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "device.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "devices/boot_timer.h"

/* Nothing changes after creation, so there is nothing to lock. */
struct boot_timer {
	struct device dev;
	struct vm *vm;
};

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void boot_timer_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len)
{
	memset(data, 0xff, len);
}

static void boot_timer_write(void *opaque, uint64_t offset,
			     const uint8_t *data, uint32_t len)
{
	struct boot_timer *t = opaque;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	unsigned long long wall_us, cpu_us;

	if (len != 1 || data[0] != MINIVMM_BOOT_TIMER_MAGIC)
		return;
	wall_us = now > t->vm->start_ns ? (now - t->vm->start_ns) / 1000 : 0;
	cpu_us = clock_ns(CLOCK_PROCESS_CPUTIME_ID) / 1000;
	pr_info("boot-timer: guest signalled after %llu us wall, %llu us cpu",
		wall_us, cpu_us);
	/* Benchmarks parse this line: keep its form. */
	fprintf(stderr, "minivmm: boot-timer wall_us=%llu cpu_us=%llu\n",
		wall_us, cpu_us);
}

static const struct bus_ops boot_timer_ops = {
	.read = boot_timer_read,
	.write = boot_timer_write,
};

static void boot_timer_destroy(struct device *dev)
{
	free(container_of(dev, struct boot_timer, dev));
}

static const struct device_ops boot_timer_dev_ops = {
	.destroy = boot_timer_destroy,
};

int boot_timer_create(struct vm *vm)
{
	struct boot_timer *t;
	int err;

	if (!vm)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->vm = vm;
	t->dev.name = "boot-timer";
	t->dev.ops = &boot_timer_dev_ops;
	err = bus_register(&vm->pio, MINIVMM_BOOT_TIMER_PORT, 1,
			   &boot_timer_ops, t, "boot-timer");
	if (err < 0) {
		free(t);
		return err;
	}
	vm_add_device(vm, &t->dev);
	return 0;
}
