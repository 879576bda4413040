/* vhostile.c: a hostile virtio driver guest. Over virtio-pci (virtio_drv.c)
 * or virtio-mmio (virtio_mmio_drv.c, with acpi=off), against virtio-blk or
 * virtio-rng (tgt=blk|rng), it runs the one malformed-driver case hc= names
 * (loops, chains longer than the queue, buffers and rings outside RAM or in
 * the MMIO hole, bad lengths, bad indirect tables, non-power-of-two sizes,
 * early notifies, features out of order or unoffered, avail idx jumps), then
 * checks that the device reacted (NEEDS_RESET plus a config interrupt, or the
 * request ignored), that the other devices still work, and that the broken
 * device works again after a reset. The exit value encodes the results:
 * VH_BASE | VH_DETECT | VH_OTHER | VH_RECOVER | VH_CLEAN (all four: pass). */
#include "rt.h"
#include "virtio_drv.h"
#include "virtio_mmio_drv.h"

void main64(const u8 *bp);

#define VH_BASE	   0x60
#define VH_DETECT  0x01 /* the device reacted as the case expects */
#define VH_OTHER   0x02 /* every other device still worked afterwards */
#define VH_RECOVER 0x04 /* the target worked again after a reset */
#define VH_CLEAN   0x08 /* nothing else went wrong (stray used entries...) */

#define ST_NEEDS_RESET 0x40
#define DF_NEXT	       1
#define DF_WRITE       2
#define DF_INDIRECT    4
#define F_INDIRECT     (1u << 28) /* VIRTIO_F_RING_INDIRECT_DESC, word 0 */

#define ID_BLK	 2
#define ID_RNG	 4
#define MAX_DEVS 4
#define QS	 8	      /* the queue size the cases use */
#define RAM_END	 0x4000000ULL /* -m 64M */
#define POLL	 2000000      /* status/used polls before giving up */
#define QUIET	 3000	      /* polls that must see nothing happen */

struct hdev {
	u32 id;
	int pci;
	struct vp_dev vp; /* virtio-pci */
	usize base;	  /* virtio-mmio */
	struct vq q;
	u8 *area;	  /* desc, then avail at +4 KiB, used at +8 KiB */
	u16 seed;
};

static struct hdev devs[MAX_DEVS];
static unsigned int ndevs;
static u8 areas[MAX_DEVS][0x3000] __attribute__((aligned(4096)));
static struct vq_desc itab[320] __attribute__((aligned(16)));
static u8 wbuf[4096] __attribute__((aligned(4096)));
static u8 rbuf[4096 * 2] __attribute__((aligned(4096)));
static u8 hdr[16] __attribute__((aligned(16)));
static u8 sbyte[64] __attribute__((aligned(64)));
static unsigned int clean = VH_CLEAN;

static void fail(const char *what)
{
	printf("vhostile: FAIL: %s\n", what);
	guest_exit(GX_FAIL);
}

static void note(const char *what)
{
	printf("vhostile: unexpected: %s\n", what);
	clean = 0;
}

static const char *dname(const struct hdev *d)
{
	return d->id == ID_BLK ? "blk" : d->id == ID_RNG ? "rng" : "?";
}

/* ---- one device over either transport ---- */

static u8 hd_status(struct hdev *d)
{
	return d->pci ? vp_status(&d->vp) : (u8)rd(d->base, R_STATUS);
}

static void hd_set_status(struct hdev *d, u8 s)
{
	if (d->pci)
		vp_set_status(&d->vp, s);
	else
		wr(d->base, R_STATUS, s);
}

static u32 hd_dev_feat(struct hdev *d, u32 sel)
{
	return d->pci ? vp_device_features(&d->vp, sel)
		      : vmmio_dev_feat(d->base, sel);
}

static void hd_drv_feat(struct hdev *d, u32 sel, u32 v)
{
	if (d->pci) {
		vp_set_driver_features(&d->vp, sel, v);
	} else {
		wr(d->base, R_DRV_FEAT_SEL, sel);
		wr(d->base, R_DRV_FEAT, v);
	}
}

