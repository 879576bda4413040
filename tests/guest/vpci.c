/* vpci.c: a virtio-pci test guest against virtio-rng (--rng): finds the function on bus 0, walks its capabilities, moves its BAR, negotiates over all four feature words (an unoffered bit >= 64 must fail FEATURES_OK), and has one buffer filled through a split queue with MSI-X off (INTx, polled), then again with an MSI-X vector to the LAPIC. With vt=blkloop on the command line it runs the block-loop test (blkloop.h) on a virtio-blk (-d) instead. */
#include "blkloop.h"
#include "rt.h"
#include "virtio_drv.h"

#define GX_PASS_VPCI	0x30
#define VIRTIO_VENDOR	0x1af4
#define VIRTIO_RNG_PCI	0x1044 /* 0x1040 + device id 4 */
#define BAR_MOVE	0x400000 /* a free spot higher in the PCI window */
#define BUF_LEN		64
#define POLL_LIMIT	20000000

static u8 ring_area[0x3000] __attribute__((aligned(4096)));
static u8 buf[BUF_LEN] __attribute__((aligned(64)));

static void fail(const char *what)
{
	printf("vpci: FAIL: %s\n", what);
	guest_exit(GX_FAIL);
}

static struct vp_dev dev;

static void find_device(void)
{
	int slot = pci_find(VIRTIO_VENDOR, VIRTIO_RNG_PCI);
	u32 class_rev;

	if (slot < 0)
		fail("no virtio-rng (1af4:1044) on bus 0");
	class_rev = pci_cfg_read32((u8)slot, 0x08);
	printf("vpci: 00:%02x.0 1af4:1044 rev %u subsystem %x\n", slot,
	       class_rev & 0xff, pci_cfg_read16((u8)slot, 0x2e));
	if ((class_rev & 0xff) < 1)
		fail("modern devices have revision >= 1");
	if (vp_probe(&dev, (u8)slot))
		fail("common, notify or ISR capability missing");
	printf("vpci: %u caps, BAR0 %llx, notify multiplier %u, pci_cfg %s, "
	       "msix %s\n", dev.ncaps, dev.bar[0], dev.notify_mult,
	       dev.cap_pci ? "yes" : "no", dev.cap_msix ? "yes" : "no");
	if (!dev.cap_pci)
		fail("no VIRTIO_PCI_CAP_PCI_CFG capability");
}

