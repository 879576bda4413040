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

/* Newer than Debian 12's <linux/if_tun.h>; values from Linux's uapi. */
#define NET_TUN_F_USO4		     0x20  /* 6.2 */
#define NET_TUN_F_USO6		     0x40  /* 6.2 */
#define NET_TUN_F_UDP_TUNNEL_GSO     0x080 /* 6.17 */
#define NET_TUN_F_UDP_TUNNEL_GSO_CSUM 0x100 /* 6.17 */
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

/* TUNSETOFFLOAD sets tried at open, and the capability each proves. */
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
};

/*
 * The tap path does not carry UDP tunnel GSO: that needs the 24-byte
 * tunnel header on the tap and tunnel-aware offload setting in both
 * directions, which this back-end does not do (and Linux < 6.17 has no
 * TUN_F_UDP_TUNNEL_GSO at all). So the probe only reports it.
 */
#define NET_TAP_CAPS_HONOURED (~(NET_CAP_UDP_TUNNEL_GSO | \
				 NET_CAP_UDP_TUNNEL_GSO_CSUM))

static unsigned int net_tap_probe(struct virtio_net *n, int fd)
{
	unsigned int caps = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(net_tap_probes); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, net_tap_probes[i].tun) < 0)
			continue;
		caps |= net_tap_probes[i].cap;
		n->tap_offloads |= net_tap_probes[i].tun;
	}
	ioctl(fd, TUNSETOFFLOAD, 0); /* nothing until the driver acks */
	pr_debug("virtio-net: tap %s accepts offloads 0x%x%s", n->ifname,
		 n->tap_offloads,
		 caps & NET_CAP_UDP_TUNNEL_GSO ?
			 " (UDP tunnel GSO too; not used with tap)" : "");
	return caps & NET_TAP_CAPS_HONOURED;
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
	int len = VIRTIO_NET_HDR_V1_LEN, ret;

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
	if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0) {
		ret = net_tap_err("TUNSETVNETHDRSZ", -errno, n->ifname);
		close(fd);
		return ret;
	}
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
			pr_err("virtio-net: event loop: %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int net_backend_open(struct virtio_net *n, struct vm *vm)
{
	int ret = 0;

	n->is_tap = true;
	snprintf(n->ifname, sizeof(n->ifname), "%s", n->cfg.tapif);
	for (unsigned int i = 0; i < n->nr_pairs && !ret; i++)
		ret = net_tap_open_one(n, i);
	if (ret)
		return ret;
	n->caps.caps = net_tap_probe(n, n->pairs[0].fd) | NET_CAP_MRG_RXBUF;
	if (n->nr_pairs > 1)
		n->caps.caps |= NET_CAP_MQ;
	if (n->cfg.vhost)
		return net_vhost_open(n, vm);
	return net_tap_watch(n);
}

/* What the driver acked -> the tap: header size and receive offloads. */
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
	return tun & TUN_F_CSUM ? tun : 0;
}

int net_backend_configure(struct virtio_net *n,
			  const struct virtio_features *acked)
{
	unsigned int tun = net_tap_offloads(acked);
	int len = (int)n->hdr_len;

	if (!n->is_tap)
		return 0;
	if (ioctl(n->pairs[0].fd, TUNSETVNETHDRSZ, &len) < 0)
		return net_tap_err("TUNSETVNETHDRSZ", -errno, n->ifname);
	if (ioctl(n->pairs[0].fd, TUNSETOFFLOAD, tun) < 0)
		return net_tap_err("TUNSETOFFLOAD", -errno, n->ifname);
	return 0;
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
