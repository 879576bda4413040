/* test_arm64_gic.c: the vGICv3, ITS and PMU set-up (arch/arm64/gic.c) against a fake KVM: which devices and attributes, with which values, in which order, and failures reported. */
#include <errno.h>
#include <string.h>

#include "arm64.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "util.h"
#include "vm.h"
#include "unit.h"

#define GIC_FD	  40
#define ITS_FD	  41
#define MAX_CALLS 64

/* One ioctl as the fake saw it: on the VM (fd -1), a device or a vCPU. */
struct call {
	int fd;	     /* device fd; -1: the VM; -2 - n: vCPU n */
	uint32_t op; /* 'C' create device, 'S' set attribute */
	uint32_t type, group;
	uint64_t attr, val;
};

static struct {
	struct call c[MAX_CALLS];
	unsigned int n;
	long fail_type;	  /* KVM_CREATE_DEVICE of this type fails */
	long fail_err;
	int fail_vcpu_at; /* this vCPU attribute call (0-based) fails */
	unsigned int vcpu_calls;
} fk;

static void record(struct call c)
{
	if (fk.n < MAX_CALLS)
		fk.c[fk.n++] = c;
}

long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	struct kvma_create_device *cd = arg;

	if (req != KVMA_CREATE_DEVICE)
		return -ENOTTY;
	record((struct call){-1, 'C', cd->type, 0, 0, 0});
	if (cd->type == fk.fail_type)
		return fk.fail_err;
	cd->fd = cd->type == KVMA_DEV_TYPE_ARM_VGIC_ITS ? ITS_FD : GIC_FD;
	return 0;
}

static uint64_t attr_val(const struct kvma_device_attr *a, size_t size)
{
	uint64_t v = 0;

	if (a->addr)
		memcpy(&v, (const void *)(uintptr_t)a->addr, size);
	return v;
}

long kvm_device_ioctl(int fd, unsigned long req, void *arg)
{
	const struct kvma_device_attr *a = arg;

	if (req != KVMA_SET_DEVICE_ATTR)
		return -ENOTTY;
	/* Addresses are u64, the IRQ count a u32. */
	record((struct call){fd, 'S', 0, a->group, a->attr,
			     attr_val(a, a->group == KVMA_VGIC_GRP_NR_IRQS
					     ? 4
					     : 8)});
	return 0;
}

long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg)
{
	const struct kvma_device_attr *a = arg;

	if (req != KVMA_SET_DEVICE_ATTR)
		return -ENOTTY;
	record((struct call){-2 - (int)vcpu->id, 'S', 0, a->group, a->attr,
			     attr_val(a, 4)});
	if ((int)fk.vcpu_calls++ == fk.fail_vcpu_at)
		return -ENXIO;
	return 0;
}

/* The rest of the core's KVM wrappers, unused here. */
long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return -ENOTTY;
}

long kvm_check_cap(struct vm *vm, unsigned int cap)
{
	return 0;
}

int kvm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	return -ENOTTY;
}

static void check_call(unsigned int i, int fd, uint32_t group, uint64_t attr,
		       uint64_t val)
{
	CHECK(i < fk.n);
	if (i >= fk.n)
		return;
	CHECK_EQ(fk.c[i].op, 'S');
	CHECK_EQ(fk.c[i].fd, fd);
	CHECK_EQ(fk.c[i].group, group);
	CHECK_EQ(fk.c[i].attr, attr);
	CHECK_EQ(fk.c[i].val, val);
}

static void setup(struct vm *vm, struct vm_config *cfg, struct arch_vm *a,
		  struct vcpu *v, unsigned int nr, bool its)
{
	memset(&fk, 0, sizeof(fk));
	fk.fail_vcpu_at = -1;
	memset(vm, 0, sizeof(*vm));
	memset(cfg, 0, sizeof(*cfg));
	memset(a, 0, sizeof(*a));
	cfg->gic_its = its;
	a->gic_fd = a->its_fd = -1;
	vm->cfg = cfg;
	vm->arch = a;
	vm->vcpus = v;
	vm->nr_vcpus = nr;
	for (unsigned int i = 0; i < nr; i++)
		v[i] = (struct vcpu){.vm = vm, .id = i};
}

/* Without an ITS: the distributor, the redistributors, the IRQ count, and
 * CTRL_INIT on the GIC only. */
