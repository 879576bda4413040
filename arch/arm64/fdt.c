/* fdt.c: builds the arm64 guest device tree (memory, cpus, psci, timer, GICv3 and ITS, PMU, UART, virtio-mmio, PCI host, chosen) with the core fdt_builder. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arm64.h"
#include "arm64_fdt.h"
#include "fdt_builder.h"
#include "fdt_pci.h"
#include "sysreg.h"
#include "util.h"

/* The cpu node's reg: MPIDR_EL1's affinity fields, Aff3 in the high cell. */
static uint64_t cpu_reg(uint64_t mpidr)
{
	return mpidr & (MPIDR_EL1_Aff3_MASK | MPIDR_EL1_Aff2_MASK |
			MPIDR_EL1_Aff1_MASK | MPIDR_EL1_Aff0_MASK);
}

static void add_cpus(struct fdtb *b, const struct arm64_fdt_cfg *cfg)
{
	fdtb_begin(b, "cpus");
	fdtb_prop_u32(b, "#address-cells", 2);
	fdtb_prop_u32(b, "#size-cells", 0);
	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		uint64_t reg = cpu_reg(cfg->mpidr[i]);
		char name[40];

		snprintf(name, sizeof(name), "cpu@%llx",
			 (unsigned long long)reg);
		fdtb_begin(b, name);
		fdtb_prop_str(b, "device_type", "cpu");
		fdtb_prop_str(b, "compatible", "arm,arm-v8");
		fdtb_prop_str(b, "enable-method", "psci");
		fdtb_prop_cells64(b, "reg", &reg, 1);
		fdtb_end(b, "cpus");
	}
	fdtb_end(b, "/");
}

static void add_psci(struct fdtb *b)
{
	fdtb_begin(b, "psci");
	fdtb_prop_str(b, "compatible", "arm,psci-0.2");
	fdtb_prop_str(b, "method", "hvc");
	fdtb_end(b, "/");
}

static void add_timer(struct fdtb *b)
{
	static const uint32_t ppis[] = {
	    ARM64_TIMER_PPI_SEC, ARM64_TIMER_PPI_PHYS, ARM64_TIMER_PPI_VIRT,
	    ARM64_TIMER_PPI_HYP};
	uint32_t irqs[3 * ARRAY_SIZE(ppis)];

	for (size_t i = 0; i < ARRAY_SIZE(ppis); i++) {
		irqs[3 * i] = ARM64_FDT_IRQ_PPI;
		irqs[3 * i + 1] = ppis[i];
		irqs[3 * i + 2] = ARM64_FDT_LEVEL_HIGH;
	}
	fdtb_begin(b, "timer");
	fdtb_prop_str(b, "compatible", "arm,armv8-timer");
	fdtb_prop_cells(b, "interrupts", irqs, ARRAY_SIZE(irqs));
	fdtb_prop_empty(b, "always-on");
	fdtb_end(b, "/");
}

/* The ITS, a child of the GIC node (whose ranges map it 1:1). No
 * #msi-cells: a PCI device's DeviceID is its requester ID, so msi-parent
 * is the bare phandle (with #msi-cells = 1 Linux wants a cell there). */
static void add_its(struct fdtb *b, const char *gic)
{
	uint64_t reg[2] = {ARM64_GITS_BASE, ARM64_GITS_SIZE};
	char name[40];

	snprintf(name, sizeof(name), "msi-controller@%llx",
		 (unsigned long long)ARM64_GITS_BASE);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "arm,gic-v3-its");
	fdtb_prop_empty(b, "msi-controller");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_u32(b, "phandle", ARM64_FDT_ITS_PHANDLE);
	fdtb_end(b, gic);
}

static void add_gic(struct fdtb *b, const struct arm64_fdt_cfg *cfg)
{
	uint64_t reg[4] = {cfg->gicd_base, cfg->gicd_size, cfg->gicr_base,
			   cfg->gicr_size};
	char name[40];

	snprintf(name, sizeof(name), "intc@%llx",
		 (unsigned long long)cfg->gicd_base);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "arm,gic-v3");
	fdtb_prop_u32(b, "#interrupt-cells", 3);
	fdtb_prop_empty(b, "interrupt-controller");
	fdtb_prop_u32(b, "#address-cells", 2);
	fdtb_prop_u32(b, "#size-cells", 2);
	fdtb_prop_empty(b, "ranges");
	fdtb_prop_u32(b, "#redistributor-regions", 1);
	fdtb_prop_cells64(b, "reg", reg, 4);
	fdtb_prop_u32(b, "phandle", ARM64_FDT_GIC_PHANDLE);
	if (cfg->its)
		add_its(b, name);
	fdtb_end(b, "/");
}

static void add_pmu(struct fdtb *b)
{
	uint32_t irq[3] = {ARM64_FDT_IRQ_PPI, ARM64_PMU_PPI,
			   ARM64_FDT_LEVEL_HIGH};

	fdtb_begin(b, "pmu");
	fdtb_prop_str(b, "compatible", "arm,armv8-pmuv3");
	fdtb_prop_cells(b, "interrupts", irq, 3);
	fdtb_end(b, "/");
}

