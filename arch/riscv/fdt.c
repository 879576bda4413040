/* fdt.c: builds the riscv guest device tree with libfdt (memory, harts with their ISA, PLIC or IMSIC + APLIC, UART, virtio-mmio, PCI host, chosen). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fdt_builder.h"
#include "fdt_pci.h"
#include "kvm_riscv.h"
#include "riscv.h"
#include "riscv_fdt.h"
#include "util.h"

#define ISA_STR_MAX 1024

/* What every hart node shares, computed once. */
struct hart_desc {
	char isa[ISA_STR_MAX];
	char exts[ISA_STR_MAX];
	int exts_len;
	const char *mmu;
};

unsigned int riscv_imsic_hart_bits(unsigned int n)
{
	unsigned int bits = 0;

	while (n > 1U << bits)
		bits++;
	return bits;
}

static void add_cpu_intc(struct fdtb *b, unsigned int hart, const char *cpu)
{
	fdtb_begin(b, "interrupt-controller");
	fdtb_prop_str(b, "compatible", "riscv,cpu-intc");
	fdtb_prop_u32(b, "#address-cells", 0);
	fdtb_prop_u32(b, "#interrupt-cells", 1);
	fdtb_prop_empty(b, "interrupt-controller");
	fdtb_prop_u32(b, "phandle", RISCV_FDT_PHANDLE_CPU_INTC(hart));
	fdtb_end(b, cpu);
}

static void add_hart(struct fdtb *b, const struct riscv_fdt_cfg *cfg,
		     const struct hart_desc *d, unsigned int hart)
{
	char name[24];

	snprintf(name, sizeof(name), "cpu@%x", hart);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "device_type", "cpu");
	fdtb_prop_u32(b, "reg", hart);
	fdtb_prop_str(b, "compatible", "riscv");
	fdtb_prop_str(b, "status", "okay");
	fdtb_prop_str(b, "riscv,isa", d->isa);
	fdtb_prop_str(b, "riscv,isa-base", cfg->xlen == 32 ? "rv32i" : "rv64i");
	fdtb_prop_strs(b, "riscv,isa-extensions", d->exts,
		       (size_t)d->exts_len);
	fdtb_prop_str(b, "mmu-type", d->mmu);
	if (cfg->cbom_block_size)
		fdtb_prop_u32(b, "riscv,cbom-block-size", cfg->cbom_block_size);
	if (cfg->cboz_block_size)
		fdtb_prop_u32(b, "riscv,cboz-block-size", cfg->cboz_block_size);
	add_cpu_intc(b, hart, name);
	fdtb_end(b, "cpus");
}

static void add_cpus(struct fdtb *b, const struct riscv_fdt_cfg *cfg,
		     const struct hart_desc *d)
{
	fdtb_begin(b, "cpus");
	fdtb_prop_u32(b, "#address-cells", 1);
	fdtb_prop_u32(b, "#size-cells", 0);
	fdtb_prop_u32(b, "timebase-frequency", (uint32_t)cfg->timebase_hz);
	for (unsigned int i = 0; i < cfg->nr_cpus; i++)
		add_hart(b, cfg, d, i);
	fdtb_end(b, "/");
}

/* <&hart0-intc 9 &hart1-intc 9 ...>: each hart's S-mode external line. */
static void prop_s_ext_irqs(struct fdtb *b, const struct riscv_fdt_cfg *cfg)
{
	uint32_t cells[2 * RISCV_MAX_CPUS];

	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		cells[2 * i] = RISCV_FDT_PHANDLE_CPU_INTC(i);
		cells[2 * i + 1] = RISCV_IRQ_S_EXT;
	}
	fdtb_prop_cells(b, "interrupts-extended", cells, 2 * cfg->nr_cpus);
}

