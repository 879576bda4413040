/* kvm_arm64.h: our own definitions of the arm64 KVM ABI the backend uses (values from Documentation/virt/kvm, checked by tests/unit/test_arm64_abi.c). */
#ifndef MINIVMM_KVM_ARM64_H
#define MINIVMM_KVM_ARM64_H

#include <stdint.h>
#include "ioctl_num.h"

struct kvma_device_attr {
	uint32_t flags;
	uint32_t group;
	uint64_t attr;
	uint64_t addr; /* user pointer to the value */
};

struct kvma_create_device {
	uint32_t type;
	uint32_t fd;
	uint32_t flags;
};

#define KVMA_CREATE_DEVICE                                                     \
	MVM_IOWR(MVM_KVMIO, 0xe0, sizeof(struct kvma_create_device))
#define KVMA_SET_DEVICE_ATTR                                                   \
	MVM_IOW(MVM_KVMIO, 0xe1, sizeof(struct kvma_device_attr))
#define KVMA_GET_DEVICE_ATTR                                                   \
	MVM_IOW(MVM_KVMIO, 0xe2, sizeof(struct kvma_device_attr))
#define KVMA_HAS_DEVICE_ATTR                                                   \
	MVM_IOW(MVM_KVMIO, 0xe3, sizeof(struct kvma_device_attr))

#define KVMA_DEV_TYPE_ARM_VGIC_V3 7

/* vGICv3 device attribute groups and their attrs. */
#define KVMA_VGIC_GRP_ADDR	  0
#define KVMA_VGIC_GRP_DIST_REGS	  1
#define KVMA_VGIC_GRP_NR_IRQS	  3
#define KVMA_VGIC_GRP_CTRL	  4
#define KVMA_VGIC_GRP_REDIST_REGS 5
#define KVMA_VGIC_GRP_CPU_SYSREGS 6
#define KVMA_VGIC_GRP_LEVEL_INFO  7
#define KVMA_VGIC_GRP_ITS_REGS	  8
#define KVMA_VGIC_GRP_MAINT_IRQ	  9

#define KVMA_VGIC_ADDR_TYPE_DIST	  2
#define KVMA_VGIC_ADDR_TYPE_REDIST	  3
#define KVMA_VGIC_ADDR_TYPE_ITS		  4
#define KVMA_VGIC_ADDR_TYPE_REDIST_REGION 5
#define KVMA_VGIC_CTRL_INIT		  0

/* ONE_REG id of a system register: this base | the 16-bit encoding. */
#define KVMA_REG_ARM64_SYSREG 0x6030000000130000ULL

/* ONE_REG: a register id and a user pointer to its value. */
struct kvma_one_reg {
	uint64_t id;
	uint64_t addr;
};

#define KVMA_GET_ONE_REG MVM_IOW(MVM_KVMIO, 0xab, sizeof(struct kvma_one_reg))
#define KVMA_SET_ONE_REG MVM_IOW(MVM_KVMIO, 0xac, sizeof(struct kvma_one_reg))

/* 64-bit core registers: this base | offsetof(struct kvm_regs, r) / 4. */
#define KVMA_REG_ARM64_CORE 0x6030000000100000ULL
#define KVMA_REG_X(n)	    (KVMA_REG_ARM64_CORE | (2ULL * (n)))
#define KVMA_REG_SP	    (KVMA_REG_ARM64_CORE | 0x3e)
#define KVMA_REG_PC	    (KVMA_REG_ARM64_CORE | 0x40)
#define KVMA_REG_PSTATE	    (KVMA_REG_ARM64_CORE | 0x42)
#define KVMA_REG_SP_EL1	    (KVMA_REG_ARM64_CORE | 0x44)
#define KVMA_REG_ELR_EL1    (KVMA_REG_ARM64_CORE | 0x46)

/* PSTATE: EL1 with SP_EL1 (EL1h), D, A, I and F masked. */
#define KVMA_PSTATE_EL1H_DAIF 0x3c5ULL

struct kvma_vcpu_init {
	uint32_t target;
	uint32_t features[7];
};

#define KVMA_ARM_VCPU_INIT                                                     \
	MVM_IOW(MVM_KVMIO, 0xae, sizeof(struct kvma_vcpu_init))
#define KVMA_ARM_PREFERRED_TARGET                                              \
	MVM_IOR(MVM_KVMIO, 0xaf, sizeof(struct kvma_vcpu_init))

/* kvm_vcpu_init.features[0] bits. */
#define KVMA_ARM_VCPU_POWER_OFF 0
#define KVMA_ARM_VCPU_PSCI_0_2	2
#define KVMA_ARM_VCPU_PMU_V3	3

#endif
