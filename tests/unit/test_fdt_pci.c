/* test_fdt_pci.c: the shared PCI host bridge node (vmm/fdt_pci.c) read back with libfdt: reg, bus-range, ranges, interrupt map from the arch's callback, msi-parent, bad descriptions. */
#include <errno.h>
#include <string.h>

#include <libfdt.h>

#include "fdt_builder.h"
#include "fdt_check.h"
#include "fdt_pci.h"
#include "unit.h"
#include "util.h"

#define PCI "/pcie@4000000000"

static char err[256];
static uint8_t blob[8192];

/* A riscv-like parent: one specifier cell, no address cells; the source is
 * 10 + (slot + pin) % 4 plus what ctx says. */
static void intx_one_cell(const void *ctx, unsigned int slot, unsigned int pin,
			  uint32_t *spec)
{
	spec[0] = *(const uint32_t *)ctx + 10 + (slot + pin - 1) % 4;
}

static const struct fdt_pci_window windows[] = {
    {FDT_PCI_SPACE_IO, false, 0, 0x3eff0000, 0x10000},
    {FDT_PCI_SPACE_MEM32, false, 0x40000000, 0x40000000, 0x40000000},
    {FDT_PCI_SPACE_MEM64, true, 0x8000000000ULL, 0x8000000000ULL,
     0x8000000000ULL},
};
static const uint32_t offset = 100;

static struct fdt_pci_host host(void)
{
	return (struct fdt_pci_host){
	    .ecam_base = 0x4000000000ULL,
	    .ecam_size = 16ULL << 20,
	    .bus_first = 0,
	    .bus_last = 15,
	    .windows = windows,
	    .nr_windows = 3,
	    .intx = {.phandle = 7,
		     .addr_cells = 0,
		     .irq_cells = 1,
		     .map_slots = 2,
		     .intx = intx_one_cell,
		     .ctx = &offset},
	    .msi_parent = 9,
	};
}

static int build(const struct fdt_pci_host *h)
{
	struct fdtb b;

	fdtb_start_virt(&b, blob, sizeof(blob));
	fdt_pci_host_node(&b, h);
	return fdtb_finish(&b, err, sizeof(err));
}

static void test_node(void)
{
	const struct fdt_pci_host h = host();
	const uint32_t want_ranges[] = {
	    0x01000000, 0, 0,	       0, 0x3eff0000, 0,    0x10000,
	    0x02000000, 0, 0x40000000, 0, 0x40000000, 0,    0x40000000,
	    0x43000000, 0x80, 0,       0x80, 0,	      0x80, 0,
	};
	int len;

	CHECK_EQ(build(&h), 0);
	CHECK(str_is(PCI, "compatible", "pci-host-ecam-generic"));
	CHECK(str_is(PCI, "device_type", "pci"));
	CHECK_EQ(cell(PCI, "#address-cells", 0), 3);
	CHECK_EQ(cell(PCI, "#size-cells", 0), 2);
	CHECK_EQ(cell(PCI, "#interrupt-cells", 0), 1);
	CHECK_EQ(cell64(PCI, "reg", 0), 0x4000000000ULL);
	CHECK_EQ(cell64(PCI, "reg", 1), 16ULL << 20);
	CHECK_EQ(prop_len(PCI, "bus-range"), 8);
	CHECK_EQ(cell(PCI, "bus-range", 0), 0);
	CHECK_EQ(cell(PCI, "bus-range", 1), 15);
	CHECK_EQ(cell(PCI, "linux,pci-domain", 0), 0);
	CHECK_EQ(prop_len(PCI, "ranges"), (int)sizeof(want_ranges));
	for (unsigned int i = 0; i < ARRAY_SIZE(want_ranges); i++)
		CHECK_EQ(cell(PCI, "ranges", (int)i), want_ranges[i]);
	CHECK_EQ(prop_len(PCI, "interrupt-map-mask"), 16);
	CHECK_EQ(cell(PCI, "interrupt-map-mask", 0), 0x0800);
	CHECK_EQ(cell(PCI, "interrupt-map-mask", 3), 7);
	/* 2 slots x 4 pins, each 3 + 1 + 1 + 0 + 1 cells. */
	len = prop_len(PCI, "interrupt-map");
	CHECK_EQ(len, 2 * 4 * 6 * 4);
	for (unsigned int slot = 0; slot < 2; slot++)
		for (unsigned int pin = 1; pin <= 4; pin++) {
			int e = (int)(slot * 4 + pin - 1) * 6;

			CHECK_EQ(cell(PCI, "interrupt-map", e), slot << 11);
			CHECK_EQ(cell(PCI, "interrupt-map", e + 1), 0);
			CHECK_EQ(cell(PCI, "interrupt-map", e + 2), 0);
			CHECK_EQ(cell(PCI, "interrupt-map", e + 3), pin);
			CHECK_EQ(cell(PCI, "interrupt-map", e + 4), 7);
			CHECK_EQ(cell(PCI, "interrupt-map", e + 5),
				 110 + (slot + pin - 1) % 4);
		}
	CHECK_EQ(cell(PCI, "msi-parent", 0), 9);
	CHECK_EQ(prop_len(PCI, "dma-coherent"), 0);
}

static void test_no_msi(void)
{
	struct fdt_pci_host h = host();

	h.msi_parent = 0;
	CHECK_EQ(build(&h), 0);
	CHECK_EQ(prop_len(PCI, "msi-parent"), -1);
}

static void test_bad(void)
{
	struct fdt_pci_host h = host();

	h.intx.map_slots = 3; /* not a power of two */
	CHECK_EQ(build(&h), -EINVAL);
	CHECK(strstr(err, "pcie@4000000000") != NULL);
	h = host();
	h.intx.map_slots = 64;
	CHECK_EQ(build(&h), -EINVAL);
	h = host();
	h.nr_windows = 0;
	CHECK_EQ(build(&h), -EINVAL);
	h = host();
	h.ecam_size = 15ULL << 20; /* 16 buses need 16 MiB */
	CHECK_EQ(build(&h), -EINVAL);
	h = host();
	h.intx.irq_cells = FDT_PCI_MAX_IRQ_CELLS + 1;
	CHECK_EQ(build(&h), -EINVAL);
	h = host();
	h.intx.intx = NULL;
	CHECK_EQ(build(&h), -EINVAL);
	h = host();
	{
		struct fdtb b;
		uint8_t small[300];

		fdtb_start_virt(&b, small, sizeof(small));
		fdt_pci_host_node(&b, &h);
		CHECK_EQ(fdtb_finish(&b, err, sizeof(err)), -ENOSPC);
	}
}

int main(void)
{
	check_fdt = blob;
	test_node();
	test_no_msi();
	test_bad();
	return unit_done("fdt_pci");
}
