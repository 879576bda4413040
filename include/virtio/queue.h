/* queue.h: virtqueue walkers (split and packed rings) over guest memory. */
#ifndef MINIVMM_VIRTIO_QUEUE_H
#define MINIVMM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* Guest-visible layouts (virtio 1.x 2.7 and 2.8), little-endian. */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_DESC_F_AVAIL    (1 << 7)	/* packed */
#define VIRTQ_DESC_F_USED     (1 << 15) /* packed */

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	   1

/* Packed ring event suppression: flags field of struct virtq_event. */
#define VIRTQ_EVENT_F_ENABLE  0
#define VIRTQ_EVENT_F_DISABLE 1
#define VIRTQ_EVENT_F_DESC    2
#define VIRTQ_EVENT_WRAP      (1 << 15) /* in off_wrap */
#define VIRTQ_EVENT_SIZE      4		/* sizeof(struct virtq_event) */

#define VIRTQ_MAX_SIZE	  32768
#define VIRTQ_DESC_SIZE	  16 /* split and packed descriptors alike */

struct virtq_desc { /* split */
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_pdesc { /* packed */
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* [size], then used_event with EVENT_IDX */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* [size], then avail_event */
};

struct virtq_event { /* packed driver/device event suppression */
	uint16_t off_wrap;
	uint16_t flags;
};

/* Options for virtq_setup(); the first four follow negotiated features. */
#define VIRTQ_OPT_PACKED	  (1u << 0) /* VIRTIO_F_RING_PACKED */
#define VIRTQ_OPT_EVENT_IDX	  (1u << 1) /* VIRTIO_F_RING_EVENT_IDX */
#define VIRTQ_OPT_INDIRECT	  (1u << 2) /* VIRTIO_F_RING_INDIRECT_DESC */
#define VIRTQ_OPT_NOTIFY_ON_EMPTY (1u << 3) /* VIRTIO_F_NOTIFY_ON_EMPTY */
#define VIRTQ_OPT_ZERO_LEN	  (1u << 4) /* device accepts 0-byte buffers */

struct virtq_config {
	uint16_t size;	    /* split: power of two; packed: 1..32768 */
	unsigned int opts;  /* VIRTQ_OPT_* */
	uint64_t desc;	    /* descriptor ring/table */
	uint64_t driver;    /* split: avail ring; packed: driver event */
	uint64_t device;    /* split: used ring; packed: device event */
};

/* One guest buffer of a chain, already translated and bounds-checked. */
struct virtq_buf {
	void *addr;
	uint32_t len;
	bool writable; /* device-writable (VIRTQ_DESC_F_WRITE) */
};

/* What virtq_pop() found; hand it back to virtq_push() unchanged. */
struct virtq_chain {
	uint16_t id;		/* split: head index; packed: buffer id */
	uint16_t ndesc;		/* ring slots consumed (packed) */
	unsigned int nbufs;	/* entries filled in the caller's array */
	uint32_t readable_len;	/* sum of device-readable lengths */
	uint32_t writable_len;	/* sum of device-writable lengths */
	bool misordered;	/* a readable buffer followed a writable one */
};

/*
 * Ring state. Rings are translated with guest_mem_ptr() once, when the
 * queue is set up (guest RAM never moves after vm_create); every buffer and
 * indirect table is translated on each pop. One thread at a time may use a
 * given virtq (the device's queue worker); see virtio.h for the locking.
 */
struct virtq {
	const struct guest_mem *mem;
	uint16_t size;
	unsigned int opts;
	bool ready;
	bool broken;		/* a walker error; only setup clears it */
	uint16_t inflight;	/* popped, not yet pushed */
	union {
		struct { /* split */
			struct virtq_desc *desc;
			struct virtq_avail *avail;
			struct virtq_used *used;
			uint16_t last_avail; /* free-running */
			uint16_t used_idx;   /* free-running */
			uint16_t signalled;  /* used_idx at the last interrupt */
		} s;
		struct { /* packed */
			struct virtq_pdesc *ring;
			struct virtq_event *driver; /* written by the driver */
			struct virtq_event *device; /* written by us */
			uint16_t next_avail; /* slot */
			uint16_t next_used;  /* slot */
			bool avail_wrap;
			bool used_wrap;
			uint32_t signalled; /* position (slot + wrap * size) */
		} p;
	};
	bool signalled_valid;
};

/*
 * Error codes of the walkers (the core turns any of them into NEEDS_RESET):
 *   -EFAULT    a ring, table or buffer is not inside guest RAM
 *   -EINVAL    descriptor index >= size, bad indirect table (length 0, not a
 *              multiple of 16, > 32768 entries, nested, INDIRECT|NEXT,
 *              INDIRECT not negotiated), zero-length buffer, bad size/align
 *   -ELOOP     chain longer than the queue (or the indirect table): a loop
 *   -EOVERFLOW the chain's total length does not fit in 32 bits
 *   -EPROTO    avail idx moved by more than the queue size
 *   -ENOBUFS   more buffers than the caller's array holds
 *   -EIO       queue not set up or already broken
 */

/* Validate cfg against mem (size, alignment, ring placement) and reset the
 * ring state. On error vq is left not ready. */
int virtq_setup(struct virtq *vq, const struct guest_mem *mem,
		const struct virtq_config *cfg);
/* Forget the queue (device reset); vq is not ready afterwards. */
void virtq_teardown(struct virtq *vq);
/* After a restore wrote the ring's positions: are they inside the ring?
 * (A packed ring's are slots; a split ring's free-running indices, at
 * most the ring's size apart, the avail one ahead.) */
bool virtq_positions_ok(const struct virtq *vq);

/* Take the next available chain: 1 with *chain and bufs[0..nbufs) filled,
 * 0 if the ring is empty, or -errno (vq is then broken); *chain is only
 * written on success, bufs may be clobbered either way. max_bufs should be
 * at least the queue size to accept every well-formed chain. */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain,
	      struct virtq_buf *bufs, unsigned int max_bufs);
/* Return a popped chain with 'written' bytes written into its writable
 * buffers (clamped to writable_len). -EINVAL if nothing is in flight. */
int virtq_push(struct virtq *vq, const struct virtq_chain *chain,
	       uint32_t written);
/* Give back the chain popped last (never pushed): the next pop returns it
 * again. Call for each held chain, the most recently popped first.
 * -EINVAL if nothing is in flight. */
int virtq_unpop(struct virtq *vq, const struct virtq_chain *chain);
/* After pushes: must the driver be interrupted? Honours EVENT_IDX
 * (used_event / packed off_wrap), NO_INTERRUPT and NOTIFY_ON_EMPTY, and
 * records that the driver was signalled when it returns true. */
bool virtq_need_interrupt(struct virtq *vq);
/* Ask the driver not to notify us (a hint; it may still do so). */
void virtq_disable_notify(struct virtq *vq);
/* Ask for notifications again; returns true if buffers arrived meanwhile
 * (the caller must then keep popping to avoid losing a wakeup). */
bool virtq_enable_notify(struct virtq *vq);
/* Is a chain available (without consuming it)? */
bool virtq_has_avail(struct virtq *vq);
/* The ring's indexes as the device and the guest's memory have them, one
 * line for a post-mortem (snprintf's return; "not set up" when not ready). */
int virtq_describe(const struct virtq *vq, char *buf, size_t len);

/* The "need event" test: was event_idx crossed moving old -> new (mod 2^16)? */
static inline bool virtq_need_event(uint16_t event_idx, uint16_t new_idx,
				    uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) <
	       (uint16_t)(new_idx - old_idx);
}

#endif
