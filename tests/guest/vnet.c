/* vnet.c: a freestanding virtio-net driver guest over virtio-mmio: sends one Ethernet frame and waits for the frame the host injects into the tap, or (netloop=N) runs N numbered ping/pong rounds with a host responder. */
#include "rt.h"

void main64(const u8 *bp);

#define GX_PASS_VNET 0x1a /* exit status 53 */
#define ETH_TYPE     0x88b5 /* IEEE local experimental */
#define HDR_V1_LEN   12	  /* virtio_net_hdr_v1 */
#define HDR_TNL_LEN  24	  /* virtio_net_hdr_v1_hash_tunnel */
#define QSIZE	     8
#define RXBUF	     2048

/* virtio-mmio registers (virtio 1.x 4.2.2). */
#define M_MAGIC	       0x000
#define M_DEVICE_ID    0x008
#define M_DEV_FEAT     0x010
#define M_DEV_FEAT_SEL 0x014
#define M_DRV_FEAT     0x020
#define M_DRV_FEAT_SEL 0x024
#define M_QUEUE_SEL    0x030
#define M_QUEUE_NUM    0x038
#define M_QUEUE_READY  0x044
#define M_QUEUE_NOTIFY 0x050
#define M_INT_ACK      0x064
#define M_STATUS       0x070
#define M_QUEUE_DESC   0x080
#define M_QUEUE_DRIVER 0x090
#define M_QUEUE_DEVICE 0x0a0
#define M_CONFIG       0x100

struct ring {
	u8 desc[QSIZE * 16] __attribute__((aligned(16)));
	u16 avail[2 + QSIZE + 1];
	u8 used[4 + 8 * QSIZE + 2] __attribute__((aligned(4)));
	u16 avail_idx, used_seen;
};

static struct ring rings[2]; /* 0 receiveq1, 1 transmitq1 */
static u8 rxbufs[QSIZE][RXBUF] __attribute__((aligned(64)));
static u8 txbuf[128];
static usize base;
static u32 hdr_len = HDR_V1_LEN;

static void fail(const char *what)
{
	printf("vnet: FAIL: %s\n", what);
	guest_exit(GX_FAIL);
}

static u32 rd(u32 reg) { return mmio_read32(base + reg); }
static void wr(u32 reg, u32 v) { mmio_write32(base + reg, v); }

/* The first virtio_mmio.device=SIZE@BASE:GSI whose device id is 1. */
static usize find_net(const char *cl)
{
	static const char key[] = "virtio_mmio.device=";
	char num[24];

	for (; cl && *cl; cl++) {
		u64 b;
		usize n = 0;

		if (memcmp(cl, key, sizeof(key) - 1))
			continue;
		cl += sizeof(key) - 1;
		while (*cl && *cl != '@')
			cl++;
		if (*cl == '@')
			cl++;
		while (*cl && *cl != ':' && n + 1 < sizeof(num))
			num[n++] = *cl++;
		num[n] = 0;
		if (parse_num(num, &b) || mmio_read32((usize)b) != 0x74726976)
			continue;
		if (mmio_read32((usize)b + M_DEVICE_ID) == 1)
			return (usize)b;
	}
	return 0;
}

static void ring_setup(unsigned int q)
{
	struct ring *r = &rings[q];

	wr(M_QUEUE_SEL, q);
	wr(M_QUEUE_NUM, QSIZE);
	wr(M_QUEUE_DESC, (u32)(usize)r->desc);
	wr(M_QUEUE_DESC + 4, 0);
	wr(M_QUEUE_DRIVER, (u32)(usize)r->avail);
	wr(M_QUEUE_DRIVER + 4, 0);
	wr(M_QUEUE_DEVICE, (u32)(usize)r->used);
	wr(M_QUEUE_DEVICE + 4, 0);
	wr(M_QUEUE_READY, 1);
}

