/* riscv_vm.h: the riscv backend's per-VM state and the KVM glue shared by its files (vCPUs, irqchip, SBI console). */
#ifndef MINIVMM_RISCV_VM_H
#define MINIVMM_RISCV_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "isa.h"
#include "plic.h"
#include "riscv_fdt.h"

struct vm;
struct vcpu;

#define RISCV_SBI_IN_SIZE 256 /* console input queued for SBI getchar/DBCN */

/* What every hart is described with, read from the boot vCPU. */
struct riscv_hart_info {
	uint64_t isa;
	uint64_t isa_ext[RISCV_ISA_EXT_WORDS];
	uint64_t satp_mode;
	uint64_t timebase_hz;
	uint32_t cbom_block_size, cboz_block_size;
};

struct arch_vm {
	enum riscv_irqchip irqchip;
	int aia_fd;	   /* the in-kernel AIA device, or -1 */
	struct plic plic;  /* the userspace PLIC (RISCV_IRQCHIP_PLIC) */
	bool plic_ready;
	struct riscv_image img; /* set by arch_load_kernel */
	uint64_t fdt_addr, initrd_start, initrd_size;
	struct riscv_hart_info hart;
	uint64_t platform_next; /* next free platform MMIO address */
	uint32_t platform_irq;	/* next free wired source */
	/* --console sbi: input waiting for the guest's SBI reads. */
	pthread_mutex_t in_lock;
	uint8_t in_buf[RISCV_SBI_IN_SIZE];
	size_t in_head, in_len;
};

/* The irqchip: the in-kernel AIA when KVM has it, else the userspace PLIC
 * (before any vCPU); AIA's per-hart IMSIC files and init once they exist. */
int riscv_irqchip_create(struct vm *vm);
int riscv_irqchip_finalize(struct vm *vm);
void riscv_irqchip_destroy(struct vm *vm);

/* KVM_EXIT_RISCV_SBI: legacy console, DBCN, SRST (vCPU thread). */
int riscv_sbi_exit(struct vcpu *vcpu, void *exit);
/* --console sbi: make the SBI console the receiver of console input
 * (after the UART, which takes it otherwise). */
void riscv_sbi_console_init(struct vm *vm);

#endif
