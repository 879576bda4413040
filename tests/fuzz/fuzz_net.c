/* fuzz_net.c: libFuzzer target: virtio-net's userspace data path (TX chains to the back-end, frames into RX chains with and without MRG_RXBUF, the control queue) on fuzzer-made rings in fuzzer-made guest RAM, over socket pairs standing in for the tap queues. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "device.h"
#include "fuzz.h"
#include "fuzz_ram.h"
#include "log.h"
#include "util.h"
#include "virtio/net.h"
#include "virtio/virtio.h"

/*
 * Input: a header, the frames the host side sends the guest (lengths in
 * the header, contents from the input), then raw guest RAM (fuzz_ram.h).
 * Each queue's rings sit at a fixed place near the start of region 0
 * (queues of at most 19 entries: desc, +0x100 driver area, +0x140 device
 * area; a short input reaches them), so everything in them, and every
 * buffer they point to, is fuzzer bytes: the walkers' checks stand
 * between those and the device, and ASan watches what gets through.
 * The driver acks what the header picks of the offer (the device refuses
 * FEATURES_OK where the picks break a dependency: then nothing runs, as
 * on a real device). The device runs its batch twice; whatever it sends
 * is read back and must fit a frame.
 */
#define MAX_FRAMES 4
#define FRAME_UNIT 24	    /* frame length = len byte * this: up to 6120 */
#define QUEUE_AREA 0x200ull /* per queue: desc, +0x100, +0x140 */
#define MAX_PKT	   (65536 + 64)

struct net_fuzz_hdr {
	uint8_t feat;	  /* bit 0 MRG_RXBUF, 1 checksums and TSO, 2 the
			   * tunnel bits 65-68, 3 EVENT_IDX, 4 INDIRECT_DESC,
			   * 5 two queue pairs and the control queue, 6
			   * PACKED, 7 USO */
	uint8_t size_sel; /* queue size 1 << (x % 5), +x&3 with bit 7 */
	uint8_t nframes;  /* % (MAX_FRAMES + 1) */
	uint8_t pair_sel; /* bit i: frame i goes to pair 1 */
	uint8_t len[MAX_FRAMES];
};

static const struct {
	unsigned int n, bits[5];
} groups[8] = {
    {1, {VIRTIO_NET_F_MRG_RXBUF}},
    {5,
     {VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
      VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6}},
    {4,
     {VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO, VIRTIO_NET_F_GUEST_UDP_TUNNEL_GSO_CSUM,
      VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM}},
    {1, {VIRTIO_F_RING_EVENT_IDX}},
    {1, {VIRTIO_F_RING_INDIRECT_DESC}},
    {2, {VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_VQ}},
    {1, {VIRTIO_F_RING_PACKED}},
    {3,
     {VIRTIO_NET_F_GUEST_USO4, VIRTIO_NET_F_GUEST_USO6, VIRTIO_NET_F_HOST_USO}},
};

static struct guest_mem mem;

/* Only virtio_net_create (a VM's device, never made here) calls it. */
void vm_add_device(struct vm *vm, struct device *dev)
{
	(void)vm;
	(void)dev;
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_ERROR);
	return 0;
}

/* What the driver acks: the offer, less the groups the header leaves out
 * (bits in no group, like VERSION_1 and MAC, always). */
static void pick_features(struct virtio_device *v, uint8_t feat)
{
	struct virtio_features f = VIRTIO_FEATURES_EMPTY;

	for (unsigned int w = 0; w < 4; w++)
		virtio_feat_set_dword(&f, w, virtio_get_device_features(v, w));
	for (unsigned int g = 0; g < ARRAY_SIZE(groups); g++)
		for (unsigned int i = 0; !(feat >> g & 1) && i < groups[g].n;
		     i++)
			virtio_feat_clear(&f, groups[g].bits[i]);
	for (unsigned int w = 0; w < 4; w++)
		virtio_set_driver_features(v, w, virtio_feat_get_dword(&f, w));
}

static void drive(struct virtio_device *v, const struct net_fuzz_hdr *h)
{
	uint16_t qsize = (uint16_t)(1u << (h->size_sel % 5));

	if (h->size_sel & 0x80)
		qsize += h->size_sel & 3;
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	pick_features(v, h->feat);
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	for (unsigned int q = 0; q < virtio_num_queues(v); q++) {
		uint64_t at = q * QUEUE_AREA;

		if (virtio_queue_set_size(v, q, qsize))
			continue;
		virtio_queue_set_area(v, q, VIRTIO_AREA_DESC, at);
		virtio_queue_set_area(v, q, VIRTIO_AREA_DRIVER, at + 0x100);
		virtio_queue_set_area(v, q, VIRTIO_AREA_DEVICE, at + 0x140);
		virtio_queue_enable(v, q);
	}
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
}

/* What the device sent on one pair: whole packets no larger than a
 * frame can be. */
static void drain(int fd)
{
	static uint8_t pkt[MAX_PKT + 1];
	ssize_t n;

	while ((n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT | MSG_TRUNC)) >= 0)
		if (n > MAX_PKT)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_config cfg = {.mac = {2, 0, 0, 0, 0, 9}};
	struct net_caps caps = {.caps = ~0u};
	int sv[2][2] = {{-1, -1}, {-1, -1}}, fds[2];
	const uint8_t *frame[MAX_FRAMES];
	struct net_fuzz_hdr h;
	struct virtio_net *n;
	unsigned int nf, pairs;

	if (size < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	nf = h.nframes % (MAX_FRAMES + 1);
	for (unsigned int i = 0; i < nf; i++) {
		size_t len = (size_t)h.len[i] * FRAME_UNIT;

		if (len > size)
			return -1;
		frame[i] = data;
		data += len;
		size -= len;
	}
	if (fuzz_ram_build(&mem, data, size))
		abort();
	pairs = h.feat & 0x20 ? 2 : 1;
	cfg.queue_pairs = pairs;
	for (unsigned int p = 0; p < pairs; p++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0,
			       sv[p]))
			abort();
		fds[p] = sv[p][0];
	}
	if (virtio_net_test_new(&mem, &caps, &cfg, fds, &n))
		abort();
	drive(virtio_net_vdev(n), &h);
	for (unsigned int i = 0; i < nf; i++) {
		int fd = sv[(h.pair_sel >> i & 1) % pairs][1];

		if (send(fd, frame[i], (size_t)h.len[i] * FRAME_UNIT,
			 MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN)
			abort();
	}
	virtio_net_process(n);
	virtio_net_process(n);
	for (unsigned int p = 0; p < pairs; p++)
		drain(sv[p][1]);
	virtio_net_test_free(n);
	for (unsigned int p = 0; p < pairs; p++) {
		close(sv[p][0]);
		close(sv[p][1]);
	}
	fuzz_ram_free(&mem);
	return 0;
}
