/* fuzz_split_queue.c: libFuzzer target: a split virtqueue in fuzzer-made guest RAM, popped and pushed until exhausted. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "fuzz_ram.h"
#include "virtio/queue.h"

/* Rings at fixed places in region 0; buffers and tables anywhere. */
#define DESC_GPA  0x0000
#define AVAIL_GPA 0x1000
#define USED_GPA  0x2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_hdr h;
	struct guest_mem mem;
	struct virtq vq;
	struct virtq_config cfg = {
	    .desc = DESC_GPA, .driver = AVAIL_GPA, .device = USED_GPA};
	uint16_t start;

	if (size < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	cfg.size = (uint16_t)(1u << (h.size_sel % 9)); /* 1..256 */
	if (h.size_sel & 0x80)
		cfg.size += h.size_sel & 3; /* sometimes not a power of two */
	cfg.opts = h.opts & (VIRTQ_OPT_EVENT_IDX | VIRTQ_OPT_INDIRECT |
			     VIRTQ_OPT_NOTIFY_ON_EMPTY | VIRTQ_OPT_ZERO_LEN);
	if (fuzz_ram_build(&mem, data + sizeof(h), size - sizeof(h)))
		return 0;
	if (!virtq_setup(&vq, &mem, &cfg)) {
		if (cfg.size & (cfg.size - 1))
			abort(); /* split rings must be powers of two */
		start = (uint16_t)(h.start_lo | h.start_hi << 8);
		vq.s.last_avail = vq.s.used_idx = start;
		fuzz_drain(&vq, &mem, &h);
	}
	fuzz_ram_free(&mem);
	return 0;
}
