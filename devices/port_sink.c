/* port_sink.c: absorbs ports the guest only pokes as delays: writes dropped, reads all-ones. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "devices/port_sink.h"

/* Only an access counter changes, atomically: no lock needed. */
struct port_sink {
	struct device dev;
	char *name;
	_Atomic uint64_t accesses;
};

static void port_sink_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t len)
{
	struct port_sink *s = opaque;

	atomic_fetch_add_explicit(&s->accesses, 1, memory_order_relaxed);
	memset(data, 0xff, len);
}

static void port_sink_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t len)
{
	struct port_sink *s = opaque;

	atomic_fetch_add_explicit(&s->accesses, 1, memory_order_relaxed);
}

static const struct bus_ops port_sink_ops = {
	.read = port_sink_read,
	.write = port_sink_write,
};

static void port_sink_report(struct device *dev)
{
	struct port_sink *s = container_of(dev, struct port_sink, dev);

	pr_debug("%s: %llu accesses absorbed", s->name,
		 (unsigned long long)atomic_load(&s->accesses));
}

static void port_sink_destroy(struct device *dev)
{
	struct port_sink *s = container_of(dev, struct port_sink, dev);

	free(s->name);
	free(s);
}

static const struct device_ops port_sink_dev_ops = {
	.destroy = port_sink_destroy,
	.report = port_sink_report,
};

int port_sink_create(struct vm *vm, uint16_t base, uint16_t len,
		     const char *name)
{
	struct port_sink *s;
	int err;

	if (!vm || !len || !name)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return -ENOMEM;
	}
	s->dev.name = s->name;
	s->dev.ops = &port_sink_dev_ops;
	err = bus_register(&vm->pio, base, len, &port_sink_ops, s, s->name);
	if (err < 0) {
		port_sink_destroy(&s->dev);
		return err;
	}
	vm_add_device(vm, &s->dev);
	return 0;
}
