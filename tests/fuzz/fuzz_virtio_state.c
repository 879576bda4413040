/* fuzz_virtio_state.c: libFuzzer target: a virtio device's snapshot state (the core's features, status, queues and ring positions, then virtio-blk's own part), saved from a driver-made set-up, changed by the fuzzer, restored onto a fresh device and run. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include "device.h"
#include "fuzz.h"
#include "fuzz_ram.h"
#include "sbuf.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/state.h"
#include "virtio/virtio.h"
#include "../../virtio/blk_internal.h"

/*
 * Input: a header, up to 16 edits of the saved state, then guest RAM (as
 * the walker targets build it, rings and requests included).
 *
 * The driver side sets the device up through the core as Linux's driver
 * would (features, one queue's size and areas, enable, DRIVER_OK: each
 * step as the header says; the header can also put any ring positions
 * in), and the device's state is saved. The edits then change bytes of
 * that state (xor at an offset, or a 16-bit value written there: sizes,
 * ring positions, flags), so that the fuzzer works on state that is
 * well-formed except where it changed it; a header bit replaces the whole
 * state by the input's RAM bytes before the edits instead. The result is
 * restored onto the device after a reset, as a restore onto a fresh VM;
 * restored and running, the device's queue handler runs on the rings in
 * fuzzer-made RAM. Whatever the state, restore must refuse it or leave a
 * device that pops and pushes inside guest RAM (ASan: the RAM regions are
 * heap blocks of their exact size).
 */
#define IMG_SIZE  0x10000u
#define MAX_EDITS 16

static const uint64_t area_gpa[4] = {0x0000, 0x1000, 0x2000,
				     FUZZ_RAM1_GPA + 0x1000};

struct state_hdr {
	uint8_t size_sel; /* queue size: 1 << (x % 9) */
	uint8_t flags;	  /* bit 0: ack RING_PACKED, 1: EVENT_IDX, 2: enable
			   * the queue, 3: DRIVER_OK, 4: the state is the
			   * RAM bytes (the edits still apply), 5: put the
			   * ring positions below in the saved state, 6 and
			   * 7: a packed ring's avail and used wrap */
	uint8_t areas;	  /* 2 bits each: desc, driver, device */
	uint8_t nedits;	  /* % (MAX_EDITS + 1) */
	uint8_t avail_lo, avail_hi; /* next avail (split: last_avail) */
	uint8_t used_lo, used_hi;   /* next used (split: used_idx) */
};

struct state_edit {
	uint8_t off_lo, off_hi; /* % the state's length */
	uint8_t how;		/* bit 0: write val as le16, else xor lo */
	uint8_t val_lo, val_hi;
};

static struct virtio_blk *blk;
static struct guest_mem mem; /* the device keeps a pointer: one, static */
static struct virtio_device_ops no_thread_ops;

/* Linked from blk.c (virtio_blk_create, not used here). */
void vm_add_device(struct vm *vm, struct device *dev)
{
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char path[32];
	struct virtio_blk_opts o = {.path = path, .iothreads = 0};
	struct virtio_device *v;
	int fd = memfd_create("fuzz-state", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, IMG_SIZE))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (virtio_blk_open(&o, &mem, &blk))
		abort();
	v = virtio_blk_vdev(blk);
	/* restore calls activate for a running device: that would start
	 * the worker thread; the queue handler runs here instead */
	no_thread_ops = *v->ops;
	no_thread_ops.activate = NULL;
	v->ops = &no_thread_ops;
	return 0;
}

/* Where a device that ran for a while would be, or anywhere at all (the
 * values are not checked here: the saved state carries them, and restore
 * must judge them). */
static void positions(struct virtq *vq, const struct state_hdr *h)
{
	uint16_t avail = (uint16_t)(h->avail_lo | h->avail_hi << 8);
	uint16_t used = (uint16_t)(h->used_lo | h->used_hi << 8);

	if (vq->opts & VIRTQ_OPT_PACKED) {
		vq->p.next_avail = avail;
		vq->p.next_used = used;
		vq->p.avail_wrap = h->flags >> 6 & 1;
		vq->p.used_wrap = h->flags >> 7 & 1;
	} else {
		vq->s.last_avail = avail;
		vq->s.used_idx = used;
	}
}