/* Interrupt status: PCI's ISR (reading clears it), MMIO's InterruptStatus
 * (acknowledged here). Bit 1: used buffer, bit 2: configuration change. */
static u32 hd_isr(struct hdev *d)
{
	u32 v;

	if (d->pci)
		return mmio_read8(d->vp.isr);
	v = rd(d->base, R_INT_STATUS);
	wr(d->base, R_INT_ACK, v);
	return v;
}

static void hd_reset(struct hdev *d)
{
	hd_set_status(d, 0);
	if (hd_status(d) != 0)
		note("status not 0 after a reset");
	hd_isr(d);
}

/* Reset, ACK, DRIVER, words[0..3] in order, FEATURES_OK: did it stick? */
static int hd_negotiate(struct hdev *d, const u32 w[4])
{
	int ret;

	if (!d->pci) {
		ret = vmmio_negotiate(d->base, w);
		if (ret < 0)
			note("status not 0 after a reset");
		return ret > 0;
	}
	hd_reset(d);
	hd_set_status(d, VS_ACK);
	hd_set_status(d, VS_ACK | VS_DRIVER);
	return vp_negotiate(&d->vp, w);
}

/* Select queue 0 and write its size and ring addresses; returns the size
 * as it reads back. */
static u16 hd_qprogram(struct hdev *d, u16 size, u64 desc, u64 avail,
		       u64 used)
{
	usize c = d->vp.common;

	if (!d->pci) {
		vmmio_queue_program(d->base, 0, size, desc, avail, used);
		return (u16)rd(d->base, R_QUEUE_NUM);
	}
	mmio_write16(c + VP_QSELECT, 0);
	mmio_write16(c + VP_QSIZE, size);
	mmio_write64(c + VP_QDESC, desc);
	mmio_write64(c + VP_QDRIVER, avail);
	mmio_write64(c + VP_QDEVICE, used);
	return mmio_read16(c + VP_QSIZE);
}

static void hd_qenable(struct hdev *d)
{
	if (d->pci)
		mmio_write16(d->vp.common + VP_QENABLE, 1);
	else
		wr(d->base, R_QUEUE_READY, 1);
}

static int hd_qenabled(struct hdev *d)
{
	return d->pci ? mmio_read16(d->vp.common + VP_QENABLE)
		      : (int)rd(d->base, R_QUEUE_READY);
}

static void hd_notify(struct hdev *d)
{
	__asm__ volatile("mfence" ::: "memory");
	if (d->pci)
		mmio_write16(d->q.notify, 0);
	else
		wr(d->base, R_QUEUE_NOTIFY, 0);
}

/* ---- split ring building, for either transport ---- */

static void ring_init(struct hdev *d, u16 size)
{
	usize a = (usize)d->area;

	/* Only what a ring of this size uses: guest loops are slow here. */
	memset(d->area, 0, 16 * (usize)size);
	memset(d->area + 0x1000, 0, 6 + 2 * (usize)size);
	memset(d->area + 0x2000, 0, 6 + 8 * (usize)size);
	d->q.index = 0;
	d->q.size = size;
	d->q.desc = (volatile struct vq_desc *)a;
	d->q.avail = (volatile u16 *)(a + 0x1000);
	d->q.used = (volatile u16 *)(a + 0x2000);
	d->q.avail_idx = d->q.used_seen = 0;
	d->q.notify = d->pci ? d->vp.notify +
			(usize)mmio_read16(d->vp.common + VP_QNOFF) *
				d->vp.notify_mult : 0;
}

/* Program and enable queue 0 on the ring at d->area (size entries). */
static u16 hd_qsetup(struct hdev *d, u16 size)
{
	usize a = (usize)d->area;
	u16 got;

	ring_init(d, size);
	got = hd_qprogram(d, size, a, a + 0x1000, a + 0x2000);
	hd_qenable(d);
	return got;
}

