/* fuzz_blk_request.c: libFuzzer target: virtio-blk requests from fuzzer-made chains in fuzzer-made guest RAM, run by the blk worker's queue handler against a 64 KiB memfd image. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "device.h"
#include "fuzz.h"
#include "fuzz_ram.h"
#include "util.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"
#include "../../virtio/blk_internal.h"

/*
 * Input: a header, up to 8 request records, then raw guest RAM (as the
 * walker targets build it). The records are written over that RAM as a
 * driver would place them: descriptors (direct or in an indirect table),
 * avail ring entries, request headers, discard segments; everything they
 * do not set (data, other ring slots, used_event) stays fuzzer bytes.
 *
 * Three devices, each on its own memfd (no disk I/O; fdatasync is free):
 * read-write, read-only and O_DIRECT. tmpfs punches holes but does not do
 * ZERO_RANGE, so WRITE_ZEROES is offered by none of them (UNSUPP path).
 *
 * The device is set up through the core as a driver would (features,
 * queue size and areas, enable, FEATURES_OK, DRIVER_OK); the fuzzer then
 * runs the worker's batch, virtio_blk_process_queue(), on its own thread.
 * Only the activate op (which would start the worker thread) is left out,
 * so nothing else touches the queue. Devices 0 and 2 hand requests to
 * their I/O threads (or AIO) when several are queued, as in a VM; those
 * touch only the image and the data buffers, and the batch returns only
 * once every request is finished.
 */
#define IMG_SIZE   0x10000u /* 128 sectors */
#define NR_DEVS	   3
#define MAX_REQS   8
#define DATA_LO	   0x3000ull /* region 0: data, tables, headers */
#define DATA_LO1   (FUZZ_RAM1_GPA + 0x2000) /* region 1 (bit 7 of flags) */

static const uint64_t area_gpa[4] = {0x0000, 0x1000, 0x2000,
				     FUZZ_RAM1_GPA + 0x1000};

struct blk_fuzz_hdr {
	uint8_t dev;	  /* % NR_DEVS */
	uint8_t feat;	  /* bit 0: ack EVENT_IDX, 1: INDIRECT_DESC,
			   * 2: leave avail idx as in RAM, 3: NO_INTERRUPT */
	uint8_t size_sel; /* 1 << (x % 9), +x&3 with bit 7 (then rejected) */
	uint8_t start_lo, start_hi; /* ring index to start at (wrap) */
	uint8_t areas;	  /* 2 bits each: desc, driver, device */
	uint8_t nreq;	  /* % (MAX_REQS + 1) */
	uint8_t pad;
};

struct blk_fuzz_req {
	uint8_t type_sel;  /* < 0xf0: one of types[], else the raw value */
	uint8_t flags;	   /* REQ_* */
	uint8_t sector[2]; /* le16 */
	uint8_t bufs;	   /* bits 0-1: data buffers; 2-3: misalignment */
	uint8_t len[3][2]; /* le16 each: bit 15 ? bytes : (x & 63) sectors */
	uint8_t seg;	   /* discard segments: bits 0-5 count, 6-7 flags */
};

#define REQ_SPLIT_HDR  0x01 /* header in two descriptors (5 + 11) */
#define REQ_MERGE_ST   0x02 /* status is the last byte of the last data */
#define REQ_INDIRECT   0x04 /* the chain in an indirect table */
#define REQ_FLIP_DATA  0x08 /* data buffers in the other direction */
#define REQ_ST_RDONLY  0x10 /* status buffer device-readable */
#define REQ_SHORT_HDR  0x20 /* 15-byte header */
#define REQ_HUGE_SECT  0x40 /* sector = UINT64_MAX - sector */
#define REQ_REGION1    0x80 /* buffers in region 1 */

static const uint32_t types[] = {
	VIRTIO_BLK_T_IN,     VIRTIO_BLK_T_OUT,	   VIRTIO_BLK_T_FLUSH,
	VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
	10 /* GET_LIFETIME: unsupported */,
};

