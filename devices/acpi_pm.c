/* acpi_pm.c: the ACPI sleep control/status and reset ports that end the VM on S5 or reset. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "devices/acpi_pm.h"
#include "log.h"
#include "util.h"
#include "vm.h"

struct acpi_pm {
	struct device dev;
	struct vm *vm;
	uint8_t s5_slp_typ;
	uint8_t reset_value;
	atomic_bool warned; /* one warning per run for unsupported sleeps */
	atomic_uint_fast64_t sleeps, resets; /* requests seen, for report */
};

/* Every register reads as 0; in particular WAK_STS never shows up, so
 * Linux's post-S5 poll of the status register just spins until the vCPUs
 * are stopped by vm_request_end. */
static void acpi_pm_read(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len)
{
	memset(data, 0, len);
}

static void acpi_pm_sleep(struct acpi_pm *pm, unsigned int typ)
{
	atomic_fetch_add(&pm->sleeps, 1);
	if (typ == pm->s5_slp_typ) {
		vm_request_end(pm->vm, VM_END_POWEROFF, 0,
			       "guest powered off (ACPI S5)");
		return;
	}
	if (!atomic_exchange(&pm->warned, true))
		pr_warn("guest requested ACPI sleep state %u, not supported "
			"(only S5, type %u); ignored",
			typ, pm->s5_slp_typ);
	else
		pr_debug("acpi-pm: ignoring sleep type %u", typ);
}

static void acpi_pm_ctl_write(void *opaque, uint64_t offset,
			      const uint8_t *data, uint32_t len)
{
	uint8_t v = data[0];

	if (!(v & ACPI_PM_SLP_EN))
		return; /* SLP_TYP alone does nothing until SLP_EN */
	acpi_pm_sleep(opaque,
		      (v & ACPI_PM_SLP_TYP_MASK) >> ACPI_PM_SLP_TYP_SHIFT);
}

/* Linux clears WAK_STS (writes 0x80) before sleeping; nothing to clear. */
static void acpi_pm_sts_write(void *opaque, uint64_t offset,
			      const uint8_t *data, uint32_t len)
{
}

static void acpi_pm_reset_write(void *opaque, uint64_t offset,
				const uint8_t *data, uint32_t len)
{
	struct acpi_pm *pm = opaque;

	if (data[0] != pm->reset_value) {
		pr_debug("acpi-pm: ignoring reset register write 0x%02x",
			 data[0]);
		return;
	}
	atomic_fetch_add(&pm->resets, 1);
	vm_request_end(pm->vm, VM_END_RESET, 0,
		       "guest reset (ACPI reset register)");
}

static const struct bus_ops acpi_pm_ctl_ops = {
    .read = acpi_pm_read,
    .write = acpi_pm_ctl_write,
};

static const struct bus_ops acpi_pm_sts_ops = {
    .read = acpi_pm_read,
    .write = acpi_pm_sts_write,
};

static const struct bus_ops acpi_pm_reset_ops = {
    .read = acpi_pm_read,
    .write = acpi_pm_reset_write,
};

/* The bus ranges point at pm; the VM destroys devices once vCPUs stopped. */
static void acpi_pm_destroy(struct device *dev)
{
	free(container_of(dev, struct acpi_pm, dev));
}

static void acpi_pm_report(struct device *dev)
{
	struct acpi_pm *pm = container_of(dev, struct acpi_pm, dev);

	pr_debug("acpi-pm: %llu sleep request(s), %llu reset(s)",
		 (unsigned long long)atomic_load(&pm->sleeps),
		 (unsigned long long)atomic_load(&pm->resets));
}

static const struct device_ops acpi_pm_dev_ops = {
    .destroy = acpi_pm_destroy,
    .report = acpi_pm_report,
};

static int acpi_pm_register(struct vm *vm, struct acpi_pm *pm,
			    const uint16_t ports[3])
{
	static const struct bus_ops *const ops[3] = {
	    &acpi_pm_ctl_ops, &acpi_pm_sts_ops, &acpi_pm_reset_ops};
	static const char *const names[3] = {"acpi-sleep-ctl", "acpi-sleep-sts",
					     "acpi-reset"};
	int ret;

	for (int i = 0; i < 3; i++) {
		ret = bus_register(&vm->pio, ports[i], 1, ops[i], pm, names[i]);
		if (ret) {
			while (i--) /* undo those that succeeded */
				bus_unregister(&vm->pio, ports[i]);
			return ret;
		}
	}
	return 0;
}

int acpi_pm_create(struct vm *vm, uint16_t sleep_ctl_port,
		   uint16_t sleep_sts_port, uint16_t reset_port,
		   uint8_t s5_slp_typ, uint8_t reset_value)
{
	const uint16_t ports[3] = {sleep_ctl_port, sleep_sts_port, reset_port};
	struct acpi_pm *pm;
	int ret;

	if (sleep_ctl_port == sleep_sts_port || sleep_ctl_port == reset_port ||
	    sleep_sts_port == reset_port ||
	    s5_slp_typ > (ACPI_PM_SLP_TYP_MASK >> ACPI_PM_SLP_TYP_SHIFT)) {
		pr_err("acpi-pm: bad configuration (ports 0x%x 0x%x 0x%x, "
		       "S5 type %u)",
		       sleep_ctl_port, sleep_sts_port, reset_port, s5_slp_typ);
		return -EINVAL;
	}
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->dev.name = "acpi-pm";
	pm->dev.ops = &acpi_pm_dev_ops;
	pm->vm = vm;
	pm->s5_slp_typ = s5_slp_typ;
	pm->reset_value = reset_value;
	ret = acpi_pm_register(vm, pm, ports);
	if (ret) {
		free(pm);
		return ret;
	}
	vm_add_device(vm, &pm->dev);
	return 0;
}
