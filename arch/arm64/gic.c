/* gic.c: creates and initialises the in-kernel vGICv3 (distributor and redistributors at arm64.h's addresses). */
#include <errno.h>
#include <string.h>

#include "arm64.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "log.h"
#include "vm.h"

static int gic_attr(struct vm *vm, uint32_t group, uint64_t attr,
		    const void *val, const char *what)
{
	struct kvma_device_attr a = {
	    .group = group,
	    .attr = attr,
	    .addr = (uintptr_t)val,
	};

	long ret = kvm_device_ioctl(vm->arch->gic_fd, KVMA_SET_DEVICE_ATTR, &a);

	if (ret < 0)
		pr_err("vGICv3: setting %s failed: %s", what,
		       strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

int arm64_gic_create(struct vm *vm)
{
	static const uint64_t dist = ARM64_GICD_BASE, redist = ARM64_GICR_BASE;
	static const uint32_t nr_irqs = ARM64_NR_IRQS;
	struct kvma_create_device cd = {.type = KVMA_DEV_TYPE_ARM_VGIC_V3};
	long ret = kvm_vm_ioctl(vm, KVMA_CREATE_DEVICE, &cd);

	if (ret < 0) {
		pr_err("cannot create the in-kernel GICv3 (KVM_CREATE_DEVICE "
		       "type %u): %s%s",
		       cd.type, strerror((int)-ret),
		       ret == -ENODEV ? " (the host has no GICv3 "
					"virtualization)"
				      : "");
		return (int)ret;
	}
	vm->arch->gic_fd = (int)cd.fd;
	if ((ret = gic_attr(vm, KVMA_VGIC_GRP_ADDR, KVMA_VGIC_ADDR_TYPE_DIST,
			    &dist, "the distributor address")) ||
	    (ret = gic_attr(vm, KVMA_VGIC_GRP_ADDR, KVMA_VGIC_ADDR_TYPE_REDIST,
			    &redist, "the redistributor address")))
		return (int)ret;
	return gic_attr(vm, KVMA_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
			"the number of interrupts");
}

int arm64_gic_init(struct vm *vm)
{
	return gic_attr(vm, KVMA_VGIC_GRP_CTRL, KVMA_VGIC_CTRL_INIT, NULL,
			"CTRL_INIT");
}
