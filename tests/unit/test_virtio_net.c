/* test_virtio_net.c: virtio-net: the offer computed from back-end capabilities (bits 65-68 included), header sizes, config space, MRG_RXBUF and TX over hand-built rings, UDP tunnel GSO against fake taps of old and new kernels. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_tun.h>

#include "unit.h"
#include "fake_vhost.h"
#include "mem.h"
#include "util.h"
#include "virtio/net.h"
#include "virtio/virtio.h"

#define RAM_GPA	 0x100000ull
#define RAM_SIZE (2 * MiB)
#define QSIZE	 16
#define RXQ_GPA	 (RAM_GPA + 0x00000) /* desc, avail +0x1000, used +0x2000 */
#define TXQ_GPA	 (RAM_GPA + 0x10000)
#define BUF_GPA	 (RAM_GPA + 0x100000)
#define RXBUF	 1536

static struct guest_mem mem;

static uint8_t *hva(uint64_t gpa)
{
	return guest_mem_ptr(&mem, gpa, 1);
}

static void test_offer_full_caps(void)
{
	struct net_caps caps = { .caps = ~0u };
	struct virtio_features f;

	virtio_net_offered(&caps, 1, &f);
	CHECK(virtio_feat_test(&f, VIRTIO_F_VERSION_1));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM));
	/* Feature word 2 (bits 64..95) holds 65..68; word 3 is empty. */
	CHECK_EQ(virtio_feat_get_dword(&f, 2), 0x1e);
	CHECK_EQ(virtio_feat_get_dword(&f, 3), 0);
	CHECK(!virtio_feat_test(&f, VIRTIO_NET_F_MQ)); /* one pair */
	virtio_net_offered(&caps, 4, &f);
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_MQ));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_CTRL_VQ));
}

static void test_offer_tap_like(void)
{
	struct net_caps caps = {
		.caps = NET_CAP_CSUM | NET_CAP_TSO4 | NET_CAP_TSO6 |
			NET_CAP_TSO_ECN | NET_CAP_UFO | NET_CAP_MRG_RXBUF,
	};
	struct virtio_features f;

	virtio_net_offered(&caps, 1, &f);
	CHECK_EQ(f.q[1], 0); /* no bit >= 64 without the capability */
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_GUEST_TSO4));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_HOST_ECN));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_MRG_RXBUF));
	CHECK(!virtio_feat_test(&f, VIRTIO_NET_F_GUEST_USO4));
	CHECK(!virtio_feat_test(&f, VIRTIO_NET_F_HOST_USO));
	/* No checksum offload: nothing that builds on it. */
	caps.caps = NET_CAP_TSO4 | NET_CAP_UDP_TUNNEL_GSO;
	virtio_net_offered(&caps, 1, &f);
	CHECK(!virtio_feat_test(&f, VIRTIO_NET_F_CSUM));
	CHECK(!virtio_feat_test(&f, VIRTIO_NET_F_GUEST_TSO4));
	CHECK_EQ(f.q[1], 0);
	/* Tunnel without TSO6 underneath is not offered either. */
	caps.caps = NET_CAP_CSUM | NET_CAP_TSO4 | NET_CAP_UDP_TUNNEL_GSO |
		    NET_CAP_UDP_TUNNEL_GSO_CSUM;
	virtio_net_offered(&caps, 1, &f);
	CHECK_EQ(f.q[1], 0);
}

static void test_offer_vhost(void)
{
	struct net_caps caps = { .caps = ~0u, .vhost = true };
	struct virtio_features f;

	/* A vhost without the array ioctls: its u64 set has none of 65-68
	 * and no MRG_RXBUF, so they are not offered. */
	virtio_feat_set(&caps.vhost_features, VIRTIO_F_VERSION_1);
	virtio_feat_set(&caps.vhost_features, VIRTIO_F_RING_EVENT_IDX);
	virtio_net_offered(&caps, 1, &f);
	CHECK_EQ(f.q[1], 0);
	CHECK(!virtio_feat_test(&f, VIRTIO_NET_F_MRG_RXBUF));
	CHECK(!virtio_feat_test(&f, VIRTIO_F_RING_INDIRECT_DESC));
	CHECK(virtio_feat_test(&f, VIRTIO_F_RING_EVENT_IDX));
	CHECK(virtio_feat_test(&f, VIRTIO_NET_F_GUEST_TSO4)); /* tap's */
	/* One with them (Linux 6.17+ vhost-net, VHOST_GET_FEATURES_ARRAY). */
	for (unsigned int b = 65; b <= 68; b++)
		virtio_feat_set(&caps.vhost_features, b);
	virtio_net_offered(&caps, 1, &f);
	CHECK_EQ(virtio_feat_get_dword(&f, 2), 0x1e);
}