static void post(unsigned int q, u16 slot, void *buf, u32 len, u16 flags)
{
	struct ring *r = &rings[q];
	u8 *d = r->desc + 16 * slot;

	*(volatile u64 *)d = (u64)(usize)buf;
	*(volatile u32 *)(d + 8) = len;
	*(volatile u16 *)(d + 12) = flags;
	*(volatile u16 *)(d + 14) = 0;
	((volatile u16 *)r->avail)[2 + r->avail_idx % QSIZE] = slot;
	barrier();
	((volatile u16 *)r->avail)[1] = ++r->avail_idx;
	barrier();
	wr(M_QUEUE_NOTIFY, q);
}

/* Waits for the next used element of queue q: its id and length. */
static void wait_used(unsigned int q, u32 *id, u32 *len)
{
	struct ring *r = &rings[q];
	volatile u8 *u = r->used;
	u8 *e;

	while (*(volatile u16 *)(u + 2) == r->used_seen)
		cpu_relax();
	barrier();
	e = r->used + 4 + 8 * (r->used_seen % QSIZE);
	*id = *(volatile u32 *)e;
	*len = *(volatile u32 *)(e + 4);
	r->used_seen++;
	wr(M_INT_ACK, rd(0x060));
}

/* Word 0: CSUM, GUEST_CSUM, MAC, GUEST_TSO4, HOST_TSO4; word 2: the UDP
 * tunnel bits 65-68 (GSO and its outer checksum, each direction). */
#define TNL_WORD0 ((1u << 0) | (1u << 1) | (1u << 5) | (1u << 7) | (1u << 11))
#define TNL_WORD2 0x1e

/*
 * tunnel: ack the UDP tunnel GSO bits (with the bits they depend on), so
 * the header is the 24-byte virtio_net_hdr_v1_hash_tunnel both ways; a
 * header of the wrong size on the tap would shift every frame.
 */
static void negotiate(int tunnel)
{
	u32 w0 = 1u << 5; /* MAC; no offloads, no MRG_RXBUF */

	wr(M_STATUS, 0);
	wr(M_STATUS, 1);
	wr(M_STATUS, 3);
	wr(M_DEV_FEAT_SEL, 1);
	if (!(rd(M_DEV_FEAT) & 1))
		fail("VERSION_1 not offered");
	wr(M_DEV_FEAT_SEL, 0);
	if (!(rd(M_DEV_FEAT) & (1u << 5)))
		fail("MAC not offered");
	if (tunnel) {
		u32 w2;

		if ((rd(M_DEV_FEAT) & TNL_WORD0) != TNL_WORD0)
			fail("checksum/TSO4 offloads not offered");
		wr(M_DEV_FEAT_SEL, 2);
		w2 = rd(M_DEV_FEAT);
		printf("vnet: feature word 2 offered 0x%x\n", w2);
		if ((w2 & TNL_WORD2) != TNL_WORD2)
			fail("UDP tunnel GSO bits 65-68 not offered");
		w0 = TNL_WORD0;
		hdr_len = HDR_TNL_LEN;
		wr(M_DRV_FEAT_SEL, 2);
		wr(M_DRV_FEAT, TNL_WORD2);
	}
	wr(M_DRV_FEAT_SEL, 0);
	wr(M_DRV_FEAT, w0);
	wr(M_DRV_FEAT_SEL, 1);
	wr(M_DRV_FEAT, 1); /* VERSION_1 */
	wr(M_STATUS, 0xb);
	if (!(rd(M_STATUS) & 8))
		fail("FEATURES_OK refused");
	ring_setup(0);
	ring_setup(1);
	wr(M_STATUS, 0xf);
}

/* A broadcast frame of ours: msg (NUL included) then 'tail' bytes. */
static void send_frame(const u8 *mac, const char *msg, const void *tail,
		       usize tail_len)
{
	u8 *f = txbuf + hdr_len;
	usize n = strlen(msg) + 1;
	u32 id, len;

	memset(txbuf, 0, sizeof(txbuf));
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = ETH_TYPE >> 8;
	f[13] = ETH_TYPE & 0xff;
	memcpy(f + 14, msg, n);
	memcpy(f + 14 + n, tail, tail_len);
	post(1, 0, txbuf, hdr_len + 60, 0);
	wait_used(1, &id, &len);
}

static int used_pending(unsigned int q)
{
	return *(volatile u16 *)(rings[q].used + 2) != rings[q].used_seen;
}