static void add_plic(struct fdtb *b, const struct riscv_fdt_cfg *cfg)
{
	static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	uint64_t reg[2] = {cfg->irqchip_base, cfg->irqchip_size};
	char name[40];

	snprintf(name, sizeof(name), "plic@%llx",
		 (unsigned long long)cfg->irqchip_base);
	fdtb_begin(b, name);
	fdtb_prop_strs(b, "compatible", compat, sizeof(compat));
	fdtb_prop_u32(b, "#address-cells", 0);
	fdtb_prop_u32(b, "#interrupt-cells", 1);
	fdtb_prop_empty(b, "interrupt-controller");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_u32(b, "riscv,ndev", cfg->nr_sources);
	prop_s_ext_irqs(b, cfg);
	fdtb_prop_u32(b, "phandle", RISCV_FDT_PHANDLE_IRQCHIP);
	fdtb_end(b, "/");
}

static void add_imsic(struct fdtb *b, const struct riscv_fdt_cfg *cfg)
{
	uint64_t reg[2] = {cfg->imsic_base,
			   (uint64_t)cfg->nr_cpus * KVMR_AIA_IMSIC_SIZE};
	char name[40];

	snprintf(name, sizeof(name), "imsics@%llx",
		 (unsigned long long)cfg->imsic_base);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "riscv,imsics");
	fdtb_prop_u32(b, "#address-cells", 0);
	fdtb_prop_u32(b, "#interrupt-cells", 0);
	fdtb_prop_empty(b, "interrupt-controller");
	fdtb_prop_empty(b, "msi-controller");
	fdtb_prop_u32(b, "#msi-cells", 0);
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_u32(b, "riscv,num-ids", cfg->imsic_nr_ids);
	fdtb_prop_u32(b, "riscv,hart-index-bits",
		      riscv_imsic_hart_bits(cfg->nr_cpus));
	prop_s_ext_irqs(b, cfg);
	fdtb_prop_u32(b, "phandle", RISCV_FDT_PHANDLE_IMSIC);
	fdtb_end(b, "/");
}

/* The APLIC in MSI mode: its sources are forwarded to the IMSIC files. */
static void add_aplic(struct fdtb *b, const struct riscv_fdt_cfg *cfg)
{
	uint64_t reg[2] = {cfg->irqchip_base, cfg->irqchip_size};
	char name[40];

	snprintf(name, sizeof(name), "aplic@%llx",
		 (unsigned long long)cfg->irqchip_base);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "riscv,aplic");
	fdtb_prop_u32(b, "#address-cells", 0);
	fdtb_prop_u32(b, "#interrupt-cells", 2);
	fdtb_prop_empty(b, "interrupt-controller");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_u32(b, "riscv,num-sources", cfg->nr_sources);
	fdtb_prop_u32(b, "msi-parent", RISCV_FDT_PHANDLE_IMSIC);
	fdtb_prop_u32(b, "phandle", RISCV_FDT_PHANDLE_IRQCHIP);
	fdtb_end(b, "/");
}

/*
 * A wired interrupt: <src> on the PLIC, <src level-high> on the APLIC.
 * Each device names its parent: one on the root would be inherited by the
 * harts' riscv,cpu-intc nodes too, and Linux would then find no root
 * interrupt controller ("of_irq_init: children remain, but no parents").
 */
static void prop_irq(struct fdtb *b, const struct riscv_fdt_cfg *cfg,
		     uint32_t src)
{
	uint32_t cells[2] = {src, RISCV_FDT_IRQ_LEVEL_HIGH};

	fdtb_prop_u32(b, "interrupt-parent", RISCV_FDT_PHANDLE_IRQCHIP);
	fdtb_prop_cells(b, "interrupts", cells,
			cfg->irqchip == RISCV_IRQCHIP_AIA ? 2 : 1);
}

static void add_uart(struct fdtb *b, const struct riscv_fdt_cfg *cfg,
		     const char *name)
{
	uint64_t reg[2] = {cfg->uart_base, cfg->uart_size};

	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "ns16550a");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_u32(b, "clock-frequency", cfg->uart_clock);
	prop_irq(b, cfg, cfg->uart_irq);
	fdtb_end(b, "/");
}

