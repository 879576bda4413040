/* fuzz_packed_queue.c: libFuzzer target: a packed virtqueue in fuzzer-made guest RAM, popped and pushed until exhausted. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "fuzz_ram.h"
#include "virtio/queue.h"

/* Descriptor ring and event structures at fixed places in region 0. */
#define DESC_GPA   0x0000
#define DRIVER_GPA 0x2000
#define DEVICE_GPA 0x2004

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_hdr h;
	struct guest_mem mem;
	struct virtq vq;
	struct virtq_config cfg = {
	    .desc = DESC_GPA, .driver = DRIVER_GPA, .device = DEVICE_GPA};

	if (size < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	cfg.size =
	    (uint16_t)(1 + (h.size_sel | (h.start_hi & 1) << 8)); /* 1..512 */
	cfg.opts = VIRTQ_OPT_PACKED |
		   (h.opts & (VIRTQ_OPT_EVENT_IDX | VIRTQ_OPT_INDIRECT |
			      VIRTQ_OPT_ZERO_LEN));
	if (fuzz_ram_build(&mem, data + sizeof(h), size - sizeof(h)))
		return 0;
	if (!virtq_setup(&vq, &mem, &cfg)) {
		/* Start anywhere in the ring, on either lap. */
		vq.p.next_avail = vq.p.next_used = h.start_lo % cfg.size;
		vq.p.avail_wrap = vq.p.used_wrap = !(h.start_hi & 2);
		fuzz_drain(&vq, &mem, &h);
	}
	fuzz_ram_free(&mem);
	return 0;
}
