/* fdt.c: builds the arm64 guest device tree with libfdt (memory, cpus, psci, timer, GICv3, UART, chosen) and dumps it to a file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "arm64.h"
#include "arm64_fdt.h"
#include "sysreg.h"
#include "util.h"

/* Sequential-write state: after the first libfdt error every step is a
 * no-op, and the error is reported once at the end. */
struct fdt_ctx {
	void *fdt;
	int err;
	const char *where; /* node being written when the error happened */
	const char *node;
};

static void step(struct fdt_ctx *c, int ret)
{
	if (ret < 0 && !c->err) {
		c->err = ret;
		c->where = c->node;
	}
}

static void begin(struct fdt_ctx *c, const char *name)
{
	c->node = name;
	if (!c->err)
		step(c, fdt_begin_node(c->fdt, name));
}

static void end(struct fdt_ctx *c)
{
	if (!c->err)
		step(c, fdt_end_node(c->fdt));
}

static void prop_str(struct fdt_ctx *c, const char *name, const char *s)
{
	if (!c->err)
		step(c, fdt_property_string(c->fdt, name, s));
}

static void prop_u32(struct fdt_ctx *c, const char *name, uint32_t v)
{
	if (!c->err)
		step(c, fdt_property_u32(c->fdt, name, v));
}

static void prop_u64(struct fdt_ctx *c, const char *name, uint64_t v)
{
	if (!c->err)
		step(c, fdt_property_u64(c->fdt, name, v));
}

static void prop_empty(struct fdt_ctx *c, const char *name)
{
	if (!c->err)
		step(c, fdt_property(c->fdt, name, NULL, 0));
}

/* A list of strings ("a\0b\0"), as in compatible. */
static void prop_strs(struct fdt_ctx *c, const char *name, const char *s,
		      size_t len_with_nuls)
{
	if (!c->err)
		step(c, fdt_property(c->fdt, name, s, (int)len_with_nuls));
}

/* 64-bit values as pairs of cells (#address-cells = #size-cells = 2). */
static void prop_cells64(struct fdt_ctx *c, const char *name, const uint64_t *v,
			 unsigned int n)
{
	fdt64_t be[8];

	for (unsigned int i = 0; i < n && i < ARRAY_SIZE(be); i++)
		be[i] = cpu_to_fdt64(v[i]);
	if (!c->err)
		step(c, fdt_property(
			    c->fdt, name, be,
			    (int)(MIN(n, ARRAY_SIZE(be)) * sizeof(be[0]))));
}

static void prop_cells(struct fdt_ctx *c, const char *name, const uint32_t *v,
		       unsigned int n)
{
	fdt32_t be[16];

	for (unsigned int i = 0; i < n && i < ARRAY_SIZE(be); i++)
		be[i] = cpu_to_fdt32(v[i]);
	if (!c->err)
		step(c, fdt_property(
			    c->fdt, name, be,
			    (int)(MIN(n, ARRAY_SIZE(be)) * sizeof(be[0]))));
}

static void add_memory(struct fdt_ctx *c, const struct arm64_fdt_cfg *cfg)
{
	uint64_t reg[2] = {cfg->ram_base, cfg->ram_size};
	char name[40];

	snprintf(name, sizeof(name), "memory@%llx",
		 (unsigned long long)cfg->ram_base);
	begin(c, name);
	prop_str(c, "device_type", "memory");
	prop_cells64(c, "reg", reg, 2);
	end(c);
}

/* The cpu node's reg: MPIDR_EL1's affinity fields, Aff3 in the high cell. */
static uint64_t cpu_reg(uint64_t mpidr)
{
	return mpidr & (MPIDR_EL1_Aff3_MASK | MPIDR_EL1_Aff2_MASK |
			MPIDR_EL1_Aff1_MASK | MPIDR_EL1_Aff0_MASK);
}

static void add_cpus(struct fdt_ctx *c, const struct arm64_fdt_cfg *cfg)
{
	begin(c, "cpus");
	prop_u32(c, "#address-cells", 2);
	prop_u32(c, "#size-cells", 0);
	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		uint64_t reg = cpu_reg(cfg->mpidr[i]);
		char name[40];

		snprintf(name, sizeof(name), "cpu@%llx",
			 (unsigned long long)reg);
		begin(c, name);
		prop_str(c, "device_type", "cpu");
		prop_str(c, "compatible", "arm,arm-v8");
		prop_str(c, "enable-method", "psci");
		prop_cells64(c, "reg", &reg, 1);
		end(c);
		c->node = "cpus";
	}
	end(c);
}

static void add_psci(struct fdt_ctx *c)
{
	begin(c, "psci");
	prop_str(c, "compatible", "arm,psci-0.2");
	prop_str(c, "method", "hvc");
	end(c);
}

static void add_timer(struct fdt_ctx *c)
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
	begin(c, "timer");
	prop_str(c, "compatible", "arm,armv8-timer");
	prop_cells(c, "interrupts", irqs, ARRAY_SIZE(irqs));
	prop_empty(c, "always-on");
	end(c);
}

