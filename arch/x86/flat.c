/* flat.c: loads a flat real-mode binary at 0x1000:0, as kvmtool does. */
#include <errno.h>
#include <stdio.h>

#include "util.h"
#include "x86.h"

/*
 * The binary may use base memory from X86_REAL_LOAD_ADDR up to the EBDA,
 * or up to the MP table when a big vCPU count pushes it below the EBDA.
 * The command line is still written at X86_CMDLINE_ADDR, but only when the
 * binary ends below it (64 KiB): it must never overwrite the program.
 * Note that the real-mode stack (ss:sp = 0x1000:0x8000) lies inside any
 * binary bigger than 32 KiB; such a program must set up its own stack.
 */
static uint64_t flat_limit(unsigned int nr_cpus)
{
	return MIN(X86_EBDA_START, x86_mptable_base(nr_cpus)) -
	       X86_REAL_LOAD_ADDR;
}

int x86_load_flat(const struct x86_load_args *a, struct x86_boot *boot,
		  char *err, size_t errlen)
{
	const struct image *k = a->kernel;
	uint64_t max = flat_limit(a->nr_cpus);
	int rc;

	if (!k->size || k->size > max) {
		snprintf(err, errlen,
			 "flat binary of %llu bytes does not fit in real-mode "
			 "memory (max %llu)",
			 (unsigned long long)k->size, (unsigned long long)max);
		return -EINVAL;
	}
	if (guest_mem_write(a->mem, X86_REAL_LOAD_ADDR, k->data, k->size)) {
		snprintf(err, errlen, "flat binary: RAM below 1 MiB is missing");
		return -EFAULT;
	}
	if (X86_REAL_LOAD_ADDR + k->size <= X86_CMDLINE_ADDR) {
		rc = x86_write_cmdline(a->mem, a->cmdline, X86_CMDLINE_MAX,
				       err, errlen);
		if (rc)
			return rc;
	}
	boot->mode = X86_BOOT_REAL;
	boot->entry = 0;
	boot->info = 0;
	boot->real_cs = X86_REAL_LOAD_SEG;
	boot->real_sp = X86_REAL_SP;
	return 0;
}
