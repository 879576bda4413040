/* x86.h: the x86-64 backend's internal interface: guest memory map, boot state, loaders. */
#ifndef MINIVMM_X86_H
#define MINIVMM_X86_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "mem.h"
#include "vm.h"

/* Guest-physical memory map (low 1 MiB follows the PC, as Firecracker does). */
#define X86_GDT_ADDR	     0x500ULL
#define X86_IDT_ADDR	     0x520ULL
#define X86_PVH_INFO_ADDR    0x6000ULL	/* hvm_start_info + memmap */
#define X86_ZERO_PAGE_ADDR   0x7000ULL	/* boot_params */
#define X86_PML4_ADDR	     0x9000ULL
#define X86_PDPT_ADDR	     0xa000ULL
#define X86_PD_ADDR	     0xb000ULL	/* 4 pages: identity map of 4 GiB */
#define X86_CMDLINE_ADDR     0x20000ULL
#define X86_CMDLINE_MAX	     0x10000ULL /* 64 KiB */
#define X86_REAL_LOAD_SEG    0x1000	/* flat binaries: 0x1000:0 */
#define X86_REAL_LOAD_ADDR   0x10000ULL
#define X86_REAL_SP	     0x8000
#define X86_MPTABLE_ADDR     0x9fc00ULL /* last KiB of base memory */
#define X86_EBDA_START	     0x9fc00ULL
#define X86_BIOS_START	     0xa0000ULL /* VGA hole and BIOS up to 1 MiB */
#define X86_HIGH_START	     0x100000ULL
#define X86_KERNEL_ADDR	     0x100000ULL
#define X86_MMIO_HOLE	     0xc0000000ULL /* 32-bit MMIO window [3 GiB, 4 GiB) */
#define X86_MMIO_HOLE_END    0x100000000ULL
#define X86_IOAPIC_ADDR	     0xfec00000ULL
#define X86_LAPIC_ADDR	     0xfee00000ULL
#define X86_IDENTITY_MAP     0xfeffc000ULL /* KVM_SET_IDENTITY_MAP_ADDR, 1 page */
#define X86_TSS_ADDR	     0xfeffd000ULL /* KVM_SET_TSS_ADDR, 3 pages */

/* PCI memory windows of the DSDT's root bridge (map in acpi.h). The 32-bit
 * one is the first 512 MiB of the hole; the 64-bit one starts above the
 * highest RAM the 1 TiB limit allows (4 GiB + 1 TiB - 3 GiB). */
#define X86_PCI_MMIO32_BASE  X86_MMIO_HOLE
#define X86_PCI_MMIO32_SIZE  0x20000000ULL /* to 0xdfffffff */
#define X86_PCI_MMIO64_BASE  0x10100000000ULL /* 1 TiB + 4 GiB */
#define X86_PCI_MMIO64_SIZE  0x1000000000ULL  /* 64 GiB */

/* Platform (MMIO) devices such as virtio-mmio: 4 KiB each from the rest of
 * the hole up to the IOAPIC, outside PCI0's windows (arch/x86/platform.c). */
#define X86_PLATFORM_MMIO_BASE (X86_PCI_MMIO32_BASE + X86_PCI_MMIO32_SIZE)
#define X86_PLATFORM_MMIO_END  X86_IOAPIC_ADDR /* exclusive */
#define X86_PLATFORM_SLOT      0x1000ULL
/* PCI INTx goes to IOAPIC pins 16-23 (KVM's IOAPIC has 24), level-triggered,
 * by x86_pci_intx_gsi(); the DSDT's _PRT states the same rule. */
#define X86_PCI_INTX_GSI_BASE 16
#define X86_PCI_INTX_GSIS     8

/* How the boot vCPU starts; filled by a loader, applied by x86_boot_regs(). */
enum x86_boot_mode {
	X86_BOOT_LINUX64, /* 64-bit boot protocol: long mode, rsi = boot_params */
	X86_BOOT_PVH,	  /* 32-bit protected mode, ebx = hvm_start_info */
	X86_BOOT_REAL,	  /* real mode at cs:ip (flat binaries) */
};