static void add_gic(struct fdt_ctx *c, const struct arm64_fdt_cfg *cfg)
{
	uint64_t reg[4] = {cfg->gicd_base, cfg->gicd_size, cfg->gicr_base,
			   cfg->gicr_size};
	char name[40];

	snprintf(name, sizeof(name), "intc@%llx",
		 (unsigned long long)cfg->gicd_base);
	begin(c, name);
	prop_str(c, "compatible", "arm,gic-v3");
	prop_u32(c, "#interrupt-cells", 3);
	prop_empty(c, "interrupt-controller");
	prop_u32(c, "#address-cells", 2);
	prop_u32(c, "#size-cells", 2);
	prop_empty(c, "ranges");
	prop_u32(c, "#redistributor-regions", 1);
	prop_cells64(c, "reg", reg, 4);
	prop_u32(c, "phandle", ARM64_FDT_GIC_PHANDLE);
	end(c);
}

static void add_uart(struct fdt_ctx *c, const struct arm64_fdt_cfg *cfg,
		     const char *name)
{
	uint64_t reg[2] = {cfg->uart_base, cfg->uart_size};
	uint32_t irq[3] = {ARM64_FDT_IRQ_SPI, cfg->uart_spi,
			   ARM64_FDT_LEVEL_HIGH};

	begin(c, name);
	prop_str(c, "compatible", "ns16550a");
	prop_cells64(c, "reg", reg, 2);
	prop_u32(c, "clock-frequency", cfg->uart_clock);
	prop_cells(c, "interrupts", irq, 3);
	end(c);
}

static void add_virtio_mmio(struct fdt_ctx *c, const struct arm64_fdt_mmio *m)
{
	uint64_t reg[2] = {m->base, m->size};
	uint32_t irq[3] = {ARM64_FDT_IRQ_SPI, m->spi, ARM64_FDT_LEVEL_HIGH};
	char name[40];

	snprintf(name, sizeof(name), "virtio_mmio@%llx",
		 (unsigned long long)m->base);
	begin(c, name);
	prop_str(c, "compatible", "virtio,mmio");
	prop_cells64(c, "reg", reg, 2);
	prop_cells(c, "interrupts", irq, 3);
	prop_empty(c, "dma-coherent");
	end(c);
}

static void add_chosen(struct fdt_ctx *c, const struct arm64_fdt_cfg *cfg,
		       const char *uart)
{
	char path[48];

	snprintf(path, sizeof(path), "/%s", uart);
	begin(c, "chosen");
	if (cfg->bootargs)
		prop_str(c, "bootargs", cfg->bootargs);
	prop_str(c, "stdout-path", path);
	if (cfg->initrd_size) {
		prop_u64(c, "linux,initrd-start", cfg->initrd_start);
		prop_u64(c, "linux,initrd-end",
			 cfg->initrd_start + cfg->initrd_size);
	}
	end(c);
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

static int fdt_failed(const struct fdt_ctx *c, size_t size, char *err,
		      size_t errlen)
{
	if (c->err == -FDT_ERR_NOSPACE) {
		snprintf(err, errlen,
			 "device tree: does not fit in %zu bytes (at %s)", size,
			 c->where ? c->where : "the header");
		return -ENOSPC;
	}
	snprintf(err, errlen, "device tree: libfdt: %s (at %s)",
		 fdt_strerror(c->err), c->where ? c->where : "the header");
	return -EINVAL;
}

int arm64_fdt_build(const struct arm64_fdt_cfg *cfg, void *buf, size_t size,
		    char *err, size_t errlen)
{
	static const char compat[] = "linux,dummy-virt";
	struct fdt_ctx c = {.fdt = buf};
	char uart[40];
	int ret;

	ret = check_cfg(cfg, err, errlen);
	if (ret)
		return ret;
	snprintf(uart, sizeof(uart), "serial@%llx",
		 (unsigned long long)cfg->uart_base);
	step(&c, fdt_create(buf, (int)MIN(size, (size_t)INT32_MAX)));
	if (!c.err)
		step(&c, fdt_finish_reservemap(buf));
	begin(&c, "");
	prop_strs(&c, "compatible", compat, sizeof(compat));
	prop_u32(&c, "#address-cells", 2);
	prop_u32(&c, "#size-cells", 2);
	prop_u32(&c, "interrupt-parent", ARM64_FDT_GIC_PHANDLE);
	add_memory(&c, cfg);
	add_cpus(&c, cfg);
	add_psci(&c);
	add_timer(&c);
	add_gic(&c, cfg);
	add_uart(&c, cfg, uart);
	for (unsigned int i = 0; i < cfg->nr_virtio_mmio; i++)
		add_virtio_mmio(&c, &cfg->virtio_mmio[i]);
	add_chosen(&c, cfg, uart);
	c.node = "/";
	end(&c);
	if (!c.err)
		step(&c, fdt_finish(buf));
	return c.err ? fdt_failed(&c, size, err, errlen) : 0;
}

int arm64_fdt_write_file(const void *fdt, const char *path, char *err,
			 size_t errlen)
{
	size_t len = fdt_totalsize(fdt);
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	errno = 0;
	if (fwrite(fdt, 1, len, f) != len)
		ret = errno ? -errno : -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "%s: writing the device tree: %s", path,
			 strerror(-ret));
	return ret;
}
