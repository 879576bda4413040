/* net.h: the virtio-net device (id 1): its feature bits, headers, config space and back-end capability model. */
#ifndef MINIVMM_VIRTIO_NET_H
#define MINIVMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/features.h"
#include "virtio/vhost.h"

struct vm;
struct virtio_device;
struct virtio_net;

#define VIRTIO_ID_NET 1

/* Feature bits (virtio 1.x 5.1.3; Linux uapi virtio_net.h). */
#define VIRTIO_NET_F_CSUM			0
#define VIRTIO_NET_F_GUEST_CSUM			1
#define VIRTIO_NET_F_MAC			5
#define VIRTIO_NET_F_GUEST_TSO4			7
#define VIRTIO_NET_F_GUEST_TSO6			8
#define VIRTIO_NET_F_GUEST_ECN			9
#define VIRTIO_NET_F_GUEST_UFO			10
#define VIRTIO_NET_F_HOST_TSO4			11
#define VIRTIO_NET_F_HOST_TSO6			12
#define VIRTIO_NET_F_HOST_ECN			13
#define VIRTIO_NET_F_HOST_UFO			14
#define VIRTIO_NET_F_MRG_RXBUF			15
#define VIRTIO_NET_F_STATUS			16
#define VIRTIO_NET_F_CTRL_VQ			17
#define VIRTIO_NET_F_MQ				22
#define VIRTIO_NET_F_GUEST_USO4			54
#define VIRTIO_NET_F_GUEST_USO6			55
#define VIRTIO_NET_F_HOST_USO			56
#define VIRTIO_NET_F_HASH_REPORT		57
/* Past bit 63: feature words 2 and 3 (Linux 6.17+). */
#define VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO	65
#define VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM	66
#define VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO	67
#define VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM	68

#define VIRTIO_NET_S_LINK_UP 1

/* Header sizes: virtio_net_hdr_v1 (num_buffers always present with
 * VERSION_1), + hash (HASH_REPORT), + tunnel offsets (UDP tunnel GSO). */
#define VIRTIO_NET_HDR_V1_LEN		12
#define VIRTIO_NET_HDR_V1_HASH_LEN	20
#define VIRTIO_NET_HDR_TUNNEL_LEN	24
#define VIRTIO_NET_HDR_NUM_BUFFERS_OFF	10

/* Config space (virtio 1.x 5.1.4), the part this device implements. */
#define VIRTIO_NET_CFG_MAC	 0	/* u8[6] */
#define VIRTIO_NET_CFG_STATUS	 6	/* le16 */
#define VIRTIO_NET_CFG_MAX_PAIRS 8	/* le16 */
#define VIRTIO_NET_CFG_LEN	 10

/* Control queue (5.1.6.5). */
#define VIRTIO_NET_OK			0
#define VIRTIO_NET_ERR			1
#define VIRTIO_NET_CTRL_MQ		4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0

#define VIRTIO_NET_MAX_PAIRS 8	/* what -n mq=N accepts */

/*
 * What a back-end can honour, independent of how it is told. The offered
 * feature set is computed from this alone (virtio_net_offered), so a bit is
 * offered exactly when the back-end can carry it out.
 */
#define NET_CAP_CSUM		    (1u << 0) /* partial checksums both ways */
#define NET_CAP_TSO4		    (1u << 1)
#define NET_CAP_TSO6		    (1u << 2)
#define NET_CAP_TSO_ECN		    (1u << 3)
#define NET_CAP_UFO		    (1u << 4)
#define NET_CAP_USO		    (1u << 5) /* USO over IPv4 and IPv6 */
#define NET_CAP_UDP_TUNNEL_GSO	    (1u << 6) /* + 24-byte tunnel header */
#define NET_CAP_UDP_TUNNEL_GSO_CSUM (1u << 7)
#define NET_CAP_MRG_RXBUF	    (1u << 8)
#define NET_CAP_MQ		    (1u << 9)

/*
 * TUNSETOFFLOAD flags newer than Debian 12's <linux/if_tun.h> (Linux uapi
 * values; virtio/net_tap.c checks them against the header when it has
 * them). The older ones (TUN_F_CSUM...) come from <linux/if_tun.h>.
 */
