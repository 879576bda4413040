/* fdt_pci.c: writes the device-tree node of a generic ECAM PCI host bridge: reg, bus-range, ranges, the INTx interrupt map, msi-parent. */
#include <stdio.h>
#include <stdlib.h>

#include "fdt_builder.h"
#include "fdt_pci.h"
#include "util.h"

/* PCI bus binding: phys.hi = npt000ss bbbbbbbb dddddfff rrrrrrrr. */
#define PHYS_HI_PREFETCHABLE (1U << 30)
#define PHYS_HI_SPACE_SHIFT  24
#define PHYS_HI_DEVFN_SHIFT  8
#define CELLS_PER_RANGE	     7 /* phys.hi, phys.mid, phys.lo, cpu (2), size (2) */
#define INTX_PINS	     4
#define INTX_PIN_MASK	     7
#define MAX_MAP_SLOTS	     32

static bool power_of_two(unsigned int v)
{
	return v && !(v & (v - 1));
}

static void put64(uint32_t *cells, uint64_t v)
{
	cells[0] = (uint32_t)(v >> 32);
	cells[1] = (uint32_t)v;
}

static void add_ranges(struct fdtb *b, const struct fdt_pci_host *h)
{
	uint32_t *cells = calloc(h->nr_windows, CELLS_PER_RANGE * 4);

	if (!cells) {
		fdtb_bad_value(b);
		return;
	}
	for (unsigned int i = 0; i < h->nr_windows; i++) {
		const struct fdt_pci_window *w = &h->windows[i];
		uint32_t *c = &cells[i * CELLS_PER_RANGE];

		c[0] = (uint32_t)w->space << PHYS_HI_SPACE_SHIFT |
		       (w->prefetchable ? PHYS_HI_PREFETCHABLE : 0);
		put64(&c[1], w->pci_addr);
		put64(&c[3], w->cpu_addr);
		put64(&c[5], w->size);
	}
	fdtb_prop_cells(b, "ranges", cells,
			(size_t)h->nr_windows * CELLS_PER_RANGE);
	free(cells);
}

/* One entry per (slot, pin): child unit address (3 cells, only the device
 * number), child pin, parent phandle, parent unit address (zeros), the
 * parent's specifier. */
static void add_interrupt_map(struct fdtb *b, const struct fdt_pci_intx *x)
{
	size_t entry = 3 + 1 + 1 + x->addr_cells + x->irq_cells;
	size_t n = (size_t)x->map_slots * INTX_PINS * entry;
	uint32_t mask[4] = {(x->map_slots - 1) << 11, 0, 0, INTX_PIN_MASK};
	uint32_t *cells = calloc(n, sizeof(*cells)), *c = cells;

	if (!cells) {
		fdtb_bad_value(b);
		return;
	}
	for (unsigned int slot = 0; slot < x->map_slots; slot++) {
		for (unsigned int pin = 1; pin <= INTX_PINS; pin++) {
			c[0] = slot << (PHYS_HI_DEVFN_SHIFT + 3);
			c[3] = pin;
			c[4] = x->phandle;
			/* c[5 .. 5 + addr_cells): parent address 0 */
			x->intx(x->ctx, slot, pin, &c[5 + x->addr_cells]);
			c += entry;
		}
	}
	fdtb_prop_cells(b, "interrupt-map-mask", mask, ARRAY_SIZE(mask));
	fdtb_prop_cells(b, "interrupt-map", cells, n);
	free(cells);
}

static bool host_ok(const struct fdt_pci_host *h)
{
	const struct fdt_pci_intx *x = &h->intx;

	return h->nr_windows && h->windows && h->bus_first <= h->bus_last &&
	       h->bus_last <= 0xff &&
	       h->ecam_size >= (uint64_t)(h->bus_last - h->bus_first + 1)
				   << 20 &&
	       power_of_two(x->map_slots) && x->map_slots <= MAX_MAP_SLOTS &&
	       x->irq_cells && x->irq_cells <= FDT_PCI_MAX_IRQ_CELLS &&
	       x->addr_cells <= 2 && x->phandle && x->intx;
}

void fdt_pci_host_node(struct fdtb *b, const struct fdt_pci_host *h)
{
	uint64_t reg[2] = {h->ecam_base, h->ecam_size};
	uint32_t bus_range[2] = {h->bus_first, h->bus_last};
	char name[40];

	snprintf(name, sizeof(name), "pcie@%llx",
		 (unsigned long long)h->ecam_base);
	fdtb_begin(b, name);
	if (!host_ok(h)) {
		fdtb_bad_value(b);
		return;
	}
	fdtb_prop_str(b, "compatible", "pci-host-ecam-generic");
	fdtb_prop_str(b, "device_type", "pci");
	fdtb_prop_u32(b, "#address-cells", 3);
	fdtb_prop_u32(b, "#size-cells", 2);
	fdtb_prop_u32(b, "#interrupt-cells", 1);
	fdtb_prop_cells64(b, "reg", reg, ARRAY_SIZE(reg));
	fdtb_prop_cells(b, "bus-range", bus_range, ARRAY_SIZE(bus_range));
	fdtb_prop_u32(b, "linux,pci-domain", 0);
	add_ranges(b, h);
	add_interrupt_map(b, &h->intx);
	if (h->msi_parent)
		fdtb_prop_u32(b, "msi-parent", h->msi_parent);
	fdtb_prop_empty(b, "dma-coherent");
	fdtb_end(b, "/");
}