static void add_uart(struct fdtb *b, const struct arm64_fdt_cfg *cfg,
		     const char *name)
{
	uint64_t reg[2] = {cfg->uart_base, cfg->uart_size};
	uint32_t irq[3] = {ARM64_FDT_IRQ_SPI, cfg->uart_spi,
			   ARM64_FDT_LEVEL_HIGH};

	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "ns16550a");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_u32(b, "clock-frequency", cfg->uart_clock);
	fdtb_prop_cells(b, "interrupts", irq, 3);
	fdtb_end(b, "/");
}

static void add_virtio_mmio(struct fdtb *b, const struct arm64_fdt_mmio *m)
{
	uint64_t reg[2] = {m->base, m->size};
	uint32_t irq[3] = {ARM64_FDT_IRQ_SPI, m->spi, ARM64_FDT_LEVEL_HIGH};
	char name[40];

	snprintf(name, sizeof(name), "virtio_mmio@%llx",
		 (unsigned long long)m->base);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "virtio,mmio");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_cells(b, "interrupts", irq, 3);
	fdtb_prop_empty(b, "dma-coherent");
	fdtb_end(b, "/");
}

/* INTx pin (1 = INTA) of a slot to its SPI, level-high: wiring.c's routing. */
static void pci_intx_spec(const void *ctx, unsigned int slot, unsigned int pin,
			  uint32_t *spec)
{
	spec[0] = ARM64_FDT_IRQ_SPI;
	spec[1] = arm64_pci_intx_spi(slot, pin - 1);
	spec[2] = ARM64_FDT_LEVEL_HIGH;
}

static void add_pci(struct fdtb *b, const struct arm64_fdt_cfg *cfg)
{
	static const struct fdt_pci_window mmio = {
	    .space = FDT_PCI_SPACE_MEM32,
	    .pci_addr = ARM64_PCI_MMIO_BASE,
	    .cpu_addr = ARM64_PCI_MMIO_BASE,
	    .size = ARM64_PCI_MMIO_SIZE,
	};
	const struct fdt_pci_host h = {
	    .ecam_base = ARM64_PCI_ECAM_BASE,
	    .ecam_size = ARM64_PCI_ECAM_SIZE,
	    .bus_first = 0,
	    .bus_last = 0,
	    .windows = &mmio,
	    .nr_windows = 1,
	    .intx = {
		.phandle = ARM64_FDT_GIC_PHANDLE,
		.addr_cells = 2, /* the GIC node's #address-cells */
		.irq_cells = 3,
		.map_slots = ARM64_PCI_INTX_LINES,
		.intx = pci_intx_spec,
	    },
	    .msi_parent = cfg->its ? ARM64_FDT_ITS_PHANDLE : 0,
	};

	fdt_pci_host_node(b, &h);
}

static int check_cfg(const struct arm64_fdt_cfg *cfg, char *err, size_t errlen)
{
	uint64_t ram_end = cfg->ram_base + cfg->ram_size;

	if (!cfg->nr_cpus || !cfg->mpidr) {
		snprintf(err, errlen, "device tree: no vCPUs to describe");
		return -EINVAL;
	}
	if (!cfg->ram_size || ram_end < cfg->ram_base) {
		snprintf(err, errlen,
			 "device tree: bad RAM range 0x%llx+0x%llx",
			 (unsigned long long)cfg->ram_base,
			 (unsigned long long)cfg->ram_size);
		return -EINVAL;
	}
	if (cfg->initrd_size &&
	    (cfg->initrd_start < cfg->ram_base ||
	     !range_fits(cfg->initrd_start, cfg->initrd_size, ram_end))) {
		snprintf(err, errlen,
			 "device tree: initrd [0x%llx, +0x%llx) is not in RAM",
			 (unsigned long long)cfg->initrd_start,
			 (unsigned long long)cfg->initrd_size);
		return -EINVAL;
	}
	return 0;
}

int arm64_fdt_build(const struct arm64_fdt_cfg *cfg, void *buf, size_t size,
		    char *err, size_t errlen)
{
	struct fdtb b;
	char uart[40];
	int ret;

	ret = check_cfg(cfg, err, errlen);
	if (ret)
		return ret;
	snprintf(uart, sizeof(uart), "serial@%llx",
		 (unsigned long long)cfg->uart_base);
	fdtb_start_virt(&b, buf, size);
	fdtb_prop_u32(&b, "interrupt-parent", ARM64_FDT_GIC_PHANDLE);
	fdtb_memory(&b, cfg->ram_base, cfg->ram_size);
	add_cpus(&b, cfg);
	add_psci(&b);
	add_timer(&b);
	add_gic(&b, cfg);
	add_uart(&b, cfg, uart);
	for (unsigned int i = 0; i < cfg->nr_virtio_mmio; i++)
		add_virtio_mmio(&b, &cfg->virtio_mmio[i]);
	if (cfg->pci)
		add_pci(&b, cfg);
	if (cfg->pmu)
		add_pmu(&b);
	fdtb_chosen(&b, cfg->bootargs, uart, cfg->initrd_start,
		    cfg->initrd_size);
	return fdtb_finish(&b, err, errlen);
}
