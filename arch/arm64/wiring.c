/* wiring.c: the arm64 machine's interrupt and device wiring: KVM's default SPI routes, the PCI window and INTx SPIs, platform-device slots. */
#include <errno.h>
#include <inttypes.h>

#include "arch.h"
#include "arm64.h"
#include "arm64_vm.h"
#include "irq.h"
#include "log.h"
#include "util.h"
#include "vm.h"

/* As KVM's own default table on arm64: GSI n is pin n of the vGIC, which
 * is SPI n (INTID n + 32), for every SPI the vGIC has. */
int arch_irq_default_routes(struct vm *vm, struct irq_route *out,
			    unsigned int max)
{
	if (max < ARM64_NR_SPIS)
		return -ENOSPC;
	for (unsigned int i = 0; i < ARM64_NR_SPIS; i++)
		out[i] = (struct irq_route){
		    .gsi = i,
		    .type = IRQ_ROUTE_IRQCHIP,
		    .irqchip = {0, i},
		};
	return (int)ARM64_NR_SPIS;
}

/* One 32-bit memory window; no 64-bit one (RAM may reach the end of the
 * 40-bit IPA space). */
int arch_pci_mmio_window(uint64_t *base32, uint64_t *size32, uint64_t *base64,
			 uint64_t *size64)
{
	*base32 = ARM64_PCI_MMIO_BASE;
	*size32 = ARM64_PCI_MMIO_SIZE;
	*base64 = *size64 = 0;
	return 0;
}

uint32_t arch_pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return arm64_pci_intx_spi(slot, pin);
}

/* Platform devices: 512-byte-aligned MMIO slots and one SPI each. */
int arch_platform_alloc(struct vm *vm, uint64_t size, uint64_t *base,
			uint32_t *gsi)
{
	struct arch_vm *a = vm->arch;
	uint64_t at = ALIGN_UP(a->platform_next, 0x200);

	if (!size || !range_fits(at, size, ARM64_PLATFORM_END) ||
	    a->platform_spi >= ARM64_NR_SPIS) {
		pr_err("no room for another platform device (0x%" PRIx64
		       " bytes)",
		       size);
		return -ENOSPC;
	}
	*base = at;
	*gsi = a->platform_spi++;
	a->platform_next = at + size;
	return 0;
}