/* The driver's set-up, as far as the header says. */
static void drive(struct virtio_device *v, const struct state_hdr *h)
{
	uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	virtio_set_status(v, 0);
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(v, st);
	for (unsigned int dw = 0; dw < 4; dw++) {
		uint32_t f = virtio_get_device_features(v, dw);

		if (!(h->flags & 1) && dw == VIRTIO_F_RING_PACKED / 32)
			f &= ~(1u << VIRTIO_F_RING_PACKED % 32);
		if (!(h->flags & 2) && dw == VIRTIO_F_RING_EVENT_IDX / 32)
			f &= ~(1u << VIRTIO_F_RING_EVENT_IDX % 32);
		virtio_set_driver_features(v, dw, f);
	}
	st |= VIRTIO_STATUS_FEATURES_OK;
	virtio_set_status(v, st);
	virtio_queue_set_size(v, 0, (uint16_t)(1u << (h->size_sel % 9)));
	virtio_queue_set_area(v, 0, VIRTIO_AREA_DESC, area_gpa[h->areas & 3]);
	virtio_queue_set_area(v, 0, VIRTIO_AREA_DRIVER,
			      area_gpa[((h->areas >> 2) + 1) & 3]);
	virtio_queue_set_area(v, 0, VIRTIO_AREA_DEVICE,
			      area_gpa[((h->areas >> 4) + 2) & 3]);
	if (h->flags & 4)
		virtio_queue_enable(v, 0);
	if ((h->flags & 0x24) == 0x24 && v->queues[0].enabled)
		positions(&v->queues[0].vq, h);
	if (h->flags & 8)
		virtio_set_status(v, st | VIRTIO_STATUS_DRIVER_OK);
}

static void edit(struct sbuf *s, const struct state_edit *e)
{
	size_t at;

	if (!s->len)
		return;
	at = (size_t)(e->off_lo | e->off_hi << 8) % s->len;
	if (!(e->how & 1)) {
		s->data[at] ^= e->val_lo;
		return;
	}
	s->data[at] = e->val_lo;
	if (at + 1 < s->len)
		s->data[at + 1] = e->val_hi;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_device *v = virtio_blk_vdev(blk);
	struct state_edit edits[MAX_EDITS];
	struct sbuf_reader in;
	struct state_hdr h;
	struct sbuf s;
	unsigned int n;
	int ret;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	n = h.nedits % (MAX_EDITS + 1);
	if (size < n * sizeof(edits[0]))
		return 0;
	memcpy(edits, data, n * sizeof(edits[0]));
	data += n * sizeof(edits[0]);
	size -= n * sizeof(edits[0]);
	if (fuzz_ram_build(&mem, data, size))
		abort();

	drive(v, &h);
	sbuf_init(&s);
	if (virtio_dev_save(v, &s) || s.err)
		abort(); /* a driver-made state always saves */
	if (h.flags & 16) /* the state is the input's bytes instead */
		for (size_t i = 0; i < s.len; i++)
			s.data[i] = i < size ? data[i] : 0;
	for (unsigned int i = 0; i < n; i++)
		edit(&s, &edits[i]);

	virtio_set_status(v, 0); /* a fresh device, as in a new VM */
	sbuf_reader_init(&in, s.data, s.len);
	ret = virtio_dev_restore(v, &in);
	if (!ret && (virtio_get_status(v) & VIRTIO_STATUS_DRIVER_OK) &&
	    v->queues[0].enabled) {
		struct virtq *vq = &v->queues[0].vq;

		ret = virtio_blk_process_queue(blk);
		/* every chain popped was pushed back, unless the ring broke */
		if (vq->inflight && ret >= 0)
			abort();
	}
	virtio_set_status(v, 0);
	sbuf_free(&s);
	fuzz_ram_free(&mem);
	return 0;
}
