/* test_arm64_fdt.c: builds the arm64 guest device tree and reads it back with libfdt (nodes, reg, interrupts, phandles, chosen, --dump-dtb). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <libfdt.h>

#include "arm64.h"
#include "arm64_fdt.h"
#include "fdt_builder.h"
#include "fdt_check.h"
#include "unit.h"
#include "vgic_vmcr.h"

static char err[256];
static uint8_t blob[ARM64_FDT_MAX_SIZE];

static struct arm64_fdt_cfg config(const uint64_t *mpidr, unsigned int nr)
{
	return (struct arm64_fdt_cfg){
	    .ram_base = ARM64_RAM_BASE,
	    .ram_size = 256ULL << 20,
	    .nr_cpus = nr,
	    .mpidr = mpidr,
	    .gicd_base = ARM64_GICD_BASE,
	    .gicd_size = ARM64_GICD_SIZE,
	    .gicr_base = ARM64_GICR_BASE,
	    .gicr_size = nr * ARM64_GICR_STRIDE,
	    .uart_base = ARM64_UART_BASE,
	    .uart_size = ARM64_UART_SIZE,
	    .uart_spi = ARM64_UART_SPI,
	    .uart_clock = ARM64_UART_CLOCK,
	    .bootargs = "console=ttyS0 earlycon panic=-1",
	    .initrd_start = 0x48000000,
	    .initrd_size = 0x123000,
	};
}

static void test_root_memory(void)
{
	CHECK_EQ(fdt_check_header(blob), 0);
	CHECK(fdt_totalsize(blob) <= ARM64_FDT_MAX_SIZE);
	CHECK(str_is("/", "compatible", "linux,dummy-virt"));
	CHECK_EQ(cell("/", "#address-cells", 0), 2);
	CHECK_EQ(cell("/", "#size-cells", 0), 2);
	CHECK(str_is("/memory@40000000", "device_type", "memory"));
	CHECK_EQ(cell64("/memory@40000000", "reg", 0), 0x40000000);
	CHECK_EQ(cell64("/memory@40000000", "reg", 1), 256ULL << 20);
}

static void test_cpus(const uint64_t *mpidr, unsigned int nr)
{
	unsigned int count = 0;
	int cpus = node("/cpus"), off;

	CHECK(cpus >= 0);
	CHECK_EQ(cell("/cpus", "#address-cells", 0), 2);
	CHECK_EQ(cell("/cpus", "#size-cells", 0), 0);
	fdt_for_each_subnode(off, blob, cpus)
	{
		const fdt32_t *reg = fdt_getprop(blob, off, "reg", NULL);
		const char *m = fdt_getprop(blob, off, "enable-method", NULL);
		uint64_t want = mpidr[count] & 0xff00ffffffULL;

		CHECK(reg != NULL);
		if (reg)
			CHECK_EQ((uint64_t)fdt32_to_cpu(reg[0]) << 32 |
				     fdt32_to_cpu(reg[1]),
				 want);
		CHECK(m && !strcmp(m, "psci"));
		count++;
	}
	CHECK_EQ(count, nr);
	CHECK(node("/cpus/cpu@0") >= 0);
	CHECK(node("/cpus/cpu@101") >= 0); /* vCPU 17: Aff1 1, Aff0 1 */
	CHECK(str_is("/cpus/cpu@1", "device_type", "cpu"));
	CHECK(str_is("/psci", "compatible", "arm,psci-0.2"));
	CHECK(str_is("/psci", "method", "hvc"));
}

