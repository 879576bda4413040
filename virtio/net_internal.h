/* net_internal.h: what the virtio-net files share: the device state, the data path and the tap and vhost back-ends. */
#ifndef MINIVMM_VIRTIO_NET_INTERNAL_H
#define MINIVMM_VIRTIO_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "virtio/net.h"
#include "virtio/vhost.h"
#include "virtio/virtio.h"
#include "virtio/worker.h"

struct vm;
struct event_loop;

#define NET_QUEUE_SIZE	 256
/* Largest frame the tap hands over: a 64 KiB GSO frame, VLAN tag, header. */
#define NET_MAX_FRAME	 (65536 + 14 + 4 + VIRTIO_NET_HDR_TUNNEL_LEN)
/* RX chains popped ahead for the next frame (MRG_RXBUF gathers several). */
#define NET_STASH_CHAINS 64
#define NET_STASH_BUFS	 (1024 + NET_QUEUE_SIZE)
#define NET_MAX_IOV	 1024 /* IOV_MAX */
#define NET_BUDGET	 256  /* frames per queue per worker run */

struct net_stash_chain {
	struct virtq_chain chain;
	unsigned int first; /* index of its first buffer in bufs[] */
};

struct net_pair {
	int fd; /* tap queue (or a test's packet socket) */
	/* RX chains popped but not yet used, in ring order (worker). */
	struct net_stash_chain stash[NET_STASH_CHAINS];
	unsigned int nstash;
	unsigned int nbufs;
	struct virtq_buf bufs[NET_STASH_BUFS];
	/* vhost-net: one vhost device per pair, its eventfds. */
	struct vhost_dev vh;
	int kick_fd[2], call_fd[2]; /* [0] rx, [1] tx */
	bool vh_backend; /* the tap may be attached: detach it on stop */
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
};

struct virtio_net {
	struct device dev;
	struct virtio_device vdev;
	struct virtio_queue queues[2 * VIRTIO_NET_MAX_PAIRS + 1];
	struct net_config cfg;
	struct net_caps caps;
	unsigned int nr_pairs;
	unsigned int active_pairs; /* worker (ctrl queue) */
	unsigned int restored_pairs; /* from a snapshot, for activate; 0: none */
	unsigned int hdr_len;	   /* negotiated header length */
	uint8_t config[VIRTIO_NET_CFG_LEN];
	bool threaded;		   /* a worker thread (not a unit test) */
	bool vdev_live;
	bool is_tap;
	bool vhost;		   /* vhost-net serves the data queues */
	unsigned int tap_offloads; /* TUN_F_* the tap accepted at open */
	const struct net_tap_ops *tap_ops; /* the tap ioctls (or a test's) */
	void *tap_ctx;
	vhost_ioctl_fn vhost_ioctl;	   /* a test's vhost-net, or NULL */
	void *vhost_ctx;
	struct virtio_worker worker;
	struct event_loop *loop;
	int err_fd;		   /* vhost vring errors */
	char ifname[16];
	char name[16];		   /* "virtio-net<index>": logs, the worker */
	struct net_pair pairs[VIRTIO_NET_MAX_PAIRS];
	struct virtq_buf tx_bufs[NET_QUEUE_SIZE];
};

unsigned int net_ctrl_queue(const struct virtio_net *n);

/* Data path (net_rxtx.c), on the worker: true if the budget ran out. */
bool net_tx(struct virtio_net *n, unsigned int pair);
bool net_rx(struct virtio_net *n, unsigned int pair);
/* How many of the k stashed chains, in order, 'len' bytes fill (the
 * MRG_RXBUF num_buffers); at least 1. */
unsigned int net_rx_used_chains(const struct net_stash_chain *stash,
				unsigned int k, size_t len);

/* Back-end (net_tap.c): open the tap queues (and vhost), watch them on
 * the event loop; tell the tap what the driver acked (header size on every
 * queue, receive offloads); close. net_tap_init is the part after the
 * queues are open: the small header everywhere, the offload probe, the
 * capabilities (unit tests call it on fds of their own). */
int net_backend_open(struct virtio_net *n, struct vm *vm);
int net_tap_init(struct virtio_net *n);
int net_backend_configure(struct virtio_net *n,
			  const struct virtio_features *acked);
void net_backend_close(struct virtio_net *n);

/* vhost-net (net_vhost.c). */
int net_vhost_open(struct virtio_net *n, struct vm *vm);
int net_vhost_start(struct virtio_net *n);
void net_vhost_stop(struct virtio_net *n);
void net_vhost_close(struct virtio_net *n);

#endif
