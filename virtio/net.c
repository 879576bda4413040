/* net.c: the virtio-net device (id 1): feature offer from back-end capabilities, config space, control queue, and the tap data path on a worker thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "device.h"
#include "sbuf.h"
#include "eventloop.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "virtio/net.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"
#include "net_internal.h"

/* ---- the offer ---- */

/* A feature bit and the back-end capabilities it needs. */
struct net_feat_need {
	unsigned int bit;
	unsigned int caps;
};

#define CSUM NET_CAP_CSUM
static const struct net_feat_need net_feat_needs[] = {
	{ VIRTIO_NET_F_CSUM, CSUM },
	{ VIRTIO_NET_F_GUEST_CSUM, CSUM },
	{ VIRTIO_NET_F_GUEST_TSO4, CSUM | NET_CAP_TSO4 },
	{ VIRTIO_NET_F_GUEST_TSO6, CSUM | NET_CAP_TSO6 },
	{ VIRTIO_NET_F_GUEST_ECN, CSUM | NET_CAP_TSO4 | NET_CAP_TSO_ECN },
	{ VIRTIO_NET_F_GUEST_UFO, CSUM | NET_CAP_UFO },
	{ VIRTIO_NET_F_GUEST_USO4, CSUM | NET_CAP_USO },
	{ VIRTIO_NET_F_GUEST_USO6, CSUM | NET_CAP_USO },
	{ VIRTIO_NET_F_HOST_TSO4, CSUM | NET_CAP_TSO4 },
	{ VIRTIO_NET_F_HOST_TSO6, CSUM | NET_CAP_TSO6 },
	{ VIRTIO_NET_F_HOST_ECN, CSUM | NET_CAP_TSO4 | NET_CAP_TSO_ECN },
	{ VIRTIO_NET_F_HOST_UFO, CSUM | NET_CAP_UFO },
	{ VIRTIO_NET_F_HOST_USO, CSUM | NET_CAP_USO },
	{ VIRTIO_NET_F_MRG_RXBUF, NET_CAP_MRG_RXBUF },
	/* The tunnel bits need TSO under them (spec 5.1.3.1). */
	{ VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
	  CSUM | NET_CAP_TSO4 | NET_CAP_TSO6 | NET_CAP_UDP_TUNNEL_GSO },
	{ VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
	  CSUM | NET_CAP_TSO4 | NET_CAP_TSO6 | NET_CAP_UDP_TUNNEL_GSO |
		  NET_CAP_UDP_TUNNEL_GSO_CSUM },
	{ VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
	  CSUM | NET_CAP_TSO4 | NET_CAP_TSO6 | NET_CAP_UDP_TUNNEL_GSO },
	{ VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
	  CSUM | NET_CAP_TSO4 | NET_CAP_TSO6 | NET_CAP_UDP_TUNNEL_GSO |
		  NET_CAP_UDP_TUNNEL_GSO_CSUM },
};
#undef CSUM

/* Bits the vhost kernel data path must support itself (it walks the rings
 * and sizes the header); the offloads are between the guest and the tap. */
static const unsigned int net_vhost_gated[] = {
	VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_RING_INDIRECT_DESC,
	VIRTIO_F_RING_PACKED, /* Linux's vhost walks split rings only */
	VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
	VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
	VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
	VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
};

void virtio_net_offered(const struct net_caps *caps, unsigned int pairs,
			struct virtio_features *out)
{
	*out = VIRTIO_FEATURES_EMPTY;
	virtio_feat_set(out, VIRTIO_F_VERSION_1);
	virtio_feat_set(out, VIRTIO_F_RING_EVENT_IDX);
	virtio_feat_set(out, VIRTIO_F_RING_INDIRECT_DESC);
	virtio_feat_set(out, VIRTIO_F_RING_PACKED);
	virtio_feat_set(out, VIRTIO_NET_F_MAC);
	virtio_feat_set(out, VIRTIO_NET_F_STATUS);
	if (pairs > 1 && caps->caps & NET_CAP_MQ) {
		virtio_feat_set(out, VIRTIO_NET_F_CTRL_VQ);
		virtio_feat_set(out, VIRTIO_NET_F_MQ);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(net_feat_needs); i++)
		if ((caps->caps & net_feat_needs[i].caps) ==
		    net_feat_needs[i].caps)
			virtio_feat_set(out, net_feat_needs[i].bit);
	for (unsigned int i = 0; caps->vhost && i < ARRAY_SIZE(net_vhost_gated);
	     i++)
		if (!virtio_feat_test(&caps->vhost_features,
				      net_vhost_gated[i]))
			virtio_feat_clear(out, net_vhost_gated[i]);
}

