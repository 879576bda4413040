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

#endif