static void test_hdr_len(void)
{
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	virtio_feat_set(&f, VIRTIO_F_VERSION_1);
	CHECK_EQ(virtio_net_hdr_len(&f), 12);
	virtio_feat_set(&f, VIRTIO_NET_F_MRG_RXBUF);
	CHECK_EQ(virtio_net_hdr_len(&f), 12);
	virtio_feat_set(&f, VIRTIO_NET_F_HASH_REPORT);
	CHECK_EQ(virtio_net_hdr_len(&f), 20);
	virtio_feat_set(&f, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO);
	CHECK_EQ(virtio_net_hdr_len(&f), 24);
	virtio_feat_clear(&f, VIRTIO_NET_F_HASH_REPORT);
	CHECK_EQ(virtio_net_hdr_len(&f), 24);
}

/* ---- a driver on hand-built split rings ---- */

static void desc(uint64_t qgpa, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	uint8_t *d = hva(qgpa + 16ull * i);

	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, flags);
	put_le16(d + 14, next);
}

static void avail_add(uint64_t qgpa, uint16_t head)
{
	uint8_t *a = hva(qgpa + 0x1000);
	uint16_t idx = get_le16(a + 2);

	put_le16(a + 4 + 2 * (idx % QSIZE), head);
	put_le16(a + 2, idx + 1);
}

static uint16_t used_idx(uint64_t qgpa)
{
	return get_le16(hva(qgpa + 0x2000 + 2));
}

static uint32_t used_len(uint64_t qgpa, uint16_t i)
{
	return get_le32(hva(qgpa + 0x2000 + 4 + 8 * i + 4));
}

static void setup_queue(struct virtio_device *vdev, unsigned int q,
			uint64_t qgpa)
{
	CHECK_EQ(virtio_queue_set_size(vdev, q, QSIZE), 0);
	virtio_queue_set_area(vdev, q, VIRTIO_AREA_DESC, qgpa);
	virtio_queue_set_area(vdev, q, VIRTIO_AREA_DRIVER, qgpa + 0x1000);
	virtio_queue_set_area(vdev, q, VIRTIO_AREA_DEVICE, qgpa + 0x2000);
	CHECK_EQ(virtio_queue_enable(vdev, q), 0);
}

static void drive(struct virtio_device *vdev, bool mrg)
{
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE |
					VIRTIO_STATUS_DRIVER);
	virtio_feat_set(&f, VIRTIO_F_VERSION_1);
	virtio_feat_set(&f, VIRTIO_NET_F_MAC);
	if (mrg)
		virtio_feat_set(&f, VIRTIO_NET_F_MRG_RXBUF);
	for (unsigned int i = 0; i < 4; i++)
		virtio_set_driver_features(vdev, i,
					   virtio_feat_get_dword(&f, i));
	virtio_set_status(vdev, 0x0b);
	CHECK(virtio_get_status(vdev) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(vdev, 0, RXQ_GPA);
	setup_queue(vdev, 1, TXQ_GPA);
	virtio_set_status(vdev, 0x0f);
	CHECK_EQ(virtio_get_status(vdev), 0x0f);
}

static struct virtio_net *new_dev(int fd, unsigned int caps)
{
	struct net_config cfg = { .mac = { 2, 0, 0, 0, 0, 7 },
				  .queue_pairs = 1 };
	struct net_caps nc = { .caps = caps };
	struct virtio_net *n = NULL;

	CHECK_EQ(virtio_net_test_new(&mem, &nc, &cfg, &fd, &n), 0);
	return n;
}

