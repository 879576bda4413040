/* fuzz_x86_kernel.c: libFuzzer target: the x86-64 kernel probe and the bzImage, ELF (PVH note or 64-bit entry) and flat loaders on fuzzer-made kernel files, with or without an initrd, into guest RAM bounded by guard pages. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "log.h"
#include "mem.h"
#include "vm.h"
#include "x86.h"

/*
 * Input: one option byte, then the kernel file. Options: bits 0-1 the
 * loader (0: the one the probe names, as `--kernel-format auto`; 1-3:
 * bzImage, ELF, flat forced, as `--kernel-format`), bit 2 an initrd (the
 * file's last quarter, also still part of the kernel), bits 3-4 the RAM
 * (1, 2, 16 or 64 MiB), bit 5 a command line longer than 64 KiB, bits 6-7
 * the vCPU count (1, 2, 40, 254; the MP table's place depends on it).
 * The seeds are the guest tests' kernels, one of each format.
 */
#define RAM_MAX	  (64u << 20)
#define PAGE	  4096u
#define CMDLINE_N 70000

static uint8_t *ram; /* RAM_MAX, a PROT_NONE page after it */
static char *long_cmdline;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_ERROR);
	ram = mmap(NULL, RAM_MAX + PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	long_cmdline = malloc(CMDLINE_N + 1);
	if (ram == MAP_FAILED || !long_cmdline)
		abort();
	memset(long_cmdline, 'x', CMDLINE_N);
	long_cmdline[CMDLINE_N] = 0;
	return 0;
}

/* The RAM ends at a guard page whatever its size: a write past it faults. */
static struct guest_mem ram_of(uint8_t opt)
{
	static const uint32_t mib[4] = {1, 2, 16, 64};
	uint64_t size = (uint64_t)mib[(opt >> 3) & 3] << 20;
	struct guest_mem mem = {.nr = 1, .total = size};

	if (mprotect(ram, RAM_MAX + PAGE, PROT_READ | PROT_WRITE) ||
	    mprotect(ram + size, RAM_MAX + PAGE - size, PROT_NONE))
		abort();
	mem.regions[0] = (struct mem_region){.gpa = 0, .size = size,
					     .hva = ram};
	return mem;
}

static int load(int fmt, const struct x86_load_args *a, struct x86_boot *b,
		char *err, size_t len)
{
	switch (fmt) {
	case KFMT_BZIMAGE:
		return x86_load_bzimage(a, b, err, len);
	case KFMT_ELF:
		return x86_load_elf(a, b, err, len);
	case KFMT_FLAT:
		return x86_load_flat(a, b, err, len);
	}
	abort(); /* the probe named no format and did not fail */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int cpus[4] = {1, 2, 40, 254};
	struct image kernel = {data + 1, size ? size - 1 : 0, "fuzz"};
	struct image initrd = {0};
	struct guest_mem mem;
	struct x86_boot boot;
	char err[256] = "";
	uint8_t opt;
	int fmt, ret;

	if (!size)
		return 0;
	opt = data[0];
	mem = ram_of(opt);
	if (opt & 4) {
		initrd.size = kernel.size / 4;
		initrd.data = kernel.data + kernel.size - initrd.size;
		initrd.path = "fuzz-initrd";
	}
	struct x86_load_args a = {&mem, &kernel, &initrd,
				  opt & 0x20 ? long_cmdline : "console=ttyS0",
				  cpus[opt >> 6]};

	fmt = opt & 3;
	if (!fmt) {
		fmt = x86_probe_kernel(&kernel, err, sizeof(err));
		if (fmt < 0) {
			if (!err[0])
				abort(); /* a refusal must say why */
			return 0;
		}
	}
	ret = load(fmt, &a, &boot, err, sizeof(err));
	if (ret && !err[0])
		abort();
	if (!ret && boot.mode != X86_BOOT_LINUX64 &&
	    boot.mode != X86_BOOT_PVH && boot.mode != X86_BOOT_REAL)
		abort();
	return 0;
}
