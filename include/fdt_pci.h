/* fdt_pci.h: the device-tree node of a generic ECAM PCI host bridge (pci-host-ecam-generic), shared by the device-tree backends. */
#ifndef MINIVMM_FDT_PCI_H
#define MINIVMM_FDT_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct fdtb;

/* A window's space, as the PCI bus binding's phys.hi ss bits. */
enum fdt_pci_space {
	FDT_PCI_SPACE_IO = 1,
	FDT_PCI_SPACE_MEM32 = 2,
	FDT_PCI_SPACE_MEM64 = 3,
};

/* One entry of "ranges": PCI address pci_addr decodes at CPU address
 * cpu_addr, for size bytes. */
struct fdt_pci_window {
	enum fdt_pci_space space;
	bool prefetchable;
	uint64_t pci_addr, cpu_addr, size;
};

/* At most this many cells in the parent's interrupt specifier. */
#define FDT_PCI_MAX_IRQ_CELLS 4

/*
 * The interrupt controller INTx lines go to, and the arch's routing: for
 * bus 0 'slot' and 'pin' (1 = INTA ... 4 = INTD, as the binding numbers
 * them) intx() fills the parent's interrupt specifier (irq_cells cells).
 * The routing may depend only on the low bits of the slot: map_slots
 * (a power of two, 1 to 32) is how many slots the map tells apart, so
 * slot s routes like slot s % map_slots.
 */
struct fdt_pci_intx {
	uint32_t phandle;
	unsigned int addr_cells; /* the controller's #address-cells */
	unsigned int irq_cells;	 /* its #interrupt-cells */
	unsigned int map_slots;
	void (*intx)(const void *ctx, unsigned int slot, unsigned int pin,
		     uint32_t *spec);
	const void *ctx;
};

struct fdt_pci_host {
	uint64_t ecam_base, ecam_size; /* 1 MiB per bus of the range */
	unsigned int bus_first, bus_last;
	const struct fdt_pci_window *windows;
	unsigned int nr_windows;
	struct fdt_pci_intx intx;
	uint32_t msi_parent; /* phandle of the MSI controller; 0: none */
};

/*
 * Writes pcie@<ecam_base> under the root node, which must have
 * #address-cells = #size-cells = 2 (both fdt_builder roots do):
 * compatible "pci-host-ecam-generic", device_type "pci", #address-cells 3,
 * #size-cells 2, #interrupt-cells 1, reg, bus-range, linux,pci-domain 0,
 * ranges, interrupt-map-mask <slot-bits 0 0 7>, interrupt-map (map_slots x
 * 4 pins), msi-parent when given, and dma-coherent. Errors land in 'b' (see
 * fdt_builder.h); a description that cannot be written (no windows, a bad
 * map_slots, too many specifier cells) is reported there as -FDT_ERR_BADVALUE.
 */
void fdt_pci_host_node(struct fdtb *b, const struct fdt_pci_host *h);

#endif
