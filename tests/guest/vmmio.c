/* vmmio.c: a freestanding virtio-mmio driver guest: finds its devices in the
 * virtio_mmio.device= entries minivmm appends for acpi=off, then runs the
 * test the command line's vt= names: feat (register and feature semantics),
 * blk, blkro (read-only disk), blkloop (blkloop.h), rng, con (virtio console
 * round trip), hold. */
#include "blkloop.h"
#include "rt.h"
#include "virtio_mmio_drv.h"

void main64(const u8 *bp);

#define GX_PASS_VMMIO 0x18

#define QSIZE 8
#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

#define MAX_DEVS 8

struct vq {
	u8 desc[QSIZE * 16] __attribute__((aligned(16)));
	u16 avail[2 + QSIZE + 1] __attribute__((aligned(2)));
	u8 used[4 + 8 * QSIZE + 2] __attribute__((aligned(4)));
	u16 avail_idx, used_seen;
	unsigned int q;
	usize base;
};

static struct vmmio_dev devs[MAX_DEVS];
static unsigned int ndevs;
static struct vq vqs[2];
static u8 data[8192] __attribute__((aligned(4096)));
static u8 data2[8192] __attribute__((aligned(4096)));
static u8 hdr[16], status_byte;
static volatile u32 irq_count;
static usize irq_base;

static void fail(const char *what)
{
	printf("vmmio: FAIL: %s\n", what);
	guest_exit(GX_FAIL);
}

static void check(int cond, const char *what)
{
	if (!cond)
		fail(what);
}

static void find_devs(const char *cl)
{
	ndevs = vmmio_find_devs(cl, devs, MAX_DEVS);
	for (unsigned int i = 0; i < ndevs; i++) {
		struct vmmio_dev *d = &devs[i];

		check(rd(d->base, R_MAGIC) == 0x74726976, "magic is not 'virt'");
		check(rd(d->base, R_VERSION) == 2, "version is not 2");
		d->id = rd(d->base, R_DEVICE_ID);
		printf("vmmio: device %u at %llx gsi %u: id %u vendor %x\n", i,
		       (u64)d->base, d->gsi, d->id, rd(d->base, R_VENDOR));
	}
}

static struct vmmio_dev *dev_by_id(u32 id)
{
	for (unsigned int i = 0; i < ndevs; i++)
		if (devs[i].id == id)
			return &devs[i];
	fail("device not found");
	return 0;
}

static u32 dev_feat(usize base, u32 sel)
{
	return vmmio_dev_feat(base, sel);
}

/* Reset, ACK, DRIVER, the given driver feature words, FEATURES_OK; returns
 * whether the device kept FEATURES_OK. */
static int negotiate(usize base, const u32 *want)
{
	int ret = vmmio_negotiate(base, want);

	check(ret >= 0, "status after reset");
	return ret;
}

static void setup_vq(struct vq *v, usize base, unsigned int q)
{
	u32 max;

	memset(v, 0, sizeof(*v));
	v->q = q;
	v->base = base;
	wr(base, R_QUEUE_SEL, q);
	max = rd(base, R_QUEUE_NUM_MAX);
	check(max >= QSIZE, "QueueNumMax too small");
	check(rd(base, R_QUEUE_READY) == 0, "queue ready after reset");
	vmmio_queue_program(base, q, QSIZE, (usize)v->desc, (usize)v->avail,
			    (usize)v->used);
	check(rd(base, R_QUEUE_DESC) == (u32)(usize)v->desc, "desc readback");
	wr(base, R_QUEUE_READY, 1);
	check(rd(base, R_QUEUE_READY) == 1, "queue not ready");
}

static void set_desc(struct vq *v, unsigned int i, const void *addr, u32 len,
		     u16 flags)
{
	u8 *d = v->desc + 16 * i;

	*(u64 *)d = (u64)(usize)addr;
	*(u32 *)(d + 8) = len;
	*(u16 *)(d + 12) = flags | (i + 1 < QSIZE ? 0 : 0);
	*(u16 *)(d + 14) = (u16)(i + 1);
}

/* Offer the chain starting at descriptor 0, kick, wait; returns used len. */
static u32 submit(struct vq *v)
{
	u16 idx;
	u32 spins = 0;

	v->avail[2 + v->avail_idx % QSIZE] = 0;
	barrier();
	v->avail_idx++;
	__asm__ volatile("mfence" ::: "memory");
	v->avail[1] = v->avail_idx;
	__asm__ volatile("mfence" ::: "memory");
	wr(v->base, R_QUEUE_NOTIFY, v->q);
	for (;;) {
		idx = *(volatile u16 *)(v->used + 2);
		if (idx != v->used_seen)
			break;
		if (++spins > 50000000)
			fail("no used buffer (timeout)");
		cpu_relax();
	}
	v->used_seen++;
	return *(volatile u32 *)(v->used + 4 + 8 * ((v->used_seen - 1) % QSIZE) + 4);
}

/* ---- interrupts through the IOAPIC ---- */

#define VIRTIO_VECTOR 0x31

