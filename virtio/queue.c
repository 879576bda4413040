/* queue.c: the virtqueue front end: setup, split/packed dispatch and the buffer checks both walkers share. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "util.h"
#include "virtio/queue.h"
#include "queue_internal.h"

void *vq_ring_area(const struct virtq *vq, uint64_t gpa, uint64_t len,
		   uint64_t align)
{
	if (!IS_ALIGNED(gpa, align))
		return NULL;
	return guest_mem_ptr(vq->mem, gpa, len);
}

int virtq_setup(struct virtq *vq, const struct guest_mem *mem,
		const struct virtq_config *cfg)
{
	int ret;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->size = cfg->size;
	vq->opts = cfg->opts;
	if (!cfg->size || cfg->size > VIRTQ_MAX_SIZE)
		return -EINVAL;
	if (cfg->opts & VIRTQ_OPT_PACKED)
		ret = vq_packed_setup(vq, cfg);
	else
		ret = vq_split_setup(vq, cfg);
	if (ret)
		return ret;
	vq->ready = true;
	return 0;
}

void virtq_teardown(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

bool virtq_positions_ok(const struct virtq *vq)
{
	/* Split: at most a ring's worth popped and not yet pushed; a used
	 * index ahead of the avail one would, with the driver's and the
	 * device's areas overlapping, feed the device its own pushes. */
	if (!(vq->opts & VIRTQ_OPT_PACKED))
		return (uint16_t)(vq->s.last_avail - vq->s.used_idx) <=
		       vq->size;
	return vq->p.next_avail < vq->size && vq->p.next_used < vq->size;
}

void vq_walk_start(struct vq_walk *w, struct virtq_chain *chain,
		   struct virtq_buf *bufs, unsigned int max_bufs)
{
	memset(chain, 0, sizeof(*chain));
	w->chain = chain;
	w->bufs = bufs;
	w->max_bufs = max_bufs;
	w->total = 0;
	w->seen_writable = false;
}

int vq_walk_add(const struct virtq *vq, struct vq_walk *w, uint64_t addr,
		uint32_t len, bool writable)
{
	struct virtq_chain *c = w->chain;
	void *p;

	if (!len && !(vq->opts & VIRTQ_OPT_ZERO_LEN))
		return -EINVAL;
	w->total += len;
	if (w->total > UINT32_MAX)
		return -EOVERFLOW;
	if (c->nbufs >= w->max_bufs)
		return -ENOBUFS;
	/* A 0-byte buffer still has to name RAM; ask for one byte there. */
	p = guest_mem_ptr(vq->mem, addr, len ? len : 1);
	if (!p)
		return -EFAULT;
	w->bufs[c->nbufs++] = (struct virtq_buf){ p, len, writable };
	if (writable) {
		c->writable_len += len;
		w->seen_writable = true;
	} else {
		c->readable_len += len;
		c->misordered |= w->seen_writable;
	}
	return 0;
}

int vq_indirect_table(const struct virtq *vq, uint64_t addr, uint32_t len,
		      const uint8_t **table, uint32_t *n)
{
	if (!(vq->opts & VIRTQ_OPT_INDIRECT))
		return -EINVAL;
	if (!len || len % VIRTQ_DESC_SIZE ||
	    len / VIRTQ_DESC_SIZE > VIRTQ_MAX_SIZE)
		return -EINVAL;
	*table = guest_mem_ptr(vq->mem, addr, len);
	if (!*table)
		return -EFAULT;
	*n = len / VIRTQ_DESC_SIZE;
	return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain,
	      struct virtq_buf *bufs, unsigned int max_bufs)
{
	struct virtq_chain found;
	struct vq_walk w;
	int ret;

	if (!vq->ready || vq->broken)
		return -EIO;
	vq_walk_start(&w, &found, bufs, max_bufs);
	if (vq->opts & VIRTQ_OPT_PACKED)
		ret = vq_packed_pop(vq, &w);
	else
		ret = vq_split_pop(vq, &w);
	if (ret < 0) {
		vq->broken = true;
	} else if (ret > 0) {
		vq->inflight++;
		*chain = found;
	}
	return ret;
}

int virtq_push(struct virtq *vq, const struct virtq_chain *chain,
	       uint32_t written)
{
	if (!vq->ready || !vq->inflight)
		return -EINVAL;
	written = MIN(written, chain->writable_len);
	if (vq->opts & VIRTQ_OPT_PACKED)
		vq_packed_push(vq, chain, written);
	else
		vq_split_push(vq, chain, written);
	vq->inflight--;
	return 0;
}

/* The packed ring's position goes back by the chain's slots, wrapping
 * (and flipping the wrap counter) below slot 0. */
static void packed_unpop(struct virtq *vq, uint16_t ndesc)
{
	uint32_t slot = vq->p.next_avail;

	if (slot < ndesc) {
		slot += vq->size;
		vq->p.avail_wrap = !vq->p.avail_wrap;
	}
	vq->p.next_avail = (uint16_t)(slot - ndesc);
}

int virtq_unpop(struct virtq *vq, const struct virtq_chain *chain)
{
	if (!vq->ready || !vq->inflight || chain->ndesc > vq->size)
		return -EINVAL;
	if (vq->opts & VIRTQ_OPT_PACKED)
		packed_unpop(vq, chain->ndesc);
	else
		vq->s.last_avail--;
	vq->inflight--;
	return 0;
}

bool virtq_need_interrupt(struct virtq *vq)
{
	if (!vq->ready)
		return false;
	if (vq->opts & VIRTQ_OPT_PACKED)
		return vq_packed_need_interrupt(vq);
	return vq_split_need_interrupt(vq);
}

void virtq_disable_notify(struct virtq *vq)
{
	if (!vq->ready)
		return;
	if (vq->opts & VIRTQ_OPT_PACKED)
		vq_packed_set_notify(vq, false);
	else
		vq_split_set_notify(vq, false);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (!vq->ready)
		return false;
	if (vq->opts & VIRTQ_OPT_PACKED)
		vq_packed_set_notify(vq, true);
	else
		vq_split_set_notify(vq, true);
	/* Publish the request before looking at the ring again; pairs with
	 * the driver's barrier between adding buffers and reading flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return virtq_has_avail(vq);
}

int virtq_describe(const struct virtq *vq, char *buf, size_t len)
{
	if (!vq->ready)
		return snprintf(buf, len, "not set up");
	if (vq->opts & VIRTQ_OPT_PACKED)
		return vq_packed_describe(vq, buf, len);
	return vq_split_describe(vq, buf, len);
}

bool virtq_has_avail(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	if (vq->opts & VIRTQ_OPT_PACKED)
		return vq_packed_has_avail(vq);
	return vq_split_has_avail(vq);
}