unsigned int virtio_net_hdr_len(const struct virtio_features *f)
{
	static const unsigned int tunnel[] = {
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(tunnel); i++)
		if (virtio_feat_test(f, tunnel[i]))
			return VIRTIO_NET_HDR_TUNNEL_LEN;
	if (virtio_feat_test(f, VIRTIO_NET_F_HASH_REPORT))
		return VIRTIO_NET_HDR_V1_HASH_LEN;
	return VIRTIO_NET_HDR_V1_LEN;
}

/*
 * 5.1.3.1: a UDP tunnel bit needs a plain GSO bit of the same direction
 * under it, and its _CSUM variant needs the bit itself. The tap also
 * refuses tunnel offloads without a plain one, so a driver breaking this
 * is refused at FEATURES_OK rather than half configured.
 */
static const struct {
	unsigned int bit;
	unsigned int needs[4]; /* any one of them; 0 ends the list */
} net_tunnel_deps[] = {
	{ VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
	  { VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
	    VIRTIO_NET_F_GUEST_USO4, VIRTIO_NET_F_GUEST_USO6 } },
	{ VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
	  { VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO } },
	{ VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
	  { VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
	    VIRTIO_NET_F_HOST_USO } },
	{ VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
	  { VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO } },
};

int virtio_net_check_acked(const struct virtio_features *acked)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(net_tunnel_deps); i++) {
		bool ok = false;

		if (!virtio_feat_test(acked, net_tunnel_deps[i].bit))
			continue;
		for (unsigned int j = 0; j < 4 && net_tunnel_deps[i].needs[j];
		     j++)
			ok |= virtio_feat_test(acked,
					       net_tunnel_deps[i].needs[j]);
		if (!ok) {
			pr_warn("virtio-net: driver acked feature %u without "
				"the feature it depends on (%u%s)",
				net_tunnel_deps[i].bit,
				net_tunnel_deps[i].needs[0],
				net_tunnel_deps[i].needs[1] ? " or another GSO "
							      "bit" : "");
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- queues ---- */

static struct virtio_net *to_net(struct virtio_device *vdev)
{
	return container_of(vdev, struct virtio_net, vdev);
}

unsigned int net_ctrl_queue(const struct virtio_net *n)
{
	if (virtio_feat_test(&n->vdev.acked, VIRTIO_NET_F_MQ))
		return 2 * n->nr_pairs;
	return 2;
}

static bool net_has_ctrl(const struct virtio_net *n)
{
	return virtio_feat_test(&n->vdev.acked, VIRTIO_NET_F_CTRL_VQ);
}

/* ---- control queue (worker) ---- */

static uint8_t net_ctrl_cmd(struct virtio_net *n, const uint8_t *cmd,
			    size_t len)
{
	unsigned int pairs;

	if (len < 4 || cmd[0] != VIRTIO_NET_CTRL_MQ ||
	    cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    !virtio_feat_test(&n->vdev.acked, VIRTIO_NET_F_MQ))
		return VIRTIO_NET_ERR;
	pairs = get_le16(cmd + 2);
	if (pairs < 1 || pairs > n->nr_pairs)
		return VIRTIO_NET_ERR;
	n->active_pairs = pairs;
	return VIRTIO_NET_OK;
}

/* Gathers the readable part, answers in the first writable byte. */
static void net_ctrl_one(struct virtio_net *n, const struct virtq_chain *ch,
			 struct virtq_buf *bufs, unsigned int q)
{
	uint8_t cmd[64], ack;
	size_t len = 0;
	uint8_t *status = NULL;

	for (unsigned int i = 0; i < ch->nbufs; i++) {
		size_t take;

		if (bufs[i].writable) {
			status = status ? status : bufs[i].addr;
			continue;
		}
		take = MIN((size_t)bufs[i].len, sizeof(cmd) - len);
		memcpy(cmd + len, bufs[i].addr, take);
		len += take;
	}
	ack = net_ctrl_cmd(n, cmd, len);
	if (status)
		*status = ack;
	virtio_queue_push(&n->vdev, q, ch, status ? 1 : 0);
}

static void net_ctrl(struct virtio_net *n)
{
	unsigned int q = net_ctrl_queue(n);
	struct virtq_chain ch;
	bool pushed = false;

	while (virtio_queue_pop(&n->vdev, q, &ch, n->tx_bufs,
				NET_QUEUE_SIZE) > 0) {
		net_ctrl_one(n, &ch, n->tx_bufs, q);
		pushed = true;
	}
	if (pushed)
		virtio_queue_interrupt(&n->vdev, q);
}

/* ---- the worker: everything that touches the rings ---- */

static void net_work(void *opaque)
{
	struct virtio_net *n = opaque;
	bool again = false;

	if (net_has_ctrl(n))
		net_ctrl(n);
	if (n->vhost)
		return; /* the kernel serves the data queues */
	for (unsigned int i = 0; i < n->active_pairs; i++) {
		again |= net_tx(n, i);
		again |= net_rx(n, i);
	}
	if (again && n->threaded)
		virtio_worker_kick(&n->worker); /* budget spent: yield */
}

void virtio_net_process(struct virtio_net *n)
{
	net_work(n);
}

/* ---- virtio device ops ---- */

static void net_get_config(struct virtio_device *vdev, uint32_t off,
			   void *buf, uint32_t len)
{
	memcpy(buf, to_net(vdev)->config + off, len);
}

static int net_features_ok(struct virtio_device *vdev,
			   const struct virtio_features *acked)
{
	struct virtio_net *n = to_net(vdev);
	int ret = virtio_net_check_acked(acked);

	if (ret)
		return ret;
	n->hdr_len = virtio_net_hdr_len(acked);
	return net_backend_configure(n, acked);
}

static int net_activate(struct virtio_device *vdev)
{
	struct virtio_net *n = to_net(vdev);
	int ret;

	/* 5.1.6.5.5: one pair until VQ_PAIRS_SET (or what a snapshot had) */
	n->active_pairs = n->restored_pairs ? n->restored_pairs : 1;
	n->restored_pairs = 0;
	if (n->vhost) {
		ret = net_vhost_start(n);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < n->nr_pairs; i++)
		n->pairs[i].nstash = 0;
	return n->threaded ? virtio_worker_start(&n->worker) : 0;
}

static void net_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_net *n = to_net(vdev);

	if (n->vhost && !(net_has_ctrl(n) && q == net_ctrl_queue(n))) {
		if (q < 2 * n->nr_pairs)
			vhost_kick(n->pairs[q / 2].kick_fd[q % 2]);
		return;
	}
	if (n->threaded)
		virtio_worker_kick(&n->worker);
}

static void net_reset(struct virtio_device *vdev)
{
	struct virtio_net *n = to_net(vdev);

	if (n->threaded)
		virtio_worker_stop(&n->worker);
	if (n->vhost)
		net_vhost_stop(n);
	for (unsigned int i = 0; i < n->nr_pairs; i++)
		n->pairs[i].nstash = 0; /* in-flight chains are forgotten */
	/* Back to what a fresh device has: the small header, no offloads
	 * (reported by the back-end if the tap refuses; nothing to undo). */
	n->hdr_len = VIRTIO_NET_HDR_V1_LEN;
	net_backend_configure(n, &VIRTIO_FEATURES_EMPTY);
}

/* ---- snapshots ---- */

/*
 * The worker is held (between two batches): give the RX chains popped
 * ahead back to the ring, newest first, so that the saved ring offers them
 * again and a restored device (or this one, going on) pops them anew.
 */
static void net_quiesce(struct virtio_device *vdev)
{
	struct virtio_net *n = to_net(vdev);

	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		struct net_pair *p = &n->pairs[i];
		struct virtq *vq = &n->queues[2 * i].vq;

		while (p->nstash) {
			p->nstash--;
			if (virtq_unpop(vq, &p->stash[p->nstash].chain))
				pr_debug("%s: pair %u: no chain to give back",
					 n->name, i);
		}
		p->nbufs = 0;
	}
}

