/* console.c: virtio console port 0: guest output to the VMM console, VMM console input to the guest. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "device.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "virtio/console.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"

#define VCON_QUEUE_SIZE 128
#define VCON_MAX_BUFS	VCON_QUEUE_SIZE
#define VCON_IN_SIZE	4096

/*
 * Threads: input arrives on the main thread (the console's receiver
 * callback, console lock held); it is copied into 'in' under in_lock and
 * the worker is kicked. The worker owns both queues: it writes transmitq
 * buffers to the console and moves 'in' into receiveq buffers, and tells
 * the console when it has room again (console_rx_ready only wakes the loop).
 */
struct virtio_con {
	struct device dev;
	struct virtio_device vdev;
	struct virtio_queue queues[2];
	struct virtio_worker worker;
	struct console *con;
	pthread_mutex_t in_lock;
	uint8_t in[VCON_IN_SIZE];
	size_t in_len;
	bool in_refused; /* the console holds input we could not take */
	struct virtq_buf bufs[VCON_MAX_BUFS];
};

static void vcon_tx(struct virtio_con *v)
{
	struct virtq_chain c;

	while (virtio_queue_pop(&v->vdev, VIRTIO_CONSOLE_TXQ, &c, v->bufs,
				VCON_MAX_BUFS) > 0) {
		for (unsigned int i = 0; i < c.nbufs; i++)
			if (!v->bufs[i].writable)
				console_write(v->con, v->bufs[i].addr,
					      v->bufs[i].len);
		virtio_queue_push(&v->vdev, VIRTIO_CONSOLE_TXQ, &c, 0);
		virtio_queue_interrupt(&v->vdev, VIRTIO_CONSOLE_TXQ);
	}
}

/* Copies pending input into one receive chain; in_lock held. */
static uint32_t vcon_fill(struct virtio_con *v, unsigned int nbufs)
{
	uint32_t done = 0;

	for (unsigned int i = 0; i < nbufs && done < v->in_len; i++) {
		uint32_t n;

		if (!v->bufs[i].writable)
			continue;
		n = (uint32_t)MIN((size_t)v->bufs[i].len, v->in_len - done);
		memcpy(v->bufs[i].addr, v->in + done, n);
		done += n;
	}
	memmove(v->in, v->in + done, v->in_len - done);
	v->in_len -= done;
	return done;
}

static void vcon_rx(struct virtio_con *v)
{
	bool wake = false;
	struct virtq_chain c;
	uint32_t n;

	pthread_mutex_lock(&v->in_lock);
	while (v->in_len && virtio_queue_pop(&v->vdev, VIRTIO_CONSOLE_RXQ, &c,
					     v->bufs, VCON_MAX_BUFS) > 0) {
		n = vcon_fill(v, c.nbufs);
		virtio_queue_push(&v->vdev, VIRTIO_CONSOLE_RXQ, &c, n);
		virtio_queue_interrupt(&v->vdev, VIRTIO_CONSOLE_RXQ);
	}
	if (v->in_refused && v->in_len < VCON_IN_SIZE) {
		v->in_refused = false;
		wake = true;
	}
	pthread_mutex_unlock(&v->in_lock);
	if (wake)
		console_rx_ready(v->con);
}

static void vcon_work(void *opaque)
{
	struct virtio_con *v = opaque;

	vcon_tx(v);
	vcon_rx(v);
}

/* The console's receiver: main thread, console lock held. */
static size_t vcon_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct virtio_con *v = opaque;
	size_t n;

	pthread_mutex_lock(&v->in_lock);
	n = MIN(len, VCON_IN_SIZE - v->in_len);
	memcpy(v->in + v->in_len, buf, n);
	v->in_len += n;
	if (n < len)
		v->in_refused = true;
	pthread_mutex_unlock(&v->in_lock);
	if (n)
		virtio_worker_kick(&v->worker);
	return n;
}

static int vcon_activate(struct virtio_device *vdev)
{
	return virtio_worker_start(&container_of(vdev, struct virtio_con,
						 vdev)->worker);
}

