/* net_rxtx.c: the virtio-net userspace data path: guest TX chains to the back-end fd (writev), frames from it into RX chains (readv, MRG_RXBUF). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "log.h"
#include "util.h"
#include "net_internal.h"

static unsigned int net_rxq(unsigned int pair)
{
	return 2 * pair;
}

static unsigned int net_txq(unsigned int pair)
{
	return 2 * pair + 1;
}

/* ---- TX ---- */

static void net_tx_one(struct virtio_net *n, struct net_pair *p,
		       const struct virtq_chain *ch)
{
	struct iovec iov[NET_QUEUE_SIZE];
	unsigned int cnt = 0;

	for (unsigned int i = 0; i < ch->nbufs; i++)
		if (!n->tx_bufs[i].writable)
			iov[cnt++] = (struct iovec){ n->tx_bufs[i].addr,
						     n->tx_bufs[i].len };
	/* A down tap (EIO), a full one (EAGAIN) or a header the kernel
	 * refuses (EINVAL): the frame is dropped, as a wire would. */
	if (ch->readable_len <= n->hdr_len || writev(p->fd, iov, (int)cnt) < 0)
		p->tx_dropped++;
	else
		p->tx_frames++;
}

bool net_tx(struct virtio_net *n, unsigned int pair)
{
	struct net_pair *p = &n->pairs[pair];
	unsigned int q = net_txq(pair), done = 0;
	struct virtq_chain ch;
	int ret;

	do {
		virtio_queue_notify_enable(&n->vdev, q, false);
		while (done < NET_BUDGET &&
		       (ret = virtio_queue_pop(&n->vdev, q, &ch, n->tx_bufs,
					       NET_QUEUE_SIZE)) > 0) {
			net_tx_one(n, p, &ch);
			virtio_queue_push(&n->vdev, q, &ch, 0);
			done++;
		}
		if (done >= NET_BUDGET)
			break;
	} while (virtio_queue_notify_enable(&n->vdev, q, true));
	if (done)
		virtio_queue_interrupt(&n->vdev, q);
	return done >= NET_BUDGET;
}

/* ---- RX ---- */

/* Pops one more chain into the stash; false if none (or no room). */
static bool net_stash_fill(struct virtio_net *n, struct net_pair *p,
			   unsigned int q)
{
	struct net_stash_chain *s = &p->stash[p->nstash];
	int ret;

	if (p->nstash == NET_STASH_CHAINS ||
	    NET_STASH_BUFS - p->nbufs < NET_QUEUE_SIZE)
		return false;
	ret = virtio_queue_pop(&n->vdev, q, &s->chain, p->bufs + p->nbufs,
			       NET_STASH_BUFS - p->nbufs);
	if (ret <= 0)
		return false;
	s->first = p->nbufs;
	p->nbufs += s->chain.nbufs;
	p->nstash++;
	return true;
}

/* How many stashed chains one frame may use: MRG_RXBUF up to a whole
 * frame's worth, else exactly one. Pops more as needed; 0 if none. */
static unsigned int net_rx_chains(struct virtio_net *n, struct net_pair *p,
				  unsigned int q, bool mrg)
{
	uint64_t room = 0;
	unsigned int i;

	for (i = 0;; i++) {
		if (i == p->nstash && !net_stash_fill(n, p, q))
			break;
		room += p->stash[i].chain.writable_len;
		if (!mrg || room >= NET_MAX_FRAME)
			return i + 1;
	}
	if (!i && virtio_queue_notify_enable(&n->vdev, q, true) &&
	    net_stash_fill(n, p, q))
		return 1; /* raced with the driver adding buffers */
	return i;
}

/* The writable buffers of stash chains [0, k) as an iovec. */
static unsigned int net_rx_iov(struct net_pair *p, unsigned int k,
			       struct iovec *iov)
{
	unsigned int cnt = 0;