static struct dev {
	int fd; /* the memfd; the device opened its own description */
	struct virtio_blk *blk;
} devs[NR_DEVS];
static struct virtio_device_ops no_thread_ops;
static struct guest_mem mem; /* devices keep a pointer: one, static */

/* Linked from blk.c (virtio_blk_create, not used here). */
void vm_add_device(struct vm *vm, struct device *dev)
{
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char paths[NR_DEVS][32];

	for (unsigned int i = 0; i < NR_DEVS; i++) {
		struct virtio_blk_opts o = {
		    .path = paths[i], .ro = i == 1, .direct = i == 2,
		    .serial = i ? NULL : "fuzz-serial-0123456789", .index = i,
		    /* device 0 runs requests on I/O threads, concurrently;
		     * 2 tries AIO (tmpfs may refuse O_DIRECT AIO: then its
		     * fallback runs); 1 runs them one at a time */
		    .iothreads = i == 1 ? 0 : 4};
		struct virtio_device *v;

		devs[i].fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
		if (devs[i].fd < 0 || ftruncate(devs[i].fd, IMG_SIZE))
			abort();
		snprintf(paths[i], sizeof(paths[i]), "/proc/self/fd/%d",
			 devs[i].fd);
		if (virtio_blk_open(&o, &mem, &devs[i].blk))
			abort();
		v = virtio_blk_vdev(devs[i].blk);
		no_thread_ops = *v->ops;
		no_thread_ops.activate = NULL;
		v->ops = &no_thread_ops;
	}
	return 0;
}

/* Bump allocation of guest buffers in the data area of a region. */
struct alloc {
	uint64_t lo, hi, cur;
};

static uint64_t alloc_gpa(struct alloc *a, uint64_t len, unsigned int mis)
{
	uint64_t gpa;

	/* 512-aligned in guest RAM, then moved by 0, 1, 8 or 511 bytes. */
	static const unsigned int off[4] = {0, 1, 8, 511};

	a->cur = ALIGN_UP(a->cur, 512) + off[mis & 3];
	if (a->cur + len > a->hi)
		a->cur = a->lo + off[mis & 3];
	gpa = a->cur;
	a->cur += len;
	return gpa;
}

static void *ram(uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&mem, gpa, len ? len : 1);
}

struct chain {
	uint64_t addr[8];
	uint32_t len[8];
	uint16_t flags[8];
	unsigned int n;
};

static void chain_add(struct chain *c, uint64_t addr, uint32_t len,
		      bool writable)
{
	c->addr[c->n] = addr;
	c->len[c->n] = len;
	c->flags[c->n] = writable ? VIRTQ_DESC_F_WRITE : 0;
	c->n++;
}

static void put_desc(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	put_le64(p, addr);
	put_le32(p + 8, len);
	put_le16(p + 12, flags);
	put_le16(p + 14, next);
}

