/* test_arm64_boot.c: the arm64 boot layout (kernel, initrd, device tree placement), the device tree it produces for 1 and 2 vCPUs, the KVM_IRQ_LINE encoding and the vCPU limit. */
#include <errno.h>
#include <stdlib.h>

#include <libfdt.h>

#include "arm64.h"
#include "arm64_fdt.h"
#include "boot.h"
#include "unit.h"
#include "util.h"
#include "vm.h"

#define RAM_SIZE (256 * MiB)
#define RAM_END	 (ARM64_RAM_BASE + RAM_SIZE)

static char err[256];
static uint8_t blob[ARM64_FDT_MAX_SIZE];

/* A parsed kernel as arm64_image_parse leaves it (placement not yet done). */
static struct arm64_boot kernel(uint64_t text_offset, uint64_t image_size)
{
	struct arm64_boot b;

	memset(&b, 0, sizeof(b));
	b.img.text_offset = text_offset;
	b.img.image_size = image_size;
	return b;
}

static void test_irq_line(void)
{
	/* type SPI (1) in [31:24], no vCPU, INTID = SPI + 32 in [15:0] */
	CHECK_EQ(arm64_irq_line(0), 0x01000020);
	CHECK_EQ(arm64_irq_line(ARM64_UART_SPI), 0x01000021);
	CHECK_EQ(arm64_irq_line(ARM64_PLATFORM_SPI), 0x01000030);
	CHECK_EQ(arm64_irq_line(ARM64_NR_SPIS - 1), 0x0100007f);
	CHECK_EQ(ARM64_NR_SPIS + ARM64_SPI_BASE, ARM64_NR_IRQS);
	CHECK(ARM64_PLATFORM_SPI > ARM64_UART_SPI);
}

static void test_max_cpus(void)
{
	/* Redistributors of every vCPU fit between GICR_BASE and the UART. */
	CHECK_EQ(ARM64_MAX_CPUS, 123);
	CHECK(ARM64_GICR_BASE + ARM64_MAX_CPUS * ARM64_GICR_STRIDE <=
	      ARM64_UART_BASE);
	CHECK(ARM64_GICR_BASE + (ARM64_MAX_CPUS + 1) * ARM64_GICR_STRIDE >
	      ARM64_UART_BASE);
	CHECK(ARM64_GICD_BASE + ARM64_GICD_SIZE <= ARM64_GICR_BASE);
	CHECK(ARM64_EXIT_PORT >= ARM64_UART_BASE + ARM64_UART_SIZE);
	CHECK(ARM64_EXIT_PORT < ARM64_PLATFORM_BASE);
}

static void test_place_initrd(void)
{
	struct arm64_boot b = kernel(0, 30 * MiB);
	uint64_t initrd = 0x123456;

	CHECK_EQ(arm64_boot_place(&b, ARM64_RAM_BASE, RAM_SIZE, initrd, err,
				  sizeof(err)),
		 0);
	CHECK_EQ(b.img.load, ARM64_RAM_BASE); /* 2 MiB-aligned base + 0 */
	CHECK_EQ(b.img.end, ARM64_RAM_BASE + 30 * MiB);
	CHECK_EQ(b.initrd_size, initrd);
	CHECK_EQ(b.initrd_start, ALIGN_DOWN(RAM_END - initrd, 0x1000ULL));
	CHECK(b.initrd_start + initrd <= RAM_END);
	/* The device tree: below the initrd, 8-byte aligned, room for all of
	 * ARM64_FDT_MAX_SIZE, above the kernel, inside one 2 MiB block. */
	CHECK(IS_ALIGNED(b.fdt_addr, 8));
	CHECK(b.fdt_addr + ARM64_FDT_MAX_SIZE <= b.initrd_start);
	CHECK(b.fdt_addr >= b.img.end);
	CHECK_EQ(b.fdt_addr >> 21, (b.fdt_addr + ARM64_FDT_MAX_SIZE - 1) >> 21);
}

static void test_place_no_initrd(void)
{
	struct arm64_boot b = kernel(0x80000, 20 * MiB);

	CHECK_EQ(
	    arm64_boot_place(&b, ARM64_RAM_BASE, RAM_SIZE, 0, err, sizeof(err)),
	    0);
	CHECK_EQ(b.img.load, ARM64_RAM_BASE + 0x80000);
	CHECK_EQ(b.initrd_size, 0);
	CHECK_EQ(b.fdt_addr, RAM_END - ARM64_FDT_MAX_SIZE);
}

