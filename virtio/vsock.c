/* vsock.c: the virtio-vsock device: rx/tx in the kernel (vhost-vsock), the event queue left to userspace, eventfd relays to the transport. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "device.h"
#include "eventloop.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"
#include "virtio/vsock.h"

#define VSOCK_PATH	 "/dev/vhost-vsock"
#define VSOCK_QUEUE_SIZE 256
#define VSOCK_NR_VHOST	 2 /* rx, tx; queue 2 is the event queue */
#define VSOCK_NR_QUEUES	 3

struct virtio_vsock {
	struct device dev;
	struct virtio_device vdev;
	struct virtio_queue queues[VSOCK_NR_QUEUES];
	struct vhost_dev vh;
	uint64_t cid;
	uint8_t config[VIRTIO_VSOCK_CFG_LEN];
	int kick_fd[VSOCK_NR_VHOST], call_fd[VSOCK_NR_VHOST];
	struct event_loop *loop;
	bool running;
};

static struct virtio_vsock *to_vsock(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_vsock, vdev);
}

static void vsock_get_config(struct virtio_device *vdev, uint32_t off,
			     void *buf, uint32_t len)
{
	memcpy(buf, to_vsock(vdev)->config + off, len);
}

static int vsock_set_running(struct virtio_vsock *v, int on)
{
	int ret = v->vh.ioctl(v->vh.ioctl_ctx, v->vh.fd, VH_VSOCK_SET_RUNNING,
			      &on);

	if (ret)
		pr_err("vhost-vsock: VHOST_VSOCK_SET_RUNNING(%d): %s", on,
		       strerror(-ret));
	else
		v->running = on;
	return ret;
}

static int vsock_activate(struct virtio_device *vdev)
{
	struct virtio_vsock *v = to_vsock(vdev);
	struct virtio_features f;
	int ret;

	virtio_feat_and(&f, &vdev->acked, &v->vh.features);
	ret = vhost_set_features(&v->vh, &f);
	if (!ret)
		ret = vhost_set_mem_table(&v->vh, vdev->mem);
	for (unsigned int q = 0; q < VSOCK_NR_VHOST && !ret; q++)
		ret = vhost_vring_setup(&v->vh, q, vdev->mem, &v->queues[q],
					v->kick_fd[q], v->call_fd[q], -1);
	return ret ? ret : vsock_set_running(v, 1);
}

static void vsock_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_vsock *v = to_vsock(vdev);

	/* The event queue only holds buffers for events we never send
	 * (transport resets happen on migration, which minivmm lacks). */
	if (q < VSOCK_NR_VHOST)
		vhost_kick(v->kick_fd[q]);
}

static void vsock_reset(struct virtio_device *vdev)
{
	struct virtio_vsock *v = to_vsock(vdev);

	if (v->running)
		vsock_set_running(v, 0);
}

/* vhost-vsock keeps the queues' positions and the connections in the
 * kernel: a snapshot of a running device is refused. */
static int vsock_save(struct virtio_device *vdev, struct sbuf *out)
{
	if (!to_vsock(vdev)->running)
		return 0;
	pr_err("virtio-vsock: a snapshot cannot hold vhost-vsock's state "
	       "(its queues and connections live in the host kernel)");
	return -EOPNOTSUPP;
}

static const struct virtio_device_ops vsock_ops = {
	.get_config = vsock_get_config,
	.activate = vsock_activate,
	.queue_notify = vsock_queue_notify,
	.reset = vsock_reset,
	.save = vsock_save,
};

static int vsock_call_ready(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	struct virtio_device *vdev = &v->vdev;

	for (unsigned int q = 0; q < VSOCK_NR_VHOST; q++)
		if (vhost_eventfd_drain(v->call_fd[q]))
			virtio_notify_used(vdev, q);
	return 0;
}

