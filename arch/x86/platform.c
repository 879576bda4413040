/* platform.c: where x86 puts platform (MMIO) devices: address window and IOAPIC pins. */
#include <errno.h>

#include "arch.h"
#include "platform.h"
#include "util.h"
#include "vm.h"
#include "x86.h"

/*
 * Interrupt lines for platform devices: IOAPIC pins no other device uses.
 * Taken: 0 (PIT), 1 and 12 (i8042), 2 (cascade), 3 (COM2 by convention),
 * 4 (COM1), 8 (RTC), 13 (FPU error), and 16-23 (PCI INTx, x86.h). Only
 * pins below 16 are used so that a guest booted with acpi=off, which maps
 * interrupts through the MP table's ISA entries 0-15, can reach them too.
 * With ACPI on, Linux (hardware-reduced: no legacy PIC) maps these only
 * because the DSDT's _CRS names them; acpi.c does.
 */
static const uint8_t x86_platform_gsis[] = { 5, 6, 7, 9, 10, 11, 14, 15 };

_Static_assert(X86_PLATFORM_MMIO_BASE >= X86_PCI_MMIO32_BASE +
					   X86_PCI_MMIO32_SIZE,
	       "platform window overlaps the 32-bit PCI window");
_Static_assert(X86_PLATFORM_MMIO_END <= X86_IOAPIC_ADDR,
	       "platform window overlaps the IOAPIC");

/* Device n gets slot n and pin n: the list is never shortened while the VM
 * lives, so its length is the allocation state (nothing else to keep). */
int arch_platform_alloc(struct vm *vm, uint64_t size, uint64_t *base,
			uint32_t *gsi)
{
	unsigned int n = platform_dev_count(vm);
	uint64_t at = X86_PLATFORM_MMIO_BASE + n * X86_PLATFORM_SLOT;

	if (!size || size > X86_PLATFORM_SLOT)
		return -EINVAL;
	if (n >= ARRAY_SIZE(x86_platform_gsis) ||
	    !range_fits(at, X86_PLATFORM_SLOT, X86_PLATFORM_MMIO_END))
		return -ENOSPC;
	*base = at;
	*gsi = x86_platform_gsis[n];
	return 0;
}
