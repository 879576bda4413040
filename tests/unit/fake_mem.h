/* fake_mem.h: guest RAM for host-only unit tests: the x86 layout backed by lazily mapped host memory. */
#ifndef MINIVMM_FAKE_MEM_H
#define MINIVMM_FAKE_MEM_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "mem.h"
#include "util.h"
#include "x86.h"

/*
 * Translation (guest_mem_ptr and friends) is the real vmm/memory.c from the
 * library; this only builds a struct guest_mem the way the x86 backend lays
 * RAM out: bank 0 at 0 up to min(ram, 3 GiB), bank 1 at 4 GiB for the rest.
 * With back = false the regions get no host memory (for e820 tests).
 * MAP_NORESERVE keeps multi-GiB layouts cheap: untouched pages cost nothing.
 */
static inline void fake_mem_layout(struct guest_mem *m, uint64_t ram,
				   bool back)
{
	uint64_t low = ram < X86_MMIO_HOLE ? ram : X86_MMIO_HOLE;

	memset(m, 0, sizeof(*m));
	m->regions[0].gpa = 0;
	m->regions[0].size = low;
	m->nr = 1;
	if (ram > low) {
		m->regions[1].gpa = X86_MMIO_HOLE_END;
		m->regions[1].size = ram - low;
		m->nr = 2;
	}
	m->total = ram;
	for (unsigned int i = 0; back && i < m->nr; i++) {
		void *p = mmap(NULL, m->regions[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		m->regions[i].hva = p == MAP_FAILED ? NULL : p;
	}
}

static inline void fake_mem_free(struct guest_mem *m)
{
	for (unsigned int i = 0; i < m->nr; i++)
		if (m->regions[i].hva)
			munmap(m->regions[i].hva, m->regions[i].size);
	memset(m, 0, sizeof(*m));
}

/* Host pointer for a guest address that the test knows is RAM. */
static inline uint8_t *fake_mem_at(const struct guest_mem *m, uint64_t gpa)
{
	return guest_mem_ptr(m, gpa, 1);
}

#endif
