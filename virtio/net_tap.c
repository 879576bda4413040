/* net_tap.c: the tap back-end of virtio-net: open the queues, probe the offloads the tap accepts, apply what the driver acked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "eventloop.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "net_internal.h"

#ifdef TUN_F_USO4
_Static_assert(NET_TUN_F_USO4 == TUN_F_USO4 && NET_TUN_F_USO6 == TUN_F_USO6,
	       "USO");
#endif
#ifdef TUN_F_UDP_TUNNEL_GSO
_Static_assert(NET_TUN_F_UDP_TUNNEL_GSO == TUN_F_UDP_TUNNEL_GSO &&
		       NET_TUN_F_UDP_TUNNEL_GSO_CSUM ==
			       TUN_F_UDP_TUNNEL_GSO_CSUM, "tunnel");
#endif

#define NET_TUN_PATH "/dev/net/tun"

#define NET_TUN_F_TUNNEL (NET_TUN_F_UDP_TUNNEL_GSO | \
			  NET_TUN_F_UDP_TUNNEL_GSO_CSUM)
/* The tap takes tunnel GSO only on top of a plain GSO type. */
#define NET_TUN_F_PLAIN_GSO (TUN_F_TSO4 | TUN_F_TSO6 | NET_TUN_F_USO4 | \
			     NET_TUN_F_USO6)

static int net_sys_set_offload(void *ctx, int fd, unsigned int tun_flags)
{
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0)
		return -errno;
	return 0;
}

static int net_sys_set_hdr_len(void *ctx, int fd, int len)
{
	return ioctl(fd, TUNSETVNETHDRSZ, &len) < 0 ? -errno : 0;
}

static const struct net_tap_ops net_tap_sys_ops = {
	.set_offload = net_sys_set_offload,
	.set_hdr_len = net_sys_set_hdr_len,
};

/*
 * TUNSETOFFLOAD sets tried at open, and the capability each proves. A
 * kernel refuses flags it does not know (EINVAL), so Linux before 6.17
 * proves neither tunnel capability and bits 65-68 stay unoffered.
 */
static const struct {
	unsigned int tun, cap;
} net_tap_probes[] = {
	{ TUN_F_CSUM, NET_CAP_CSUM },
	{ TUN_F_CSUM | TUN_F_TSO4, NET_CAP_TSO4 },
	{ TUN_F_CSUM | TUN_F_TSO6, NET_CAP_TSO6 },
	{ TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN, NET_CAP_TSO_ECN },
	{ TUN_F_CSUM | TUN_F_UFO, NET_CAP_UFO },
	{ TUN_F_CSUM | NET_TUN_F_USO4 | NET_TUN_F_USO6, NET_CAP_USO },
	{ TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | NET_TUN_F_UDP_TUNNEL_GSO,
	  NET_CAP_UDP_TUNNEL_GSO },
	{ TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | NET_TUN_F_TUNNEL,
	  NET_CAP_UDP_TUNNEL_GSO_CSUM },
};

static unsigned int net_tap_probe(struct virtio_net *n, int fd)
{
	const struct net_tap_ops *ops = n->tap_ops;
	unsigned int caps = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(net_tap_probes); i++) {
		if (ops->set_offload(n->tap_ctx, fd, net_tap_probes[i].tun))
			continue;
		caps |= net_tap_probes[i].cap;
		n->tap_offloads |= net_tap_probes[i].tun;
	}
	pr_debug("%s: tap %s accepts offloads 0x%x", n->name, n->ifname,
		 n->tap_offloads);
	return caps;
}

static int net_tap_err(const char *what, int err, const char *name)
{
	if (err == -ENOENT)
		pr_err("virtio-net: %s does not exist (no tun/tap support "
		       "in the host kernel)", NET_TUN_PATH);
	else
		pr_err("virtio-net: tap %s: %s: %s%s", name[0] ? name : "(new)",
		       what, strerror(-err),
		       err == -EPERM || err == -EACCES ?
			       " (needs CAP_NET_ADMIN)" : "");
	return err;
}

static int net_tap_open_one(struct virtio_net *n, unsigned int i)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int fd = open(NET_TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return net_tap_err("open " NET_TUN_PATH, -errno, n->ifname);
	if (n->nr_pairs > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = net_tap_err("TUNSETIFF", -errno, n->ifname);
		close(fd);
		return ret;
	}
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifr.ifr_name);
	n->pairs[i].fd = fd;
	return 0;
}

/* A tap queue became readable: the worker reads it (edge-triggered, so
 * the worker reads until EAGAIN or until the guest has no buffers). */
static int net_tap_ready(void *opaque, uint32_t events)
{
	struct virtio_net *n = opaque;

	virtio_worker_kick(&n->worker);
	return 0;
}

