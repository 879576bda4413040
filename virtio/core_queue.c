/* core_queue.c: virtio queue configuration by the driver and the device's lock-free queue calls. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "virtio/virtio.h"
#include "core_internal.h"

void virtio_queues_reset(struct virtio_device *vdev)
{
	for (unsigned int i = 0; i < vdev->nr_queues; i++) {
		struct virtio_queue *q = &vdev->queues[i];

		virtq_teardown(&q->vq);
		q->size = q->size_max;
		q->enabled = false;
		memset(q->area, 0, sizeof(q->area));
		q->msix_vector = VIRTIO_NO_VECTOR;
	}
}

unsigned int virtio_num_queues(const struct virtio_device *vdev)
{
	return vdev->nr_queues;
}

static struct virtio_queue *virtio_queue_get(struct virtio_device *vdev,
					     unsigned int q)
{
	return q < vdev->nr_queues ? &vdev->queues[q] : NULL;
}

/* May the driver program queue q now? After FEATURES_OK, before enable. */
static int virtio_queue_writable(struct virtio_device *vdev,
				 const struct virtio_queue *vq, unsigned int q)
{
	uint8_t s = virtio_status(vdev);

	if (!vq)
		return -ENOENT;
	if (s & VIRTIO_STATUS_FEATURES_OK && !vq->enabled)
		return 0;
	virtio_warn_once(vdev, VIRTIO_WARN_QUEUE_STATE,
			 "queue %u programmed %s; ignored", q,
			 vq->enabled ? "while enabled" : "before FEATURES_OK");
	return -EBUSY;
}

uint16_t virtio_queue_size_max(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);

	return vq ? vq->size_max : 0; /* constant */
}

uint16_t virtio_queue_get_size(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	uint16_t size = 0;

	pthread_mutex_lock(&vdev->lock);
	if (vq)
		size = vq->size;
	pthread_mutex_unlock(&vdev->lock);
	return size;
}

bool virtio_queue_size_ok(struct virtio_device *vdev,
			  const struct virtio_queue *vq, uint16_t size)
{
	if (!size || size > vq->size_max)
		return false;
	return virtio_dev_has_feature(vdev, VIRTIO_F_RING_PACKED) ||
	       !(size & (size - 1));
}

int virtio_queue_set_size(struct virtio_device *vdev, unsigned int q,
			  uint16_t size)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	int ret;

	pthread_mutex_lock(&vdev->lock);
	ret = virtio_queue_writable(vdev, vq, q);
	if (!ret && !virtio_queue_size_ok(vdev, vq, size)) {
		virtio_warn_once(vdev, VIRTIO_WARN_QUEUE_SIZE,
				 "queue %u: size %u rejected (max %u%s)", q,
				 size, vq->size_max,
				 virtio_dev_has_feature(vdev,
							VIRTIO_F_RING_PACKED) ?
					 "" : ", split rings need a power of two");
		size = 0;
		ret = -EINVAL;
	}
	if (ret != -EBUSY && vq)
		vq->size = size;
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}

uint64_t virtio_queue_get_area(struct virtio_device *vdev, unsigned int q,
			       enum virtio_queue_area area)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	uint64_t gpa = 0;

	pthread_mutex_lock(&vdev->lock);
	if (vq && area < VIRTIO_AREA_COUNT)
		gpa = vq->area[area];
	pthread_mutex_unlock(&vdev->lock);
	return gpa;
}

int virtio_queue_set_area(struct virtio_device *vdev, unsigned int q,
			  enum virtio_queue_area area, uint64_t gpa)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	int ret;

	if (area >= VIRTIO_AREA_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&vdev->lock);
	ret = virtio_queue_writable(vdev, vq, q);
	if (!ret)
		vq->area[area] = gpa;
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}

uint16_t virtio_queue_get_vector(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	uint16_t vec = VIRTIO_NO_VECTOR;

	pthread_mutex_lock(&vdev->lock);
	if (vq)
		vec = vq->msix_vector;
	pthread_mutex_unlock(&vdev->lock);
	return vec;
}

/* The transport checks the vector against its MSI-X table size. */
int virtio_queue_set_vector(struct virtio_device *vdev, unsigned int q,
			    uint16_t vector)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);

	if (!vq)
		return -ENOENT;
	pthread_mutex_lock(&vdev->lock);
	vq->msix_vector = vector;
	pthread_mutex_unlock(&vdev->lock);
	return 0;
}

bool virtio_queue_enabled(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	bool on = false;

	pthread_mutex_lock(&vdev->lock);
	if (vq)
		on = vq->enabled;
	pthread_mutex_unlock(&vdev->lock);
	return on;
}

unsigned int virtio_queue_opts(const struct virtio_device *vdev)
{
	static const struct {
		unsigned int bit, opt;
	} map[] = {
		{ VIRTIO_F_RING_PACKED, VIRTQ_OPT_PACKED },
		{ VIRTIO_F_RING_EVENT_IDX, VIRTQ_OPT_EVENT_IDX },
		{ VIRTIO_F_RING_INDIRECT_DESC, VIRTQ_OPT_INDIRECT },
		{ VIRTIO_F_NOTIFY_ON_EMPTY, VIRTQ_OPT_NOTIFY_ON_EMPTY },
	};
	unsigned int opts = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(map); i++)
		if (virtio_dev_has_feature(vdev, map[i].bit))
			opts |= map[i].opt;
	return opts;
}

static int virtio_queue_enable_locked(struct virtio_device *vdev,
				      struct virtio_queue *vq, unsigned int q)
{
	struct virtq_config cfg;
	int ret = virtio_queue_writable(vdev, vq, q);