	for (unsigned int c = 0; c < k; c++) {
		const struct net_stash_chain *s = &p->stash[c];

		for (unsigned int b = 0; b < s->chain.nbufs; b++) {
			const struct virtq_buf *vb = &p->bufs[s->first + b];

			if (vb->writable && cnt < NET_MAX_IOV)
				iov[cnt++] = (struct iovec){ vb->addr, vb->len };
		}
	}
	return cnt;
}

/* Writes 'len' bytes at byte offset 'off' of the iovec. */
static void net_iov_put(const struct iovec *iov, unsigned int cnt, size_t off,
			const void *src, size_t len)
{
	const uint8_t *s = src;

	for (unsigned int i = 0; i < cnt && len; i++) {
		size_t take;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		take = MIN(len, iov[i].iov_len - off);
		memcpy((uint8_t *)iov[i].iov_base + off, s, take);
		s += take;
		len -= take;
		off = 0;
	}
}

unsigned int net_rx_used_chains(const struct net_stash_chain *stash,
				unsigned int k, size_t len)
{
	unsigned int used = 0;

	while (used < k) {
		size_t room = stash[used].chain.writable_len;

		used++;
		if (len <= room)
			break;
		len -= room;
	}
	return used;
}

/* Pushes the first 'used' chains holding 'len' bytes; keeps the rest. */
static void net_rx_complete(struct virtio_net *n, struct net_pair *p,
			    unsigned int q, unsigned int used, size_t len)
{
	unsigned int nb;

	for (unsigned int c = 0; c < used; c++) {
		uint32_t w = (uint32_t)MIN(len, p->stash[c].chain.writable_len);

		virtio_queue_push(&n->vdev, q, &p->stash[c].chain, w);
		len -= w;
	}
	nb = used < p->nstash ? p->stash[used].first : p->nbufs;
	memmove(p->bufs, p->bufs + nb, (p->nbufs - nb) * sizeof(p->bufs[0]));
	p->nbufs -= nb;
	memmove(p->stash, p->stash + used,
		(p->nstash - used) * sizeof(p->stash[0]));
	p->nstash -= used;
	for (unsigned int c = 0; c < p->nstash; c++)
		p->stash[c].first -= nb;
}

/* One frame: 1 received, 0 nothing to do (no frame or no buffers). */
static int net_rx_one(struct virtio_net *n, struct net_pair *p, unsigned int q)
{
	bool mrg = virtio_feat_test(&n->vdev.acked, VIRTIO_NET_F_MRG_RXBUF);
	struct iovec iov[NET_MAX_IOV];
	unsigned int k = net_rx_chains(n, p, q, mrg), cnt, used;
	uint8_t nb[2];
	ssize_t len;

	if (!k)
		return 0;
	cnt = net_rx_iov(p, k, iov);
	len = readv(p->fd, iov, (int)cnt);
	if (len < 0 && (errno == EFAULT || errno == EINVAL)) {
		p->rx_dropped++; /* the frame did not fit the buffers */
		return 1;
	}
	if (len <= 0)
		return 0; /* EAGAIN: no frame */
	if ((size_t)len < n->hdr_len) {
		p->rx_dropped++;
		return 1;
	}
	used = net_rx_used_chains(p->stash, k, (size_t)len);
	/* The tap writes virtio_net_hdr (10 bytes; 24 with the tunnel
	 * fields when tunnel offloads are on) and zeroes the rest of its
	 * header size: num_buffers is ours (1 without MRG_RXBUF). */
	put_le16(nb, (uint16_t)used);
	net_iov_put(iov, cnt, VIRTIO_NET_HDR_NUM_BUFFERS_OFF, nb, sizeof(nb));
	net_rx_complete(n, p, q, used, (size_t)len);
	p->rx_frames++;
	return 1;
}

bool net_rx(struct virtio_net *n, unsigned int pair)
{
	struct net_pair *p = &n->pairs[pair];
	unsigned int q = net_rxq(pair), done = 0;

	while (done < NET_BUDGET && net_rx_one(n, p, q) > 0)
		done++;
	if (done)
		virtio_queue_interrupt(&n->vdev, q);
	return done >= NET_BUDGET;
}