static void test_gic_alone(void)
{
	struct vm vm;
	struct vm_config cfg;
	struct arch_vm a;
	struct vcpu v[1];

	setup(&vm, &cfg, &a, v, 1, false);
	CHECK_EQ(arm64_gic_create(&vm), 0);
	CHECK_EQ(fk.n, 4);
	CHECK_EQ(fk.c[0].op, 'C');
	CHECK_EQ(fk.c[0].type, KVMA_DEV_TYPE_ARM_VGIC_V3);
	check_call(1, GIC_FD, KVMA_VGIC_GRP_ADDR, KVMA_VGIC_ADDR_TYPE_DIST,
		   ARM64_GICD_BASE);
	check_call(2, GIC_FD, KVMA_VGIC_GRP_ADDR, KVMA_VGIC_ADDR_TYPE_REDIST,
		   ARM64_GICR_BASE);
	check_call(3, GIC_FD, KVMA_VGIC_GRP_NR_IRQS, 0, ARM64_NR_IRQS);
	CHECK_EQ(a.its_fd, -1);
	CHECK_EQ(arm64_gic_init(&vm), 0);
	CHECK_EQ(fk.n, 5);
	check_call(4, GIC_FD, KVMA_VGIC_GRP_CTRL, KVMA_VGIC_CTRL_INIT, 0);
}

/* --irqchip gicv3-its: the ITS after the GIC's attributes, at its
 * address; its CTRL_INIT after the GIC's. */
static void test_its(void)
{
	struct vm vm;
	struct vm_config cfg;
	struct arch_vm a;
	struct vcpu v[2];

	setup(&vm, &cfg, &a, v, 2, true);
	CHECK_EQ(arm64_gic_create(&vm), 0);
	CHECK_EQ(fk.n, 6);
	CHECK_EQ(fk.c[4].op, 'C');
	CHECK_EQ(fk.c[4].type, KVMA_DEV_TYPE_ARM_VGIC_ITS);
	check_call(5, ITS_FD, KVMA_VGIC_GRP_ADDR, KVMA_VGIC_ADDR_TYPE_ITS,
		   ARM64_GITS_BASE);
	CHECK_EQ(a.gic_fd, GIC_FD);
	CHECK_EQ(a.its_fd, ITS_FD);
	CHECK_EQ(arm64_gic_init(&vm), 0);
	CHECK_EQ(fk.n, 8);
	check_call(6, GIC_FD, KVMA_VGIC_GRP_CTRL, KVMA_VGIC_CTRL_INIT, 0);
	check_call(7, ITS_FD, KVMA_VGIC_GRP_CTRL, KVMA_VGIC_CTRL_INIT, 0);

	/* A host without ITS emulation: the error comes back. */
	setup(&vm, &cfg, &a, v, 2, true);
	fk.fail_type = KVMA_DEV_TYPE_ARM_VGIC_ITS;
	fk.fail_err = -ENODEV;
	CHECK_EQ(arm64_gic_create(&vm), -ENODEV);
	CHECK_EQ(a.its_fd, -1);
}

/* --pmu: per vCPU, the overflow PPI as an INTID (23), then INIT. */
static void test_pmu(void)
{
	struct vm vm;
	struct vm_config cfg;
	struct arch_vm a;
	struct vcpu v[3];

	setup(&vm, &cfg, &a, v, 3, false);
	CHECK_EQ(arm64_pmu_init(&vm), 0);
	CHECK_EQ(fk.n, 6);
	for (unsigned int i = 0; i < 3; i++) {
		check_call(2 * i, -2 - (int)i, KVMA_ARM_VCPU_PMU_V3_CTRL,
			   KVMA_ARM_VCPU_PMU_V3_IRQ, 23);
		check_call(2 * i + 1, -2 - (int)i, KVMA_ARM_VCPU_PMU_V3_CTRL,
			   KVMA_ARM_VCPU_PMU_V3_INIT, 0);
	}
	CHECK_EQ(ARM64_PPI_BASE + ARM64_PMU_PPI, 23);

	/* vCPU 1's IRQ refused: an error, and nothing after it. */
	setup(&vm, &cfg, &a, v, 3, false);
	fk.fail_vcpu_at = 2;
	CHECK_EQ(arm64_pmu_init(&vm), -ENXIO);
	CHECK_EQ(fk.n, 3);
}

int main(void)
{
	test_gic_alone();
	test_its();
	test_pmu();
	return unit_done("arm64_gic");
}