static void virtio_irq(int vector)
{
	u32 st = rd(irq_base, R_INT_STATUS);

	(void)vector;
	irq_count++;
	wr(irq_base, R_INT_ACK, st);
	lapic_write(0xb0, 0);
}

static void route_irq(struct vmmio_dev *d)
{
	u32 a, b, c, dd;

	idt_init();
	irq_handlers[VIRTIO_VECTOR] = virtio_irq;
	irq_base = d->base;
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	cpuid(1, &a, &b, &c, &dd);
	lapic_write(0xf0, 0x100 | 0xff);
	lapic_write(0x80, 0);
	ioapic_write(0x11 + 2 * d->gsi, (b >> 24) << 24);
	ioapic_write(0x10 + 2 * d->gsi, VIRTIO_VECTOR | (1 << 15)); /* level */
}

/* ---- tests ---- */

static void test_feat(void)
{
	struct vmmio_dev *d = dev_by_id(4);
	u32 w[4], acked[4] = { 0, 1, 0, 0 };

	for (u32 i = 0; i < 4; i++) {
		w[i] = dev_feat(d->base, i);
		printf("vmmio: feature word %u: %x\n", i, w[i]);
	}
	check(w[1] & 1, "VERSION_1 not offered");
	check(!w[2] && !w[3], "rng offers bits >= 64");
	check(dev_feat(d->base, 4) == 0 && dev_feat(d->base, 100) == 0,
	      "select >= 4 does not read 0");
	/* A bit >= 64 that was not offered: FEATURES_OK refused. */
	acked[2] = 1u << 1; /* bit 65 */
	check(!negotiate(d->base, acked), "bit 65 accepted");
	puts("vmmio: bit 65 refused\n");
	acked[2] = 0;
	acked[1] = 0; /* no VERSION_1: refused */
	check(!negotiate(d->base, acked), "legacy negotiation accepted");
	acked[1] = 1;
	check(negotiate(d->base, acked), "VERSION_1 refused");
	wr(d->base, R_DRV_FEAT_SEL, 1);
	check(rd(d->base, R_STATUS) & S_FEATURES_OK, "FEATURES_OK lost");
	/* A 16-bit register access is ignored: the status stays. */
	mmio_write16(d->base + R_STATUS, 0);
	check(rd(d->base, R_STATUS) == (S_ACK | S_DRIVER | S_FEATURES_OK),
	      "16-bit status write was not ignored");
	check(mmio_read16(d->base + R_MAGIC) == 0, "16-bit read not 0");
	check(rd(d->base, R_CONFIG_GEN) == 0, "config generation");
	wr(d->base, R_STATUS, 0);
	check(rd(d->base, R_STATUS) == 0, "reset");
	puts("vmmio: feat ok\n");
}

