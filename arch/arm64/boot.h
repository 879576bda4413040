/* boot.h: where the arm64 boot puts kernel, initrd and device tree in RAM, and what the device tree says. */
#ifndef MINIVMM_ARM64_BOOT_H
#define MINIVMM_ARM64_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "arm64_fdt.h"
#include "image.h"

/* The defaults every guest gets; the user's -p text follows them. */
#define ARM64_DEFAULT_CMDLINE "console=ttyS0 panic=-1"

struct arm64_boot {
	struct arm64_image img; /* the placed kernel: img.load is the entry */
	uint64_t ram_base, ram_size;
	uint64_t initrd_start, initrd_size; /* size 0: no initrd */
	uint64_t fdt_addr;		    /* ARM64_FDT_MAX_SIZE reserved */
};

/*
 * Places the parsed kernel at the lowest 2 MiB-aligned base + text_offset,
 * the initrd at the top of RAM (page-aligned) and the device tree in the
 * ARM64_FDT_MAX_SIZE bytes below it (page-aligned, so 8-byte aligned), all
 * above the kernel's image_size. -ENOSPC with a reason when they do not fit.
 */
int arm64_boot_place(struct arm64_boot *b, uint64_t ram_base, uint64_t ram_size,
		     uint64_t initrd_size, char *err, size_t errlen);

/* The device tree's inputs for this boot and these vCPUs (MPIDR_EL1 each). */
void arm64_boot_fdt_cfg(const struct arm64_boot *b, unsigned int nr_cpus,
			const uint64_t *mpidr, const char *bootargs,
			struct arm64_fdt_cfg *cfg);

/* ARM64_DEFAULT_CMDLINE, a space and 'user' (malloc'd; NULL: no memory). */
char *arm64_cmdline(const char *user);

#endif
