/* gic.c: creates and initialises the in-kernel vGICv3 (distributor and redistributors at arm64.h's addresses) and, with --irqchip gicv3-its, its ITS. */
#include <errno.h>
#include <string.h>

#include "arm64.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "log.h"
#include "vm.h"

static int dev_attr(int fd, const char *dev, uint32_t group, uint64_t attr,
		    const void *val, const char *what)
{
	struct kvma_device_attr a = {
	    .group = group,
	    .attr = attr,
	    .addr = (uintptr_t)val,
	};

	long ret = kvm_device_ioctl(fd, KVMA_SET_DEVICE_ATTR, &a);

	if (ret < 0)
		pr_err("%s: setting %s failed: %s", dev, what,
		       strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

static int gic_attr(struct vm *vm, uint32_t group, uint64_t attr,
		    const void *val, const char *what)
{
	return dev_attr(vm->arch->gic_fd, "vGICv3", group, attr, val, what);
}

/* The ITS: a device of its own, with its base address (before any vCPU
 * runs); initialised after the vGIC. */
static int its_create(struct vm *vm)
{
	static const uint64_t base = ARM64_GITS_BASE;
	struct kvma_create_device cd = {.type = KVMA_DEV_TYPE_ARM_VGIC_ITS};
	long ret = kvm_vm_ioctl(vm, KVMA_CREATE_DEVICE, &cd);

	if (ret < 0) {
		pr_err("--irqchip gicv3-its: cannot create the ITS "
		       "(KVM_CREATE_DEVICE type %u): %s%s",
		       cd.type, strerror((int)-ret),
		       ret == -ENODEV ? " (this host's KVM has no ITS "
					"emulation)"
				      : "");
		return (int)ret;
	}
	vm->arch->its_fd = (int)cd.fd;
	return dev_attr(vm->arch->its_fd, "ITS", KVMA_VGIC_GRP_ADDR,
			KVMA_VGIC_ADDR_TYPE_ITS, &base, "the ITS address");
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
	ret = gic_attr(vm, KVMA_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
		       "the number of interrupts");
	if (!ret && vm->cfg->gic_its)
		ret = its_create(vm);
	return (int)ret;
}

int arm64_gic_init(struct vm *vm)
{
	int ret = gic_attr(vm, KVMA_VGIC_GRP_CTRL, KVMA_VGIC_CTRL_INIT, NULL,
			   "CTRL_INIT");

	if (!ret && vm->arch->its_fd >= 0)
		ret = dev_attr(vm->arch->its_fd, "ITS", KVMA_VGIC_GRP_CTRL,
			       KVMA_VGIC_CTRL_INIT, NULL, "CTRL_INIT");
	return ret;
}

/* The PMU's overflow interrupt is a PPI, given as its INTID; KVM checks
 * every vCPU names the same one. */
int arm64_pmu_init(struct vm *vm)
{
	static const int intid = ARM64_PPI_BASE + ARM64_PMU_PPI;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct kvma_device_attr irq = {
		    .group = KVMA_ARM_VCPU_PMU_V3_CTRL,
		    .attr = KVMA_ARM_VCPU_PMU_V3_IRQ,
		    .addr = (uintptr_t)&intid,
		};
		struct kvma_device_attr init = {
		    .group = KVMA_ARM_VCPU_PMU_V3_CTRL,
		    .attr = KVMA_ARM_VCPU_PMU_V3_INIT,
		};
		long ret = kvm_vcpu_ioctl(&vm->vcpus[i], KVMA_SET_DEVICE_ATTR,
					  &irq);
		const char *what = "its interrupt (PPI)";

		if (ret >= 0) {
			what = "INIT";
			ret = kvm_vcpu_ioctl(&vm->vcpus[i],
					     KVMA_SET_DEVICE_ATTR, &init);
		}
		if (ret < 0) {
			pr_err("vCPU %u: PMU: setting %s failed: %s", i, what,
			       strerror((int)-ret));
			return (int)ret;
		}
	}
	return 0;
}
