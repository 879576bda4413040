/* wiring.c: the riscv machine's interrupt and device wiring: KVM's default AIA routes, the PCI window and INTx sources, platform-device slots. */
#include <errno.h>
#include <inttypes.h>

#include "arch.h"
#include "irq.h"
#include "log.h"
#include "riscv.h"
#include "riscv_vm.h"
#include "util.h"
#include "vm.h"

/* As KVM's own default table with the in-kernel AIA: GSI n is APLIC
 * source n. The userspace PLIC has no KVM routes at all. */
int arch_irq_default_routes(struct vm *vm, struct irq_route *out,
			    unsigned int max)
{
	if (vm->arch->irqchip != RISCV_IRQCHIP_AIA)
		return 0;
	if (max < RISCV_NR_SOURCES + 1)
		return -ENOSPC;
	for (unsigned int i = 0; i <= RISCV_NR_SOURCES; i++)
		out[i] = (struct irq_route){
		    .gsi = i,
		    .type = IRQ_ROUTE_IRQCHIP,
		    .irqchip = {0, i},
		};
	return (int)RISCV_NR_SOURCES + 1;
}

/* One 32-bit memory window, between the ECAM and RAM; no 64-bit one. */
int arch_pci_mmio_window(uint64_t *base32, uint64_t *size32, uint64_t *base64,
			 uint64_t *size64)
{
	*base32 = RISCV_PCI_MMIO_BASE;
	*size32 = RISCV_PCI_MMIO_SIZE;
	*base64 = *size64 = 0;
	return 0;
}

/* A wired source: the PLIC's input, or GSI n = APLIC source n (AIA). */
uint32_t arch_pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return riscv_pci_intx_irq(slot, pin);
}

/* Platform devices: 512-byte-aligned MMIO slots and one wired source each,
 * below the PCI INTx sources. */
int arch_platform_alloc(struct vm *vm, uint64_t size, uint64_t *base,
			uint32_t *gsi)
{
	struct arch_vm *a = vm->arch;
	uint64_t at = ALIGN_UP(a->platform_next, 0x200);

	if (!size || !range_fits(at, size, RISCV_MMIO_END) ||
	    a->platform_irq > RISCV_PLATFORM_IRQ_LAST) {
		pr_err("no room for another platform device (0x%" PRIx64
		       " bytes)",
		       size);
		return -ENOSPC;
	}
	*base = at;
	*gsi = a->platform_irq++;
	a->platform_next = at + size;
	return 0;
}