static void desc(struct hdev *d, u16 i, u64 addr, u32 len, u16 flags,
		 u16 next)
{
	d->q.desc[i].addr = addr;
	d->q.desc[i].len = len;
	d->q.desc[i].flags = flags;
	d->q.desc[i].next = next;
}

static void tdesc(u16 i, u64 addr, u32 len, u16 flags, u16 next)
{
	itab[i] = (struct vq_desc){ addr, len, flags, next };
}

/* Make the chain at 'head' available and kick. */
static void publish(struct hdev *d, u16 head)
{
	d->q.avail[2 + d->q.avail_idx % d->q.size] = head;
	__asm__ volatile("mfence" ::: "memory");
	d->q.avail[1] = ++d->q.avail_idx;
	hd_notify(d);
}

/* Wait for the next used entry; returns its length, or -1. */
static long wait_used(struct hdev *d)
{
	volatile u32 *e;

	for (u32 i = 0; i < POLL; i++) {
		if (vq_used_idx(&d->q) != d->q.used_seen) {
			e = (volatile u32 *)(d->q.used + 2) +
			    2 * (d->q.used_seen % d->q.size);
			d->q.used_seen++;
			return e[1];
		}
		if (hd_status(d) & ST_NEEDS_RESET)
			return -1;
		cpu_relax();
	}
	return -1;
}

/* ---- doing real work ---- */

#define W_VERSION_1 1u /* word 1 */

static int start(struct hdev *d, u32 w0, u16 size)
{
	u32 w[4] = { w0, W_VERSION_1, 0, 0 };

	if (!hd_negotiate(d, w))
		return -1;
	if (hd_qsetup(d, size) != size || !hd_qenabled(d))
		return -1;
	hd_set_status(d, VS_ACK | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);
	return hd_status(d) == (VS_ACK | VS_DRIVER | VS_FEATURES_OK |
				VS_DRIVER_OK) ? 0 : -1;
}

static void fill_hdr(u32 type, u64 sector)
{
	*(u32 *)hdr = type;
	*(u32 *)(hdr + 4) = 0;
	*(u64 *)(hdr + 8) = sector;
}

/* A blk request: header, data (device-writable but for OUT), status. */
static int blk_rw(struct hdev *d, u32 type, u64 sector, void *buf, u32 len)
{
	fill_hdr(type, sector);
	sbyte[0] = 0xee;
	desc(d, 0, (usize)hdr, 16, DF_NEXT, 1);
	desc(d, 1, (usize)buf, len, DF_NEXT | (type != 1 ? DF_WRITE : 0), 2);
	desc(d, 2, (usize)sbyte, 1, DF_WRITE, 0);
	publish(d, 0);
	if (wait_used(d) < 0)
		return -1;
	return sbyte[0];
}

/* The device works: rng fills 64 bytes; blk writes a sector and reads it. */
static int works(struct hdev *d)
{
	u64 sector = 8 + 8 * (u64)(d - devs) + 64 * (d->seed & 7);
	u32 nz = 0;
	long n;

	d->seed++;
	if (start(d, 0, QS))
		return 0;
	if (d->id == ID_RNG) {
		memset(rbuf, 0, 64);
		desc(d, 0, (usize)rbuf, 64, DF_WRITE, 0);
		publish(d, 0);
		n = wait_used(d);
		for (u32 i = 0; i < 64; i++)
			nz += rbuf[i] != 0;
		return n == 64 && nz > 32;
	}
	for (u32 i = 0; i < 512; i++)
		wbuf[i] = (u8)(i * 13 + d->seed);
	if (blk_rw(d, 1, sector, wbuf, 512) != 0)
		return 0;
	memset(rbuf, 0, 512);
	if (blk_rw(d, 0, sector, rbuf, 512) != 0)
		return 0;
	return !memcmp(wbuf, rbuf, 512);
}

/* ---- the reactions ---- */

/* NEEDS_RESET within POLL status reads, with a configuration interrupt
 * when the device was running; then kick a while more (no flood of log
 * lines may follow) and check nothing was used. */
