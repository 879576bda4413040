/* mem.h: guest RAM banks, their KVM slots and guest-physical to host translation. */
#ifndef MINIVMM_MEM_H
#define MINIVMM_MEM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define MEM_MAX_BANKS 4

/* Where RAM goes in guest-physical space; chosen by the arch backend. */
struct mem_bank {
	uint64_t gpa;
	uint64_t size;
};

struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t slot;
	/* Some pages map a snapshot file (a mapped restore): pagemap cannot
	 * tell those not yet touched from pages never written. */
	bool file_backed;
};

struct guest_mem {
	struct mem_region regions[MEM_MAX_BANKS];
	unsigned nr;
	uint64_t total;
};

/* Host pointer for [gpa, gpa+len) if it lies in one RAM region, else NULL. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* Copy helpers that fail (-EFAULT) rather than touch memory outside RAM. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src,
		    uint64_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst,
		   uint64_t len);
/* End (exclusive) of the RAM region that contains gpa; 0 if gpa is not RAM. */
uint64_t guest_mem_end_from(const struct guest_mem *mem, uint64_t gpa);

#endif