static void test_config_space(void)
{
	struct virtio_net *n = new_dev(-1, 0);
	struct virtio_device *vdev = virtio_net_vdev(n);
	uint8_t cfg[VIRTIO_NET_CFG_LEN];

	CHECK_EQ(vdev->device_id, 1);
	CHECK_EQ(virtio_num_queues(vdev), 2);
	CHECK_EQ(virtio_config_read(vdev, 0, cfg, sizeof(cfg)), 0);
	CHECK_EQ(cfg[0], 2);
	CHECK_EQ(cfg[5], 7);
	CHECK_EQ(get_le16(cfg + 6), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(get_le16(cfg + 8), 1);
	CHECK(virtio_config_read(vdev, 8, cfg, 4) < 0); /* past the end */
	virtio_net_test_free(n);
}

/* A 3000-byte frame over 1536-byte buffers: two of them, num_buffers 2,
 * the next frame continues in the third. */
static void test_mrg_rxbuf(void)
{
	int sv[2];
	uint8_t frame[3012];
	struct virtio_net *n;
	struct virtio_device *vdev;

	memset(mem.regions[0].hva, 0, RAM_SIZE);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	n = new_dev(sv[0], NET_CAP_MRG_RXBUF);
	vdev = virtio_net_vdev(n);
	drive(vdev, true);
	for (uint16_t i = 0; i < 4; i++) {
		desc(RXQ_GPA, i, BUF_GPA + i * 0x1000ull, RXBUF, 2, 0);
		memset(hva(BUF_GPA + i * 0x1000ull), 0xee, RXBUF);
		avail_add(RXQ_GPA, i);
	}
	memset(frame, 0, 12);
	for (unsigned int i = 12; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	CHECK_EQ(write(sv[1], frame, sizeof(frame)), sizeof(frame));
	CHECK_EQ(write(sv[1], frame, 100), 100);
	virtio_net_process(n);
	CHECK_EQ(used_idx(RXQ_GPA), 3);
	CHECK_EQ(used_len(RXQ_GPA, 0), RXBUF);
	CHECK_EQ(used_len(RXQ_GPA, 1), sizeof(frame) - RXBUF);
	CHECK_EQ(used_len(RXQ_GPA, 2), 100);
	CHECK_EQ(get_le16(hva(BUF_GPA + 10)), 2);      /* num_buffers */
	CHECK_EQ(get_le16(hva(BUF_GPA + 0x2000 + 10)), 1);
	CHECK(!memcmp(hva(BUF_GPA + 0x1000), frame + RXBUF,
		      sizeof(frame) - RXBUF));
	virtio_net_test_free(n);
	close(sv[0]);
	close(sv[1]);
}

/* Without MRG_RXBUF a frame takes one chain; num_buffers is 1. TX: a
 * header-and-frame chain in two buffers comes out as one packet. */
static void test_plain_rx_and_tx(void)
{
	uint8_t hdr[12] = { 0 }, out[256], pkt[64];
	struct virtio_net *n;
	int sv[2];

	memset(mem.regions[0].hva, 0, RAM_SIZE);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	n = new_dev(sv[0], 0);
	drive(virtio_net_vdev(n), false);
	/* RX: header and data in separate buffers of one chain. */
	desc(RXQ_GPA, 0, BUF_GPA, 12, 1 | 2, 1);
	desc(RXQ_GPA, 1, BUF_GPA + 0x1000, 2048, 2, 0);
	memset(hva(BUF_GPA), 0xee, 12);
	avail_add(RXQ_GPA, 0);
	memset(pkt, 0x5a, sizeof(pkt));
	memcpy(pkt, hdr, 10);
	CHECK_EQ(write(sv[1], pkt, sizeof(pkt)), sizeof(pkt));
	/* TX */
	memset(hva(BUF_GPA + 0x8000), 0, 12);
	memset(hva(BUF_GPA + 0x9000), 0x42, 60);
	desc(TXQ_GPA, 0, BUF_GPA + 0x8000, 12, 1, 1);
	desc(TXQ_GPA, 1, BUF_GPA + 0x9000, 60, 0, 0);
	avail_add(TXQ_GPA, 0);
	virtio_net_process(n);
	CHECK_EQ(used_idx(RXQ_GPA), 1);
	CHECK_EQ(used_len(RXQ_GPA, 0), sizeof(pkt));
	CHECK_EQ(get_le16(hva(BUF_GPA + 10)), 1);
	CHECK_EQ(used_idx(TXQ_GPA), 1);
	CHECK_EQ(read(sv[1], out, sizeof(out)), 72);
	CHECK_EQ(out[12], 0x42);
	CHECK_EQ(out[71], 0x42);
	virtio_net_test_free(n);
	close(sv[0]);
	close(sv[1]);
}

/* ---- UDP tunnel GSO (bits 65-68) against a fake tap ---- */

#define FAKE_QUEUES 2

/* A tap as the kernel's tun driver answers TUNSETOFFLOAD: unknown flags
 * and GSO without checksum are EINVAL; tunnel GSO needs a plain GSO type.
 * 'tunnel' says whether it is a kernel with the tunnel flags (6.17+). */
struct fake_tap {
	bool tunnel;
	int fd[FAKE_QUEUES];
	int hdr_len[FAKE_QUEUES];
	unsigned int offload[FAKE_QUEUES];
	unsigned int hdr_calls, offload_calls;
};

static int fake_queue(struct fake_tap *t, int fd)
{
	for (int i = 0; i < FAKE_QUEUES; i++)
		if (t->fd[i] == fd)
			return i;
	CHECK(!"an fd that is not one of the tap's queues");
	return 0;
}

static int fake_set_offload(void *ctx, int fd, unsigned int f)
{
	struct fake_tap *t = ctx;
	unsigned int known = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			     TUN_F_TSO_ECN | TUN_F_UFO | NET_TUN_F_USO4 |
			     NET_TUN_F_USO6;
	unsigned int plain = TUN_F_TSO4 | TUN_F_TSO6 | NET_TUN_F_USO4 |
			     NET_TUN_F_USO6;
	unsigned int tnl = NET_TUN_F_UDP_TUNNEL_GSO |
			   NET_TUN_F_UDP_TUNNEL_GSO_CSUM;

	t->offload_calls++;
	if (t->tunnel)
		known |= tnl;
	if (f & ~known || (f && !(f & TUN_F_CSUM)) ||
	    (f & tnl && !(f & plain)))
		return -EINVAL;
	t->offload[fake_queue(t, fd)] = f;
	return 0;
}

static int fake_set_hdr_len(void *ctx, int fd, int len)
{
	struct fake_tap *t = ctx;

	t->hdr_calls++;
	if (len < 10)
		return -EINVAL;
	t->hdr_len[fake_queue(t, fd)] = len;
	return 0;
}

static const struct net_tap_ops fake_ops = {
	.set_offload = fake_set_offload,
	.set_hdr_len = fake_set_hdr_len,
};

/* A vhost-net: with the features-array ioctls (Linux 6.17+) or without
 * (array_err: what the probe gets instead, -ENOBUFS on Linux 6.1). */
static void fake_vhost_net(struct fake_vhost *k, int array_err)
{
	static const unsigned int bits[] = {
		VIRTIO_F_RING_EVENT_IDX,
		VIRTIO_F_RING_INDIRECT_DESC,
		VIRTIO_NET_F_MRG_RXBUF,
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
	};

	fake_vhost_init(k, array_err, bits, ARRAY_SIZE(bits));
}

/* Two queue pairs over socket pairs: sv[i][0] the device's, [1] ours;
 * served by a fake vhost-net when vh is not NULL. */
static struct virtio_net *fake_tap_dev_vhost(struct fake_tap *t, int sv[][2],
					     struct fake_vhost *vh)
{
	struct net_config cfg = { .mac = { 2, 0, 0, 0, 0, 9 },
				  .queue_pairs = FAKE_QUEUES,
				  .tapif = "fake0", .vhost = vh != NULL };
	struct virtio_net *n = NULL;

	for (int i = 0; i < FAKE_QUEUES; i++) {
		CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0,
				    sv[i]), 0);
		t->fd[i] = sv[i][0];
		t->hdr_len[i] = -1;
		t->offload[i] = ~0u;
	}
	CHECK_EQ(virtio_net_test_new_tap(&mem, &cfg, t->fd, &fake_ops, t,
					 vh ? fake_vhost_ioctl : NULL, vh, &n),
		 0);
	return n;
}