static int needs_reset(struct hdev *d, int running)
{
	u16 used = vq_used_idx(&d->q);
	u32 isr, i;
	u8 s = 0;

	for (i = 0; i < POLL && !((s = hd_status(d)) & ST_NEEDS_RESET); i++)
		cpu_relax();
	/* The status bit comes first, the interrupt right after it. */
	isr = hd_isr(d);
	for (u32 k = 0; running && k < POLL && !(isr & 2); k++)
		isr |= hd_isr(d);
	printf("vhostile: status %02x isr %x after %u polls\n", s, isr, i);
	if (!(s & ST_NEEDS_RESET))
		return 0;
	if (running && !(isr & 2)) {
		puts("vhostile: no configuration interrupt\n");
		return 0;
	}
	for (i = 0; i < 200; i++)
		hd_notify(d);
	if (!(hd_status(d) & ST_NEEDS_RESET))
		note("NEEDS_RESET went away without a reset");
	if (vq_used_idx(&d->q) != used)
		note("used entries after NEEDS_RESET");
	return 1;
}

/* Nothing is used and the status stays clean for QUIET polls. */
static int quiet(struct hdev *d)
{
	for (u32 i = 0; i < QUIET; i++) {
		if (vq_used_idx(&d->q) != d->q.used_seen)
			return 0;
		if (hd_status(d) & ST_NEEDS_RESET)
			return 0;
	}
	return 1;
}

/* ---- the cases ---- */

/* Blk: header, then what the case put in descriptor 1 onwards. A chain for
 * rng only has writable buffers. */
static void blk_hdr(struct hdev *d, u16 slot, u16 next)
{
	fill_hdr(0, 0); /* IN: the device writes the data buffer */
	desc(d, slot, (usize)hdr, 16, DF_NEXT, next);
}

/* A read of 'len' bytes into 'addr': the bad buffer in the middle. */
static int bad_buffer(struct hdev *d, u64 addr, u32 len)
{
	if (start(d, 0, QS))
		return 0;
	if (d->id == ID_BLK) {
		blk_hdr(d, 0, 1);
		desc(d, 1, addr, len, DF_NEXT | DF_WRITE, 2);
		desc(d, 2, (usize)sbyte, 1, DF_WRITE, 0);
	} else {
		desc(d, 0, addr, len, DF_WRITE, 0);
	}
	publish(d, 0);
	return needs_reset(d, 1);
}

static int c_loop2(struct hdev *d)
{
	if (start(d, 0, QS))
		return 0;
	desc(d, 0, (usize)hdr, 16, DF_NEXT | (d->id == ID_RNG ? DF_WRITE : 0),
	     1);
	desc(d, 1, (usize)sbyte, 1, DF_NEXT | DF_WRITE, 0);
	publish(d, 0);
	return needs_reset(d, 1);
}

/* Every descriptor in one ring: the 9th step is longer than the queue. */
static int c_loopall(struct hdev *d)
{
	if (start(d, 0, QS))
		return 0;
	for (u16 i = 0; i < QS; i++)
		desc(d, i, (usize)rbuf + 512 * i, 512,
		     DF_NEXT | (i || d->id == ID_RNG ? DF_WRITE : 0),
		     (u16)((i + 1) % QS));
	if (d->id == ID_BLK)
		blk_hdr(d, 0, 1);
	publish(d, 0);
	return needs_reset(d, 1);
}

static int c_nextoob(struct hdev *d)
{
	if (start(d, 0, QS))
		return 0;
	desc(d, 0, (usize)rbuf, 16, DF_NEXT | DF_WRITE, 100);
	if (d->id == ID_BLK)
		blk_hdr(d, 0, 100);
	publish(d, 0);
	return needs_reset(d, 1);
}

static int c_headoob(struct hdev *d)
{
	if (start(d, 0, QS))
		return 0;
	publish(d, 200);
	return needs_reset(d, 1);
}