static void add_mmio(struct fdtb *b, const struct riscv_fdt_cfg *cfg,
		     const struct riscv_fdt_mmio *m)
{
	uint64_t reg[2] = {m->base, m->size};
	char name[40];

	snprintf(name, sizeof(name), "virtio_mmio@%llx",
		 (unsigned long long)m->base);
	fdtb_begin(b, name);
	fdtb_prop_str(b, "compatible", "virtio,mmio");
	fdtb_prop_cells64(b, "reg", reg, 2);
	fdtb_prop_empty(b, "dma-coherent");
	prop_irq(b, cfg, m->irq);
	fdtb_end(b, "/");
}

/* INTx pin (1 = INTA) of a slot to its wired source (wiring.c's routing):
 * <src> on the PLIC, <src level-high> on the APLIC. */
static void pci_intx_spec(const void *ctx, unsigned int slot, unsigned int pin,
			  uint32_t *spec)
{
	const struct riscv_fdt_cfg *cfg = ctx;

	spec[0] = riscv_pci_intx_irq(slot, pin - 1);
	if (cfg->irqchip == RISCV_IRQCHIP_AIA)
		spec[1] = RISCV_FDT_IRQ_LEVEL_HIGH;
}

/* INTx only: no msi-parent, so the guest's virtio-pci falls back from
 * MSI-X to its INTx line. */
static void add_pci(struct fdtb *b, const struct riscv_fdt_cfg *cfg)
{
	static const struct fdt_pci_window mmio = {
	    .space = FDT_PCI_SPACE_MEM32,
	    .pci_addr = RISCV_PCI_MMIO_BASE,
	    .cpu_addr = RISCV_PCI_MMIO_BASE,
	    .size = RISCV_PCI_MMIO_SIZE,
	};
	const struct fdt_pci_host h = {
	    .ecam_base = RISCV_PCI_ECAM_BASE,
	    .ecam_size = RISCV_PCI_ECAM_SIZE,
	    .bus_first = 0,
	    .bus_last = 0,
	    .windows = &mmio,
	    .nr_windows = 1,
	    .intx = {
		.phandle = RISCV_FDT_PHANDLE_IRQCHIP,
		.addr_cells = 0, /* the PLIC's and APLIC's #address-cells */
		.irq_cells = cfg->irqchip == RISCV_IRQCHIP_AIA ? 2 : 1,
		.map_slots = RISCV_PCI_INTX_LINES,
		.intx = pci_intx_spec,
		.ctx = cfg,
	    },
	};

	fdt_pci_host_node(b, &h);
}

static int bad_cfg(char *err, size_t errlen, const char *what,
		   unsigned long long v)
{
	snprintf(err, errlen, "device tree: %s 0x%llx", what, v);
	return -EINVAL;
}

static bool irq_ok(const struct riscv_fdt_cfg *cfg, uint32_t irq)
{
	return irq >= 1 && irq <= cfg->nr_sources;
}

static int check_irqs(const struct riscv_fdt_cfg *cfg, char *err,
		      size_t errlen)
{
	const uint32_t intx_last = RISCV_PCI_INTX_IRQ + RISCV_PCI_INTX_LINES - 1;
	uint32_t ids = cfg->imsic_nr_ids;

	if (cfg->nr_sources < 1 || cfg->nr_sources > 1023)
		return bad_cfg(err, errlen, "interrupt sources not in 1..1023:",
			       cfg->nr_sources);
	if (cfg->irqchip == RISCV_IRQCHIP_AIA &&
	    (ids < KVMR_AIA_IDS_MIN || ids >= KVMR_AIA_IDS_MAX ||
	     (ids + 1) % 64))
		return bad_cfg(err, errlen,
			       "IMSIC identities not 64n-1 in 63..2047:", ids);
	if (!irq_ok(cfg, cfg->uart_irq))
		return bad_cfg(err, errlen, "UART interrupt out of range:",
			       cfg->uart_irq);
	for (unsigned int i = 0; i < cfg->nr_mmio; i++)
		if (!irq_ok(cfg, cfg->mmio[i].irq))
			return bad_cfg(err, errlen,
				       "virtio-mmio interrupt out of range:",
				       cfg->mmio[i].irq);
	if (cfg->pci && !irq_ok(cfg, intx_last))
		return bad_cfg(err, errlen,
			       "PCI INTx sources out of range: last", intx_last);
	return 0;
}