struct x86_boot {
	enum x86_boot_mode mode;
	uint64_t entry;	   /* rip (LINUX64), eip (PVH), ip (REAL) */
	uint64_t info;	   /* boot_params or hvm_start_info address */
	uint16_t real_cs;  /* REAL: cs = ds = es = ss */
	uint16_t real_sp;
};

/* e820 entry as in boot_params (20 bytes, packed) and PVH memmap types. */
#define E820_RAM	1
#define E820_RESERVED	2
#define E820_MAX	128

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* Loader inputs. */
struct x86_load_args {
	const struct guest_mem *mem;
	const struct image *kernel;
	const struct image *initrd; /* data == NULL when none */
	const char *cmdline;	    /* may be "" */
	unsigned int nr_cpus;
};

/* Each loader validates the image, writes everything into guest RAM and
 * fills 'boot'. On bad input: -EINVAL (or -ENOSPC when something does not
 * fit) and a one-line reason in err, never a partial success. */
int x86_load_bzimage(const struct x86_load_args *a, struct x86_boot *boot,
		     char *err, size_t errlen);
int x86_load_elf(const struct x86_load_args *a, struct x86_boot *boot,
		 char *err, size_t errlen); /* PVH note, else 64-bit entry */
int x86_load_flat(const struct x86_load_args *a, struct x86_boot *boot,
		  char *err, size_t errlen);
/* Which loader a file needs: KFMT_BZIMAGE, KFMT_ELF, KFMT_FLAT, or -EINVAL
 * (with a reason) when it is none of them (empty, truncated, too large). */
int x86_probe_kernel(const struct image *kernel, char *err, size_t errlen);

/* The e820 map for this RAM layout (low RAM, MP table/EBDA/BIOS reserved,
 * RAM above 1 MiB and above 4 GiB; of the MMIO hole only KVM's identity-map
 * and TSS pages are reserved, the rest stays a gap for PCI). Returns the
 * count, -EINVAL (no RAM at 0 or under 1 MiB) or -ENOSPC. */
int x86_build_e820(const struct guest_mem *mem, struct e820_entry *tbl,
		   unsigned int max);
/* Writes an MP table (floating pointer + config table: CPUs, bus ISA,
 * IOAPIC, ISA interrupts 0-15) at X86_MPTABLE_ADDR. */
int x86_write_mptable(const struct guest_mem *mem, unsigned int nr_cpus);

/* Most vCPUs the MP table describes: APIC ids 0..253, the IOAPIC takes 254. */
#define X86_MAX_CPUS	254
/* Lowest address the MP table for nr_cpus uses: X86_MPTABLE_ADDR up to 40
 * CPUs, lower for more. The e820 map reserves the X86_MAX_CPUS area. */
uint64_t x86_mptable_base(unsigned int nr_cpus);

/* The GSI of INTx 'pin' (0 = INTA .. 3 = INTD, i.e. PCI_INTERRUPT_PIN - 1)
 * of a device in bus 0 'slot': 16 + (slot + pin) % 8. */
unsigned int x86_pci_intx_gsi(unsigned int slot, unsigned int pin);

/* Loader helpers (e820.c). The command line goes NUL-terminated to
 * X86_CMDLINE_ADDR; max_len excludes the NUL. */
int x86_write_cmdline(const struct guest_mem *mem, const char *cmdline,
		      uint64_t max_len, char *err, size_t errlen);
/* Copies a->initrd to the highest 4 KiB-aligned address in the RAM that is
 * contiguous from 'floor' (the kernel's end), ending at or below 'limit'.
 * *addr = 0 when there is no initrd; -ENOSPC when it does not fit. */
int x86_load_initrd(const struct x86_load_args *a, uint64_t floor,
		    uint64_t limit, uint64_t *addr, char *err, size_t errlen);

#endif