/* Lay one request out in RAM; returns its head descriptor index. */
static uint16_t build_req(const struct blk_fuzz_req *q, uint8_t *desc,
			  uint16_t qsize, uint16_t *slot, struct alloc *al,
			  bool indirect_ok)
{
	unsigned int nd = q->bufs & 3, mis = q->bufs >> 2 & 3;
	uint32_t type = q->type_sel < 0xf0 ?
				types[q->type_sel % ARRAY_SIZE(types)] :
				q->type_sel;
	uint64_t sector = get_le16(q->sector);
	bool to_dev = type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_DISCARD ||
		      type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint32_t hlen = q->flags & REQ_SHORT_HDR ? 15 : VIRTIO_BLK_HDR_LEN;
	struct chain c = {.n = 0};
	uint64_t hdr = alloc_gpa(al, hlen, mis);
	uint8_t *p;
	uint16_t head;

	if (q->flags & REQ_HUGE_SECT)
		sector = UINT64_MAX - sector;
	if (to_dev && q->flags & REQ_FLIP_DATA)
		to_dev = false;
	else if (q->flags & REQ_FLIP_DATA)
		to_dev = true;
	p = ram(hdr, hlen);
	if (p) {
		uint8_t h[VIRTIO_BLK_HDR_LEN];

		put_le32(h, type);
		put_le32(h + 4, 0);
		put_le64(h + 8, sector);
		memcpy(p, h, hlen);
	}
	if (q->flags & REQ_SPLIT_HDR && hlen > 5) {
		chain_add(&c, hdr, 5, false);
		chain_add(&c, hdr + 5, hlen - 5, false);
	} else {
		chain_add(&c, hdr, hlen, false);
	}
	for (unsigned int i = 0; i < nd; i++) {
		uint16_t v = get_le16(q->len[i]);
		uint32_t len = v & 0x8000 ? v & 0x7fff : (v & 63) * 512u;
		bool merge = i == nd - 1 && q->flags & REQ_MERGE_ST;
		uint64_t gpa;

		len += merge;
		gpa = alloc_gpa(al, len, mis);
		/* Discard/write-zeroes segments: small, mostly in range. */
		p = ram(gpa, len);
		if (p && to_dev && (type == VIRTIO_BLK_T_DISCARD ||
					  type == VIRTIO_BLK_T_WRITE_ZEROES))
			for (uint32_t s = 0; s + 16 <= len; s += 16) {
				put_le64(p + s, (sector + s / 16) & 0xffff);
				put_le32(p + s + 8, q->seg & 63);
				put_le32(p + s + 12, q->seg >> 6);
			}
		chain_add(&c, gpa, len, !to_dev || merge);
	}
	if (!(q->flags & REQ_MERGE_ST) || !nd)
		chain_add(&c, alloc_gpa(al, 1, mis), 1,
			  !(q->flags & REQ_ST_RDONLY));

	if (indirect_ok && q->flags & REQ_INDIRECT) {
		uint64_t t = alloc_gpa(al, 16ull * c.n, 0);

		p = ram(t, 16ull * c.n);
		for (unsigned int i = 0; p && i < c.n; i++)
			put_desc(p + 16 * i, c.addr[i], c.len[i],
				 c.flags[i] | (i + 1 < c.n ? VIRTQ_DESC_F_NEXT
							   : 0),
				 (uint16_t)(i + 1));
		head = *slot & (qsize - 1);
		put_desc(desc + 16 * head, t, 16 * c.n, VIRTQ_DESC_F_INDIRECT,
			 0);
		(*slot)++;
		return head;
	}
	head = *slot & (qsize - 1);
	for (unsigned int i = 0; i < c.n; i++) {
		uint16_t at = *slot & (qsize - 1);
		uint16_t next = (*slot + 1) & (qsize - 1);

		put_desc(desc + 16 * at, c.addr[i], c.len[i],
			 c.flags[i] | (i + 1 < c.n ? VIRTQ_DESC_F_NEXT : 0),
			 next);
		(*slot)++;
	}
	return head;
}

