/* riscv_fdt.h: builds the riscv guest's flattened device tree (harts and their ISA, PLIC or AIA, UART, virtio-mmio, PCI host, chosen). */
#ifndef MINIVMM_RISCV_FDT_H
#define MINIVMM_RISCV_FDT_H

/* Not "fdt.h": that name would shadow libfdt's own <fdt.h>. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa.h"

#define RISCV_FDT_MAX_SIZE	     0x40000U /* 64 harts with every extension fit */
#define RISCV_FDT_PHANDLE_IRQCHIP    1U	      /* PLIC or APLIC */
#define RISCV_FDT_PHANDLE_IMSIC	     2U
#define RISCV_FDT_PHANDLE_CPU_INTC(h) (0x100U + (h))
#define RISCV_FDT_IRQ_LEVEL_HIGH     4U	      /* APLIC's second cell */

enum riscv_irqchip {
	RISCV_IRQCHIP_PLIC = 0, /* emulated in userspace, wired sources */
	RISCV_IRQCHIP_AIA,	/* in-kernel APLIC (MSI mode) + IMSIC */
};

/* A virtio-mmio transport. */
struct riscv_fdt_mmio {
	uint64_t base, size;
	uint32_t irq; /* wired source, 1..nr_sources */
};

struct riscv_fdt_cfg {
	uint64_t ram_base, ram_size;
	unsigned int nr_cpus; /* hart ids 0..nr_cpus-1 */
	unsigned int xlen;    /* 64, or 32 */
	/* From KVM's ONE_REGs (the boot vCPU's; every hart gets the same). */
	uint64_t isa;				/* CONFIG isa: bit n = 'a' + n */
	uint64_t isa_ext[RISCV_ISA_EXT_WORDS];	/* bit n: ISA_EXT reg n is 1 */
	uint64_t satp_mode;			/* CONFIG satp_mode */
	uint64_t timebase_hz;			/* TIMER frequency */
	uint32_t cbom_block_size;		/* CONFIG zicbom_block_size; 0: omit */
	uint32_t cboz_block_size;		/* CONFIG zicboz_block_size; 0: omit */
	/* The wired interrupt controller: a PLIC, or AIA's APLIC. */
	enum riscv_irqchip irqchip;
	uint64_t irqchip_base, irqchip_size;
	uint32_t nr_sources; /* riscv,ndev / riscv,num-sources: 1..1023 */
	/* AIA only: one 4 KiB S-level IMSIC file per hart from imsic_base. */
	uint64_t imsic_base;
	uint32_t imsic_nr_ids; /* 63..2047, a multiple of 64 minus 1 */
	uint64_t uart_base, uart_size;
	uint32_t uart_irq, uart_clock;
	const struct riscv_fdt_mmio *mmio;
	unsigned int nr_mmio;
	bool pci; /* the ECAM host bridge at riscv.h's addresses */
	const char *bootargs; /* NULL: none */
	uint64_t initrd_start;
	uint64_t initrd_size; /* 0: no initrd */
};

/* IMSIC hart index bits for n harts: ceil(log2(n)), as Linux assumes and
 * as the AIA device's HART_BITS must be set. */
unsigned int riscv_imsic_hart_bits(unsigned int n);

/*
 * Into buf[size]: / (#address-cells 2), memory, cpus (timebase-frequency;
 * per hart riscv,isa, riscv,isa-base, riscv,isa-extensions, mmu-type and an
 * "riscv,cpu-intc" child), the PLIC (interrupts-extended: each hart's
 * S-mode external interrupt 9, context n = hart n) or IMSIC + APLIC, the
 * ns16550a UART and virtio-mmio nodes (each with its interrupt-parent:
 * the root has none, or the harts' intc nodes would inherit it), the PCI
 * host bridge when cfg->pci (pci-host-ecam-generic: bus 0, the 32-bit
 * window, INTx of slot s pin p to wired source 60 + (s + p) % 4 on the
 * PLIC or APLIC, no MSI), chosen (bootargs, initrd, stdout-path).
 * Returns 0, -ENOSPC if buf is too small, or -EINVAL for a bad
 * configuration; with a one-line reason.
 */
int riscv_fdt_build(const struct riscv_fdt_cfg *cfg, void *buf, size_t size,
		    char *err, size_t errlen);

#endif