	if (ret)
		return ret; /* before vq is read: NULL for a queue that does
			     * not exist (the driver's queue select) */
	cfg = (struct virtq_config){
		.size = vq->size,
		.opts = virtio_queue_opts(vdev),
		.desc = vq->area[VIRTIO_AREA_DESC],
		.driver = vq->area[VIRTIO_AREA_DRIVER],
		.device = vq->area[VIRTIO_AREA_DEVICE],
	};
	ret = virtq_setup(&vq->vq, vdev->mem, &cfg);
	if (ret) {
		virtio_dev_fail(vdev,
				"queue %u: size %u desc 0x%llx driver 0x%llx "
				"device 0x%llx: %s", q, cfg.size,
				(unsigned long long)cfg.desc,
				(unsigned long long)cfg.driver,
				(unsigned long long)cfg.device, strerror(-ret));
		return ret;
	}
	/* The ring state before the flag: a running worker may see the
	 * queue as soon as it is set (a queue enabled after DRIVER_OK). */
	__atomic_store_n(&vq->enabled, true, __ATOMIC_RELEASE);
	return 0;
}

int virtio_queue_enable(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	int ret;

	pthread_mutex_lock(&vdev->lock);
	ret = virtio_queue_enable_locked(vdev, vq, q);
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}

int virtio_queue_disable(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);
	int ret = 0;

	if (!vq)
		return -ENOENT;
	pthread_mutex_lock(&vdev->lock);
	if (vq->enabled && (virtio_status(vdev) & VIRTIO_STATUS_DRIVER_OK)) {
		ret = -EBUSY;
	} else if (vq->enabled) { /* no worker runs before DRIVER_OK */
		vq->enabled = false;
		virtq_teardown(&vq->vq);
	}
	pthread_mutex_unlock(&vdev->lock);
	return ret;
}

void virtio_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);

	if (vq)
		__atomic_add_fetch(&vq->notifies, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&vdev->lock);
	if (vq && vq->enabled && virtio_running(vdev) &&
	    vdev->ops->queue_notify)
		vdev->ops->queue_notify(vdev, q);
	pthread_mutex_unlock(&vdev->lock);
}

/* The ring of a queue the device may use, or NULL. */
static struct virtq *virtio_live_vq(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);

	if (!vq || !__atomic_load_n(&vq->enabled, __ATOMIC_ACQUIRE) ||
	    !virtio_running(vdev))
		return NULL;
	return &vq->vq;
}

int virtio_queue_pop(struct virtio_device *vdev, unsigned int q,
		     struct virtq_chain *chain, struct virtq_buf *bufs,
		     unsigned int max_bufs)
{
	struct virtq *vq = virtio_live_vq(vdev, q);
	int ret;

	if (!vq || vq->broken)
		return -EIO;
	ret = virtq_pop(vq, chain, bufs, max_bufs);
	if (ret < 0)
		virtio_dev_fail(vdev, "queue %u: malformed ring: %s", q,
				strerror(-ret));
	return ret;
}

int virtio_queue_push(struct virtio_device *vdev, unsigned int q,
		      const struct virtq_chain *chain, uint32_t written)
{
	struct virtq *vq = virtio_live_vq(vdev, q);

	return vq ? virtq_push(vq, chain, written) : -EIO;
}

static void virtio_send_used(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_queue *vq = virtio_queue_get(vdev, q);

	if (!vdev->tops || !vdev->tops->notify_used)
		return;
	if (vq)
		__atomic_add_fetch(&vq->interrupts, 1, __ATOMIC_RELAXED);
	vdev->tops->notify_used(vdev, q);
}

void virtio_queue_interrupt(struct virtio_device *vdev, unsigned int q)
{
	struct virtq *vq = virtio_live_vq(vdev, q);

	if (vq && virtq_need_interrupt(vq))
		virtio_send_used(vdev, q);
}

void virtio_notify_used(struct virtio_device *vdev, unsigned int q)
{
	if (virtio_get_status(vdev) & VIRTIO_STATUS_DRIVER_OK)
		virtio_send_used(vdev, q);
}

void virtio_dev_report(struct virtio_device *vdev, const char *who)
{
	char ring[320];

	pr_debug("%s: status 0x%x", who, virtio_get_status(vdev));
	for (unsigned int q = 0; q < vdev->nr_queues; q++) {
		struct virtio_queue *vq = &vdev->queues[q];
		uint64_t kicks = __atomic_load_n(&vq->notifies,
						 __ATOMIC_RELAXED);
		uint64_t irqs = __atomic_load_n(&vq->interrupts,
						__ATOMIC_RELAXED);

		if (!vq->enabled && !kicks && !irqs)
			continue; /* never used */
		if (vq->enabled)
			virtq_describe(&vq->vq, ring, sizeof(ring));
		else
			snprintf(ring, sizeof(ring), "disabled (reset)");
		pr_debug("%s: queue %u: %" PRIu64 " notifications, %" PRIu64
			 " interrupts; %s", who, q, kicks, irqs, ring);
	}
}

bool virtio_queue_has_avail(struct virtio_device *vdev, unsigned int q)
{
	struct virtq *vq = virtio_live_vq(vdev, q);

	return vq && virtq_has_avail(vq);
}

bool virtio_queue_notify_enable(struct virtio_device *vdev, unsigned int q,
				bool enable)
{
	struct virtq *vq = virtio_live_vq(vdev, q);

	if (!vq)
		return false;
	if (enable)
		return virtq_enable_notify(vq);
	virtq_disable_notify(vq);
	return false;
}