static int check_cfg(const struct riscv_fdt_cfg *cfg, char *err, size_t errlen)
{
	uint64_t ram_end = cfg->ram_base + cfg->ram_size;

	if (!cfg->nr_cpus || cfg->nr_cpus > RISCV_MAX_CPUS)
		return bad_cfg(err, errlen, "hart count not in 1..64:",
			       cfg->nr_cpus);
	if (!cfg->ram_size || ram_end < cfg->ram_base)
		return bad_cfg(err, errlen, "bad RAM range at",
			       cfg->ram_base);
	if (cfg->initrd_size &&
	    (cfg->initrd_start < cfg->ram_base ||
	     !range_fits(cfg->initrd_start, cfg->initrd_size, ram_end)))
		return bad_cfg(err, errlen, "initrd is not in RAM: start",
			       cfg->initrd_start);
	/* Linux reads timebase-frequency as one cell. */
	if (!cfg->timebase_hz || cfg->timebase_hz > UINT32_MAX)
		return bad_cfg(err, errlen,
			       "timebase-frequency does not fit 32 bits:",
			       cfg->timebase_hz);
	if (cfg->nr_mmio && !cfg->mmio)
		return bad_cfg(err, errlen, "no virtio-mmio list for count",
			       cfg->nr_mmio);
	return check_irqs(cfg, err, errlen);
}

static int describe_harts(const struct riscv_fdt_cfg *cfg, struct hart_desc *d,
			  char *err, size_t errlen)
{
	int ret = riscv_isa_string(cfg->xlen, cfg->isa, cfg->isa_ext, d->isa,
				   sizeof(d->isa));

	if (ret < 0)
		return bad_cfg(err, errlen,
			       "no ISA string (xlen, base I, length) for isa",
			       cfg->isa);
	d->exts_len = riscv_isa_ext_list(cfg->isa, cfg->isa_ext, d->exts,
					 sizeof(d->exts));
	if (d->exts_len < 0)
		return bad_cfg(err, errlen, "no ISA extension list for isa",
			       cfg->isa);
	d->mmu = riscv_mmu_type(cfg->xlen, cfg->satp_mode);
	if (!d->mmu)
		return bad_cfg(err, errlen, "unknown satp mode", cfg->satp_mode);
	return 0;
}

static void add_irqchip(struct fdtb *b, const struct riscv_fdt_cfg *cfg)
{
	if (cfg->irqchip == RISCV_IRQCHIP_AIA) {
		add_imsic(b, cfg);
		add_aplic(b, cfg);
	} else {
		add_plic(b, cfg);
	}
}

int riscv_fdt_build(const struct riscv_fdt_cfg *cfg, void *buf, size_t size,
		    char *err, size_t errlen)
{
	struct hart_desc desc;
	struct fdtb b;
	char uart[40];
	int ret;

	ret = check_cfg(cfg, err, errlen);
	if (!ret)
		ret = describe_harts(cfg, &desc, err, errlen);
	if (ret)
		return ret;
	snprintf(uart, sizeof(uart), "serial@%llx",
		 (unsigned long long)cfg->uart_base);
	fdtb_start_virt(&b, buf, size);
	fdtb_memory(&b, cfg->ram_base, cfg->ram_size);
	add_cpus(&b, cfg, &desc);
	add_irqchip(&b, cfg);
	add_uart(&b, cfg, uart);
	for (unsigned int i = 0; i < cfg->nr_mmio; i++)
		add_mmio(&b, cfg, &cfg->mmio[i]);
	if (cfg->pci)
		add_pci(&b, cfg);
	fdtb_chosen(&b, cfg->bootargs, uart, cfg->initrd_start,
		    cfg->initrd_size);
	return fdtb_finish(&b, err, errlen);
}