static void test_irqs(void)
{
	static const uint32_t timer[12] = {1, 13, 4, 1, 14, 4,
					   1, 11, 4, 1, 10, 4};
	const char *gic = "/intc@8000000";
	uint32_t ph;

	CHECK(str_is(gic, "compatible", "arm,gic-v3"));
	CHECK_EQ(cell(gic, "#interrupt-cells", 0), 3);
	CHECK_EQ(prop_len(gic, "interrupt-controller"), 0);
	CHECK_EQ(cell64(gic, "reg", 0), 0x08000000);
	CHECK_EQ(cell64(gic, "reg", 1), 0x10000);
	CHECK_EQ(cell64(gic, "reg", 2), 0x080a0000);
	CHECK_EQ(cell64(gic, "reg", 3), 20 * 0x20000);
	ph = fdt_get_phandle(blob, node(gic));
	CHECK(ph != 0);
	CHECK_EQ(cell("/", "interrupt-parent", 0), ph);
	CHECK_EQ(fdt_node_offset_by_phandle(blob, ph), node(gic));
	CHECK(str_is("/timer", "compatible", "arm,armv8-timer"));
	CHECK_EQ(prop_len("/timer", "interrupts"), 48);
	for (int i = 0; i < 12; i++)
		CHECK_EQ(cell("/timer", "interrupts", i), timer[i]);
	CHECK(str_is("/serial@9000000", "compatible", "ns16550a"));
	CHECK_EQ(cell64("/serial@9000000", "reg", 0), 0x09000000);
	CHECK_EQ(cell64("/serial@9000000", "reg", 1), 0x1000);
	CHECK_EQ(cell("/serial@9000000", "interrupts", 0), 0); /* SPI */
	CHECK_EQ(cell("/serial@9000000", "interrupts", 1), 1);
	CHECK_EQ(cell("/serial@9000000", "interrupts", 2), 4); /* level-high */
	CHECK_EQ(cell("/serial@9000000", "clock-frequency", 0), 1843200);
}

/* The PCI host: ECAM for bus 0, the 32-bit window, INTx of 4 slots x 4
 * pins to SPIs 4-7 as wiring.c raises them. */
static void test_pci(bool present)
{
	const char *pci = "/pcie@30000000";

	if (!present) {
		CHECK(fdt_path_offset(blob, pci) < 0);
		return;
	}
	check_pci_ecam(pci, 0x30000000, 0x10000000, 0x20000000);
	CHECK_EQ(prop_len(pci, "interrupt-map"), 16 * 10 * 4);
	for (unsigned int slot = 0; slot < 4; slot++)
		for (unsigned int pin = 1; pin <= 4; pin++) {
			int e = (int)(slot * 4 + pin - 1) * 10;

			CHECK_EQ(cell(pci, "interrupt-map", e), slot << 11);
			CHECK_EQ(cell(pci, "interrupt-map", e + 3), pin);
			CHECK_EQ(cell(pci, "interrupt-map", e + 4),
				 cell("/", "interrupt-parent", 0));
			CHECK_EQ(cell(pci, "interrupt-map", e + 7), 0); /* SPI */
			CHECK_EQ(cell(pci, "interrupt-map", e + 8),
				 4 + (slot + pin - 1) % 4);
			CHECK_EQ(cell(pci, "interrupt-map", e + 8),
				 arm64_pci_intx_spi(slot + 4, pin - 1));
			CHECK_EQ(cell(pci, "interrupt-map", e + 9), 4);
		}
	CHECK(ARM64_PCI_ECAM_BASE >= ARM64_PCI_MMIO_BASE + ARM64_PCI_MMIO_SIZE);
	CHECK(ARM64_PCI_MMIO_BASE >= ARM64_PLATFORM_END);
	CHECK(ARM64_PCI_ECAM_BASE + ARM64_PCI_ECAM_SIZE <= ARM64_RAM_BASE);
	CHECK(ARM64_PCI_INTX_SPI + ARM64_PCI_INTX_LINES <= ARM64_PLATFORM_SPI);
	CHECK(ARM64_PCI_INTX_SPI > ARM64_UART_SPI);
}

/* --irqchip gicv3-its and --pmu: the ITS under the GIC as the PCI host's
 * msi-parent, and the PMU on PPI 7. */
static void test_its_pmu(bool on)
{
	const char *its = "/intc@8000000/msi-controller@8080000";
	int off;

	if (!on) {
		CHECK(fdt_path_offset(blob, its) < 0);
		CHECK(fdt_path_offset(blob, "/pmu") < 0);
		return;
	}
	CHECK(str_is(its, "compatible", "arm,gic-v3-its"));
	CHECK_EQ(prop_len(its, "msi-controller"), 0);
	CHECK_EQ(prop_len(its, "#msi-cells"), -1);
	CHECK_EQ(prop_len("/pcie@30000000", "msi-parent"), 4);
	CHECK_EQ(cell64(its, "reg", 0), 0x08080000);
	CHECK_EQ(cell64(its, "reg", 1), 0x20000);
	CHECK(0x08080000 + 0x20000 <= ARM64_GICR_BASE);
	CHECK(ARM64_GITS_BASE >= ARM64_GICD_BASE + ARM64_GICD_SIZE);
	off = fdt_node_offset_by_phandle(blob,
					 cell("/pcie@30000000", "msi-parent", 0));
	CHECK(off >= 0 && off == node(its));
	CHECK(str_is("/pmu", "compatible", "arm,armv8-pmuv3"));
	CHECK_EQ(prop_len("/pmu", "interrupts"), 12);
	CHECK_EQ(cell("/pmu", "interrupts", 0), 1); /* PPI */
	CHECK_EQ(cell("/pmu", "interrupts", 1), 7); /* INTID 23 */
	CHECK_EQ(cell("/pmu", "interrupts", 2), 4);
}