static void vcon_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	virtio_worker_kick(&container_of(vdev, struct virtio_con, vdev)->worker);
}

static void vcon_reset(struct virtio_device *vdev)
{
	virtio_worker_stop(&container_of(vdev, struct virtio_con, vdev)->worker);
}

/* No F_SIZE, F_MULTIPORT or F_EMERG_WRITE: the driver reads nothing;
 * the space reads as zeroes. */
static void vcon_get_config(struct virtio_device *vdev, uint32_t off,
			    void *buf, uint32_t len)
{
}

/* Snapshots: the input taken from the console but not yet given to the
 * driver (the worker is held, so it stays put meanwhile). */
static int vcon_save(struct virtio_device *vdev, struct sbuf *out)
{
	struct virtio_con *v = container_of(vdev, struct virtio_con, vdev);

	pthread_mutex_lock(&v->in_lock);
	sbuf_put_u32(out, (uint32_t)v->in_len);
	sbuf_put_bytes(out, v->in, v->in_len);
	pthread_mutex_unlock(&v->in_lock);
	return out->err;
}

static int vcon_restore(struct virtio_device *vdev, struct sbuf_reader *in)
{
	struct virtio_con *v = container_of(vdev, struct virtio_con, vdev);
	uint32_t len = sbuf_get_u32(in);

	if (in->err || len > VCON_IN_SIZE)
		return -EINVAL;
	pthread_mutex_lock(&v->in_lock);
	sbuf_get_bytes(in, v->in, len);
	v->in_len = in->err ? 0 : len;
	pthread_mutex_unlock(&v->in_lock);
	return in->err; /* activation kicks the worker, which delivers it */
}

static const struct virtio_device_ops vcon_ops = {
	.get_config = vcon_get_config,
	.activate = vcon_activate,
	.queue_notify = vcon_queue_notify,
	.reset = vcon_reset,
	.save = vcon_save,
	.restore = vcon_restore,
};

static void vcon_destroy(struct device *dev)
{
	struct virtio_con *v = container_of(dev, struct virtio_con, dev);

	virtio_worker_destroy(&v->worker);
	pthread_mutex_destroy(&v->in_lock);
	free(v);
}

static const struct device_ops vcon_dev_ops = {
	.destroy = vcon_destroy,
};

static int vcon_init(struct virtio_con *v, struct vm *vm)
{
	int ret;

	v->vdev = (struct virtio_device){
		.name = "virtio-console",
		.device_id = VIRTIO_ID_CONSOLE,
		.ops = &vcon_ops,
		.config_len = VIRTIO_CONSOLE_CFG_LEN,
		.queues = v->queues,
		.nr_queues = 2,
		.mem = &vm->mem,
	};
	virtio_feat_set(&v->vdev.offered, VIRTIO_F_VERSION_1);
	virtio_feat_set(&v->vdev.offered, VIRTIO_F_RING_PACKED);
	v->queues[0].size_max = v->queues[1].size_max = VCON_QUEUE_SIZE;
	v->con = vm->console;
	ret = -pthread_mutex_init(&v->in_lock, NULL);
	if (ret)
		return ret;
	ret = virtio_worker_init(&v->worker, "virtio-console", vcon_work, v);
	if (!ret) {
		ret = virtio_dev_init(&v->vdev);
		if (ret)
			virtio_worker_destroy(&v->worker);
	}
	if (ret)
		pthread_mutex_destroy(&v->in_lock);
	return ret;
}

int virtio_console_create(struct vm *vm, struct virtio_device **vdev,
			  struct virtio_worker **worker)
{
	struct virtio_con *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	ret = vcon_init(v, vm);
	if (ret) {
		free(v);
		return ret;
	}
	v->dev = (struct device){ .name = "virtio-console",
				  .ops = &vcon_dev_ops };
	vm_add_device(vm, &v->dev);
	console_set_receiver(vm->console, vcon_receive, v);
	*vdev = &v->vdev;
	*worker = &v->worker;
	return 0;
}
