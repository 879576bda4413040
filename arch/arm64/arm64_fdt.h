/* arm64_fdt.h: builds the arm64 guest's flattened device tree (--dump-dtb writes it with the core fdtb_write_file). */
#ifndef MINIVMM_ARM64_FDT_H
#define MINIVMM_ARM64_FDT_H

/* Not "fdt.h": that name would shadow libfdt's own <fdt.h>. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux takes a DTB of at most 2 MiB; ours is a few KiB. */
#define ARM64_FDT_MAX_SIZE    0x10000U
#define ARM64_FDT_GIC_PHANDLE 1U
#define ARM64_FDT_ITS_PHANDLE 2U

/* A virtio-mmio transport (one platform device). */
struct arm64_fdt_mmio {
	uint64_t base, size;
	uint32_t spi; /* level-high */
};

struct arm64_fdt_cfg {
	uint64_t ram_base, ram_size;
	unsigned int nr_cpus;
	const uint64_t *mpidr; /* MPIDR_EL1 of each vCPU, as read from KVM */
	uint64_t gicd_base, gicd_size;
	uint64_t gicr_base, gicr_size;
	uint64_t uart_base, uart_size;
	uint32_t uart_spi;    /* SPI number: INTID - 32 */
	uint32_t uart_clock;  /* Hz */
	const char *bootargs; /* NULL: none */
	uint64_t initrd_start;
	uint64_t initrd_size; /* 0: no initrd */
	const struct arm64_fdt_mmio *virtio_mmio;
	unsigned int nr_virtio_mmio;
	bool pci; /* the ECAM host bridge at arm64.h's addresses */
	bool its; /* the GIC's ITS, the PCI host's msi-parent */
	bool pmu; /* arm,armv8-pmuv3 on PPI 7 */
};

/*
 * Into buf[size]: / (linux,dummy-virt), memory, cpus (enable-method psci,
 * reg = MPIDR affinity), psci (0.2 over hvc), timer (arm,armv8-timer, 4
 * PPIs), intc (arm,gic-v3: distributor and one redistributor region), an
 * ns16550a UART, one virtio,mmio node per cfg->virtio_mmio entry, the PCI
 * host bridge (pci-host-ecam-generic: bus 0, the 32-bit window, INTx to
 * SPIs 4-7) when cfg->pci, and chosen (bootargs, initrd, stdout-path). Returns 0,
 * -ENOSPC if buf is too small, or -EINVAL; with a one-line reason.
 */
int arm64_fdt_build(const struct arm64_fdt_cfg *cfg, void *buf, size_t size,
		    char *err, size_t errlen);

#endif