static void test_chosen(bool initrd)
{
	const char *out;

	CHECK(str_is("/chosen", "bootargs", "console=ttyS0 earlycon panic=-1"));
	CHECK(str_is("/chosen", "stdout-path", "/serial@9000000"));
	out = fdt_getprop(blob, node("/chosen"), "stdout-path", NULL);
	CHECK(out && fdt_path_offset(blob, out) >= 0);
	if (initrd) {
		CHECK_EQ(cell64("/chosen", "linux,initrd-start", 0),
			 0x48000000);
		CHECK_EQ(cell64("/chosen", "linux,initrd-end", 0), 0x48123000);
	} else {
		CHECK_EQ(prop_len("/chosen", "linux,initrd-start"), -1);
		CHECK_EQ(prop_len("/chosen", "linux,initrd-end"), -1);
	}
}

static void test_errors(const uint64_t *mpidr)
{
	struct arm64_fdt_cfg c = config(mpidr, 1);
	uint8_t small[256];

	CHECK_EQ(arm64_fdt_build(&c, small, sizeof(small), err, sizeof(err)),
		 -ENOSPC);
	CHECK(strstr(err, "does not fit in 256 bytes") != NULL);
	c.nr_cpus = 0;
	CHECK_EQ(arm64_fdt_build(&c, blob, sizeof(blob), err, sizeof(err)),
		 -EINVAL);
	c = config(mpidr, 1);
	c.initrd_start = 0x40000000 + (256ULL << 20) - 0x1000;
	CHECK_EQ(arm64_fdt_build(&c, blob, sizeof(blob), err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "initrd") != NULL);
	c = config(mpidr, 1);
	c.ram_size = 0;
	CHECK_EQ(arm64_fdt_build(&c, blob, sizeof(blob), err, sizeof(err)),
		 -EINVAL);
}

static void test_dump(void)
{
	char path[] = "/tmp/test_arm64_fdt.XXXXXX";
	int fd = mkstemp(path);
	uint8_t back[ARM64_FDT_MAX_SIZE];
	ssize_t n = -1;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(fdtb_write_file(blob, path, err, sizeof(err)), 0);
	n = read(fd, back, sizeof(back));
	close(fd);
	unlink(path);
	CHECK_EQ(n, fdt_totalsize(blob));
	CHECK(n > 0 && memcmp(back, blob, (size_t)n) == 0);
	CHECK_EQ(
	    fdtb_write_file(blob, "/nonexistent/dir/x.dtb", err, sizeof(err)),
	    -ENOENT);
	CHECK(strstr(err, "/nonexistent/dir/x.dtb") != NULL);
}

int main(void)
{
	uint64_t mpidr[20];
	struct arm64_fdt_cfg c;

	check_fdt = blob;
	for (unsigned int i = 0; i < 20; i++)
		mpidr[i] = arm64_kvm_default_mpidr(i);
	c = config(mpidr, 20);
	CHECK_EQ(arm64_fdt_build(&c, blob, sizeof(blob), err, sizeof(err)), 0);
	test_root_memory();
	test_cpus(mpidr, 20);
	test_irqs();
	test_chosen(true);
	test_pci(false);
	test_dump();
	c.pci = true;
	CHECK_EQ(arm64_fdt_build(&c, blob, sizeof(blob), err, sizeof(err)), 0);
	test_pci(true);
	test_irqs();
	test_its_pmu(false);
	c.its = c.pmu = true;
	CHECK_EQ(arm64_fdt_build(&c, blob, sizeof(blob), err, sizeof(err)), 0);
	test_its_pmu(true);
	test_pci(true);
	test_irqs();
	c.initrd_size = 0;
	c.nr_cpus = 1;
	CHECK_EQ(arm64_fdt_build(&c, blob, sizeof(blob), err, sizeof(err)), 0);
	test_chosen(false);
	test_errors(mpidr);
	return unit_done("arm64_fdt");
}
