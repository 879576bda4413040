/* irqchip.c: the riscv guest's wired interrupt controller: KVM's in-kernel AIA (APLIC + IMSIC) when the host has it, else the userspace PLIC delivering through KVM_INTERRUPT. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "bus.h"
#include "kvm.h"
#include "kvm_riscv.h"
#include "log.h"
#include "riscv.h"
#include "riscv_vm.h"
#include "vm.h"

/* --- the userspace PLIC ------------------------------------------------- */

/* A context's output is hart ctx's S-mode external interrupt. Called under
 * the PLIC's lock; KVM_INTERRUPT may come from any thread. */
static void plic_notify(void *opaque, unsigned int ctx, bool level)
{
	struct vm *vm = opaque;
	struct kvmr_interrupt irq = {
	    level ? KVMR_INTERRUPT_SET : KVMR_INTERRUPT_UNSET};
	long ret;

	if (ctx >= vm->nr_vcpus)
		return; /* not created yet: its vCPU starts with the line low */
	ret = kvm_vcpu_ioctl(&vm->vcpus[ctx], KVMR_INTERRUPT, &irq);
	if (ret < 0)
		pr_warn("hart %u: KVM_INTERRUPT: %s", ctx, strerror((int)-ret));
}

static int plic_line(struct vm *vm, uint32_t irq, int level)
{
	return plic_set_level(&vm->arch->plic, irq, level != 0);
}

static void plic_mmio_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t len)
{
	plic_read(opaque, offset, data, len);
}

static void plic_mmio_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t len)
{
	plic_write(opaque, offset, data, len);
}

static const struct bus_ops plic_bus_ops = {
	.read = plic_mmio_read,
	.write = plic_mmio_write,
};

static int plic_create(struct vm *vm)
{
	struct arch_vm *a = vm->arch;
	int ret = plic_init(&a->plic, RISCV_NR_SOURCES, vm->cfg->nr_cpus,
			    plic_notify, vm);

	if (ret) {
		pr_err("PLIC: cannot describe %u harts", vm->cfg->nr_cpus);
		return ret;
	}
	a->plic_ready = true;
	ret = bus_register(&vm->mmio, RISCV_IRQCHIP_BASE,
			   RISCV_PLIC_SIZE(vm->cfg->nr_cpus), &plic_bus_ops,
			   &a->plic, "plic");
	if (ret)
		return ret;
	a->irqchip = RISCV_IRQCHIP_PLIC;
	vm->irq_line = plic_line;
	return 0;
}

/* --- the in-kernel AIA -------------------------------------------------- */

static int aia_attr(struct vm *vm, uint32_t group, uint64_t attr,
		    uint64_t val, const char *what)
{
	struct kvmr_device_attr a = {
	    .group = group, .attr = attr, .addr = (uintptr_t)&val};
	long ret = kvm_device_ioctl(vm->arch->aia_fd, KVMR_SET_DEVICE_ATTR, &a);

	if (ret < 0)
		pr_err("AIA: setting %s: %s", what, strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

/* The attributes are u32 values except addresses (u64): little-endian,
 * so the low half of 'val' serves both. */
static int aia_configure(struct vm *vm)
{
	int ret;

	if ((ret = aia_attr(vm, KVMR_AIA_GRP_CONFIG, KVMR_AIA_CONFIG_SRCS,
			    RISCV_NR_SOURCES, "the number of sources")) ||
	    (ret = aia_attr(vm, KVMR_AIA_GRP_CONFIG, KVMR_AIA_CONFIG_IDS,
			    RISCV_IMSIC_NR_IDS, "the number of MSI ids")) ||
	    (ret = aia_attr(vm, KVMR_AIA_GRP_CONFIG, KVMR_AIA_CONFIG_HART_BITS,
			    riscv_imsic_hart_bits(vm->cfg->nr_cpus),
			    "the hart index bits")))
		return ret;
	return aia_attr(vm, KVMR_AIA_GRP_ADDR, KVMR_AIA_ADDR_APLIC,
			RISCV_IRQCHIP_BASE, "the APLIC address");
}

/* -ENODEV: this KVM has no AIA device (before Linux 6.5, or no AIA on
 * the host), which is not an error. */
static int aia_create(struct vm *vm)
{
	struct kvmr_create_device cd = {.type = KVMR_DEV_TYPE_RISCV_AIA};
	long ret = kvm_vm_ioctl(vm, KVMR_CREATE_DEVICE, &cd);

	if (ret < 0)
		return -ENODEV;
	vm->arch->aia_fd = (int)cd.fd;
	vm->arch->irqchip = RISCV_IRQCHIP_AIA;
	return aia_configure(vm);
}

int riscv_irqchip_create(struct vm *vm)
{
	int ret = aia_create(vm);

	if (ret != -ENODEV)
		return ret;
	pr_info("no in-kernel AIA: emulating a PLIC");
	return plic_create(vm);
}

int riscv_irqchip_finalize(struct vm *vm)
{
	char what[40];
	int ret;

	if (vm->arch->irqchip != RISCV_IRQCHIP_AIA)
		return 0;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		snprintf(what, sizeof(what), "hart %u's IMSIC address", i);
		ret = aia_attr(vm, KVMR_AIA_GRP_ADDR, KVMR_AIA_ADDR_IMSIC(i),
			       RISCV_IMSIC_BASE + i * RISCV_IMSIC_STRIDE, what);
		if (ret)
			return ret;
	}
	return aia_attr(vm, KVMR_AIA_GRP_CTRL, KVMR_AIA_CTRL_INIT, 0,
			"CTRL_INIT");
}

void riscv_irqchip_destroy(struct vm *vm)
{
	struct arch_vm *a = vm->arch;

	if (a->aia_fd >= 0)
		close(a->aia_fd);
	if (a->plic_ready)
		plic_destroy(&a->plic);
}

void arch_irq_report(struct vm *vm)
{
	struct arch_vm *a = vm->arch;

	if (a->irqchip == RISCV_IRQCHIP_PLIC && a->plic_ready)
		plic_report(&a->plic);
	else if (a->irqchip == RISCV_IRQCHIP_AIA)
		pr_debug("AIA: in the kernel; its state is not read here");
}
