/* state.c: a virtio device's transport-independent state in and out of snapshots. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "virtio/state.h"
#include "virtio/virtio.h"
#include "core_internal.h"

/* 2 adds the device's own state (virtio_dev_save_device) at the end. */
#define VIRTIO_STATE_VERSION 2
#define DEVICE_STATE_MAX     (1u << 20)

static void save_ring(const struct virtq *vq, struct sbuf *out)
{
	if (vq->opts & VIRTQ_OPT_PACKED) {
		sbuf_put_u16(out, vq->p.next_avail);
		sbuf_put_u16(out, vq->p.next_used);
		sbuf_put_u8(out, vq->p.avail_wrap);
		sbuf_put_u8(out, vq->p.used_wrap);
		sbuf_put_u32(out, vq->p.signalled);
	} else {
		sbuf_put_u16(out, vq->s.last_avail);
		sbuf_put_u16(out, vq->s.used_idx);
		sbuf_put_u16(out, vq->s.signalled);
	}
	sbuf_put_u8(out, vq->signalled_valid);
	sbuf_put_u8(out, vq->broken);
}

static void save_queue(const struct virtio_queue *q, struct sbuf *out)
{
	sbuf_put_u16(out, q->size);
	sbuf_put_u8(out, q->enabled);
	for (unsigned int a = 0; a < VIRTIO_AREA_COUNT; a++)
		sbuf_put_u64(out, q->area[a]);
	sbuf_put_u16(out, q->msix_vector);
	if (q->enabled)
		save_ring(&q->vq, out);
}

int virtio_dev_save(struct virtio_device *vdev, struct sbuf *out)
{
	int ret;

	pthread_mutex_lock(&vdev->lock);
	sbuf_put_u32(out, VIRTIO_STATE_VERSION);
	sbuf_put_u32(out, vdev->device_id);
	for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
		sbuf_put_u64(out, vdev->offered.q[i]);
	for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
		sbuf_put_u64(out, vdev->acked.q[i]);
	sbuf_put_u8(out, __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE));
	sbuf_put_u32(out, __atomic_load_n(&vdev->config_gen, __ATOMIC_ACQUIRE));
	sbuf_put_u32(out, vdev->nr_queues);
	for (unsigned int i = 0; i < vdev->nr_queues; i++)
		save_queue(&vdev->queues[i], out);
	ret = virtio_dev_save_device(vdev, out);
	pthread_mutex_unlock(&vdev->lock);
	return ret ? ret : out->err;
}

int virtio_dev_save_device(struct virtio_device *vdev, struct sbuf *out)
{
	struct sbuf own;
	int ret = 0;

	sbuf_init(&own);
	if (vdev->ops->save)
		ret = vdev->ops->save(vdev, &own);
	if (!ret)
		ret = own.err;
	if (!ret && own.len > DEVICE_STATE_MAX)
		ret = -EFBIG;
	if (!ret) {
		sbuf_put_u32(out, (uint32_t)own.len);
		sbuf_put_bytes(out, own.data, own.len);
	}
	sbuf_free(&own);
	return ret;
}

int virtio_dev_restore_device(struct virtio_device *vdev,
			      struct sbuf_reader *in)
{
	uint32_t len = sbuf_get_u32(in);
	struct sbuf_reader own;
	int ret;

	if (in->err)
		return in->err;
	if (len > in->len - in->pos)
		return -EBADMSG;
	sbuf_reader_init(&own, in->data + in->pos, len);
	in->pos += len;
	if (!vdev->ops->restore)
		return len ? -EBADMSG : 0;
	ret = vdev->ops->restore(vdev, &own);
	return ret ? ret : sbuf_reader_done(&own);
}

static int restore_ring(struct virtq *vq, struct sbuf_reader *in)
{
	if (vq->opts & VIRTQ_OPT_PACKED) {
		vq->p.next_avail = sbuf_get_u16(in);
		vq->p.next_used = sbuf_get_u16(in);
		vq->p.avail_wrap = sbuf_get_u8(in);
		vq->p.used_wrap = sbuf_get_u8(in);
		vq->p.signalled = sbuf_get_u32(in);
	} else {
		vq->s.last_avail = sbuf_get_u16(in);
		vq->s.used_idx = sbuf_get_u16(in);
		vq->s.signalled = sbuf_get_u16(in);
	}
	vq->signalled_valid = sbuf_get_u8(in);
	vq->broken = sbuf_get_u8(in);
	if (!in->err && !virtq_positions_ok(vq))
		return -EINVAL;
	return in->err;
}

/* Lock held. */
static int restore_queue(struct virtio_device *vdev, unsigned int i,
			 struct sbuf_reader *in)
{
	struct virtio_queue *q = &vdev->queues[i];
	struct virtq_config cfg;
	int ret;

	q->size = sbuf_get_u16(in);
	q->enabled = sbuf_get_u8(in);
	for (unsigned int a = 0; a < VIRTIO_AREA_COUNT; a++)
		q->area[a] = sbuf_get_u64(in);
	q->msix_vector = sbuf_get_u16(in);
	if (in->err || !q->enabled)
		return in->err;
	if (!virtio_queue_size_ok(vdev, q, q->size)) {
		q->enabled = false;
		pr_err("%s: restored queue %u has size %u (max %u)", vdev->name,
		       i, q->size, q->size_max);
		return -EINVAL;
	}
	cfg = (struct virtq_config){
		.size = q->size,
		.opts = virtio_queue_opts(vdev),
		.desc = q->area[VIRTIO_AREA_DESC],
		.driver = q->area[VIRTIO_AREA_DRIVER],
		.device = q->area[VIRTIO_AREA_DEVICE],
	};
	ret = virtq_setup(&q->vq, vdev->mem, &cfg);
	if (ret) {
		q->enabled = false;
		pr_err("%s: restored queue %u does not fit in RAM: %s",
		       vdev->name, i, strerror(-ret));
		return ret;
	}
	ret = restore_ring(&q->vq, in);
	if (ret == -EINVAL)
		pr_err("%s: restored queue %u: ring position outside the "
		       "ring", vdev->name, i);
	return ret;
}