/* vhost-net keeps the data queues' positions in the kernel: refused. */
static int net_save(struct virtio_device *vdev, struct sbuf *out)
{
	struct virtio_net *n = to_net(vdev);
	bool running = __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE) &
		       VIRTIO_STATUS_DRIVER_OK;

	if (n->vhost && running) {
		pr_err("%s: a snapshot cannot hold the state of "
		       "vhost-net's queues (use -n ...,vhost=0)",
		       n->name);
		return -EOPNOTSUPP;
	}
	sbuf_put_u32(out, running ? n->active_pairs : 1);
	return out->err;
}

static int net_restore(struct virtio_device *vdev, struct sbuf_reader *in)
{
	struct virtio_net *n = to_net(vdev);
	uint32_t pairs = sbuf_get_u32(in);

	if (in->err || pairs < 1 || pairs > n->nr_pairs)
		return -EINVAL;
	n->restored_pairs = pairs; /* net_activate takes it */
	return 0;
}

static const struct virtio_device_ops net_ops = {
	.get_config = net_get_config,
	.features_ok = net_features_ok,
	.activate = net_activate,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
	.quiesce = net_quiesce,
	.save = net_save,
	.restore = net_restore,
};

/* ---- creation ---- */

static void net_fill_config(struct virtio_net *n)
{
	memcpy(n->config + VIRTIO_NET_CFG_MAC, n->cfg.mac, 6);
	put_le16(n->config + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	put_le16(n->config + VIRTIO_NET_CFG_MAX_PAIRS, (uint16_t)n->nr_pairs);
}

static int net_dev_init(struct virtio_net *n, const struct guest_mem *mem)
{
	struct virtio_device *vdev = &n->vdev;
	unsigned int nq = 2 * n->nr_pairs;

	virtio_net_offered(&n->caps, n->nr_pairs, &vdev->offered);
	if (virtio_feat_test(&vdev->offered, VIRTIO_NET_F_CTRL_VQ))
		nq++;
	for (unsigned int i = 0; i < nq; i++)
		n->queues[i].size_max = NET_QUEUE_SIZE;
	net_fill_config(n);
	vdev->name = n->name;
	vdev->device_id = VIRTIO_ID_NET;
	vdev->ops = &net_ops;
	vdev->config_len = VIRTIO_NET_CFG_LEN;
	vdev->queues = n->queues;
	vdev->nr_queues = nq;
	vdev->mem = mem;
	n->hdr_len = VIRTIO_NET_HDR_V1_LEN;
	n->active_pairs = 1;
	return virtio_dev_init(vdev);
}

/* 'index': the device's place among the VM's -n options, in its name. */
static struct virtio_net *net_alloc(const struct net_config *cfg,
				    unsigned int index)
{
	struct virtio_net *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	snprintf(n->name, sizeof(n->name), "virtio-net%u", index);
	n->cfg = *cfg;
	n->nr_pairs = cfg->queue_pairs ? cfg->queue_pairs : 1;
	for (unsigned int i = 0; i < VIRTIO_NET_MAX_PAIRS; i++) {
		n->pairs[i].fd = -1;
		n->pairs[i].kick_fd[0] = n->pairs[i].kick_fd[1] = -1;
		n->pairs[i].call_fd[0] = n->pairs[i].call_fd[1] = -1;
		n->pairs[i].vh.fd = -1;
	}
	n->err_fd = -1;
	n->worker.kick_fd = -1;
	return n;
}

/* The transport may or may not have reset the device already: stop the
 * worker and vhost either way (both are idempotent). */
static void net_free(struct virtio_net *n)
{
	if (n->vdev_live && !n->threaded)
		virtio_dev_destroy(&n->vdev); /* unit tests: no transport */
	if (n->threaded)
		virtio_worker_destroy(&n->worker);
	if (n->vhost)
		net_vhost_stop(n);
	net_backend_close(n);
	free(n);
}

struct virtio_device *virtio_net_vdev(struct virtio_net *n)
{
	return &n->vdev;
}

static void net_destroy(struct device *dev)
{
	net_free(container_of(dev, struct virtio_net, dev));
}

static const struct device_ops net_device_ops = {
	.destroy = net_destroy,
};

int virtio_net_create(struct vm *vm, const struct net_config *cfg,
		      unsigned int index, struct virtio_device **out,
		      struct virtio_worker **worker)
{
	struct virtio_net *n = net_alloc(cfg, index);
	int ret;

	if (!n)
		return -ENOMEM;
	n->threaded = true;
	n->loop = &vm->loop;
	ret = net_backend_open(n, vm);
	if (!ret)
		ret = virtio_worker_init(&n->worker, n->name, net_work, n);
	if (ret) {
		n->threaded = false;
		net_free(n);
		return ret;
	}
	ret = net_dev_init(n, &vm->mem);
	if (ret) {
		net_free(n);
		return ret;
	}
	n->vdev_live = true;
	/* The snapshot's record name: the type alone, as in files saved
	 * before devices had an index (records are matched by position). */
	n->dev.name = "virtio-net";
	n->dev.ops = &net_device_ops;
	vm_add_device(vm, &n->dev);
	*out = &n->vdev;
	*worker = &n->worker;
	return 0;
}

int virtio_net_test_new(const struct guest_mem *mem, const struct net_caps *caps,
			const struct net_config *cfg, const int *fds,
			struct virtio_net **out)
{
	struct virtio_net *n = net_alloc(cfg, 0);
	int ret;

	if (!n)
		return -ENOMEM;
	n->caps = *caps;
	for (unsigned int i = 0; i < n->nr_pairs; i++)
		n->pairs[i].fd = fds[i];
	ret = net_dev_init(n, mem);
	if (ret) {
		free(n);
		return ret;
	}
	n->vdev_live = true;
	*out = n;
	return 0;
}

int virtio_net_test_new_tap(const struct guest_mem *mem,
			    const struct net_config *cfg, const int *fds,
			    const struct net_tap_ops *ops, void *ctx,
			    vhost_ioctl_fn vhost, void *vhost_ctx,
			    struct virtio_net **out)
{
	struct virtio_net *n = net_alloc(cfg, 0);
	int ret;

	if (!n)
		return -ENOMEM;
	n->tap_ops = ops;
	n->tap_ctx = ctx;
	n->vhost_ioctl = vhost;
	n->vhost_ctx = vhost_ctx;
	snprintf(n->ifname, sizeof(n->ifname), "%s", cfg->tapif);
	for (unsigned int i = 0; i < n->nr_pairs; i++)
		n->pairs[i].fd = fds[i];
	ret = net_tap_init(n);
	if (!ret && cfg->vhost)
		ret = net_vhost_open(n, NULL);
	if (!ret)
		ret = net_dev_init(n, mem);
	if (ret) {
		virtio_net_test_free(n); /* the fds stay the test's */
		return ret;
	}
	n->vdev_live = true;
	*out = n;
	return 0;
}

void virtio_net_test_free(struct virtio_net *n)
{
	for (unsigned int i = 0; i < n->nr_pairs; i++)
		n->pairs[i].fd = -1; /* the test's */
	net_free(n);
}