/* avail idx moves by size + 1 at once. */
static int c_availjump(struct hdev *d)
{
	if (start(d, 0, QS))
		return 0;
	desc(d, 0, (usize)rbuf, 64, DF_WRITE, 0);
	d->q.avail_idx += QS;
	publish(d, 0);
	return needs_reset(d, 1);
}

static int c_ramend(struct hdev *d)
{
	return bad_buffer(d, RAM_END - 512, 4096); /* crosses the end */
}

static int c_far(struct hdev *d)
{
	return bad_buffer(d, 0x4000000000ULL, 4096);
}

/* The IOAPIC: its version register must read the same afterwards. */
static int c_ioapic(struct hdev *d)
{
	u32 ver = ioapic_read(1), id = ioapic_read(0);
	int ret = bad_buffer(d, IOAPIC_BASE, 4096);

	if (ioapic_read(1) != ver || ioapic_read(0) != id)
		note("the IOAPIC changed");
	return ret;
}

/* The device's own registers (BAR 0 / its virtio-mmio window). */
static int c_bar(struct hdev *d)
{
	u64 at = d->pci ? d->vp.bar[0] : d->base;

	return bad_buffer(d, at, 4096);
}

static int c_zerolen(struct hdev *d)
{
	return bad_buffer(d, (usize)rbuf, 0);
}

static int c_hugelen(struct hdev *d)
{
	return bad_buffer(d, (usize)rbuf, 0xffffffffu);
}

/* The used ring in the IOAPIC: enabling the queue fails, NEEDS_RESET. */
static int c_ringhole(struct hdev *d)
{
	u32 w[4] = { 0, W_VERSION_1, 0, 0 };
	u32 ver = ioapic_read(1);
	usize a = (usize)d->area;
	int ret;

	if (!hd_negotiate(d, w))
		return 0;
	ring_init(d, QS);
	hd_qprogram(d, QS, a, a + 0x1000, IOAPIC_BASE);
	hd_qenable(d);
	ret = needs_reset(d, 0);
	if (hd_qenabled(d))
		note("queue enabled with its used ring in the IOAPIC");
	hd_set_status(d, hd_status(d) | VS_DRIVER_OK);
	hd_notify(d);
	if (ioapic_read(1) != ver)
		note("the IOAPIC changed");
	return ret;
}

/* Size 6 (split rings need a power of two): reads back 0; enabling the
 * queue anyway fails with NEEDS_RESET. */
static int c_npow2(struct hdev *d)
{
	u32 w[4] = { 0, W_VERSION_1, 0, 0 };
	usize a = (usize)d->area;
	u16 got;

	if (!hd_negotiate(d, w))
		return 0;
	ring_init(d, 6);
	got = hd_qprogram(d, 6, a, a + 0x1000, a + 0x2000);
	printf("vhostile: size 6 reads back %u\n", got);
	if (got != 0)
		return 0;
	hd_qenable(d);
	return needs_reset(d, 0) && !hd_qenabled(d);
}

/* Kicks before FEATURES_OK and before DRIVER_OK are ignored; the buffer
 * waiting at DRIVER_OK is then used. */
static int c_early(struct hdev *d)
{
	u32 w[4] = { 0, W_VERSION_1, 0, 0 };
	int ok;

	hd_reset(d);
	hd_set_status(d, VS_ACK | VS_DRIVER);
	ring_init(d, QS);
	hd_notify(d);
	if (!hd_negotiate(d, w) || hd_qsetup(d, QS) != QS)
		return 0;
	if (d->id == ID_BLK) {
		blk_hdr(d, 0, 1);
		desc(d, 1, (usize)rbuf, 512, DF_NEXT | DF_WRITE, 2);
		desc(d, 2, (usize)sbyte, 1, DF_WRITE, 0);
	} else {
		desc(d, 0, (usize)rbuf, 64, DF_WRITE, 0);
	}
	publish(d, 0);
	for (int i = 0; i < 50; i++)
		hd_notify(d);
	ok = quiet(d);
	printf("vhostile: before DRIVER_OK: used %u status %02x\n",
	       vq_used_idx(&d->q), hd_status(d));
	hd_set_status(d, VS_ACK | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);
	return ok && wait_used(d) > 0;
}

