/* irq_routes.c: the x86 machine's interrupt wiring: KVM's default irqchip GSI routes and the PCI INTx GSIs. */
#include <errno.h>

#include "arch.h"
#include "irq.h"
#include "kvm_x86.h"
#include "x86.h"

#define X86_PIC_PINS 8 /* per 8259 */
#define X86_ISA_IRQS 16

/* As KVM's own default table: GSI n goes to IOAPIC pin n (n < 24) and, for
 * n < 16, also to pin n % 8 of the master (n < 8) or slave 8259. */
int arch_irq_default_routes(struct vm *vm, struct irq_route *out,
			    unsigned int max)
{
	unsigned int n = 0, gsi;

	if (max < KVMX_IOAPIC_NUM_PINS + X86_ISA_IRQS)
		return -ENOSPC;
	for (gsi = 0; gsi < KVMX_IOAPIC_NUM_PINS; gsi++) {
		if (gsi < X86_ISA_IRQS)
			out[n++] = (struct irq_route){
				.gsi = gsi,
				.type = IRQ_ROUTE_IRQCHIP,
				.irqchip = { gsi < X86_PIC_PINS ?
						     KVMX_IRQCHIP_PIC_MASTER :
						     KVMX_IRQCHIP_PIC_SLAVE,
					     gsi % X86_PIC_PINS },
			};
		out[n++] = (struct irq_route){
			.gsi = gsi,
			.type = IRQ_ROUTE_IRQCHIP,
			.irqchip = { KVMX_IRQCHIP_IOAPIC, gsi },
		};
	}
	return (int)n;
}

uint32_t arch_pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return x86_pci_intx_gsi(slot, pin);
}
