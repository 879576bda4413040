/* test_ports.c: unit tests of the exit port, the boot timer and the port sink. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "bus.h"
#include "vm.h"
#include "device.h"
#include "log.h"
#include "util.h"
#include "devices/boot_timer.h"
#include "devices/exit_port.h"
#include "devices/port_sink.h"

static struct {
	const struct bus_ops *ops;
	void *opaque;
	uint64_t base, len;
	char name[32];
} fbus;
static struct device *fdev;
static struct {
	int calls;
	enum vm_end end;
	int code;
	char detail[160];
} fend;
static struct {
	int calls;
	enum log_level level;
	char msg[160];
} flog;

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	fbus.base = base;
	fbus.len = len;
	fbus.ops = ops;
	fbus.opaque = opaque;
	snprintf(fbus.name, sizeof(fbus.name), "%s", name);
	return 0;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	fdev = dev;
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

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	flog.calls++;
	flog.level = level;
	va_start(ap, fmt);
	vsnprintf(flog.msg, sizeof(flog.msg), fmt, ap);
	va_end(ap);
}

static void put(uint64_t off, uint32_t len, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	fbus.ops->write(fbus.opaque, off, b, len);
}

static uint32_t get(uint64_t off, uint32_t len)
{
	uint8_t b[4] = { 0 };

	fbus.ops->read(fbus.opaque, off, b, len);
	return get_le32(b);
}

static void test_exit_port(struct vm *vm)
{
	CHECK_EQ(exit_port_create(vm, &vm->pio, 0xf4), 0);
	CHECK_EQ(fbus.base, 0xf4);
	CHECK_EQ(fbus.len, EXIT_PORT_LEN);
	CHECK_EQ(get(0, 1), 0xff);
	CHECK_EQ(get(0, 2), 0xffff);
	CHECK_EQ(get(0, 4), 0xffffffff);
	CHECK_EQ(fend.calls, 0);
	put(0, 1, 0x12345631); /* masked to the byte written */
	CHECK_EQ(fend.calls, 1);
	CHECK_EQ(fend.end, VM_END_DEBUG_EXIT);
	CHECK_EQ(fend.code, 0x31);
	CHECK_STR(fend.detail, "guest wrote 0x31 to the exit port 0xf4");
	put(0, 2, 0x12340102);
	CHECK_EQ(fend.code, 0x0102);
	put(0, 4, 0x00abcdef);
	CHECK_EQ(fend.code, 0xabcdef);
	fdev->ops->destroy(fdev);
}

static void test_boot_timer(struct vm *vm)
{
	struct timespec ts;
	char out[256] = "";
	unsigned long long wall = 0, cpu = 0;
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	CHECK_EQ(boot_timer_create(vm), 0);
	CHECK_EQ(fbus.base, MINIVMM_BOOT_TIMER_PORT);
	CHECK_EQ(fbus.len, 1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* The VM "started" 2.5 s ago. */
	vm->start_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec -
		       2500000000ULL;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	put(0, 1, 122); /* wrong value: ignored */
	put(0, 2, 123); /* not a byte write: ignored */
	CHECK_EQ(flog.calls, 0);
	put(0, 1, 123);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	CHECK_EQ(sscanf(out, "minivmm: boot-timer wall_us=%llu cpu_us=%llu\n",
			&wall, &cpu), 2);
	CHECK(wall >= 2500000 && wall < 60000000);
	CHECK(cpu < wall);
	CHECK_EQ(flog.calls, 1);
	CHECK_EQ(flog.level, LOG_INFO);
	CHECK(strncmp(flog.msg, "boot-timer: guest signalled after ", 34) == 0);
	CHECK_EQ(get(0, 1), 0xff);
	fdev->ops->destroy(fdev);
}

static void test_port_sink(struct vm *vm)
{
	char name[] = "post";

	CHECK_EQ(port_sink_create(vm, 0x80, 1, name), 0);
	name[0] = 'X'; /* the name was copied */
	CHECK_EQ(fbus.base, 0x80);
	CHECK_EQ(fbus.len, 1);
	CHECK_STR(fbus.name, "post");
	CHECK_STR(fdev->name, "post");
	put(0, 1, 0x55);
	CHECK_EQ(get(0, 1), 0xff);
	CHECK_EQ(get(0, 4), 0xffffffff);
	CHECK_EQ(fend.calls, 3);
	CHECK_EQ(port_sink_create(vm, 0xed, 0, "delay"), -EINVAL);
	fdev->ops->destroy(fdev);
}

int main(void)
{
	static struct vm vm;

	test_exit_port(&vm);
	test_boot_timer(&vm);
	test_port_sink(&vm);
	return unit_done("ports");
}