/* Decoding off, BAR0 moved up, decoding on: the registers follow. */
static void move_bar(void)
{
	u64 old = dev.bar[0], now = old + BAR_MOVE;
	u8 s = dev.slot;

	pci_cfg_write16(s, PCI_COMMAND_REG, 0);
	pci_cfg_write32(s, PCI_BAR0, (u32)now);
	pci_cfg_write32(s, PCI_BAR0 + 4, (u32)(now >> 32));
	pci_cfg_write16(s, PCI_COMMAND_REG, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	vp_rebase(&dev);
	if (dev.bar[0] != now)
		fail("BAR0 did not take the new address");
	if (mmio_read16(dev.common + VP_NUMQ) != 1)
		fail("no common config at the moved BAR");
	if (mmio_read16((usize)old + VP_NUMQ) != 0xffff)
		fail("the old BAR address still answers");
	printf("vpci: BAR0 moved to %llx\n", now);
}

static void read_features(u32 words[5])
{
	for (u32 sel = 0; sel < 5; sel++)
		words[sel] = vp_device_features(&dev, sel);
	printf("vpci: device features %08x %08x %08x %08x, select 4: %08x\n",
	       words[0], words[1], words[2], words[3], words[4]);
	if (!(words[1] & 1))
		fail("VERSION_1 (bit 32) not offered");
	if (words[4])
		fail("feature select 4 must read 0");
}

static void restart(void)
{
	vp_set_status(&dev, 0);
	if (vp_status(&dev))
		fail("reset: status is not 0");
	vp_set_status(&dev, VS_ACK);
	vp_set_status(&dev, VS_ACK | VS_DRIVER);
}

/* Lowest bit >= 64 in (or, with offered = 0, not in) the offer; or -1. */
static int high_bit(const u32 words[4], int offered)
{
	for (int b = 64; b < 128; b++)
		if (!!(words[b / 32] & (1u << (b % 32))) == offered)
			return b;
	return -1;
}

static void negotiate(void)
{
	u32 dev_words[5], ack[4] = { 0, 1, 0, 0 };
	int bit;

	restart();
	read_features(dev_words);
	vp_set_driver_features(&dev, 4, 0xffffffff); /* past the end */
	if (vp_driver_features(&dev, 4))
		fail("driver feature select 4 kept a value");
	bit = high_bit(dev_words, 0);
	if (bit < 0)
		fail("every bit >= 64 is offered?");
	ack[bit / 32] |= 1u << (bit % 32);
	if (vp_negotiate(&dev, ack))
		fail("FEATURES_OK kept with an unoffered bit >= 64");
	printf("vpci: unoffered bit %d refused: status %02x\n", bit,
	       vp_status(&dev));
	restart();
	ack[bit / 32] &= ~(1u << (bit % 32));
	bit = high_bit(dev_words, 1);
	if (bit >= 0)
		ack[bit / 32] |= 1u << (bit % 32);
	if (!vp_negotiate(&dev, ack))
		fail("FEATURES_OK refused with offered bits");
	if (vp_driver_features(&dev, 1) != ack[1] ||
	    vp_driver_features(&dev, 2) != ack[2])
		fail("driver features do not read back");
	printf("vpci: FEATURES_OK with %08x %08x %08x %08x\n", ack[0], ack[1],
	       ack[2], ack[3]);
}

static void fill_one(void)
{
	struct vq q;
	u32 id, len, nonzero = 0;
	u8 isr;
	int i;

	if (vq_setup(&dev, &q, 0, 8, ring_area) == 0)
		fail("queue 0 missing");
	vp_set_status(&dev, vp_status(&dev) | VS_DRIVER_OK);
	if (!(vp_status(&dev) & VS_DRIVER_OK))
		fail("DRIVER_OK did not stick");
	vq_post(&q, 0, (u64)(usize)buf, BUF_LEN, VQ_DESC_F_WRITE);
	for (i = 0; i < POLL_LIMIT && vq_used_idx(&q) == 0; i++)
		cpu_relax();
	if (vq_used_idx(&q) != 1)
		fail("the device did not use the buffer");
	vq_used_elem(&q, 0, &id, &len);
	for (u32 k = 0; k < BUF_LEN; k++)
		nonzero += buf[k] != 0;
	printf("vpci: queue size %u, used id %u len %u, %u non-zero bytes\n",
	       q.size, id, len, nonzero);
	if (id != 0 || len == 0 || len > BUF_LEN || !nonzero)
		fail("bad used element or buffer");
	isr = mmio_read8(dev.isr);
	printf("vpci: ISR %x, then %x\n", isr, mmio_read8(dev.isr));
	if (!(isr & 1))
		fail("no queue interrupt in the ISR (INTx)");
}

/* ---- MSI-X: queue 0 on vector 1, delivered to this CPU's LAPIC ---- */

#define MSIX_VECTOR 0x41
static volatile u32 msix_irqs;

static void msix_irq(int vector)
{
	(void)vector;
	msix_irqs++;
	lapic_write(0xb0, 0); /* EOI */
}

static void msix_program(u16 entry, u8 vector)
{
	u8 cap = dev.cap_msix;
	u32 table = pci_cfg_read32(dev.slot, cap + 4);
	usize e = (usize)(dev.bar[table & 7] + (table & ~7u)) + 16 * entry;

	mmio_write32(e, 0xfee00000);	/* destination: APIC id 0 */
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector);	/* fixed, edge */
	mmio_write32(e + 12, 0);	/* unmasked */
	pci_cfg_write16(dev.slot, cap + 2,
			pci_cfg_read16(dev.slot, cap + 2) | 0x8000);
}

static void fill_msix(void)
{
	u32 ack[4] = { 0, 1, 0, 0 }, id, len;
	struct vq q;
	int i;

	if (!dev.cap_msix)
		fail("no MSI-X capability");
	idt_init();
	irq_handlers[MSIX_VECTOR] = msix_irq;
	lapic_write(0xf0, 0x100 | 0xff); /* SVR: enabled */
	lapic_write(0x80, 0);		 /* TPR */
	msix_program(1, MSIX_VECTOR);
	restart();
	if (!vp_negotiate(&dev, ack))
		fail("MSI-X run: FEATURES_OK");
	mmio_write16(dev.common + VP_MSIX, 0);
	mmio_write16(dev.common + VP_QSELECT, 0);
	mmio_write16(dev.common + VP_QMSIX, 1);
	if (mmio_read16(dev.common + VP_QMSIX) != 1)
		fail("queue vector 1 not taken");
	memset(buf, 0, sizeof(buf));
	if (vq_setup(&dev, &q, 0, 8, ring_area) == 0)
		fail("queue 0 missing");
	vp_set_status(&dev, vp_status(&dev) | VS_DRIVER_OK);
	vq_post(&q, 0, (u64)(usize)buf, BUF_LEN, VQ_DESC_F_WRITE);
	for (i = 0; i < POLL_LIMIT && !msix_irqs; i++)
		__asm__ volatile("sti; pause; cli" ::: "memory");
	vq_used_elem(&q, 0, &id, &len);
	printf("vpci: MSI-X: %u interrupt(s) on vector %x, used idx %u len %u, "
	       "ISR %x\n", msix_irqs, MSIX_VECTOR, vq_used_idx(&q), len,
	       mmio_read8(dev.isr));
	if (!msix_irqs || vq_used_idx(&q) != 1 || !len)
		fail("no MSI-X interrupt for the used buffer");
}