/* The image holds no byte outside its 64 KiB, allocated or not. */
static void check_image(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || st.st_size != IMG_SIZE ||
	    (uint64_t)st.st_blocks * 512 > IMG_SIZE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blk_fuzz_hdr h;
	struct blk_fuzz_req reqs[MAX_REQS];
	unsigned int nreq;
	struct dev *d;
	struct virtio_device *v;
	uint16_t qsize, start;
	uint64_t dgpa, agpa, ugpa;
	int ret;

	if (size < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	nreq = MIN(h.nreq % (MAX_REQS + 1u), size / sizeof(reqs[0]));
	memcpy(reqs, data, nreq * sizeof(reqs[0]));
	data += nreq * sizeof(reqs[0]);
	size -= nreq * sizeof(reqs[0]);

	d = &devs[h.dev % NR_DEVS];
	v = virtio_blk_vdev(d->blk);
	/* A fresh, all-zero image each run. */
	if (ftruncate(d->fd, 0) || ftruncate(d->fd, IMG_SIZE))
		abort();
	if (fuzz_ram_build(&mem, data, size))
		return 0;

	qsize = (uint16_t)(1u << (h.size_sel % 9));
	if (h.size_sel & 0x80)
		qsize += h.size_sel & 3;
	start = (uint16_t)(h.start_lo | h.start_hi << 8);
	dgpa = area_gpa[h.areas & 3];
	agpa = area_gpa[((h.areas >> 2) + 1) & 3];
	ugpa = area_gpa[((h.areas >> 4) + 2) & 3];

	/* The driver side, through the core. */
	virtio_set_status(v, 0);
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	for (unsigned int dw = 0; dw < 2; dw++) {
		uint32_t f = virtio_get_device_features(v, dw);

		if (!(h.feat & 1))
			f &= ~(dw == VIRTIO_F_RING_EVENT_IDX / 32 ?
				       1u << VIRTIO_F_RING_EVENT_IDX % 32 : 0);
		if (!(h.feat & 2))
			f &= ~(dw == VIRTIO_F_RING_INDIRECT_DESC / 32 ?
				       1u << VIRTIO_F_RING_INDIRECT_DESC % 32 :
				       0);
		/* the requests are laid out as a split ring (fuzz_virtio_state
		 * and fuzz_packed_queue take packed ones) */
		if (dw == VIRTIO_F_RING_PACKED / 32)
			f &= ~(1u << VIRTIO_F_RING_PACKED % 32);
		virtio_set_driver_features(v, dw, f);
	}
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				     VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_get_status(v) & VIRTIO_STATUS_FEATURES_OK))
		abort(); /* offered bits with VERSION_1: must be accepted */
	virtio_queue_set_size(v, 0, qsize);
	virtio_queue_set_area(v, 0, VIRTIO_AREA_DESC, dgpa);
	virtio_queue_set_area(v, 0, VIRTIO_AREA_DRIVER, agpa);
	virtio_queue_set_area(v, 0, VIRTIO_AREA_DEVICE, ugpa);

	/* The requests, as the driver writes them before the kick. */
	if (virtio_queue_get_size(v, 0) == qsize) {
		uint8_t *desc = ram(dgpa, 16ull * qsize);
		uint8_t *avail = ram(agpa, 4 + 2ull * qsize);
		struct alloc al = {DATA_LO, FUZZ_RAM0_GPA + FUZZ_RAM0_SIZE,
				   DATA_LO};
		struct alloc al1 = {DATA_LO1, FUZZ_RAM1_GPA + FUZZ_RAM1_SIZE,
				    DATA_LO1};
		uint16_t slot = start;

		for (unsigned int i = 0; desc && avail && i < nreq; i++) {
			uint16_t head = build_req(
			    &reqs[i], desc, qsize, &slot,
			    reqs[i].flags & REQ_REGION1 ? &al1 : &al,
			    h.feat & 2);

			put_le16(avail + 4 + 2 * ((start + i) & (qsize - 1)),
				 head);
		}
		if (avail && !(h.feat & 4))
			put_le16(avail + 2, (uint16_t)(start + nreq));
		if (avail)
			put_le16(avail, h.feat & 8 ? VIRTQ_AVAIL_F_NO_INTERRUPT
						   : 0);
	}

	if (!virtio_queue_enable(v, 0)) {
		struct virtq *vq = &v->queues[0].vq;

		/* Where a long-running device would be after 'start'
		 * requests (the walker targets do the same). */
		vq->s.last_avail = vq->s.used_idx = start;
		virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE |
					     VIRTIO_STATUS_DRIVER |
					     VIRTIO_STATUS_FEATURES_OK |
					     VIRTIO_STATUS_DRIVER_OK);
		ret = virtio_blk_process_queue(d->blk);
		/* Every chain popped was pushed back (a broken ring takes
		 * no more pushes: requests still out when it broke are
		 * finished, not pushed). */
		if (vq->inflight && ret >= 0)
			abort();
		/* A broken ring is NEEDS_RESET, and only then an error. */
		if ((ret < 0) !=
		    !!(virtio_get_status(v) & VIRTIO_STATUS_NEEDS_RESET))
			abort();
	}
	check_image(d->fd);
	virtio_set_status(v, 0);
	fuzz_ram_free(&mem);
	return 0;
}
