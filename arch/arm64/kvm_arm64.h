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

#define KVMA_DEV_TYPE_ARM_VGIC_V3  7
#define KVMA_DEV_TYPE_ARM_VGIC_ITS 8

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
/* CTRL on the vGIC: write every LPI's pending bit to the guest's pending
 * tables (only with an ITS). */
#define KVMA_VGIC_CTRL_SAVE_PENDING_TABLES 3
/* CTRL on the ITS: write its device, interrupt translation and collection
 * tables into guest RAM, or load them back from it. */
#define KVMA_ITS_CTRL_SAVE_TABLES    1
#define KVMA_ITS_CTRL_RESTORE_TABLES 2
/* LEVEL_INFO attr info field: the line level of 32 interrupts. */
#define KVMA_VGIC_LEVEL_INFO_LINE_LEVEL	   0

/* ONE_REG id of a system register: this base | the 16-bit encoding. */
#define KVMA_REG_ARM64_SYSREG 0x6030000000130000ULL

/* ONE_REG id layout: arch[63:56] (KVM_REG_ARM64), size[55:52] (log2 of
 * the byte count), then the arm64 coprocessor group and the index. */
#define KVMA_REG_ARCH_MASK  0xff00000000000000ULL
#define KVMA_REG_ARM64	    0x6000000000000000ULL
#define KVMA_REG_SIZE_SHIFT 52
#define KVMA_REG_SIZE_MASK  0x00f0000000000000ULL

/*
 * The timer registers as ONE_REG ids (sysreg space, but not all at their
 * architectural encodings: TIMER_CNT and TIMER_CVAL have each other's).
 * CTL/CVAL/CNT of the virtual timer; the physical timer's (Linux >= 6.4).
 */
#define KVMA_REG_TIMER_CTL   (KVMA_REG_ARM64_SYSREG | 0xdf19) /* 3,3,14,3,1 */
#define KVMA_REG_TIMER_CNT   (KVMA_REG_ARM64_SYSREG | 0xdf1a) /* 3,3,14,3,2 */
#define KVMA_REG_TIMER_CVAL  (KVMA_REG_ARM64_SYSREG | 0xdf02) /* 3,3,14,0,2 */
#define KVMA_REG_PTIMER_CTL  (KVMA_REG_ARM64_SYSREG | 0xdf11) /* 3,3,14,2,1 */
#define KVMA_REG_PTIMER_CVAL (KVMA_REG_ARM64_SYSREG | 0xdf12) /* 3,3,14,2,2 */
#define KVMA_REG_PTIMER_CNT  (KVMA_REG_ARM64_SYSREG | 0xdf01) /* 3,3,14,0,1 */

/* KVM_GET_REG_LIST: n in (the room), out (the count; -E2BIG if short). */
struct kvma_reg_list {
	uint64_t n;
	uint64_t reg[];
};

#define KVMA_GET_REG_LIST                                                      \
	MVM_IOWR(MVM_KVMIO, 0xb0, sizeof(struct kvma_reg_list))

/* vCPU power state: RUNNABLE, or STOPPED for a PSCI-off vCPU, ... */
struct kvma_mp_state {
	uint32_t mp_state;
};

#define KVMA_GET_MP_STATE MVM_IOR(MVM_KVMIO, 0x98, sizeof(struct kvma_mp_state))
#define KVMA_SET_MP_STATE MVM_IOW(MVM_KVMIO, 0x99, sizeof(struct kvma_mp_state))
#define KVMA_MP_STATE_RUNNABLE 0
#define KVMA_MP_STATE_STOPPED  5

/* One VM-wide offset subtracted from the host counter for both the
 * virtual and the physical counter (Linux >= 6.4); KVM then ignores
 * ONE_REG writes of TIMER_CNT/PTIMER_CNT. -EBUSY while a vCPU runs. */
struct kvma_counter_offset {
	uint64_t counter_offset;
	uint64_t reserved;
};

#define KVMA_CAP_COUNTER_OFFSET 227
#define KVMA_ARM_SET_COUNTER_OFFSET                                            \
	MVM_IOW(MVM_KVMIO, 0xb5, sizeof(struct kvma_counter_offset))

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

/* The vCPU's PMU (KVM_SET_DEVICE_ATTR on the vCPU): its overflow PPI
 * (an INTID), then INIT, both after the vGIC is initialised. */
#define KVMA_ARM_VCPU_PMU_V3_CTRL 0
#define KVMA_ARM_VCPU_PMU_V3_IRQ  0
#define KVMA_ARM_VCPU_PMU_V3_INIT 1
#define KVMA_CAP_ARM_PMU_V3	  126

#endif