static struct virtio_net *fake_tap_dev(struct fake_tap *t, int sv[][2])
{
	return fake_tap_dev_vhost(t, sv, NULL);
}

static void fake_tap_free(struct virtio_net *n, int sv[][2])
{
	virtio_net_test_free(n);
	for (int i = 0; i < FAKE_QUEUES; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
}

/* Every queue of the tap has this header size and these offloads. */
static void check_tap(const struct fake_tap *t, int hdr_len, unsigned int off)
{
	for (int i = 0; i < FAKE_QUEUES; i++) {
		CHECK_EQ(t->hdr_len[i], hdr_len);
		CHECK_EQ(t->offload[i], off);
	}
}

/* Reset, then negotiate 'f' (true if the device took FEATURES_OK) and
 * set up the first pair's queues. */
static bool negotiate(struct virtio_device *vdev,
		      const struct virtio_features *f)
{
	virtio_set_status(vdev, 0);
	memset(mem.regions[0].hva, 0, RAM_SIZE);
	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE |
					VIRTIO_STATUS_DRIVER);
	for (unsigned int i = 0; i < 4; i++)
		virtio_set_driver_features(vdev, i,
					   virtio_feat_get_dword(f, i));
	virtio_set_status(vdev, 0x0b);
	if (!(virtio_get_status(vdev) & VIRTIO_STATUS_FEATURES_OK))
		return false;
	setup_queue(vdev, 0, RXQ_GPA);
	setup_queue(vdev, 1, TXQ_GPA);
	virtio_set_status(vdev, 0x0f);
	CHECK_EQ(virtio_get_status(vdev), 0x0f);
	return true;
}

