/* exit_port.c: isa-debug-exit: a guest write to the port ends the VM with that value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "util.h"
#include "vm.h"
#include "devices/exit_port.h"

/* Nothing changes after creation, so there is nothing to lock. */
struct exit_port {
	struct device dev;
	struct vm *vm;
	uint64_t addr;
	char name[40];
};

static void exit_port_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t len)
{
	memset(data, 0xff, len);
}

static void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t len)
{
	struct exit_port *e = opaque;
	uint32_t v = 0, i;

	/* Little-endian, masked to the access size (I/O is at most 4 bytes). */
	for (i = 0; i < len && i < sizeof(v); i++)
		v |= (uint32_t)data[i] << (8 * i);
	vm_request_end(e->vm, VM_END_DEBUG_EXIT, (int)v,
		       "guest wrote 0x%x to the exit port 0x%llx", v,
		       (unsigned long long)e->addr);
}

static const struct bus_ops exit_port_ops = {
	.read = exit_port_read,
	.write = exit_port_write,
};

static void exit_port_destroy(struct device *dev)
{
	free(container_of(dev, struct exit_port, dev));
}

static const struct device_ops exit_port_dev_ops = {
	.destroy = exit_port_destroy,
};

int exit_port_create(struct vm *vm, struct bus *bus, uint64_t addr)
{
	struct exit_port *e;
	int err;

	if (!vm || !bus)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->vm = vm;
	e->addr = addr;
	snprintf(e->name, sizeof(e->name), "exit-port@0x%llx",
		 (unsigned long long)addr);
	e->dev.name = e->name;
	e->dev.ops = &exit_port_dev_ops;
	err = bus_register(bus, addr, EXIT_PORT_LEN, &exit_port_ops, e,
			   e->name);
	if (err < 0) {
		free(e);
		return err;
	}
	vm_add_device(vm, &e->dev);
	return 0;
}
