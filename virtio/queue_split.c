/* queue_split.c: the split virtqueue walker: avail ring in, used ring out, chains and indirect tables. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "virtio/queue.h"
#include "queue_internal.h"

static uint16_t *split_used_event(const struct virtq *vq)
{
	return &vq->s.avail->ring[vq->size];
}

static uint16_t *split_avail_event(const struct virtq *vq)
{
	return (uint16_t *)&vq->s.used->ring[vq->size];
}

int vq_split_setup(struct virtq *vq, const struct virtq_config *cfg)
{
	uint64_t ev = cfg->opts & VIRTQ_OPT_EVENT_IDX ? 2 : 0;
	uint64_t n = cfg->size;

	if (n & (n - 1))
		return -EINVAL;
	if (!IS_ALIGNED(cfg->desc, 16) || !IS_ALIGNED(cfg->driver, 2) ||
	    !IS_ALIGNED(cfg->device, 4))
		return -EINVAL;
	vq->s.desc = vq_ring_area(vq, cfg->desc, VIRTQ_DESC_SIZE * n, 16);
	vq->s.avail = vq_ring_area(vq, cfg->driver, 4 + 2 * n + ev, 2);
	vq->s.used = vq_ring_area(vq, cfg->device, 4 + 8 * n + ev, 4);
	if (!vq->s.desc || !vq->s.avail || !vq->s.used)
		return -EFAULT;
	return 0;
}

static void split_read_desc(const uint8_t *table, uint32_t i,
			    struct virtq_desc *d)
{
	memcpy(d, table + (size_t)i * VIRTQ_DESC_SIZE, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/*
 * Follow the chain at head. A chain may hold direct descriptors and end in
 * one indirect descriptor; steps are bounded by the size of the table being
 * walked, which catches loops in the ring and in an indirect table alike.
 */
static int split_walk(struct virtq *vq, struct vq_walk *w, uint16_t head)
{
	const uint8_t *table = (const uint8_t *)vq->s.desc;
	uint32_t n = vq->size, i = head, steps = 0;
	bool indirect = false;
	struct virtq_desc d;
	int ret;

	if (head >= vq->size)
		return -EINVAL;
	for (;;) {
		if (++steps > n)
			return -ELOOP;
		split_read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect || d.flags & VIRTQ_DESC_F_NEXT)
				return -EINVAL;
			ret = vq_indirect_table(vq, d.addr, d.len, &table, &n);
			if (ret)
				return ret;
			indirect = true;
			steps = 0;
			i = 0;
			continue;
		}
		ret = vq_walk_add(vq, w, d.addr, d.len,
				  d.flags & VIRTQ_DESC_F_WRITE);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= n)
			return -EINVAL;
	}
	w->chain->id = head;
	w->chain->ndesc = 1;
	return 0;
}

int vq_split_pop(struct virtq *vq, struct vq_walk *w)
{
	/* Acquire: the ring entry and descriptors were written before idx. */
	uint16_t avail_idx = vq_load16_acquire(&vq->s.avail->idx);
	uint16_t pending = avail_idx - vq->s.last_avail;
	uint16_t head;
	int ret;

	if (pending > vq->size)
		return -EPROTO;
	if (!pending)
		return 0;
	head = vq_load16(&vq->s.avail->ring[vq->s.last_avail & (vq->size - 1)]);
	ret = split_walk(vq, w, head);
	if (ret)
		return ret;
	vq->s.last_avail++;
	return 1;
}

void vq_split_push(struct virtq *vq, const struct virtq_chain *chain,
		   uint32_t written)
{
	struct virtq_used_elem *e =
		&vq->s.used->ring[vq->s.used_idx & (vq->size - 1)];

	vq_store32(&e->id, chain->id);
	vq_store32(&e->len, written);
	vq->s.used_idx++;
	/* Release: the element is visible before the index that covers it. */
	vq_store16_release(&vq->s.used->idx, vq->s.used_idx);
}

bool vq_split_has_avail(struct virtq *vq)
{
	return vq_load16_acquire(&vq->s.avail->idx) != vq->s.last_avail;
}

bool vq_split_need_interrupt(struct virtq *vq)
{
	uint16_t old = vq->s.signalled, new = vq->s.used_idx;
	bool valid = vq->signalled_valid, notify;

	/* Our used idx store must be visible before we read the driver's
	 * used_event/flags; pairs with the driver's barrier on its side. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->s.signalled = new;
	vq->signalled_valid = true;
	if (vq->opts & VIRTQ_OPT_NOTIFY_ON_EMPTY && !vq->inflight &&
	    !vq_split_has_avail(vq))
		return true;
	if (vq->opts & VIRTQ_OPT_EVENT_IDX)
		notify = !valid ||
			 virtq_need_event(vq_load16(split_used_event(vq)), new,
					  old);
	else
		notify = !(vq_load16(&vq->s.avail->flags) &
			   VIRTQ_AVAIL_F_NO_INTERRUPT);
	return notify;
}

void vq_split_set_notify(struct virtq *vq, bool enable)
{
	if (vq->opts & VIRTQ_OPT_EVENT_IDX) {
		/* "Notify me once you add past last_avail"; nothing to do to
		 * disable: the event stays behind as we consume. */
		if (enable)
			vq_store16(split_avail_event(vq), vq->s.last_avail);
		return;
	}
	vq_store16(&vq->s.used->flags, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY);
}

int vq_split_describe(const struct virtq *vq, char *buf, size_t len)
{
	bool ev = vq->opts & VIRTQ_OPT_EVENT_IDX;

	return snprintf(buf, len,
			"split: avail idx %u flags 0x%x used_event %d; device "
			"at %u, used idx %u (ring %u) flags 0x%x avail_event "
			"%d, signalled %u",
			vq_load16(&vq->s.avail->idx),
			vq_load16(&vq->s.avail->flags),
			ev ? vq_load16(split_used_event(vq)) : -1,
			vq->s.last_avail, vq->s.used_idx,
			vq_load16(&vq->s.used->idx),
			vq_load16(&vq->s.used->flags),
			ev ? vq_load16(split_avail_event(vq)) : -1,
			vq->s.signalled);
}