static void test_place_errors(void)
{
	struct arm64_boot b = kernel(0, 30 * MiB);

	/* The kernel alone does not fit. */
	CHECK_EQ(
	    arm64_boot_place(&b, ARM64_RAM_BASE, 16 * MiB, 0, err, sizeof(err)),
	    -ENOSPC);
	CHECK(strstr(err, "kernel needs") != NULL);
	/* The initrd does not fit above the kernel. */
	b = kernel(0, 30 * MiB);
	CHECK_EQ(arm64_boot_place(&b, ARM64_RAM_BASE, 64 * MiB, 40 * MiB, err,
				  sizeof(err)),
		 -ENOSPC);
	CHECK(strstr(err, "initrd") != NULL);
	/* Both fit, but leave no room for the device tree. */
	b = kernel(0, 30 * MiB);
	CHECK_EQ(arm64_boot_place(&b, ARM64_RAM_BASE, 64 * MiB,
				  34 * MiB - 0x1000, err, sizeof(err)),
		 -ENOSPC);
	CHECK(strstr(err, "device tree") != NULL);
	/* Exactly the kernel and the device tree's room. */
	b = kernel(0, 30 * MiB);
	CHECK_EQ(arm64_boot_place(&b, ARM64_RAM_BASE, 30 * MiB + 0x20000, 0,
				  err, sizeof(err)),
		 0);
}

static const uint32_t *prop(const char *path, const char *name, int *len)
{
	int off = fdt_path_offset(blob, path);

	return off < 0 ? NULL : fdt_getprop(blob, off, name, len);
}

static uint64_t cells64(const char *path, const char *name, int i)
{
	int len = 0;
	const fdt32_t *p = (const fdt32_t *)prop(path, name, &len);

	if (!p || len < (2 * i + 2) * 4)
		return ~0ULL;
	return (uint64_t)fdt32_to_cpu(p[2 * i]) << 32 |
	       fdt32_to_cpu(p[2 * i + 1]);
}

/* The device tree arch_vm_finalize writes, for 'nr' vCPUs whose MPIDRs KVM
 * derives from the vCPU index (bit 31 RES1, Aff0 = index). */
static void test_dtb(unsigned int nr)
{
	struct arm64_boot b = kernel(0, 30 * MiB);
	uint64_t mpidr[2] = {0x80000000ULL, 0x80000001ULL};
	struct arm64_fdt_cfg cfg;
	char *args = arm64_cmdline("quiet");
	const char *s;
	int len;

	CHECK(args != NULL);
	CHECK_EQ(arm64_boot_place(&b, ARM64_RAM_BASE, RAM_SIZE, 0x200000, err,
				  sizeof(err)),
		 0);
	arm64_boot_fdt_cfg(&b, nr, mpidr, args, &cfg);
	CHECK_EQ(arm64_fdt_build(&cfg, blob, sizeof(blob), err, sizeof(err)),
		 0);
	CHECK_EQ(fdt_check_header(blob), 0);
	CHECK(fdt_totalsize(blob) <= ARM64_FDT_MAX_SIZE);

	CHECK_EQ(cells64("/memory@40000000", "reg", 0), ARM64_RAM_BASE);
	CHECK_EQ(cells64("/memory@40000000", "reg", 1), RAM_SIZE);
	CHECK(fdt_path_offset(blob, "/cpus/cpu@0") >= 0);
	CHECK_EQ(fdt_path_offset(blob, "/cpus/cpu@1") >= 0, nr == 2);
	CHECK(fdt_path_offset(blob, "/cpus/cpu@2") < 0);
	if (nr == 2)
		CHECK_EQ(cells64("/cpus/cpu@1", "reg", 0), 1);
	/* One redistributor frame pair per vCPU. */
	CHECK_EQ(cells64("/intc@8000000", "reg", 0), ARM64_GICD_BASE);
	CHECK_EQ(cells64("/intc@8000000", "reg", 2), ARM64_GICR_BASE);
	CHECK_EQ(cells64("/intc@8000000", "reg", 3), nr * ARM64_GICR_STRIDE);
	/* The UART's interrupt: SPI 1, level high. */
	{
		const fdt32_t *irq = (const fdt32_t *)prop("/serial@9000000",
							   "interrupts", &len);

		CHECK(irq && len == 12);
		if (irq && len == 12) {
			CHECK_EQ(fdt32_to_cpu(irq[0]), ARM64_FDT_IRQ_SPI);
			CHECK_EQ(fdt32_to_cpu(irq[1]), ARM64_UART_SPI);
			CHECK_EQ(fdt32_to_cpu(irq[2]), ARM64_FDT_LEVEL_HIGH);
		}
	}
	s = (const char *)prop("/chosen", "bootargs", &len);
	CHECK(s && !strcmp(s, "console=ttyS0 panic=-1 quiet"));
	s = (const char *)prop("/chosen", "stdout-path", &len);
	CHECK(s && !strcmp(s, "/serial@9000000"));
	CHECK_EQ(fdt64_to_cpu(*(const fdt64_t *)prop(
		     "/chosen", "linux,initrd-start", &len)),
		 b.initrd_start);
	CHECK_EQ(fdt64_to_cpu(*(const fdt64_t *)prop("/chosen",
						     "linux,initrd-end", &len)),
		 b.initrd_start + 0x200000);
	free(args);
}