static struct virtio_features feats(const unsigned int *bits, unsigned int n)
{
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	virtio_feat_set(&f, VIRTIO_F_VERSION_1);
	for (unsigned int i = 0; i < n; i++)
		virtio_feat_set(&f, bits[i]);
	return f;
}

/* Linux 6.1's tap: the tunnel flags are refused, bits 65-68 never
 * offered, the rest as before; the small header on every queue. */
static void test_tunnel_old_tap(void)
{
	struct fake_tap t = { .tunnel = false };
	int sv[FAKE_QUEUES][2];
	struct virtio_net *n = fake_tap_dev(&t, sv);
	struct virtio_device *vdev = virtio_net_vdev(n);
	static const unsigned int b[] = { VIRTIO_NET_F_CSUM,
					  VIRTIO_NET_F_GUEST_CSUM,
					  VIRTIO_NET_F_GUEST_TSO4,
					  VIRTIO_NET_F_GUEST_TSO6 };
	struct virtio_features f = feats(b, ARRAY_SIZE(b));

	CHECK_EQ(vdev->offered.q[1], 0);
	CHECK_EQ(virtio_get_device_features(vdev, 2), 0);
	CHECK(virtio_feat_test(&vdev->offered, VIRTIO_NET_F_GUEST_TSO6));
	CHECK(virtio_feat_test(&vdev->offered, VIRTIO_NET_F_MQ));
	check_tap(&t, 12, 0);
	CHECK(negotiate(vdev, &f));
	check_tap(&t, 12, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	/* A driver acking bit 65 anyway is refused; the tap is untouched. */
	virtio_feat_set(&f, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO);
	fprintf(stderr, "(an expected refusal follows)\n");
	CHECK(!negotiate(vdev, &f));
	check_tap(&t, 12, 0);
	fake_tap_free(n, sv);
}

/* One frame from the tap's side into the guest's RX ring and one from the
 * guest's TX ring out, each with the 24-byte header: the tunnel offsets
 * (bytes 20-23) and the payload arrive untouched. */
static void tunnel_frames(struct virtio_net *n, int peer)
{
	uint8_t pkt[24 + 100], out[512];
	uint8_t *rx = hva(BUF_GPA), *tx = hva(BUF_GPA + 0x8000);

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 1;			/* NEEDS_CSUM */
	pkt[1] = 0x21;			/* TCPv4 in a UDPv4 tunnel */
	put_le16(pkt + 20, 0x0022);	/* outer_th_offset */
	put_le16(pkt + 22, 0x0036);	/* inner_nh_offset */
	for (unsigned int i = 24; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 3);
	desc(RXQ_GPA, 0, BUF_GPA, 2048, 2, 0);
	memset(rx, 0xee, 2048);
	avail_add(RXQ_GPA, 0);
	CHECK_EQ(write(peer, pkt, sizeof(pkt)), sizeof(pkt));

	memcpy(tx, pkt, 24);
	put_le16(tx + 20, 0x0026);
	put_le16(tx + 22, 0x0044);
	memset(tx + 24, 0x42, 60);
	desc(TXQ_GPA, 0, BUF_GPA + 0x8000, 24, 1, 1);
	desc(TXQ_GPA, 1, BUF_GPA + 0x8000 + 24, 60, 0, 0);
	avail_add(TXQ_GPA, 0);

	virtio_net_process(n);
	CHECK_EQ(used_idx(RXQ_GPA), 1);
	CHECK_EQ(used_len(RXQ_GPA, 0), sizeof(pkt));
	CHECK_EQ(rx[1], 0x21);
	CHECK_EQ(get_le16(rx + 10), 1); /* num_buffers */
	CHECK_EQ(get_le16(rx + 20), 0x0022);
	CHECK_EQ(get_le16(rx + 22), 0x0036);
	CHECK(!memcmp(rx + 24, pkt + 24, sizeof(pkt) - 24));
	CHECK_EQ(used_idx(TXQ_GPA), 1);
	CHECK_EQ(read(peer, out, sizeof(out)), 84);
	CHECK_EQ(get_le16(out + 20), 0x0026);
	CHECK_EQ(get_le16(out + 22), 0x0044);
	CHECK_EQ(out[24], 0x42);
	CHECK_EQ(out[83], 0x42);
}

/* Linux 6.17+'s tap: bits 65-68 offered; acking them switches every queue
 * to the 24-byte header with the tunnel receive offloads the driver took;
 * frames carry the tunnel fields both ways; reset goes back to 12 bytes. */
static void test_tunnel_new_tap(void)
{
	struct fake_tap t = { .tunnel = true };
	int sv[FAKE_QUEUES][2];
	struct virtio_net *n = fake_tap_dev(&t, sv);
	struct virtio_device *vdev = virtio_net_vdev(n);
	static const unsigned int all[] = {
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
		VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
	};
	static const unsigned int host_only[] = {
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
	};
	static const unsigned int no_plain[] = {
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
	};
	static const unsigned int csum_alone[] = {
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
	};
	unsigned int full = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			    NET_TUN_F_UDP_TUNNEL_GSO |
			    NET_TUN_F_UDP_TUNNEL_GSO_CSUM;
	struct virtio_features f;

	CHECK_EQ(virtio_get_device_features(vdev, 2), 0x1e);
	CHECK_EQ(virtio_get_device_features(vdev, 3), 0);
	check_tap(&t, 12, 0); /* nothing before the driver acks */
	f = feats(all, ARRAY_SIZE(all));
	CHECK(negotiate(vdev, &f));
	check_tap(&t, 24, full);
	tunnel_frames(n, sv[0][1]);
	virtio_set_status(vdev, 0);
	check_tap(&t, 12, 0);
	/* Transmit-side tunnel only: the header grows, the receive offloads
	 * carry no tunnel flag. */
	f = feats(host_only, ARRAY_SIZE(host_only));
	CHECK(negotiate(vdev, &f));
	check_tap(&t, 24, TUN_F_CSUM | TUN_F_TSO4);
	/* Without the tunnel bits: back to the small header. */
	f = feats(all, 6);
	CHECK(negotiate(vdev, &f));
	check_tap(&t, 12, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	/* Dependencies broken: refused at FEATURES_OK. */
	fprintf(stderr, "(expected refusals follow)\n");
	f = feats(no_plain, ARRAY_SIZE(no_plain));
	CHECK(!negotiate(vdev, &f));
	f = feats(csum_alone, ARRAY_SIZE(csum_alone));
	CHECK(!negotiate(vdev, &f));
	check_tap(&t, 12, 0);
	fake_tap_free(n, sv);
}

/* vhost-net on a 6.17+ tap: bits 65-68 offered only when vhost-net lists
 * them (VHOST_GET_FEATURES_ARRAY); acked, they reach it through
 * VHOST_SET_FEATURES_ARRAY and the tap's header is the 24 bytes vhost-net
 * then expects of it. A vhost-net without the array ioctls (6.1) cannot
 * take them: nothing past bit 63 is offered. */
static void test_tunnel_vhost(void)
{
	struct fake_tap t = { .tunnel = true };
	struct fake_vhost k;
	int sv[FAKE_QUEUES][2];
	struct virtio_net *n;
	struct virtio_device *vdev;
	static const unsigned int b[] = {
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
		VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO,
		VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO,
		VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM,
	};
	struct virtio_features f = feats(b, ARRAY_SIZE(b));

	fake_vhost_net(&k, 0);
	n = fake_tap_dev_vhost(&t, sv, &k);
	vdev = virtio_net_vdev(n);
	CHECK_EQ(virtio_get_device_features(vdev, 2), 0x1e);
	CHECK(negotiate(vdev, &f));
	check_tap(&t, 24, TUN_F_CSUM | TUN_F_TSO4 | NET_TUN_F_UDP_TUNNEL_GSO |
				  NET_TUN_F_UDP_TUNNEL_GSO_CSUM);
	CHECK(k.calls[_IOC_NR(VH_SET_FEATURES_ARRAY)] >= 1);
	CHECK_EQ(k.acked.q[1], 0x1eull); /* bits 65-68 of the second u64 */
	CHECK(virtio_feat_test(&k.acked, VIRTIO_F_VERSION_1));
	CHECK_EQ(k.backends, 2);	/* pair 0's RX and TX (pair 1 unused) */
	virtio_set_status(vdev, 0);
	check_tap(&t, 12, 0);
	CHECK_EQ(k.detaches, 2); /* the reset detaches pair 0's two */
	fake_tap_free(n, sv);
	/* Only started vrings were ever detached: not at the driver's first
	 * reset, not pair 1's, not again when the device is freed. */
	CHECK_EQ(k.detaches, 2);
	CHECK_EQ(k.efaults, 0);

	fake_vhost_net(&k, -ENOBUFS);
	memset(&t, 0, sizeof(t));
	t.tunnel = true;
	n = fake_tap_dev_vhost(&t, sv, &k);
	vdev = virtio_net_vdev(n);
	CHECK_EQ(vdev->offered.q[1], 0);
	CHECK(virtio_feat_test(&vdev->offered, VIRTIO_NET_F_GUEST_TSO4));
	fake_tap_free(n, sv);
}

static void test_opts(void)
{
	struct net_config c;

	CHECK_EQ(net_config_parse("mode=tap", &c), 0);
	CHECK_EQ(c.queue_pairs, 1);
	CHECK_EQ(c.mac[0], 0x02);
	CHECK(!c.vhost);
	CHECK_EQ(net_config_parse("mode=tap,tapif=vm0,guest_mac=52:54:00:"
				  "aa:bb:cc,vhost=1,mq=4", &c), 0);
	CHECK_STR(c.tapif, "vm0");
	CHECK_EQ(c.mac[5], 0xcc);
	CHECK(c.vhost);
	CHECK_EQ(c.queue_pairs, 4);
	fprintf(stderr, "(expected errors follow)\n");
	CHECK(net_config_parse("mode=user", &c) < 0);
	CHECK(net_config_parse("tapif=x", &c) < 0);
	CHECK(net_config_parse("mode=tap,mq=9", &c) < 0);
	CHECK(net_config_parse("mode=tap,guest_mac=01:00:00:00:00:00", &c) < 0);
	CHECK(net_config_parse("mode=tap,bogus=1", &c) < 0);
}

int main(void)
{
	mem.regions[0] = (struct mem_region){ .gpa = RAM_GPA, .size = RAM_SIZE,
					      .hva = calloc(1, RAM_SIZE) };
	mem.nr = 1;
	mem.total = RAM_SIZE;
	test_offer_full_caps();
	test_offer_tap_like();
	test_offer_vhost();
	test_hdr_len();
	test_config_space();
	test_mrg_rxbuf();
	test_plain_rx_and_tx();
	test_tunnel_old_tap();
	test_tunnel_new_tap();
	test_tunnel_vhost();
	test_opts();
	free(mem.regions[0].hva);
	return unit_done("virtio_net");
}