/* ---- vt=blkloop: virtio-blk (1af4:1042), polled ---- */

#define VIRTIO_BLK_PCI 0x1042
static struct vq blkq;
static u8 blk_hdr[16] __attribute__((aligned(16)));
static volatile u8 blk_status;

static void blk_desc(u16 i, const volatile void *addr, u32 len, u16 flags)
{
	blkq.desc[i].addr = (u64)(usize)addr;
	blkq.desc[i].len = len;
	blkq.desc[i].flags = flags;
	blkq.desc[i].next = (u16)(i + 1);
}

static u8 pci_blk_req(u32 type, u64 sector, void *buf, u32 len,
		      int dev_writes)
{
	u16 want;
	u32 spins = 0;

	*(u32 *)blk_hdr = type;
	*(u32 *)(blk_hdr + 4) = 0;
	*(u64 *)(blk_hdr + 8) = sector;
	blk_status = 0xee;
	blk_desc(0, blk_hdr, 16, VQ_DESC_F_NEXT);
	if (len)
		blk_desc(1, buf, len,
			 VQ_DESC_F_NEXT | (dev_writes ? VQ_DESC_F_WRITE : 0));
	blk_desc(len ? 2 : 1, &blk_status, 1, VQ_DESC_F_WRITE);
	blkq.avail[2 + blkq.avail_idx % blkq.size] = 0;
	__asm__ volatile("mfence" ::: "memory");
	want = ++blkq.avail_idx;
	blkq.avail[1] = want;
	__asm__ volatile("mfence" ::: "memory");
	mmio_write16(blkq.notify, blkq.index);
	while (vq_used_idx(&blkq) != want)
		if (++spins > 50000000)
			fail("blk: no used buffer (timeout)");
		else
			cpu_relax();
	return blk_status;
}

static void blkloop(const char *cl)
{
	u32 ack[4] = { 0, 1, 0, 0 };
	int slot = pci_find(VIRTIO_VENDOR, VIRTIO_BLK_PCI);

	if (slot < 0 || vp_probe(&dev, (u8)slot))
		fail("no virtio-blk (1af4:1042) on bus 0");
	restart();
	if (!vp_negotiate(&dev, ack))
		fail("blk: FEATURES_OK");
	if (vq_setup(&dev, &blkq, 0, 8, ring_area) == 0)
		fail("blk: queue 0 missing");
	vp_set_status(&dev, vp_status(&dev) | VS_DRIVER_OK);
	printf("vpci: virtio-blk at 00:%02x.0, queue size %u\n", slot,
	       blkq.size);
	blkloop_run(cl, pci_blk_req);
	guest_exit(GX_PASS_VPCI);
}

void main64(const u8 *bp);

void main64(const u8 *bp)
{
	const char *cl = 0;
	char vt[16];
	u32 numq;

	serial_init();
	if (bp && rd32(bp, BP_HEADER) == 0x53726448)
		cl = (const char *)(usize)rd32(bp, BP_CMD_LINE_PTR);
	if (cl && cmdline_get(cl, "vt", vt, sizeof(vt)) &&
	    !memcmp(vt, "blkloop", 8))
		blkloop(cl);
	find_device();
	move_bar();
	negotiate();
	numq = vp_pcicfg_read(&dev, VP_NUMQ, 2);
	printf("vpci: num_queues through pci_cfg: %u\n", numq);
	if (numq != 1)
		fail("pci_cfg window");
	fill_one();
	fill_msix();
	puts("vpci: PASS\n");
	guest_exit(GX_PASS_VPCI);
}
