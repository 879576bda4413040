/* pci_window.c: the x86 machine's PCI memory windows, as the DSDT's root bridge describes them. */
#include "arch.h"
#include "x86.h"

int arch_pci_mmio_window(uint64_t *base32, uint64_t *size32, uint64_t *base64,
			 uint64_t *size64)
{
	*base32 = X86_PCI_MMIO32_BASE;
	*size32 = X86_PCI_MMIO32_SIZE;
	*base64 = X86_PCI_MMIO64_BASE;
	*size64 = X86_PCI_MMIO64_SIZE;
	return 0;
}