static u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/*
 * netloop=N: round i sends "minivmm-vnet-ping" with i (LE32) after it and
 * waits for "minivmm-vnet-pong" with the same i, then prints "vnet: round
 * i ok". A frame lost on the way (a snapshot taken while a pong was in
 * flight, the tap with no reader between two VMMs) is covered by sending
 * the ping again after about 2^30 TSC ticks; stale pongs are put back.
 */
static void net_loop(const u8 *mac, u64 rounds)
{
	static const char pong[] = "minivmm-vnet-pong";

	for (u32 i = 0; i < rounds; i++) {
		u8 seq[4] = { (u8)i, (u8)(i >> 8), (u8)(i >> 16), (u8)(i >> 24) };
		int done = 0;

		while (!done) {
			u64 t0 = rdtsc();

			send_frame(mac, "minivmm-vnet-ping", seq, sizeof(seq));
			while (!done && rdtsc() - t0 < (1ull << 30)) {
				u32 id, len;
				u8 *f;

				if (!used_pending(0)) {
					cpu_relax();
					continue;
				}
				wait_used(0, &id, &len);
				if (id >= QSIZE || len < hdr_len + 14)
					fail("bad used element");
				f = rxbufs[id] + hdr_len;
				done = f[12] == ETH_TYPE >> 8 &&
				       f[13] == (ETH_TYPE & 0xff) &&
				       !memcmp(f + 14, pong, sizeof(pong)) &&
				       !memcmp(f + 14 + sizeof(pong), seq, 4);
				post(0, (u16)id, rxbufs[id], RXBUF, 2);
			}
			if (!done)
				printf("vnet: no pong for round %u; ping again\n", i);
		}
		printf("vnet: round %u ok\n", i);
	}
	printf("vnet: loop done\n");
}

/* Frames other than ours (IPv6 chatter) are put back. */
static void receive_frame(void)
{
	for (;;) {
		u32 id, len;
		u8 *f;

		wait_used(0, &id, &len);
		if (id >= QSIZE || len < hdr_len + 14)
			fail("bad used element");
		f = rxbufs[id] + hdr_len;
		if (f[12] == ETH_TYPE >> 8 && f[13] == (ETH_TYPE & 0xff) &&
		    !memcmp(f + 14, "minivmm-vnet-rx", 15)) {
			printf("vnet: received %u bytes, num_buffers %u: %s\n",
			       len - hdr_len, rxbufs[id][10], f + 14);
			return;
		}
		post(0, (u16)id, rxbufs[id], RXBUF, 2);
	}
}

void main64(const u8 *bp)
{
	const char *cl = 0;
	char loop[16];
	u64 rounds = 0;
	u8 mac[6];

	serial_init();
	if (bp && rd32(bp, BP_HEADER) == 0x53726448)
		cl = (const char *)(usize)rd32(bp, BP_CMD_LINE_PTR);
	base = find_net(cl);
	if (!base)
		fail("no virtio-net device on the command line");
	negotiate(cmdline_get(cl, "nettunnel", loop, sizeof(loop)));
	if (hdr_len == HDR_TNL_LEN)
		printf("vnet: acked bits 65-68, %u-byte header\n", hdr_len);
	for (unsigned int i = 0; i < 6; i++)
		mac[i] = mmio_read8(base + M_CONFIG + i);
	if (!(mmio_read16(base + M_CONFIG + 6) & 1))
		fail("link is not up");
	for (u16 i = 0; i < QSIZE; i++)
		post(0, i, rxbufs[i], RXBUF, 2);
	if (cmdline_get(cl, "netloop", loop, sizeof(loop))) {
		if (parse_num(loop, &rounds) || !rounds)
			fail("netloop= takes a number of rounds");
		net_loop(mac, rounds);
		guest_exit(GX_PASS_VNET);
	}
	send_frame(mac, "minivmm-vnet-tx", "", 0);
	printf("vnet: sent a frame from %02x:%02x:%02x:%02x:%02x:%02x\n",
	       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	receive_frame();
	guest_exit(GX_PASS_VNET);
}