#define NET_TUN_F_USO4		      0x020 /* 6.2 */
#define NET_TUN_F_USO6		      0x040 /* 6.2 */
#define NET_TUN_F_UDP_TUNNEL_GSO      0x080 /* 6.17 */
#define NET_TUN_F_UDP_TUNNEL_GSO_CSUM 0x100 /* 6.17 */

/*
 * How the tap back-end talks to its queue fds: TUNSETOFFLOAD and
 * TUNSETVNETHDRSZ, each 0 or -errno. The device holds a pointer to one of
 * these (the real ioctls by default) so a unit test can stand in a tap of
 * another kernel version.
 */
struct net_tap_ops {
	int (*set_offload)(void *ctx, int fd, unsigned int tun_flags);
	int (*set_hdr_len)(void *ctx, int fd, int len);
};

struct net_caps {
	unsigned int caps; /* NET_CAP_* */
	/* vhost: the ring/transport bits the kernel data path supports
	 * (VHOST_GET_FEATURES[_ARRAY]); ignored for a userspace back-end. */
	bool vhost;
	struct virtio_features vhost_features;
};

/*
 * `-n mode=tap[,tapif=NAME][,guest_mac=MAC][,vhost=1][,mq=N]`. Without
 * vhost=1 the userspace back-end serves the queues (as lkvm's default);
 * with vhost=1 it is vhost-net or a clear error, never a silent fallback.
 */
struct net_config {
	char tapif[16];		  /* IFNAMSIZ; "": the kernel names it */
	uint8_t mac[6];
	bool vhost;
	unsigned int queue_pairs; /* 1..VIRTIO_NET_MAX_PAIRS */
};

#define NET_DEFAULT_MAC { 0x02, 0x15, 0x15, 0x15, 0x15, 0x15 } /* lkvm's */

/* Parses one -n value into cfg; -EINVAL after printing one line. */
int net_config_parse(const char *s, struct net_config *cfg);

/* The 128-bit offer for a back-end with 'caps' and 'pairs' queue pairs. */
void virtio_net_offered(const struct net_caps *caps, unsigned int pairs,
			struct virtio_features *out);
/* The header length the driver uses with features 'f'. */
unsigned int virtio_net_hdr_len(const struct virtio_features *f);
/* 0 if the acked set keeps the spec's feature dependencies of the UDP
 * tunnel bits (5.1.3.1), else -EINVAL after saying which one it breaks. */
int virtio_net_check_acked(const struct virtio_features *acked);

/*
 * Creates the device and its back-end, registers it as a VM device (freed
 * with the VM) and returns the virtio device for the transport to attach.
 * Back-end errors are reported once here: -ENOENT/-EACCES/-ENODEV and the
 * like mean the host cannot provide what was asked (exit status 70).
 * *worker is the thread that serves the queues (for the transport to hold
 * idle while it saves them). 'index' (the -n option's place) names the
 * device in logs and its worker thread: virtio-net0, virtio-net1, ...
 */
struct virtio_worker;
int virtio_net_create(struct vm *vm, const struct net_config *cfg,
		      unsigned int index, struct virtio_device **out,
		      struct virtio_worker **worker);

/*
 * For unit tests: a device over caller-made packet fds (one per queue pair,
 * e.g. SOCK_SEQPACKET socket pairs) instead of a tap; no worker thread is
 * started, the test calls virtio_net_process() itself.
 */
struct guest_mem;
int virtio_net_test_new(const struct guest_mem *mem, const struct net_caps *caps,
			const struct net_config *cfg, const int *fds,
			struct virtio_net **out);
/*
 * The same over fds that stand for tap queues driven through 'ops': the
 * offloads are probed through ops and the acked ones applied through them,
 * exactly as on a real tap (the capabilities come from the probe). With
 * cfg->vhost, vhost-net is a fake too: 'vhost' answers its ioctls (one
 * vhost device per queue pair, as with /dev/vhost-net).
 */
int virtio_net_test_new_tap(const struct guest_mem *mem,
			    const struct net_config *cfg, const int *fds,
			    const struct net_tap_ops *ops, void *ctx,
			    vhost_ioctl_fn vhost, void *vhost_ctx,
			    struct virtio_net **out);
struct virtio_device *virtio_net_vdev(struct virtio_net *n);
void virtio_net_process(struct virtio_net *n);
void virtio_net_test_free(struct virtio_net *n);

#endif