static void vsock_free(struct virtio_vsock *v)
{
	if (v->running) /* the transport may not have reset the device */
		vsock_set_running(v, 0);
	for (unsigned int q = 0; q < VSOCK_NR_VHOST; q++) {
		if (v->call_fd[q] >= 0) {
			loop_del(v->loop, v->call_fd[q]);
			close(v->call_fd[q]);
		}
		if (v->kick_fd[q] >= 0)
			close(v->kick_fd[q]);
	}
	vhost_dev_close(&v->vh);
	free(v);
}

static void vsock_destroy(struct device *dev)
{
	vsock_free(container_of(dev, struct virtio_vsock, dev));
}

static const struct device_ops vsock_device_ops = {
	.destroy = vsock_destroy,
};

static int vsock_set_cid(struct virtio_vsock *v)
{
	int ret = v->vh.ioctl(v->vh.ioctl_ctx, v->vh.fd,
			      VH_VSOCK_SET_GUEST_CID, &v->cid);

	if (ret)
		pr_err("vhost-vsock: guest CID %llu: %s%s",
		       (unsigned long long)v->cid, strerror(-ret),
		       ret == -EADDRINUSE ? " (another VM has it)" : "");
	return ret;
}

static int vsock_fds(struct virtio_vsock *v)
{
	for (unsigned int q = 0; q < VSOCK_NR_VHOST; q++) {
		v->kick_fd[q] = vhost_eventfd("vhost-vsock");
		if (v->kick_fd[q] < 0)
			return v->kick_fd[q];
		v->call_fd[q] = vhost_eventfd("vhost-vsock");
		if (v->call_fd[q] < 0)
			return v->call_fd[q];
		if (loop_add(v->loop, v->call_fd[q], EPOLLIN, vsock_call_ready,
			     v)) {
			close(v->call_fd[q]);
			v->call_fd[q] = -1;
			return -ENOMEM;
		}
	}
	return 0;
}

static int vsock_dev_init(struct virtio_vsock *v, const struct guest_mem *mem)
{
	static const unsigned int wanted[] = {
		VIRTIO_F_VERSION_1, VIRTIO_F_RING_EVENT_IDX,
		VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_VSOCK_F_SEQPACKET,
	};
	struct virtio_device *vdev = &v->vdev;

	for (unsigned int i = 0; i < ARRAY_SIZE(wanted); i++)
		if (virtio_feat_test(&v->vh.features, wanted[i]))
			virtio_feat_set(&vdev->offered, wanted[i]);
	for (unsigned int q = 0; q < VSOCK_NR_QUEUES; q++)
		v->queues[q].size_max = VSOCK_QUEUE_SIZE;
	put_le64(v->config, v->cid);
	vdev->name = "virtio-vsock";
	vdev->device_id = VIRTIO_ID_VSOCK;
	vdev->ops = &vsock_ops;
	vdev->config_len = VIRTIO_VSOCK_CFG_LEN;
	vdev->queues = v->queues;
	vdev->nr_queues = VSOCK_NR_QUEUES;
	vdev->mem = mem;
	return virtio_dev_init(vdev);
}

int virtio_vsock_create(struct vm *vm, uint64_t cid,
			struct virtio_device **out)
{
	struct virtio_vsock *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->cid = cid;
	v->loop = &vm->loop;
	for (unsigned int q = 0; q < VSOCK_NR_VHOST; q++)
		v->kick_fd[q] = v->call_fd[q] = -1;
	ret = vhost_dev_open(&v->vh, "vhost-vsock", VSOCK_PATH);
	if (!ret)
		ret = vsock_set_cid(v);
	if (!ret)
		ret = vsock_fds(v);
	if (!ret)
		ret = vsock_dev_init(v, &vm->mem);
	if (ret) {
		vsock_free(v);
		return ret;
	}
	v->dev.name = "virtio-vsock";
	v->dev.ops = &vsock_device_ops;
	vm_add_device(vm, &v->dev);
	*out = &v->vdev;
	return 0;
}