/* Word 1 before word 0 is fine; a write after FEATURES_OK is ignored. */
static int c_featorder(struct hdev *d)
{
	u32 f0 = hd_dev_feat(d, 0) & (d->id == ID_BLK ? (1u << 9) : 0);

	hd_reset(d);
	hd_set_status(d, VS_ACK);
	hd_set_status(d, VS_ACK | VS_DRIVER);
	hd_drv_feat(d, 1, W_VERSION_1);
	hd_drv_feat(d, 0, f0);
	hd_set_status(d, VS_ACK | VS_DRIVER | VS_FEATURES_OK);
	if (!(hd_status(d) & VS_FEATURES_OK))
		return 0;
	hd_drv_feat(d, 1, 0);		/* would drop VERSION_1 */
	hd_drv_feat(d, 0, 0xffffffffu); /* and add unoffered bits */
	if (d->pci && (vp_driver_features(&d->vp, 1) != W_VERSION_1 ||
		       vp_driver_features(&d->vp, 0) != f0))
		return 0;
	if (hd_qsetup(d, QS) != QS)
		return 0;
	hd_set_status(d, VS_ACK | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);
	if (!(hd_status(d) & VS_DRIVER_OK))
		return 0;
	desc(d, 0, (usize)rbuf, 64, DF_WRITE, 0);
	if (d->id == ID_BLK)
		return blk_rw(d, 8, 0, rbuf, 20) == 0; /* GET_ID */
	publish(d, 0);
	return wait_used(d) == 64;
}

/* Bits 64..127 acked: FEATURES_OK refused (reads back clear). */
static int c_unoffered(struct hdev *d)
{
	u32 w[4] = { 0, W_VERSION_1, 0xffffffffu, 0x80000000u };
	int kept = hd_negotiate(d, w);

	printf("vhostile: FEATURES_OK with bits 64-127: %s, status %02x\n",
	       kept ? "kept" : "refused", hd_status(d));
	return !kept && hd_status(d) == (VS_ACK | VS_DRIVER);
}

/* DRIVER_OK without FEATURES_OK: ignored. */
static int c_drvok(struct hdev *d)
{
	hd_reset(d);
	hd_set_status(d, VS_ACK | VS_DRIVER);
	hd_set_status(d, VS_ACK | VS_DRIVER | VS_DRIVER_OK);
	return hd_status(d) == (VS_ACK | VS_DRIVER);
}

/* Queue 7 does not exist: programming and enabling it are ignored. */
static int c_noqueue(struct hdev *d)
{
	u32 w[4] = { 0, W_VERSION_1, 0, 0 };
	usize a = (usize)d->area, c = d->vp.common;
	int ok;

	if (!hd_negotiate(d, w))
		return 0;
	if (d->pci) {
		mmio_write16(c + VP_QSELECT, 7);
		mmio_write16(c + VP_QSIZE, QS);
		mmio_write64(c + VP_QDESC, a);
		mmio_write64(c + VP_QDRIVER, a + 0x1000);
		mmio_write64(c + VP_QDEVICE, a + 0x2000);
		mmio_write16(c + VP_QENABLE, 1);
		ok = !mmio_read16(c + VP_QSIZE) && !mmio_read16(c + VP_QENABLE);
	} else {
		vmmio_queue_program(d->base, 7, QS, a, a + 0x1000, a + 0x2000);
		wr(d->base, R_QUEUE_READY, 1);
		ok = !rd(d->base, R_QUEUE_NUM_MAX) &&
		     !rd(d->base, R_QUEUE_NUM) && !rd(d->base, R_QUEUE_READY);
	}
	printf("vhostile: queue 7 reads %s, status %02x\n",
	       ok ? "size 0, not enabled" : "as if it existed", hd_status(d));
	return ok && hd_status(d) == (VS_ACK | VS_DRIVER | VS_FEATURES_OK);
}

