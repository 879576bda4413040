/* fuzz_ram.h: guest RAM for the virtqueue fuzz targets, built from the fuzz input, and the checks every target applies. */
#ifndef MINIVMM_FUZZ_RAM_H
#define MINIVMM_FUZZ_RAM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "virtio/queue.h"

/*
 * Two RAM regions with a hole between them and none at their ends, each in
 * its own exactly sized heap block: any access past a region is an ASan
 * report, not a silent hit in the neighbour.
 */
#define FUZZ_RAM0_GPA  0x0ull
#define FUZZ_RAM0_SIZE 0x10000ull
#define FUZZ_RAM1_GPA  0x20000ull
#define FUZZ_RAM1_SIZE 0x4000ull
#define FUZZ_MAX_BUFS  1024

struct fuzz_hdr { /* the input's first bytes */
	uint8_t size_sel;
	uint8_t opts;
	uint8_t start_lo, start_hi; /* initial ring index (wrap-around) */
	uint8_t max_bufs_sel;
	uint8_t written_sel;
};

static inline int fuzz_ram_build(struct guest_mem *mem, const uint8_t *data,
				 size_t size)
{
	static const uint64_t gpa[2] = {FUZZ_RAM0_GPA, FUZZ_RAM1_GPA};
	static const uint64_t len[2] = {FUZZ_RAM0_SIZE, FUZZ_RAM1_SIZE};

	memset(mem, 0, sizeof(*mem));
	for (unsigned int i = 0; i < 2; i++) {
		uint8_t *p = calloc(1, len[i]);
		size_t n = size < len[i] ? size : len[i];

		if (!p)
			return -1;
		memcpy(p, data, n);
		data += n;
		size -= n;
		mem->regions[i] = (struct mem_region){
		    .gpa = gpa[i], .size = len[i], .hva = p, .slot = i};
		mem->nr++;
		mem->total += len[i];
	}
	return 0;
}

static inline void fuzz_ram_free(struct guest_mem *mem)
{
	for (unsigned int i = 0; i < mem->nr; i++)
		free(mem->regions[i].hva);
}

/* Every buffer handed out lies inside one region: else abort (a finding). */
static inline void fuzz_check_bufs(const struct guest_mem *mem,
				   const struct virtq_chain *ch,
				   const struct virtq_buf *bufs)
{
	uint64_t readable = 0, writable = 0;

	for (unsigned int i = 0; i < ch->nbufs; i++) {
		const uint8_t *p = bufs[i].addr;
		int inside = 0;

		for (unsigned int r = 0; r < mem->nr; r++) {
			const uint8_t *b = mem->regions[r].hva;

			inside |=
			    p >= b && bufs[i].len <= mem->regions[r].size &&
			    p - b <= (long)(mem->regions[r].size - bufs[i].len);
		}
		if (!inside)
			abort();
		if (bufs[i].writable) {
			writable += bufs[i].len;
			/* What a device does: fill it (may hit the rings). */
			memset(bufs[i].addr, 0xa5, bufs[i].len);
		} else {
			readable += bufs[i].len;
			volatile uint8_t sink = 0;
			for (uint32_t j = 0; j < bufs[i].len; j += 64)
				sink ^= p[j];
			(void)sink;
		}
	}
	if (readable != ch->readable_len || writable != ch->writable_len ||
	    readable + writable > UINT32_MAX)
		abort();
}

/*
 * Pop, check, push until the ring runs dry or breaks. Pops are bounded by
 * construction; the cap only stops a ring that the device's own writes
 * keep refilling (buffers may overlap the rings).
 */
static inline void fuzz_drain(struct virtq *vq, const struct guest_mem *mem,
			      const struct fuzz_hdr *h)
{
	static struct virtq_buf bufs[FUZZ_MAX_BUFS];
	unsigned int max_bufs = 1 + h->max_bufs_sel * 4;
	struct virtq_chain ch;
	unsigned int popped = 0;

	if (max_bufs > FUZZ_MAX_BUFS)
		max_bufs = FUZZ_MAX_BUFS;
	virtq_disable_notify(vq);
	for (unsigned int iter = 0; iter < 4u * vq->size + 16; iter++) {
		int ret = virtq_pop(vq, &ch, bufs, max_bufs);

		if (ret < 0) {
			if (!vq->broken || virtq_pop(vq, &ch, bufs, 1) != -EIO)
				abort();
			return;
		}
		if (!ret) {
			if (!virtq_enable_notify(vq))
				break;
			continue;
		}
		popped++;
		if (ch.nbufs > max_bufs || vq->inflight != 1)
			abort();
		fuzz_check_bufs(mem, &ch, bufs);
		if (virtq_push(vq, &ch, h->written_sel * 97u))
			abort();
		if (popped % 3 == 0)
			(void)virtq_need_interrupt(vq);
	}
	(void)virtq_need_interrupt(vq);
	(void)virtq_has_avail(vq);
}

#endif
