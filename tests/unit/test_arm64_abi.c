/* test_arm64_abi.c: our own arm64 KVM definitions (arch/arm64/kvm_arm64.h) match <linux/kvm.h>; the arm64-only values are checked when built for aarch64 (make arm64-cross-check). */
#include <stddef.h>
#include <linux/kvm.h>

#include "kvm_arm64.h"
#include "sysreg.h"
#include "unit.h"

#define SAME_SIZE(ours, theirs)                                                \
	_Static_assert(sizeof(struct ours) == sizeof(struct theirs), #ours)
#define SAME_OFF(ours, theirs, f)                                              \
	_Static_assert(offsetof(struct ours, f) == offsetof(struct theirs, f), \
		       #ours "." #f)
#define SAME(ours, theirs) _Static_assert((ours) == (theirs), #ours)

SAME_SIZE(kvma_device_attr, kvm_device_attr);
SAME_OFF(kvma_device_attr, kvm_device_attr, group);
SAME_OFF(kvma_device_attr, kvm_device_attr, attr);
SAME_OFF(kvma_device_attr, kvm_device_attr, addr);
SAME_SIZE(kvma_create_device, kvm_create_device);
SAME(KVMA_CREATE_DEVICE, KVM_CREATE_DEVICE);
SAME(KVMA_SET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR);
SAME(KVMA_GET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR);
SAME(KVMA_HAS_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR);
SAME(KVMA_DEV_TYPE_ARM_VGIC_V3, KVM_DEV_TYPE_ARM_VGIC_V3);

#ifdef __aarch64__
SAME(KVMA_VGIC_GRP_ADDR, KVM_DEV_ARM_VGIC_GRP_ADDR);
SAME(KVMA_VGIC_GRP_DIST_REGS, KVM_DEV_ARM_VGIC_GRP_DIST_REGS);
SAME(KVMA_VGIC_GRP_NR_IRQS, KVM_DEV_ARM_VGIC_GRP_NR_IRQS);
SAME(KVMA_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_GRP_CTRL);
SAME(KVMA_VGIC_GRP_REDIST_REGS, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS);
SAME(KVMA_VGIC_GRP_CPU_SYSREGS, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS);
SAME(KVMA_VGIC_GRP_LEVEL_INFO, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO);
SAME(KVMA_VGIC_GRP_ITS_REGS, KVM_DEV_ARM_VGIC_GRP_ITS_REGS);
SAME(KVMA_VGIC_ADDR_TYPE_DIST, KVM_VGIC_V3_ADDR_TYPE_DIST);
SAME(KVMA_VGIC_ADDR_TYPE_REDIST, KVM_VGIC_V3_ADDR_TYPE_REDIST);
SAME(KVMA_VGIC_ADDR_TYPE_REDIST_REGION, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION);
SAME(KVMA_VGIC_CTRL_INIT, KVM_DEV_ARM_VGIC_CTRL_INIT);
SAME(KVM_VGIC_V3_ATTR_Aff3_SHIFT, KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT + 24);
SAME(CPU_SYSREGS_KVM_VGIC_V3_ATTR_INSTR_MASK,
     KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK);
SAME(LEVEL_INFO_KVM_VGIC_V3_ATTR_INFO_SHIFT,
     KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT);
SAME(LEVEL_INFO_KVM_VGIC_V3_ATTR_VINTID_MASK,
     KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK);
SAME(KVMA_REG_ARM64_SYSREG | SYS_MPIDR_EL1, ARM64_SYS_REG(3, 0, 0, 0, 5));
SAME(KVMA_REG_ARM64_SYSREG | SYS_ICC_PMR_EL1, ARM64_SYS_REG(3, 0, 4, 6, 0));
#endif

int main(void)
{
	CHECK_EQ(KVMA_SET_DEVICE_ATTR, 0x4018aee1UL);
	CHECK_EQ(KVMA_DEV_TYPE_ARM_VGIC_V3, 7);
	return unit_done("arm64_abi");
}