/* Indirect tables (blk offers RING_INDIRECT_DESC; rng does not). */
static int ind_start(struct hdev *d)
{
	return start(d, d->id == ID_BLK ? F_INDIRECT : 0, QS);
}

static int ind_post(struct hdev *d, u64 table, u32 len)
{
	desc(d, 0, table, len, DF_INDIRECT, 0);
	publish(d, 0);
	return needs_reset(d, 1);
}

/* A well-formed table of 300 buffers: longer than the queue (8) and than
 * the device takes in one chain. */
static int c_indlong(struct hdev *d)
{
	if (ind_start(d))
		return 0;
	tdesc(0, (usize)hdr, 16, DF_NEXT, 1);
	fill_hdr(0, 0);
	for (u16 i = 1; i < 299; i++)
		tdesc(i, (usize)rbuf + 16 * i, 16, DF_NEXT | DF_WRITE,
		      (u16)(i + 1));
	tdesc(299, (usize)sbyte, 1, DF_WRITE, 0);
	return ind_post(d, (usize)itab, 300 * 16);
}

static int c_indloop(struct hdev *d)
{
	if (ind_start(d))
		return 0;
	fill_hdr(0, 0);
	tdesc(0, (usize)hdr, 16, DF_NEXT, 1);
	for (u16 i = 1; i < 4; i++)
		tdesc(i, (usize)rbuf + 512 * i, 512, DF_NEXT | DF_WRITE,
		      (u16)((i + 1) % 4));
	return ind_post(d, (usize)itab, 4 * 16);
}

static int c_indlen(struct hdev *d)
{
	if (ind_start(d))
		return 0;
	fill_hdr(0, 0);
	tdesc(0, (usize)hdr, 16, DF_NEXT, 1);
	tdesc(1, (usize)sbyte, 1, DF_WRITE, 0);
	return ind_post(d, (usize)itab, 24);
}

static int c_indzero(struct hdev *d)
{
	if (ind_start(d))
		return 0;
	return ind_post(d, (usize)itab, 0);
}

static int c_indnest(struct hdev *d)
{
	if (ind_start(d))
		return 0;
	fill_hdr(0, 0);
	tdesc(0, (usize)hdr, 16, DF_NEXT, 1);
	tdesc(1, (usize)(itab + 4), 32, DF_INDIRECT, 0);
	tdesc(4, (usize)sbyte, 1, DF_WRITE, 0);
	return ind_post(d, (usize)itab, 2 * 16);
}

static int c_indhole(struct hdev *d)
{
	if (ind_start(d))
		return 0;
	return ind_post(d, IOAPIC_BASE, 4 * 16);
}

/* rng never offered INDIRECT_DESC; blk has it offered but not acked. */
static int c_indnoneg(struct hdev *d)
{
	if (start(d, 0, QS))
		return 0;
	tdesc(0, (usize)rbuf, 64, DF_WRITE, 0);
	return ind_post(d, (usize)itab, 16);
}

static const struct {
	const char *name;
	int (*run)(struct hdev *d);
	int blk_only;
} cases[] = {
	{ "loop2", c_loop2, 0 },	 { "loopall", c_loopall, 0 },
	{ "nextoob", c_nextoob, 0 },	 { "headoob", c_headoob, 0 },
	{ "availjump", c_availjump, 0 }, { "ramend", c_ramend, 0 },
	{ "far", c_far, 0 },		 { "ioapic", c_ioapic, 0 },
	{ "bar", c_bar, 0 },		 { "zerolen", c_zerolen, 0 },
	{ "hugelen", c_hugelen, 0 },	 { "ringhole", c_ringhole, 0 },
	{ "npow2", c_npow2, 0 },	 { "early", c_early, 0 },
	{ "featorder", c_featorder, 0 }, { "unoffered", c_unoffered, 0 },
	{ "drvok", c_drvok, 0 },	 { "indnoneg", c_indnoneg, 0 },
	{ "noqueue", c_noqueue, 0 },
	{ "indlong", c_indlong, 1 },	 { "indloop", c_indloop, 1 },
	{ "indlen", c_indlen, 1 },	 { "indzero", c_indzero, 1 },
	{ "indnest", c_indnest, 1 },	 { "indhole", c_indhole, 1 },
};