static int net_tap_watch(struct virtio_net *n)
{
	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		int ret = loop_add(n->loop, n->pairs[i].fd, EPOLLIN | EPOLLET,
				   net_tap_ready, n);

		if (ret) {
			pr_err("%s: event loop: %s", n->name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Header size and offloads on every queue of the tap (the kernel keeps
 * them per device today; per queue costs nothing and assumes nothing). */
static int net_tap_apply(struct virtio_net *n, unsigned int hdr_len,
			 unsigned int tun)
{
	const struct net_tap_ops *ops = n->tap_ops;

	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		int fd = n->pairs[i].fd, ret;

		if (fd < 0)
			continue; /* closed (device teardown) */
		ret = ops->set_hdr_len(n->tap_ctx, fd, (int)hdr_len);
		if (ret)
			return net_tap_err("TUNSETVNETHDRSZ", ret, n->ifname);
		ret = ops->set_offload(n->tap_ctx, fd, tun);
		if (ret)
			return net_tap_err("TUNSETOFFLOAD", ret, n->ifname);
	}
	return 0;
}

int net_tap_init(struct virtio_net *n)
{
	unsigned int caps;

	n->is_tap = true;
	if (!n->tap_ops)
		n->tap_ops = &net_tap_sys_ops;
	caps = net_tap_probe(n, n->pairs[0].fd);
	/* Nothing until the driver acks: the small header, no offloads. */
	n->hdr_len = VIRTIO_NET_HDR_V1_LEN;
	n->caps.caps = caps | NET_CAP_MRG_RXBUF;
	if (n->nr_pairs > 1)
		n->caps.caps |= NET_CAP_MQ;
	return net_tap_apply(n, VIRTIO_NET_HDR_V1_LEN, 0);
}

int net_backend_open(struct virtio_net *n, struct vm *vm)
{
	int ret = 0;

	snprintf(n->ifname, sizeof(n->ifname), "%s", n->cfg.tapif);
	for (unsigned int i = 0; i < n->nr_pairs && !ret; i++)
		ret = net_tap_open_one(n, i);
	if (!ret)
		ret = net_tap_init(n);
	if (ret)
		return ret;
	if (n->cfg.vhost)
		return net_vhost_open(n, vm);
	return net_tap_watch(n);
}

/*
 * What the driver acked -> the tap's receive offloads (what the tap may
 * hand us, so what the guest takes in: the GUEST_* bits). Transmit needs
 * no flag: the tap parses whatever header the driver wrote, the tunnel
 * fields included once the header is 24 bytes.
 */
static unsigned int net_tap_offloads(const struct virtio_features *acked)
{
	static const struct {
		unsigned int bit, tun;
	} map[] = {
		{ VIRTIO_NET_F_GUEST_CSUM, TUN_F_CSUM },
		{ VIRTIO_NET_F_GUEST_TSO4, TUN_F_TSO4 },
		{ VIRTIO_NET_F_GUEST_TSO6, TUN_F_TSO6 },
		{ VIRTIO_NET_F_GUEST_ECN, TUN_F_TSO_ECN },
		{ VIRTIO_NET_F_GUEST_UFO, TUN_F_UFO },
	};
	unsigned int tun = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(map); i++)
		if (virtio_feat_test(acked, map[i].bit))
			tun |= map[i].tun;
	/* The tap takes USO for both families or neither. */
	if (virtio_feat_test(acked, VIRTIO_NET_F_GUEST_USO4) &&
	    virtio_feat_test(acked, VIRTIO_NET_F_GUEST_USO6))
		tun |= NET_TUN_F_USO4 | NET_TUN_F_USO6;
	if (virtio_feat_test(acked, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO) &&
	    tun & NET_TUN_F_PLAIN_GSO) {
		tun |= NET_TUN_F_UDP_TUNNEL_GSO;
		if (virtio_feat_test(acked,
				     VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM))
			tun |= NET_TUN_F_UDP_TUNNEL_GSO_CSUM;
	}
	return tun & TUN_F_CSUM ? tun : 0;
}

int net_backend_configure(struct virtio_net *n,
			  const struct virtio_features *acked)
{
	if (!n->is_tap)
		return 0;
	return net_tap_apply(n, n->hdr_len, net_tap_offloads(acked));
}

void net_backend_close(struct virtio_net *n)
{
	net_vhost_close(n);
	for (unsigned int i = 0; i < n->nr_pairs; i++) {
		if (n->pairs[i].fd < 0)
			continue;
		if (n->loop && !n->vhost)
			loop_del(n->loop, n->pairs[i].fd);
		close(n->pairs[i].fd);
		n->pairs[i].fd = -1;
	}
}
