/* queue_packed.c: the packed virtqueue walker: one descriptor ring with wrap counters, event suppression, indirect tables. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "virtio/queue.h"
#include "queue_internal.h"

/*
 * A ring position folds the wrap counter into the slot so that distances
 * can be taken modulo 2 * size: laps with wrap 1 and wrap 0 alternate, and
 * both counters start at 1 (virtio 1.x 2.8.1).
 */
static uint32_t packed_pos(const struct virtq *vq, uint16_t slot, bool wrap)
{
	return slot + (wrap ? 0 : vq->size);
}

static uint32_t packed_dist(const struct virtq *vq, uint32_t from, uint32_t to)
{
	uint32_t span = 2u * vq->size;

	return (to + span - from) % span;
}

/* Available to us: AVAIL matches our wrap counter and USED does not. */
static bool packed_is_avail(uint16_t flags, bool wrap)
{
	bool avail = flags & VIRTQ_DESC_F_AVAIL;
	bool used = flags & VIRTQ_DESC_F_USED;

	return avail == wrap && used != wrap;
}

int vq_packed_setup(struct virtq *vq, const struct virtq_config *cfg)
{
	uint64_t n = cfg->size;

	if (!IS_ALIGNED(cfg->desc, 16) || !IS_ALIGNED(cfg->driver, 4) ||
	    !IS_ALIGNED(cfg->device, 4))
		return -EINVAL;
	vq->p.ring = vq_ring_area(vq, cfg->desc, VIRTQ_DESC_SIZE * n, 16);
	vq->p.driver = vq_ring_area(vq, cfg->driver, VIRTQ_EVENT_SIZE, 4);
	vq->p.device = vq_ring_area(vq, cfg->device, VIRTQ_EVENT_SIZE, 4);
	if (!vq->p.ring || !vq->p.driver || !vq->p.device)
		return -EFAULT;
	vq->p.avail_wrap = true;
	vq->p.used_wrap = true;
	return 0;
}

static void packed_read_desc(const void *src, struct virtq_pdesc *d)
{
	memcpy(d, src, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->id = le16toh(d->id);
	d->flags = le16toh(d->flags);
}

/* The table's entries are used in order, all of them; only WRITE counts. */
static int packed_walk_indirect(struct virtq *vq, struct vq_walk *w,
				const struct virtq_pdesc *ind)
{
	const uint8_t *table;
	struct virtq_pdesc d;
	uint32_t n;
	int ret;

	ret = vq_indirect_table(vq, ind->addr, ind->len, &table, &n);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		packed_read_desc(table + (size_t)i * VIRTQ_DESC_SIZE, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return -EINVAL;
		ret = vq_walk_add(vq, w, d.addr, d.len,
				  d.flags & VIRTQ_DESC_F_WRITE);
		if (ret)
			return ret;
	}
	return 0;
}

int vq_packed_pop(struct virtq *vq, struct vq_walk *w)
{
	uint16_t slot = vq->p.next_avail, head_flags;
	bool wrap = vq->p.avail_wrap;
	struct virtq_pdesc d;
	uint32_t count = 0;
	int ret;

	/* Acquire: the driver writes the head's flags last. */
	head_flags = vq_load16_acquire(&vq->p.ring[slot].flags);
	if (!packed_is_avail(head_flags, wrap))
		return 0;
	for (;;) {
		if (++count > vq->size)
			return -ELOOP;
		packed_read_desc(&vq->p.ring[slot], &d);
		if (count == 1)
			d.flags = head_flags;
		if (++slot == vq->size) {
			slot = 0;
			wrap = !wrap;
		}
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return -EINVAL;
			ret = packed_walk_indirect(vq, w, &d);
		} else {
			ret = vq_walk_add(vq, w, d.addr, d.len,
					  d.flags & VIRTQ_DESC_F_WRITE);
		}
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
	}
	/* The buffer id is the one in the chain's last descriptor. */
	w->chain->id = d.id;
	w->chain->ndesc = (uint16_t)count;
	vq->p.next_avail = slot;
	vq->p.avail_wrap = wrap;
	return 1;
}

void vq_packed_push(struct virtq *vq, const struct virtq_chain *chain,
		    uint32_t written)
{
	struct virtq_pdesc *d = &vq->p.ring[vq->p.next_used];
	uint16_t flags = vq->p.used_wrap ?
				 VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0;
	uint32_t next = vq->p.next_used + MAX(chain->ndesc, 1);

	vq_store16(&d->id, chain->id);
	vq_store32(&d->len, written);
	/* Release: id and len become visible before the flags. */
	vq_store16_release(&d->flags, flags);
	if (next >= vq->size) {
		next -= vq->size;
		vq->p.used_wrap = !vq->p.used_wrap;
	}
	vq->p.next_used = (uint16_t)next;
}

bool vq_packed_has_avail(struct virtq *vq)
{
	uint16_t flags = vq_load16_acquire(&vq->p.ring[vq->p.next_avail].flags);

	return packed_is_avail(flags, vq->p.avail_wrap);
}

bool vq_packed_need_interrupt(struct virtq *vq)
{
	uint32_t old = vq->p.signalled, ev;
	uint32_t new = packed_pos(vq, vq->p.next_used, vq->p.used_wrap);
	bool valid = vq->signalled_valid;
	uint16_t flags, off_wrap;

	/* Used descriptors are visible before we read the driver's event
	 * structure; pairs with the driver's barrier on its side. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->p.signalled = new;
	vq->signalled_valid = true;
	flags = vq_load16(&vq->p.driver->flags) & 3;
	if (flags == VIRTQ_EVENT_F_DISABLE)
		return false;
	if (flags != VIRTQ_EVENT_F_DESC || !(vq->opts & VIRTQ_OPT_EVENT_IDX))
		return true;
	off_wrap = vq_load16(&vq->p.driver->off_wrap);
	if ((off_wrap & ~VIRTQ_EVENT_WRAP) >= vq->size || !valid)
		return true; /* nonsense event: a spurious interrupt is safe */
	ev = packed_pos(vq, off_wrap & ~VIRTQ_EVENT_WRAP,
			off_wrap & VIRTQ_EVENT_WRAP);
	/* Was the event position among the slots used since the last time? */
	return packed_dist(vq, old, ev) < packed_dist(vq, old, new);
}

void vq_packed_set_notify(struct virtq *vq, bool enable)
{
	uint16_t flags = VIRTQ_EVENT_F_ENABLE;

	if (!enable) {
		flags = VIRTQ_EVENT_F_DISABLE;
	} else if (vq->opts & VIRTQ_OPT_EVENT_IDX) {
		vq_store16(&vq->p.device->off_wrap,
			   vq->p.next_avail |
				   (vq->p.avail_wrap ? VIRTQ_EVENT_WRAP : 0));
		flags = VIRTQ_EVENT_F_DESC;
	}
	vq_store16_release(&vq->p.device->flags, flags);
}

int vq_packed_describe(const struct virtq *vq, char *buf, size_t len)
{
	return snprintf(buf, len,
			"packed: next avail %u wrap %d, next used %u wrap %d, "
			"signalled %u; driver event flags %u off_wrap 0x%x; "
			"device event flags %u off_wrap 0x%x",
			vq->p.next_avail, vq->p.avail_wrap, vq->p.next_used,
			vq->p.used_wrap, vq->p.signalled,
			vq_load16(&vq->p.driver->flags),
			vq_load16(&vq->p.driver->off_wrap),
			vq_load16(&vq->p.device->flags),
			vq_load16(&vq->p.device->off_wrap));
}