/* Bits minivmm offers that earlier versions did not (RING_PACKED since
 * stop 12): a snapshot whose device offered everything else but none of
 * these is of the same device, and keeps its offer, which is what its
 * driver read, for the rest of the VM's life. */
static bool offer_was_older(struct virtio_device *vdev,
			    const struct virtio_features *saved)
{
	static const unsigned int added[] = { VIRTIO_F_RING_PACKED };
	struct virtio_features older = vdev->offered;
	char was[VIRTIO_FEAT_STRLEN];

	for (unsigned int i = 0; i < ARRAY_SIZE(added); i++)
		virtio_feat_clear(&older, added[i]);
	if (virtio_feat_equal(saved, &vdev->offered) ||
	    !virtio_feat_equal(saved, &older))
		return false;
	vdev->offered = *saved;
	pr_info("%s: restoring the offer of an earlier minivmm (%s)",
		vdev->name, virtio_feat_format(saved, was, sizeof(was)));
	return true;
}

static int restore_header(struct virtio_device *vdev, struct sbuf_reader *in,
			  uint32_t *version)
{
	struct virtio_features offered;
	char was[VIRTIO_FEAT_STRLEN], now[VIRTIO_FEAT_STRLEN];
	uint32_t id;

	*version = sbuf_get_u32(in);
	id = sbuf_get_u32(in);
	for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
		offered.q[i] = sbuf_get_u64(in);
	if (in->err)
		return in->err;
	if (!*version || *version > VIRTIO_STATE_VERSION ||
	    id != vdev->device_id) {
		pr_err("%s: snapshot is of another device (version %u, id %u)",
		       vdev->name, *version, id);
		return -EINVAL;
	}
	if (offer_was_older(vdev, &offered))
		return 0;
	if (!virtio_feat_equal(&offered, &vdev->offered)) {
		pr_err("%s: the snapshot's device offered features %s, this "
		       "one offers %s (another back-end?)", vdev->name,
		       virtio_feat_format(&offered, was, sizeof(was)),
		       virtio_feat_format(&vdev->offered, now, sizeof(now)));
		return -EINVAL;
	}
	return 0;
}

/* What FEATURES_OK told the device when the driver set it: the back-end
 * (a tap's offloads, a header length) must hear it again. */
static int restore_features(struct virtio_device *vdev, uint8_t status)
{
	int ret;

	if (!virtio_feat_subset(&vdev->acked, &vdev->offered))
		return -EINVAL;
	if (!(status & VIRTIO_STATUS_FEATURES_OK) || !vdev->ops->features_ok)
		return 0;
	ret = vdev->ops->features_ok(vdev, &vdev->acked);
	if (ret)
		pr_err("%s: the device refuses the saved features: %s",
		       vdev->name, strerror(-ret));
	return ret;
}

/* Lock held. */
static int restore_locked(struct virtio_device *vdev, struct sbuf_reader *in,
			  uint8_t *status)
{
	uint32_t version;
	int ret = restore_header(vdev, in, &version);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < VIRTIO_FEAT_QWORDS; i++)
		vdev->acked.q[i] = sbuf_get_u64(in);
	*status = sbuf_get_u8(in);
	__atomic_store_n(&vdev->config_gen, sbuf_get_u32(in), __ATOMIC_RELEASE);
	if (sbuf_get_u32(in) != vdev->nr_queues) {
		pr_err("%s: snapshot has another number of queues", vdev->name);
		return in->err ? in->err : -EINVAL;
	}
	ret = in->err ? in->err : restore_features(vdev, *status);
	for (unsigned int i = 0; i < vdev->nr_queues && !ret; i++)
		ret = restore_queue(vdev, i, in);
	if (!ret && version >= 2)
		ret = virtio_dev_restore_device(vdev, in);
	return ret;
}

int virtio_dev_restore(struct virtio_device *vdev, struct sbuf_reader *in)
{
	uint8_t status = 0;
	int ret;

	pthread_mutex_lock(&vdev->lock);
	ret = restore_locked(vdev, in, &status);
	if (ret) {
		/* Leave a clean, reset device behind. */
		for (unsigned int i = 0; i < vdev->nr_queues; i++) {
			virtq_teardown(&vdev->queues[i].vq);
			vdev->queues[i].enabled = false;
		}
		vdev->acked = VIRTIO_FEATURES_EMPTY;
		status = 0;
	}
	__atomic_store_n(&vdev->status, status, __ATOMIC_RELEASE);
	if (!ret && (status & VIRTIO_STATUS_DRIVER_OK) &&
	    !(status & VIRTIO_STATUS_NEEDS_RESET) && vdev->ops->activate) {
		ret = vdev->ops->activate(vdev);
		if (ret)
			virtio_dev_fail(vdev, "activation after restore: %s",
					strerror(-ret));
		ret = 0;
	}
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}