/* ---- finding the devices ---- */

static void find_pci(void)
{
	for (int slot = 0; slot < 32 && ndevs < MAX_DEVS; slot++) {
		u32 id = pci_cfg_read32((u8)slot, 0);
		struct hdev *d = &devs[ndevs];

		if ((id & 0xffff) != 0x1af4 || (id >> 16) < 0x1041 ||
		    (id >> 16) > 0x107f)
			continue;
		if (vp_probe(&d->vp, (u8)slot))
			fail("virtio-pci capabilities missing");
		d->pci = 1;
		d->id = (id >> 16) - 0x1040;
		d->area = areas[ndevs++];
	}
}

static void find_mmio(const char *cl)
{
	struct vmmio_dev m[MAX_DEVS];
	unsigned int n = vmmio_find_devs(cl, m, MAX_DEVS);

	for (unsigned int i = 0; i < n; i++) {
		if (rd(m[i].base, R_MAGIC) != 0x74726976 ||
		    rd(m[i].base, R_VERSION) != 2)
			fail("not a virtio-mmio v2 window");
		devs[ndevs].base = m[i].base;
		devs[ndevs].id = rd(m[i].base, R_DEVICE_ID);
		devs[ndevs].area = areas[ndevs];
		ndevs++;
	}
}

static int streq(const char *a, const char *b)
{
	usize n = strlen(b);

	return strlen(a) == n && !memcmp(a, b, n);
}

void main64(const u8 *bp)
{
	const char *cl = 0;
	char hc[16], tgt[8];
	struct hdev *t = 0;
	unsigned int res = VH_BASE, c, i, others = 0, other_ok = 0;

	serial_init();
	if (bp && rd32(bp, BP_HEADER) == 0x53726448)
		cl = (const char *)(usize)rd32(bp, BP_CMD_LINE_PTR);
	if (!cl || !cmdline_get(cl, "hc", hc, sizeof(hc)) ||
	    !cmdline_get(cl, "tgt", tgt, sizeof(tgt)))
		fail("no hc= or tgt= on the command line");
	find_mmio(cl);
	if (!ndevs)
		find_pci();
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		if (streq(hc, cases[c].name))
			break;
	if (c == sizeof(cases) / sizeof(cases[0]))
		fail("unknown hc=");
	for (i = 0; i < ndevs && !t; i++)
		if (streq(tgt, dname(&devs[i])))
			t = &devs[i];
	if (!t || ndevs < 2)
		fail("target or a second device missing");
	if (cases[c].blk_only && t->id != ID_BLK)
		fail("case is for blk only");
	printf("vhostile: %s, %u devices, case %s on %s\n",
	       t->pci ? "pci" : "mmio", ndevs, hc, tgt);
	if (!works(t))
		fail("the target does not work before the case");

	if (cases[c].run(t))
		res |= VH_DETECT;
	/* The other devices, with the target left broken. */
	for (i = 0; i < ndevs; i++) {
		if (&devs[i] == t)
			continue;
		others++;
		if (works(&devs[i]))
			other_ok++;
		else
			printf("vhostile: device %u (%s) does not work\n", i,
			       dname(&devs[i]));
	}
	if (others && other_ok == others)
		res |= VH_OTHER;
	hd_reset(t);
	if (works(t) && !(hd_status(t) & ST_NEEDS_RESET))
		res |= VH_RECOVER;
	hd_reset(t);
	res |= clean;
	printf("vhostile: case %s on %s: detect %u other %u/%u recover %u "
	       "clean %u\n", hc, tgt, res & VH_DETECT, other_ok, others,
	       !!(res & VH_RECOVER), !!(res & VH_CLEAN));
	guest_exit((u8)res);
}
