/* acpi.h: where the guest's ACPI tables go, the ports they name, and the writer. */
#ifndef MINIVMM_X86_ACPI_H
#define MINIVMM_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include "mem.h"

/*
 * The tables live in the reserved BIOS area, where Linux also scans for the
 * RSDP ("RSD PTR " on a 16-byte boundary in [0xe0000, 0x100000)). We use
 * the first 64 KiB of it and leave [0xf0000, 0x100000) to others.
 */
#define X86_ACPI_ADDR 0xe0000ULL
#define X86_ACPI_SIZE 0x10000ULL

/* Hardware-reduced ACPI: the only fixed hardware is these 8-bit ports. */
#define X86_ACPI_SLEEP_CTL_PORT 0x600
#define X86_ACPI_SLEEP_STS_PORT 0x601
#define X86_ACPI_RESET_PORT	0x602
#define X86_ACPI_RESET_VALUE	0x01
/* SLP_TYP the DSDT's \_S5_ package hands to the guest for power-off. */
#define X86_ACPI_S5_SLP_TYP 5

/*
 * The guest-physical map the DSDT's \_SB.PCI0 _CRS describes (x86.h has the
 * numbers; RAM size is at most 1 TiB):
 *
 *   [0, 0xa0000)                   RAM; MP table and EBDA at its top
 *   [0xa0000, 0x100000)            VGA hole and BIOS area; ACPI at 0xe0000
 *   [1 MiB, min(RAM, 3 GiB))       RAM
 *   [3 GiB, 0xe0000000)            PCI 32-bit memory window (DWordMemory)
 *   [0xe0000000, 0xfec00000)       platform devices, 4 KiB each (not PCI0's:
 *                                  virtio-mmio devices VRnn claim theirs)
 *   0xfec00000                     IOAPIC (GSIs 0-23)
 *   0xfee00000                     local APICs
 *   [0xfeffc000, 0xff000000)       KVM identity-map and TSS pages (e820
 *                                  reserved)
 *   [4 GiB, RAM + 1 GiB)           RAM above the hole: ends by 1 TiB + 1 GiB
 *   [1 TiB + 4 GiB, + 64 GiB)      PCI 64-bit memory window (QWordMemory)
 *
 * PCI0 decodes bus 0 only. Of the 64 KiB I/O space it consumes 0xcf8-0xcff
 * (configuration mechanism #1) and forwards 0x0000-0x0cf7 and 0x0d00-0xffff,
 * legacy ports included. Its _PRT routes INTx of slots 1-31 straight to
 * IOAPIC pins by x86_pci_intx_gsi() (level-triggered, active-low: KVM's
 * IOAPIC ignores the polarity bit, so the VMM asserts a line with level 1).
 */

/* xAPIC ids 0..nr_cpus-1 for the CPUs, nr_cpus for the IOAPIC, 255 is
 * broadcast. */
#define X86_ACPI_MAX_CPUS 254

struct platform_dev;

/*
 * Writes RSDP, XSDT, FADT, MADT and DSDT at X86_ACPI_ADDR and returns the
 * RSDP's guest-physical address in *rsdp_out. 'platform' (may be NULL) is
 * the VM's list of platform devices: each virtio-mmio entry becomes a DSDT
 * device VRnn (_HID "LNRO0005", its 4 KiB and its level-triggered GSI).
 * Returns 0, -EINVAL (bad CPU count), -ENOSPC (tables do not fit), -ENOMEM
 * or -EFAULT (area not RAM).
 */
int x86_write_acpi(const struct guest_mem *mem, unsigned int nr_cpus,
		   const struct platform_dev *platform, uint64_t *rsdp_out);

/*
 * Encodes an AML PkgLength for 'content' bytes that follow it (the encoded
 * length counts its own bytes too). Returns how many bytes went to out
 * (1 to 4), or 0 when the package is too large for AML.
 */
size_t acpi_aml_pkglen(size_t content, uint8_t out[4]);

#endif
