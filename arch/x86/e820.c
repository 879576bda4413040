/* e820.c: the guest's RAM map (e820) and where the command line and initrd go in that RAM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "x86.h"

/*
 * The map the guest sees, for the arch layout (bank 0 at 0 up to
 * min(RAM, 3 GiB), bank 1 at 4 GiB for the rest):
 *
 *   RAM       [0, low_end)          low_end: the 254-CPU MP table area,
 *                                    rounded down to a page (0x9e000)
 *   reserved  [low_end, 1 MiB)      MP table, EBDA, VGA hole, BIOS
 *   RAM       [1 MiB, end of bank 0)
 *   reserved  [0xfeffc000, 4 GiB - 16 MiB)  KVM's identity-map and TSS pages
 *   RAM       [4 GiB, ...)          bank 1
 *
 * The rest of the [3 GiB, 4 GiB) MMIO hole is deliberately left out of the
 * map, as Firecracker does: Linux takes the largest gap below 4 GiB as the
 * window for PCI BARs it assigns itself (e820__setup_pci_gap). Reserving the
 * whole hole would leave no gap at all once RAM reaches 3 GiB (Linux then
 * logs an error and puts that window above RAM), while BARs and devices we
 * place ourselves work either way: Linux does not mark reserved ranges above
 * 1 MiB busy, and it claims the IOAPIC/LAPIC ranges from the MP table.
 * KVM's private pages are listed so that nothing is ever put there.
 */
#define E820_KVM_PAGES_END 0xff000000ULL

struct ram_range {
	uint64_t gpa;
	uint64_t size;
};

/* The RAM regions in ascending address order (at most MEM_MAX_BANKS). */
static unsigned int sorted_ranges(const struct guest_mem *mem,
				  struct ram_range *r)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < mem->nr && i < MEM_MAX_BANKS; i++) {
		const struct mem_region *m = &mem->regions[i];
		unsigned int j = n;

		if (!m->size)
			continue;
		while (j > 0 && r[j - 1].gpa > m->gpa) {
			r[j] = r[j - 1];
			j--;
		}
		r[j].gpa = m->gpa;
		r[j].size = m->size;
		n++;
	}
	return n;
}

static int e820_add(struct e820_entry *tbl, unsigned int max, unsigned int *n,
		    uint64_t addr, uint64_t end, uint32_t type)
{
	if (end <= addr)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	tbl[*n].addr = addr;
	tbl[*n].size = end - addr;
	tbl[*n].type = type;
	(*n)++;
	return 0;
}

/* KVM's pages, unless RAM below covers them (a layout without the hole). */
static int add_kvm_pages(struct e820_entry *tbl, unsigned int max,
			 unsigned int *n, uint64_t prev_end)
{
	if (prev_end > X86_IDENTITY_MAP)
		return 0;
	return e820_add(tbl, max, n, X86_IDENTITY_MAP, E820_KVM_PAGES_END,
			E820_RESERVED);
}

static int add_low_bank(struct e820_entry *tbl, unsigned int max,
			unsigned int *n, const struct ram_range *r)
{
	uint64_t low_end = ALIGN_DOWN(x86_mptable_base(X86_MAX_CPUS), 4 * KiB);
	int rc;

	rc = e820_add(tbl, max, n, 0, low_end, E820_RAM);
	if (!rc)
		rc = e820_add(tbl, max, n, low_end, X86_HIGH_START,
			      E820_RESERVED);
	if (!rc)
		rc = e820_add(tbl, max, n, X86_HIGH_START, r->gpa + r->size,
			      E820_RAM);
	return rc;
}

int x86_build_e820(const struct guest_mem *mem, struct e820_entry *tbl,
		   unsigned int max)
{
	struct ram_range r[MEM_MAX_BANKS];
	unsigned int nr = sorted_ranges(mem, r), n = 0;
	uint64_t prev_end;
	bool kvm_done = false;
	int rc;

	if (!nr || r[0].gpa != 0 || r[0].size < X86_HIGH_START)
		return -EINVAL; /* no RAM at 0, or less than 1 MiB of it */
	rc = add_low_bank(tbl, max, &n, &r[0]);
	prev_end = r[0].size;
	for (unsigned int i = 1; !rc && i < nr; i++) {
		if (!kvm_done && r[i].gpa >= E820_KVM_PAGES_END) {
			rc = add_kvm_pages(tbl, max, &n, prev_end);
			kvm_done = true;
		}
		if (!rc)
			rc = e820_add(tbl, max, &n, r[i].gpa,
				      r[i].gpa + r[i].size, E820_RAM);
		prev_end = r[i].gpa + r[i].size;
	}
	if (!rc && !kvm_done)
		rc = add_kvm_pages(tbl, max, &n, prev_end);
	return rc ? rc : (int)n;
}

int x86_write_cmdline(const struct guest_mem *mem, const char *cmdline,
		      uint64_t max_len, char *err, size_t errlen)
{
	size_t len = cmdline ? strlen(cmdline) : 0;
	uint64_t max = MIN(max_len, X86_CMDLINE_MAX - 1);
	char *dst;

	if (len > max) {
		snprintf(err, errlen,
			 "command line is %zu bytes, the kernel takes at most %llu",
			 len, (unsigned long long)max);
		return -EINVAL;
	}
	dst = guest_mem_ptr(mem, X86_CMDLINE_ADDR, len + 1);
	if (!dst) {
		snprintf(err, errlen, "command line at 0x%llx is not in RAM",
			 (unsigned long long)X86_CMDLINE_ADDR);
		return -ENOSPC;
	}
	if (len)
		memcpy(dst, cmdline, len);
	dst[len] = '\0';
	return 0;
}

int x86_load_initrd(const struct x86_load_args *a, uint64_t floor,
		    uint64_t limit, uint64_t *addr, char *err, size_t errlen)
{
	const struct image *rd = a->initrd;
	uint64_t ram_end, top, at;

	*addr = 0;
	if (!rd || !rd->data || !rd->size)
		return 0;
	ram_end = guest_mem_end_from(a->mem, floor);
	top = ram_end ? MIN(ram_end, limit) : 0;
	at = top >= rd->size ? ALIGN_DOWN(top - rd->size, 4 * KiB) : 0;
	if (!ram_end || top < rd->size || at < floor) {
		snprintf(err, errlen,
			 "initrd (%llu bytes) does not fit below 0x%llx "
			 "(kernel ends at 0x%llx)",
			 (unsigned long long)rd->size,
			 (unsigned long long)(ram_end ? top : floor),
			 (unsigned long long)floor);
		return -ENOSPC;
	}
	if (guest_mem_write(a->mem, at, rd->data, rd->size)) {
		snprintf(err, errlen, "initrd: cannot write 0x%llx bytes at 0x%llx",
			 (unsigned long long)rd->size, (unsigned long long)at);
		return -EFAULT;
	}
	*addr = at;
	return 0;
}
