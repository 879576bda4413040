/* net_vhost.c: virtio-net's data queues served by vhost-net (one vhost device per queue pair), with the eventfd relays to the transport. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "eventloop.h"
#include "log.h"
#include "vm.h"
#include "net_internal.h"

#define NET_VHOST_PATH "/dev/vhost-net"

static int net_vhost_call_ready(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	for (unsigned int i = 0; i < n->nr_pairs; i++)
		for (unsigned int d = 0; d < 2; d++)
			if (vhost_eventfd_drain(n->pairs[i].call_fd[d]))
				virtio_notify_used(&n->vdev, 2 * i + d);
	return 0;
}

static int net_vhost_err_ready(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	if (vhost_eventfd_drain(n->err_fd))
		virtio_dev_fail(&n->vdev, "vhost-net reported a vring error");
	return 0;
}

static int net_vhost_fds(struct virtio_net *n, struct net_pair *p)
{
	for (unsigned int d = 0; d < 2; d++) {
		p->kick_fd[d] = vhost_eventfd("vhost-net");
		if (p->kick_fd[d] < 0)
			return p->kick_fd[d];
		p->call_fd[d] = vhost_eventfd("vhost-net");
		if (p->call_fd[d] < 0)
			return p->call_fd[d];
		if (n->loop && loop_add(n->loop, p->call_fd[d], EPOLLIN,
					net_vhost_call_ready, n))
			return -ENOMEM;
	}
	return 0;
}

int net_vhost_open(struct virtio_net *n, struct vm *vm)
{
	struct virtio_features all = { { ~0ull, ~0ull } };
	int ret;

	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		struct net_pair *p = &n->pairs[i];

		if (n->vhost_ioctl) /* a unit test's */
			ret = vhost_dev_init(&p->vh, "vhost-net", -1,
					     n->vhost_ioctl, n->vhost_ctx);
		else
			ret = vhost_dev_open(&p->vh, "vhost-net",
					     NET_VHOST_PATH);
		if (!ret)
			ret = net_vhost_fds(n, p);
		if (ret) {
			pr_err("%s: vhost=1 was asked for and vhost-net "
			       "cannot be used; drop vhost=1 for the userspace "
			       "back-end",
			       n->name);
			return ret;
		}
		virtio_feat_and(&all, &all, &p->vh.features);
	}
	n->err_fd = vhost_eventfd("vhost-net");
	if (n->err_fd < 0)
		return n->err_fd;
	ret = n->loop ? loop_add(n->loop, n->err_fd, EPOLLIN,
				 net_vhost_err_ready, n) : 0;
	if (ret)
		return ret;
	n->vhost = true;
	n->caps.vhost = true;
	n->caps.vhost_features = all;
	return 0;
}

static int net_vhost_start_pair(struct virtio_net *n, unsigned int i)
{
	struct net_pair *p = &n->pairs[i];
	struct virtio_features f;
	int ret;

	virtio_feat_and(&f, &n->vdev.acked, &p->vh.features);
	ret = vhost_set_features(&p->vh, &f);
	if (!ret)
		ret = vhost_set_mem_table(&p->vh, n->vdev.mem);
	for (unsigned int d = 0; d < 2 && !ret; d++)
		ret = vhost_vring_setup(&p->vh, d, n->vdev.mem,
					&n->queues[2 * i + d], p->kick_fd[d],
					p->call_fd[d], n->err_fd);
	if (!ret)
		p->vh_backend = true;
	for (unsigned int d = 0; d < 2 && !ret; d++)
		ret = vhost_net_set_backend(&p->vh, d, p->fd);
	return ret;
}

int net_vhost_start(struct virtio_net *n)
{
	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		int ret;

		if (!n->queues[2 * i].enabled || !n->queues[2 * i + 1].enabled)
			continue; /* a pair the driver did not set up */
		ret = net_vhost_start_pair(n, i);
		if (ret)
			return ret;
	}
	return 0;
}

/* Detaches the tap from the pairs that have it. Only those: the kernel
 * refuses (EFAULT) a vring without a memory table, which is every vring
 * at the driver's first reset. */
void net_vhost_stop(struct virtio_net *n)
{
	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		struct net_pair *p = &n->pairs[i];

		for (unsigned int d = 0; d < 2 && p->vh_backend; d++)
			vhost_net_set_backend(&p->vh, d, -1);
		p->vh_backend = false;
	}
}

static void net_close_fd(struct virtio_net *n, int *fd, bool watched)
{
	if (*fd < 0)
		return;
	if (watched && n->loop)
		loop_del(n->loop, *fd);
	close(*fd);
	*fd = -1;
}

void net_vhost_close(struct virtio_net *n)
{
	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		struct net_pair *p = &n->pairs[i];

		for (unsigned int d = 0; d < 2; d++) {
			net_close_fd(n, &p->kick_fd[d], false);
			net_close_fd(n, &p->call_fd[d], true);
		}
		vhost_dev_close(&p->vh);
	}
	net_close_fd(n, &n->err_fd, true);
}
