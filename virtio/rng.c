/* rng.c: virtio-rng: fills the driver's buffers from getrandom() on a worker thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "device.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"

#define RNG_QUEUE_SIZE 64
#define RNG_MAX_BUFS   RNG_QUEUE_SIZE
#define RNG_MAX_CHAIN  (64 * 1024) /* bytes given per request at most */

/* getrandom() can block early in the host's boot: the worker does it. */
struct virtio_rng {
	struct device dev;
	struct virtio_device vdev;
	struct virtio_queue queue;
	struct virtio_worker worker;
	struct virtq_buf bufs[RNG_MAX_BUFS];
	uint64_t bytes;
};

static uint32_t rng_fill(const struct virtq_buf *bufs, unsigned int n)
{
	uint32_t total = 0;

	for (unsigned int i = 0; i < n && total < RNG_MAX_CHAIN; i++) {
		uint32_t want = MIN(bufs[i].len, RNG_MAX_CHAIN - total), got = 0;

		if (!bufs[i].writable)
			continue;
		while (got < want) {
			ssize_t r = getrandom((uint8_t *)bufs[i].addr + got,
					      want - got, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return total + got;
			got += (uint32_t)r;
		}
		total += got;
	}
	return total;
}

static void rng_work(void *opaque)
{
	struct virtio_rng *r = opaque;
	struct virtq_chain c;
	uint32_t n;
	int ret;

	while ((ret = virtio_queue_pop(&r->vdev, 0, &c, r->bufs,
				       RNG_MAX_BUFS)) > 0) {
		n = rng_fill(r->bufs, c.nbufs);
		r->bytes += n;
		virtio_queue_push(&r->vdev, 0, &c, n);
		virtio_queue_interrupt(&r->vdev, 0);
	}
}

static int rng_activate(struct virtio_device *vdev)
{
	return virtio_worker_start(&container_of(vdev, struct virtio_rng,
						 vdev)->worker);
}

static void rng_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	virtio_worker_kick(&container_of(vdev, struct virtio_rng, vdev)->worker);
}

static void rng_reset(struct virtio_device *vdev)
{
	virtio_worker_stop(&container_of(vdev, struct virtio_rng, vdev)->worker);
}

static const struct virtio_device_ops rng_ops = {
	.activate = rng_activate,
	.queue_notify = rng_queue_notify,
	.reset = rng_reset,
};

static void rng_destroy(struct device *dev)
{
	struct virtio_rng *r = container_of(dev, struct virtio_rng, dev);

	virtio_worker_destroy(&r->worker);
	free(r);
}

static void rng_report(struct device *dev)
{
	struct virtio_rng *r = container_of(dev, struct virtio_rng, dev);

	pr_debug("virtio-rng: %llu bytes given", (unsigned long long)r->bytes);
}

static const struct device_ops rng_dev_ops = {
	.destroy = rng_destroy,
	.report = rng_report,
};

int virtio_rng_create(struct vm *vm, struct virtio_device **vdev,
		      struct virtio_worker **worker)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	r->vdev = (struct virtio_device){
		.name = "virtio-rng",
		.device_id = VIRTIO_ID_RNG,
		.ops = &rng_ops,
		.queues = &r->queue,
		.nr_queues = 1,
		.mem = &vm->mem,
	};
	virtio_feat_set(&r->vdev.offered, VIRTIO_F_VERSION_1);
	virtio_feat_set(&r->vdev.offered, VIRTIO_F_RING_PACKED);
	r->queue.size_max = RNG_QUEUE_SIZE;
	ret = virtio_worker_init(&r->worker, "virtio-rng", rng_work, r);
	if (!ret) {
		ret = virtio_dev_init(&r->vdev);
		if (ret)
			virtio_worker_destroy(&r->worker);
	}
	if (ret) {
		free(r);
		return ret;
	}
	r->dev = (struct device){ .name = "virtio-rng", .ops = &rng_dev_ops };
	vm_add_device(vm, &r->dev);
	*vdev = &r->vdev;
	*worker = &r->worker;
	return 0;
}