static void start(struct vmmio_dev *d, u32 w0, u32 w1, unsigned int nq)
{
	u32 acked[4] = { w0, w1, 0, 0 };

	check(negotiate(d->base, acked), "FEATURES_OK refused");
	for (unsigned int q = 0; q < nq; q++)
		setup_vq(&vqs[q], d->base, q);
	wr(d->base, R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	check(rd(d->base, R_STATUS) & S_DRIVER_OK, "DRIVER_OK refused");
}

static u8 blk_req(struct vq *v, u32 type, u64 sector, void *buf, u32 len,
		  int dev_writes)
{
	u32 used;

	*(u32 *)hdr = type;
	*(u32 *)(hdr + 4) = 0;
	*(u64 *)(hdr + 8) = sector;
	status_byte = 0xee;
	set_desc(v, 0, hdr, 16, DESC_F_NEXT);
	if (len) {
		set_desc(v, 1, buf, len, DESC_F_NEXT | (dev_writes ? DESC_F_WRITE : 0));
		set_desc(v, 2, &status_byte, 1, DESC_F_WRITE);
	} else {
		set_desc(v, 1, &status_byte, 1, DESC_F_WRITE);
	}
	used = submit(v);
	(void)used;
	return status_byte;
}

static void fill(u8 *p, u32 len, u32 seed)
{
	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(i * 7 + seed);
}

static void test_blk(int ro)
{
	struct vmmio_dev *d = dev_by_id(2);
	u32 f0 = dev_feat(d->base, 0);
	u64 cap = rd(d->base, R_CONFIG) | (u64)rd(d->base, R_CONFIG + 4) << 32;
	u8 st;

	printf("vmmio: blk features %x capacity %llu ro %u\n", f0, cap,
	       (f0 >> 5) & 1);
	check(((f0 >> 5) & 1) == (u32)ro, "F_RO does not match");
	check(f0 & (1 << 9), "no F_FLUSH");
	route_irq(d);
	/* FLUSH, SEG_MAX, BLK_SIZE (+RO): no indirect, no event idx. */
	start(d, f0 & ((1 << 9) | (1 << 2) | (1 << 6) | (1 << 5)), 1, 1);

	fill(data, 4096, 3);
	__asm__ volatile("sti" ::: "memory");
	st = blk_req(&vqs[0], 1, 2, data, 4096, 0);
	printf("vmmio: write status %u\n", st);
	check(st == (ro ? 1 : 0), "write status");
	for (u32 i = 0; i < 1000000 && !irq_count; i++)
		cpu_relax();
	printf("vmmio: interrupts %u\n", irq_count);
	check(irq_count > 0, "no interrupt on the GSI");
	st = blk_req(&vqs[0], 4, 0, 0, 0, 0);
	check(st == 0, "flush status");
	memset(data2, 0, 4096);
	st = blk_req(&vqs[0], 0, 2, data2, 4096, 1);
	check(st == 0, "read status");
	if (!ro)
		check(!memcmp(data, data2, 4096), "read back differs");
	else
		check(data2[0] == 0x5a && data2[4095] == 0x5a,
		      "ro read: image content");
	memset(data2, 0, 32);
	st = blk_req(&vqs[0], 8, 0, data2, 20, 1);
	printf("vmmio: id '%s' status %u\n", (char *)data2, st);
	check(st == 0 && !memcmp(data2, "vmmio-serial", 12), "GET_ID");
	st = blk_req(&vqs[0], 0, cap, data2, 512, 1);
	check(st == 1, "read past the end not refused");
	st = blk_req(&vqs[0], 0, cap - 1, data2, 1024, 1);
	check(st == 1, "read across the end not refused");
	st = blk_req(&vqs[0], 99, 0, 0, 0, 0);
	check(st == 2, "unknown type not UNSUPP");
	puts(ro ? "vmmio: blkro ok\n" : "vmmio: blk ok\n");
}

static u8 loop_req(u32 type, u64 sector, void *buf, u32 len, int dev_writes)
{
	return blk_req(&vqs[0], type, sector, buf, len, dev_writes);
}

/* Polled: no interrupt routing, so a snapshot can land anywhere. */
static void test_blkloop(const char *cl)
{
	struct vmmio_dev *d = dev_by_id(2);

	start(d, 0, 1, 1);
	blkloop_run(cl, loop_req);
}

static void test_rng(void)
{
	struct vmmio_dev *d = dev_by_id(4);
	u32 n1, n2;

	start(d, 0, 1, 1);
	memset(data, 0, 64);
	memset(data2, 0, 64);
	set_desc(&vqs[0], 0, data, 64, DESC_F_WRITE);
	n1 = submit(&vqs[0]);
	set_desc(&vqs[0], 0, data2, 64, DESC_F_WRITE);
	n2 = submit(&vqs[0]);
	printf("vmmio: rng gave %u and %u bytes: %02x%02x%02x%02x...\n", n1, n2,
	       data[0], data[1], data[2], data[3]);
	check(n1 == 64 && n2 == 64, "rng length");
	check(memcmp(data, data2, 64) != 0, "rng gave the same bytes twice");
	puts("vmmio: rng ok\n");
}

static void con_tx(const char *s)
{
	u32 len = (u32)strlen(s);

	memcpy(data2, s, len);
	set_desc(&vqs[1], 0, data2, len, 0);
	submit(&vqs[1]);
}

static void test_con(void)
{
	struct vmmio_dev *d = dev_by_id(3);
	char line[80];
	u32 n, got = 0;

	start(d, 0, 1, 2);
	con_tx("vcon: hello from the virtio console\n");
	con_tx("vcon: ready for input\n");
	while (got == 0 || line[got - 1] != '\n') {
		set_desc(&vqs[0], 0, data, 64, DESC_F_WRITE);
		n = submit(&vqs[0]);
		for (u32 i = 0; i < n && got + 1 < sizeof(line); i++)
			line[got++] = (char)data[i];
	}
	line[got - 1] = 0;
	memcpy(data, "vcon: got '", 11);
	memcpy(data + 11, line, got - 1);
	memcpy(data + 10 + got, "'\n", 3);
	con_tx((const char *)data);
	puts("vmmio: con ok\n");
}

void main64(const u8 *bp)
{
	const char *cl = 0;
	char vt[16];

	serial_init();
	if (bp && rd32(bp, BP_HEADER) == 0x53726448)
		cl = (const char *)(usize)rd32(bp, BP_CMD_LINE_PTR);
	if (!cl || !cmdline_get(cl, "vt", vt, sizeof(vt)))
		fail("no vt= on the command line");
	find_devs(cl);
	printf("vmmio: %u devices, test %s\n", ndevs, vt);
	if (!memcmp(vt, "feat", 5))
		test_feat();
	else if (!memcmp(vt, "blk", 4))
		test_blk(0);
	else if (!memcmp(vt, "blkro", 6))
		test_blk(1);
	else if (!memcmp(vt, "blkloop", 8))
		test_blkloop(cl);
	else if (!memcmp(vt, "rng", 4))
		test_rng();
	else if (!memcmp(vt, "con", 4))
		test_con();
	else if (!memcmp(vt, "hold", 5))
		halt_forever();
	else
		fail("unknown vt=");
	guest_exit(GX_PASS_VMMIO);
}
