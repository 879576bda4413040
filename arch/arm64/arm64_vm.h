/* arm64_vm.h: the arm64 backend's per-VM state and the KVM glue shared by its files (vGIC, vCPUs). */
#ifndef MINIVMM_ARM64_VM_H
#define MINIVMM_ARM64_VM_H

#include <stdint.h>

#include "boot.h"
#include "kvm_arm64.h"

struct vm;
struct vcpu;

struct arch_vm {
	int gic_fd;		    /* the in-kernel vGICv3 device */
	int its_fd;		    /* its ITS (--irqchip gicv3-its), or -1 */
	struct kvma_vcpu_init init; /* KVM_ARM_PREFERRED_TARGET */
	struct arm64_boot boot;	    /* set by arch_load_kernel */
	uint64_t platform_next;	    /* next free platform MMIO address */
	uint32_t platform_spi;	    /* next free platform SPI */
};

/* vGICv3: create it with its addresses and interrupt count (and the ITS
 * with --irqchip gicv3-its) before any vCPU, and initialise them once
 * every vCPU exists. */
int arm64_gic_create(struct vm *vm);
int arm64_gic_init(struct vm *vm);
/* --pmu: each vCPU's PMU interrupt and INIT, after arm64_gic_init. */
int arm64_pmu_init(struct vm *vm);

#endif