/* Platform devices (virtio-mmio) appear as virtio,mmio nodes with their
 * SPI, level-high, as the transport raises and lowers its line. */
static void test_dtb_virtio_mmio(void)
{
	static const struct arm64_fdt_mmio mmio[2] = {
	    {ARM64_PLATFORM_BASE, 0x200, ARM64_PLATFORM_SPI},
	    {ARM64_PLATFORM_BASE + 0x200, 0x200, ARM64_PLATFORM_SPI + 1},
	};
	struct arm64_boot b = kernel(0, 30 * MiB);
	uint64_t mpidr = 0x80000000ULL;
	struct arm64_fdt_cfg cfg;
	const fdt32_t *irq;
	const char *s;
	int len;

	CHECK_EQ(arm64_boot_place(&b, ARM64_RAM_BASE, RAM_SIZE, 0, err,
				  sizeof(err)),
		 0);
	arm64_boot_fdt_cfg(&b, 1, &mpidr, NULL, &cfg);
	cfg.virtio_mmio = mmio;
	cfg.nr_virtio_mmio = 2;
	CHECK_EQ(arm64_fdt_build(&cfg, blob, sizeof(blob), err, sizeof(err)),
		 0);
	s = (const char *)prop("/virtio_mmio@a000200", "compatible", &len);
	CHECK(s && !strcmp(s, "virtio,mmio"));
	CHECK_EQ(cells64("/virtio_mmio@a000200", "reg", 0),
		 ARM64_PLATFORM_BASE + 0x200);
	CHECK_EQ(cells64("/virtio_mmio@a000200", "reg", 1), 0x200);
	irq = (const fdt32_t *)prop("/virtio_mmio@a000000", "interrupts", &len);
	CHECK(irq && len == 12);
	if (irq && len == 12) {
		CHECK_EQ(fdt32_to_cpu(irq[0]), ARM64_FDT_IRQ_SPI);
		CHECK_EQ(fdt32_to_cpu(irq[1]), ARM64_PLATFORM_SPI);
		CHECK_EQ(fdt32_to_cpu(irq[2]), ARM64_FDT_LEVEL_HIGH);
	}
	CHECK(prop("/virtio_mmio@a000000", "dma-coherent", &len) != NULL);
	CHECK(prop("/chosen", "bootargs", &len) == NULL);
}

static void test_cmdline(void)
{
	char *s = arm64_cmdline("");

	CHECK(s && !strcmp(s, ARM64_DEFAULT_CMDLINE));
	free(s);
	s = arm64_cmdline("rdinit=/bin/sh");
	CHECK(s && !strcmp(s, "console=ttyS0 panic=-1 rdinit=/bin/sh"));
	free(s);
}

int main(void)
{
	test_irq_line();
	test_max_cpus();
	test_place_initrd();
	test_place_no_initrd();
	test_place_errors();
	test_dtb(1);
	test_dtb(2);
	test_dtb_virtio_mmio();
	test_cmdline();
	return unit_done("arm64_boot");
}
