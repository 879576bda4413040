/* boot.c: lays out the arm64 boot in guest RAM (kernel, initrd, device tree) and fills the device tree's inputs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64.h"
#include "boot.h"
#include "kimage.h"
#include "util.h"

#define ARM64_BOOT_PAGE 0x1000ULL

int arm64_boot_place(struct arm64_boot *b, uint64_t ram_base, uint64_t ram_size,
		     uint64_t initrd_size, char *err, size_t errlen)
{
	uint64_t top = ram_base + ram_size;
	int ret;

	b->ram_base = ram_base;
	b->ram_size = ram_size;
	/* The lowest 2 MiB-aligned base is also where a kernel without
	 * PHYS_BASE wants it (memory below the base is lost to its linear
	 * map). */
	ret = kimage_place(ram_base, ram_size, ARM64_IMAGE_BASE_ALIGN,
			   b->img.text_offset, b->img.image_size, &b->img.load,
			   err, errlen);
	if (ret)
		return ret;
	b->img.end = b->img.load + b->img.image_size;
	b->initrd_size = initrd_size;
	b->initrd_start = top;
	if (initrd_size) {
		if (initrd_size > top - b->img.end) {
			snprintf(err, errlen,
				 "the initrd (%llu bytes) does not fit in RAM "
				 "above the kernel (which ends at 0x%llx)",
				 (unsigned long long)initrd_size,
				 (unsigned long long)b->img.end);
			return -ENOSPC;
		}
		b->initrd_start =
		    ALIGN_DOWN(top - initrd_size, ARM64_BOOT_PAGE);
	}
	if (b->initrd_start < b->img.end ||
	    b->initrd_start - b->img.end <
		ARM64_FDT_MAX_SIZE + ARM64_BOOT_PAGE) {
		snprintf(err, errlen,
			 "no room for the device tree between the kernel "
			 "(ends at 0x%llx) and %s (0x%llx)",
			 (unsigned long long)b->img.end,
			 initrd_size ? "the initrd" : "the end of RAM",
			 (unsigned long long)b->initrd_start);
		return -ENOSPC;
	}
	b->fdt_addr =
	    ALIGN_DOWN(b->initrd_start - ARM64_FDT_MAX_SIZE, ARM64_BOOT_PAGE);
	return 0;
}

void arm64_boot_fdt_cfg(const struct arm64_boot *b, unsigned int nr_cpus,
			const uint64_t *mpidr, const char *bootargs,
			struct arm64_fdt_cfg *cfg)
{
	*cfg = (struct arm64_fdt_cfg){
	    .ram_base = b->ram_base,
	    .ram_size = b->ram_size,
	    .nr_cpus = nr_cpus,
	    .mpidr = mpidr,
	    .gicd_base = ARM64_GICD_BASE,
	    .gicd_size = ARM64_GICD_SIZE,
	    .gicr_base = ARM64_GICR_BASE,
	    .gicr_size = (uint64_t)nr_cpus * ARM64_GICR_STRIDE,
	    .uart_base = ARM64_UART_BASE,
	    .uart_size = ARM64_UART_SIZE,
	    .uart_spi = ARM64_UART_SPI,
	    .uart_clock = ARM64_UART_CLOCK,
	    .bootargs = bootargs,
	    .initrd_start = b->initrd_size ? b->initrd_start : 0,
	    .initrd_size = b->initrd_size,
	};
}

char *arm64_cmdline(const char *user)
{
	size_t len = strlen(ARM64_DEFAULT_CMDLINE) + 1 + strlen(user) + 1;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "%s%s%s", ARM64_DEFAULT_CMDLINE,
			 *user ? " " : "", user);
	return s;
}
