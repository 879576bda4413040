/* test_virtio_pci.c: the virtio-pci transport driven through PCI config space and its BAR, with the real core and a fake KVM. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "unit.h"
#include "fake_mem.h"
#include "bus.h"
#include "device.h"
#include "irq.h"
#include "kvm.h"
#include "sbuf.h"
#include "vm.h"
#include "devices/pci.h"
#include "virtio/pci.h"
#include "virtio/virtio.h"

#define TD_ID	    4
#define TD_QUEUES   2
#define TD_CFG_LEN  8
#define TD_BIT_HIGH 70 /* a feature bit >= 64 the test device offers */
#define MAX_ROUTES  64
#define MAX_FDS	    16

/* ---- the fake KVM and VM services ---- */

static struct {
	int set_routing;
	unsigned int nr;
	struct kvm_irq_routing_entry e[MAX_ROUTES];
	struct kvm_irqfd irqfd[MAX_FDS];   /* assigned */
	unsigned int nirqfd;
	struct kvm_ioeventfd ioev[MAX_FDS]; /* assigned */
	unsigned int nioev;
	int line[32];			    /* GSI levels */
	int line_calls;
	struct device *devs[8];
	unsigned int ndevs;
} fk;

long kvm_check_cap(struct vm *vm, unsigned int cap)
{
	return cap == KVM_CAP_IRQ_ROUTING ? MAX_ROUTES : 1;
}

long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return -ENOTTY;
}

long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg)
{
	return -ENOTTY;
}

int kvm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	if (irq < 32)
		fk.line[irq] = level;
	fk.line_calls++;
	return 0;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	fk.devs[fk.ndevs++] = dev;
}

static long fake_irqfd(const struct kvm_irqfd *k)
{
	for (unsigned int i = 0; i < fk.nirqfd; i++) {
		if (fk.irqfd[i].fd != k->fd || fk.irqfd[i].gsi != k->gsi)
			continue;
		if (!(k->flags & KVM_IRQFD_FLAG_DEASSIGN))
			return -EBUSY;
		fk.irqfd[i] = fk.irqfd[--fk.nirqfd];
		return 0;
	}
	if (k->flags & KVM_IRQFD_FLAG_DEASSIGN || fk.nirqfd == MAX_FDS)
		return -ENOENT;
	fk.irqfd[fk.nirqfd++] = *k;
	return 0;
}

static long fake_ioeventfd(const struct kvm_ioeventfd *k)
{
	for (unsigned int i = 0; i < fk.nioev; i++) {
		if (fk.ioev[i].addr != k->addr || fk.ioev[i].fd != k->fd)
			continue;
		if (!(k->flags & KVM_IOEVENTFD_FLAG_DEASSIGN))
			return -EEXIST;
		fk.ioev[i] = fk.ioev[--fk.nioev];
		return 0;
	}
	if (k->flags & KVM_IOEVENTFD_FLAG_DEASSIGN || fk.nioev == MAX_FDS)
		return -ENOENT;
	fk.ioev[fk.nioev++] = *k;
	return 0;
}

long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	struct kvm_irq_routing *r = arg;

	switch (req) {
	case KVM_SET_GSI_ROUTING:
		if (r->nr > MAX_ROUTES)
			return -EINVAL;
		fk.set_routing++;
		fk.nr = r->nr;
		memcpy(fk.e, r->entries, r->nr * sizeof(r->entries[0]));
		return 0;
	case KVM_IRQFD:
		return fake_irqfd(arg);
	case KVM_IOEVENTFD:
		return fake_ioeventfd(arg);
	case KVM_SIGNAL_MSI:
		return 1;
	}
	return -ENOTTY;
}

/* ---- the test device ---- */

struct tdev {
	struct virtio_device vdev;
	struct virtio_queue q[TD_QUEUES];
	int kicks[TD_QUEUES];
	int activated;
};

static void td_get_config(struct virtio_device *vdev, uint32_t off, void *buf,
			  uint32_t len)
{
	static const uint8_t cfg[TD_CFG_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	memcpy(buf, cfg + off, len);
}

static int td_activate(struct virtio_device *vdev)
{
	container_of(vdev, struct tdev, vdev)->activated++;
	return 0;
}

static void td_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	container_of(vdev, struct tdev, vdev)->kicks[q]++;
}

static const struct virtio_device_ops td_ops = {
	.get_config = td_get_config,
	.activate = td_activate,
	.queue_notify = td_queue_notify,
};

struct rig {
	struct vm vm;
	struct tdev td;
	struct device *vpci; /* the transport's struct device */
};

static void rig_up(struct rig *r)
{
	static const unsigned int bits[] = { 3, VIRTIO_F_VERSION_1,
					     TD_BIT_HIGH };

	memset(r, 0, sizeof(*r));
	memset(&fk, 0, sizeof(fk));
	CHECK_EQ(bus_init(&r->vm.pio, "pio"), 0);
	CHECK_EQ(bus_init(&r->vm.mmio, "mmio"), 0);
	CHECK_EQ(loop_init(&r->vm.loop), 0);
	fake_mem_layout(&r->vm.mem, 16 << 20, true);
	CHECK_EQ(pci_host_create(&r->vm, &r->vm.pci), 0);
	r->td.vdev = (struct virtio_device){
		.name = "tdev",
		.device_id = TD_ID,
		.ops = &td_ops,
		.config_len = TD_CFG_LEN,
		.queues = r->td.q,
		.nr_queues = TD_QUEUES,
		.mem = &r->vm.mem,
	};
	virtio_feat_from_bits(&r->td.vdev.offered, bits, ARRAY_SIZE(bits));
	r->td.q[0].size_max = 16;
	r->td.q[1].size_max = 32;
	CHECK_EQ(virtio_dev_init(&r->td.vdev), 0);
	CHECK_EQ(virtio_pci_attach(&r->vm, &r->td.vdev), 0);
	r->vpci = fk.devs[fk.ndevs - 1];
	CHECK_STR(r->vpci->name, "virtio-pci-tdev");
}

static void rig_down(struct rig *r)
{
	while (fk.ndevs) {
		struct device *d = fk.devs[--fk.ndevs];

		d->ops->destroy(d); /* the transport's destroys the vdev */
	}
	CHECK_EQ(fk.nioev, 0);
	CHECK_EQ(fk.nirqfd, 0);
	fake_mem_free(&r->vm.mem);
	loop_destroy(&r->vm.loop);
	bus_destroy(&r->vm.pio);
	bus_destroy(&r->vm.mmio);
}

/* ---- guest accesses ---- */

#define SLOT 1 /* the first free slot after the host bridge */

static uint32_t pio_in(struct rig *r, uint16_t port, uint32_t len)
{
	uint8_t b[4] = { 0 };

	bus_access(&r->vm.pio, port, b, len, false);
	return (uint32_t)get_le32(b);
}

static void pio_out(struct rig *r, uint16_t port, uint32_t len, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	bus_access(&r->vm.pio, port, b, len, true);
}

static uint32_t cfg_rd(struct rig *r, unsigned int reg, uint32_t len)
{
	uint32_t v;

	pio_out(r, 0xcf8, 4, 0x80000000u | SLOT << 11 | (reg & 0xfc));
	v = pio_in(r, (uint16_t)(0xcfc + (reg & 3)), len);
	return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

static void cfg_wr(struct rig *r, unsigned int reg, uint32_t len, uint32_t v)
{
	pio_out(r, 0xcf8, 4, 0x80000000u | SLOT << 11 | (reg & 0xfc));
	pio_out(r, (uint16_t)(0xcfc + (reg & 3)), len, v);
}

static uint64_t bar_base(struct rig *r)
{
	return (cfg_rd(r, PCI_BASE_ADDRESS_0, 4) & ~0xfu) |
	       (uint64_t)cfg_rd(r, PCI_BASE_ADDRESS_1, 4) << 32;
}

static uint64_t mm_rd(struct rig *r, uint64_t off, uint32_t len)
{
	uint8_t b[8] = { 0 };

	bus_access(&r->vm.mmio, bar_base(r) + off, b, len, false);
	return get_le64(b);
}

static void mm_wr(struct rig *r, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t b[8];

	put_le64(b, v);
	bus_access(&r->vm.mmio, bar_base(r) + off, b, len, true);
}

static uint64_t common_rd(struct rig *r, unsigned int off, uint32_t len)
{
	return mm_rd(r, VIRTIO_PCI_COMMON_OFF + off, len);
}

static void common_wr(struct rig *r, unsigned int off, uint32_t len,
		      uint64_t v)
{
	mm_wr(r, VIRTIO_PCI_COMMON_OFF + off, len, v);
}

/* ---- tests ---- */

static void test_header(void)
{
	struct rig r;
	uint64_t bar;

	rig_up(&r);
	CHECK_EQ(cfg_rd(&r, PCI_VENDOR_ID, 2), 0x1af4);
	CHECK_EQ(cfg_rd(&r, PCI_DEVICE_ID, 2), 0x1040 + TD_ID);
	CHECK_EQ(cfg_rd(&r, PCI_REVISION_ID, 1), 1);
	CHECK_EQ(cfg_rd(&r, PCI_CLASS_REVISION, 4) >> 8, 0x00ff00);
	CHECK_EQ(cfg_rd(&r, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	CHECK(cfg_rd(&r, PCI_SUBSYSTEM_ID, 2) >= 0x40);
	CHECK(cfg_rd(&r, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg_rd(&r, PCI_INTERRUPT_PIN, 1), 1);
	CHECK_EQ(cfg_rd(&r, PCI_INTERRUPT_LINE, 1), 16 + (SLOT + 0) % 8);
	CHECK(cfg_rd(&r, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	bar = bar_base(&r);
	CHECK_EQ(cfg_rd(&r, PCI_BASE_ADDRESS_0, 4) & 0xf,
		 PCI_BASE_ADDRESS_MEM_TYPE_64);
	CHECK(bar >= 0xc0000000 && bar < 0xfec00000);
	CHECK_EQ(bar % VIRTIO_PCI_BAR_SIZE, 0);
	/* One ioeventfd per queue, at its notify address. */
	CHECK_EQ(fk.nioev, TD_QUEUES);
	for (unsigned int i = 0; i < fk.nioev; i++) {
		CHECK(fk.ioev[i].addr == bar + VIRTIO_PCI_NOTIFY_OFF ||
		      fk.ioev[i].addr == bar + VIRTIO_PCI_NOTIFY_OFF + 4);
		CHECK_EQ(fk.ioev[i].len, 2);
		CHECK_EQ(fk.ioev[i].flags, 0);
	}
	/* BAR sizing with decoding off: 32 KiB, 64-bit. */
	cfg_wr(&r, PCI_COMMAND, 2, 0);
	CHECK_EQ(fk.nioev, 0); /* unmapped: no ioeventfds */
	cfg_wr(&r, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	cfg_wr(&r, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	CHECK_EQ(cfg_rd(&r, PCI_BASE_ADDRESS_0, 4),
		 (uint32_t)~(VIRTIO_PCI_BAR_SIZE - 1) | 4);
	CHECK_EQ(cfg_rd(&r, PCI_BASE_ADDRESS_1, 4), 0xffffffff);
	rig_down(&r);
}

struct caps {
	unsigned int off[6]; /* by cfg_type 1..5 */
	unsigned int msix;
	unsigned int count;
};

static void walk_caps(struct rig *r, struct caps *c)
{
	unsigned int p = cfg_rd(r, PCI_CAPABILITY_LIST, 1), type;

	memset(c, 0, sizeof(*c));
	while (p && c->count++ < 16) {
		CHECK_EQ(p % 4, 0);
		if (cfg_rd(r, p, 1) == PCI_CAP_ID_MSIX) {
			c->msix = p;
		} else {
			CHECK_EQ(cfg_rd(r, p, 1), PCI_CAP_ID_VNDR);
			type = cfg_rd(r, p + 3, 1);
			if (type >= 1 && type <= 5)
				c->off[type] = p;
		}
		p = cfg_rd(r, p + 1, 1);
	}
}

static void test_caps(void)
{
	struct caps c;
	struct rig r;
	unsigned int p;

	rig_up(&r);
	walk_caps(&r, &c);
	CHECK_EQ(c.count, 6);
	for (unsigned int t = 1; t <= 5; t++) {
		CHECK(c.off[t] != 0);
		CHECK_EQ(cfg_rd(&r, c.off[t] + VIRTIO_PCI_CAP_BAR, 1), 0);
	}
	p = c.off[VIRTIO_PCI_CAP_COMMON_CFG];
	CHECK_EQ(cfg_rd(&r, p + 2, 1), 16);
	CHECK_EQ(cfg_rd(&r, p + VIRTIO_PCI_CAP_OFFSET, 4),
		 VIRTIO_PCI_COMMON_OFF);
	CHECK_EQ(cfg_rd(&r, p + VIRTIO_PCI_CAP_LENGTH, 4), 64);
	p = c.off[VIRTIO_PCI_CAP_NOTIFY_CFG];
	CHECK_EQ(cfg_rd(&r, p + 2, 1), 20);
	CHECK_EQ(cfg_rd(&r, p + VIRTIO_PCI_CAP_MULT, 4), 4);
	CHECK_EQ(cfg_rd(&r, p + VIRTIO_PCI_CAP_LENGTH, 4), 4 * TD_QUEUES);
	p = c.off[VIRTIO_PCI_CAP_DEVICE_CFG];
	CHECK_EQ(cfg_rd(&r, p + VIRTIO_PCI_CAP_LENGTH, 4), TD_CFG_LEN);
	CHECK_EQ(mm_rd(&r, cfg_rd(&r, p + VIRTIO_PCI_CAP_OFFSET, 4) + 4, 4),
		 0x08070605);
	CHECK(c.msix != 0);
	CHECK_EQ(cfg_rd(&r, c.msix + PCI_MSIX_FLAGS, 2), TD_QUEUES); /* N-1 */
	CHECK_EQ(cfg_rd(&r, c.msix + PCI_MSIX_TABLE, 4),
		 VIRTIO_PCI_MSIX_TABLE_OFF);
	CHECK_EQ(cfg_rd(&r, c.msix + PCI_MSIX_PBA, 4), VIRTIO_PCI_MSIX_PBA_OFF);
	/* Only the enable and mask bits of message control are writable. */
	cfg_wr(&r, c.msix + PCI_MSIX_FLAGS, 2, 0xffff);
	CHECK_EQ(cfg_rd(&r, c.msix + PCI_MSIX_FLAGS, 2), 0xc000 | TD_QUEUES);
	cfg_wr(&r, c.msix + PCI_MSIX_FLAGS, 2, 0);
	rig_down(&r);
}

static void test_features(void)
{
	struct rig r;

	rig_up(&r);
	for (uint32_t sel = 0; sel < 6; sel++) {
		static const uint32_t want[] = { 1u << 3, 1, 1u << 6, 0, 0, 0 };

		common_wr(&r, VIRTIO_PCI_COMMON_DFSELECT, 4, sel);
		CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_DFSELECT, 4), sel);
		CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_DF, 4), want[sel]);
	}
	common_wr(&r, VIRTIO_PCI_COMMON_DFSELECT, 4, 0xffffffff);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_DF, 4), 0);

	/* Negotiation with the bit above 64. */
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 1);
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 3);
	common_wr(&r, VIRTIO_PCI_COMMON_GFSELECT, 4, 4); /* ignored */
	common_wr(&r, VIRTIO_PCI_COMMON_GF, 4, 0xffffffff);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_GF, 4), 0);
	common_wr(&r, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	common_wr(&r, VIRTIO_PCI_COMMON_GF, 4, 1);
	common_wr(&r, VIRTIO_PCI_COMMON_GFSELECT, 4, 2);
	common_wr(&r, VIRTIO_PCI_COMMON_GF, 4, 1u << 6);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_GF, 4), 1u << 6);
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 0xb);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_STATUS, 1), 0xb);
	CHECK(virtio_dev_has_feature(&r.td.vdev, TD_BIT_HIGH));

	/* Reset, then an unoffered bit >= 64: FEATURES_OK does not stick. */
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_GFSELECT, 4), 0);
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 3);
	common_wr(&r, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	common_wr(&r, VIRTIO_PCI_COMMON_GF, 4, 1);
	common_wr(&r, VIRTIO_PCI_COMMON_GFSELECT, 4, 2);
	common_wr(&r, VIRTIO_PCI_COMMON_GF, 4, 1u << 7); /* bit 71 */
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 0xb);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_STATUS, 1), 3);
	/* Wrong widths are ignored. */
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 2, 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_STATUS, 1), 3);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_NUMQ, 4), 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_NUMQ, 2), TD_QUEUES);
	rig_down(&r);
}

/* ACK, DRIVER, VERSION_1, FEATURES_OK. */
static void negotiate(struct rig *r)
{
	common_wr(r, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	common_wr(r, VIRTIO_PCI_COMMON_STATUS, 1, 3);
	common_wr(r, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	common_wr(r, VIRTIO_PCI_COMMON_GF, 4, 1);
	common_wr(r, VIRTIO_PCI_COMMON_STATUS, 1, 0xb);
	CHECK_EQ(common_rd(r, VIRTIO_PCI_COMMON_STATUS, 1), 0xb);
}

static void setup_queue(struct rig *r, uint16_t q, uint64_t base)
{
	common_wr(r, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	common_wr(r, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	common_wr(r, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)base);
	common_wr(r, VIRTIO_PCI_COMMON_Q_DESCHI, 4, base >> 32);
	common_wr(r, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, base + 0x1000);
	common_wr(r, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)base + 0x2000);
	common_wr(r, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
	common_wr(r, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

static void test_queues(void)
{
	struct rig r;

	rig_up(&r);
	negotiate(&r);
	common_wr(&r, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_SIZE, 2), 32);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_NDATA, 2), 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_NO_VECTOR);
	common_wr(&r, VIRTIO_PCI_COMMON_Q_SELECT, 2, 7); /* no such queue */
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);

	setup_queue(&r, 0, 0x100000);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_SIZE, 2), 8);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0x100000);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_AVAILLO, 4), 0x101000);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_USEDLO, 4), 0x102000);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_RESET, 2), 0);
	/* Enabled: programming is refused. */
	common_wr(&r, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x200000);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x100000);
	setup_queue(&r, 1, 0x200000);
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 0xf);
	CHECK_EQ(r.td.activated, 1);

	/* Kicks: the MMIO write goes through the queue's eventfd to the
	 * event loop (KVM's ioeventfd would have signalled the same fd). */
	mm_wr(&r, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
	CHECK_EQ(r.td.kicks[1], 0);
	while (loop_run_once(&r.vm.loop, 0) > 0)
		;
	CHECK_EQ(r.td.kicks[1], 1);
	CHECK_EQ(r.td.kicks[0], 0);
	mm_wr(&r, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	mm_wr(&r, VIRTIO_PCI_NOTIFY_OFF + 2, 2, 0); /* not a notify address */
	while (loop_run_once(&r.vm.loop, 0) > 0)
		;
	CHECK_EQ(r.td.kicks[0], 1);

	/* Reset: queues and vectors back to their reset values. */
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_NO_VECTOR);
	rig_down(&r);
}

static void test_intx(void)
{
	unsigned int gsi = 16 + SLOT % 8;
	struct rig r;

	rig_up(&r);
	r.td.vdev.tops->notify_used(&r.td.vdev, 0);
	CHECK_EQ(fk.line[gsi], 1);
	CHECK(cfg_rd(&r, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
	CHECK_EQ(fk.line[gsi], 0);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_ISR_OFF, 1), 0);
	CHECK(!(cfg_rd(&r, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT));

	r.td.vdev.tops->notify_config(&r.td.vdev);
	r.td.vdev.tops->notify_used(&r.td.vdev, 1);
	CHECK_EQ(fk.line[gsi], 1);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_ISR_OFF, 1), 3);
	CHECK_EQ(fk.line[gsi], 0);

	/* COMMAND's INTx disable holds the line low; enabling releases it. */
	cfg_wr(&r, PCI_COMMAND, 2,
	       PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	r.td.vdev.tops->notify_used(&r.td.vdev, 0);
	CHECK_EQ(fk.line[gsi], 0);
	cfg_wr(&r, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(fk.line[gsi], 1);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_ISR_OFF, 1), 1);
	CHECK_EQ(fk.line[gsi], 0);
	rig_down(&r);
}

static const struct kvm_irq_routing_entry *msi_route(uint32_t gsi)
{
	for (unsigned int i = 0; i < fk.nr; i++)
		if (fk.e[i].gsi == gsi && fk.e[i].type == KVM_IRQ_ROUTING_MSI)
			return &fk.e[i];
	return NULL;
}

static uint64_t efd_count(int fd)
{
	uint64_t v = 0;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static void msix_entry(struct rig *r, unsigned int e, uint64_t addr,
		       uint32_t data, uint32_t ctrl)
{
	uint64_t off = VIRTIO_PCI_MSIX_TABLE_OFF + 16 * e;

	mm_wr(r, off, 8, addr);
	mm_wr(r, off + 8, 4, data);
	mm_wr(r, off + 12, 4, ctrl);
}

static void test_msix(void)
{
	const struct kvm_irq_routing_entry *rt;
	unsigned int gsi = 16 + SLOT % 8, msix;
	struct caps c;
	struct rig r;
	int fd;

	rig_up(&r);
	walk_caps(&r, &c);
	msix = c.msix + PCI_MSIX_FLAGS;
	/* Vectors start masked; vector numbers past the table are refused. */
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4), 1);
	common_wr(&r, VIRTIO_PCI_COMMON_MSIX, 2, 3);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_NO_VECTOR);
	common_wr(&r, VIRTIO_PCI_COMMON_MSIX, 2, 2);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_MSIX, 2), 2);
	common_wr(&r, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	common_wr(&r, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_MSIX, 2), 0);

	/* Enable with the function masked, program, then unmask. */
	cfg_wr(&r, msix, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	msix_entry(&r, 0, 0xfee00000, 0x41, 0);
	msix_entry(&r, 2, 0xfee01000, 0x42, 0);
	CHECK_EQ(fk.set_routing, 0);
	CHECK_EQ(fk.nirqfd, 0);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_TABLE_OFF, 8), 0xfee00000);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 8, 4), 0x41);
	/* Masked: an interrupt only sets the pending bit. */
	r.td.vdev.tops->notify_used(&r.td.vdev, 0);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_PBA_OFF, 8), 1);
	CHECK_EQ(fk.line[gsi], 0); /* and never INTx with MSI-X on */

	cfg_wr(&r, msix, 2, PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(fk.set_routing, 1); /* both vectors, one commit */
	CHECK_EQ(fk.nirqfd, 2);
	CHECK_EQ(fk.nr, 42);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_PBA_OFF, 8), 0);
	fd = -1;
	for (unsigned int i = 0; i < fk.nirqfd; i++) {
		rt = msi_route(fk.irqfd[i].gsi);
		CHECK(rt != NULL);
		if (rt && rt->u.msi.data == 0x41)
			fd = (int)fk.irqfd[i].fd;
		if (rt)
			CHECK(rt->u.msi.address_lo == 0xfee00000 ||
			      rt->u.msi.address_lo == 0xfee01000);
	}
	CHECK(fd >= 0);
	CHECK_EQ(efd_count(fd), 1); /* the pending one, delivered */
	r.td.vdev.tops->notify_used(&r.td.vdev, 0);
	r.td.vdev.tops->notify_used(&r.td.vdev, 1); /* NO_VECTOR: nothing */
	CHECK_EQ(efd_count(fd), 1);

	/* Vector mask bit: pending, then delivered on unmask. */
	mm_wr(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, 1);
	r.td.vdev.tops->notify_used(&r.td.vdev, 0);
	CHECK_EQ(efd_count(fd), 0);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_PBA_OFF, 4), 1);
	mm_wr(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 8, 4, 0x51); /* masked: later */
	CHECK_EQ(fk.set_routing, 1);
	mm_wr(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, 0);
	CHECK_EQ(efd_count(fd), 1);
	CHECK_EQ(fk.set_routing, 2);
	CHECK_EQ(fk.nirqfd, 2);
	for (unsigned int i = 0; i < fk.nirqfd; i++)
		if ((int)fk.irqfd[i].fd == fd)
			CHECK((rt = msi_route(fk.irqfd[i].gsi)) &&
			      rt->u.msi.data == 0x51);

	/* A configuration change sets the ISR's config bit with MSI-X on
	 * too (virtio 4.1.4.5.1), and no INTx. */
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_ISR_OFF, 1), 0);
	r.td.vdev.tops->notify_config(&r.td.vdev);
	CHECK_EQ(fk.line[gsi], 0);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_ISR_OFF, 1), 0);

	/* A device reset drops messages a masked vector held back. */
	mm_wr(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, 1);
	r.td.vdev.tops->notify_used(&r.td.vdev, 0);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_PBA_OFF, 4), 1);
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_PBA_OFF, 4), 0);
	mm_wr(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 12, 4, 0);
	CHECK_EQ(efd_count(fd), 0);
	rig_down(&r);
}

static void test_pci_cfg_window(void)
{
	struct caps c;
	struct rig r;
	unsigned int p;

	rig_up(&r);
	walk_caps(&r, &c);
	p = c.off[VIRTIO_PCI_CAP_PCI_CFG];
	cfg_wr(&r, p + VIRTIO_PCI_CAP_BAR, 1, 0);
	cfg_wr(&r, p + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_NUMQ);
	cfg_wr(&r, p + VIRTIO_PCI_CAP_LENGTH, 4, 2);
	CHECK_EQ(cfg_rd(&r, p + VIRTIO_PCI_CAP_DATA, 4), TD_QUEUES);
	cfg_wr(&r, p + VIRTIO_PCI_CAP_OFFSET, 4, VIRTIO_PCI_COMMON_Q_SELECT);
	cfg_wr(&r, p + VIRTIO_PCI_CAP_DATA, 4, 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_SIZE, 2), 32);
	/* A misaligned window does nothing. */
	cfg_wr(&r, p + VIRTIO_PCI_CAP_OFFSET, 4,
	       VIRTIO_PCI_COMMON_Q_SELECT + 1);
	cfg_wr(&r, p + VIRTIO_PCI_CAP_DATA, 4, 0);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
	rig_down(&r);
}

static void test_bar_move(void)
{
	uint64_t old, moved = 0xc0100000;
	struct rig r;

	rig_up(&r);
	old = bar_base(&r);
	cfg_wr(&r, PCI_COMMAND, 2, 0);
	/* Not decoding: nothing answers at the old address. */
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_COMMON_NUMQ, 2), 0xffff);
	cfg_wr(&r, PCI_BASE_ADDRESS_0, 4, (uint32_t)moved);
	cfg_wr(&r, PCI_BASE_ADDRESS_1, 4, 0);
	CHECK_EQ(fk.nioev, 0);
	cfg_wr(&r, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(bar_base(&r), moved);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_COMMON_NUMQ, 2), TD_QUEUES);
	CHECK_EQ(fk.nioev, TD_QUEUES);
	CHECK_EQ(fk.ioev[0].addr & ~0xfffULL, moved + VIRTIO_PCI_NOTIFY_OFF);
	{
		uint8_t b[2];

		CHECK(!bus_access(&r.vm.mmio, old + VIRTIO_PCI_COMMON_NUMQ, b,
				  2, false));
	}
	rig_down(&r);
}

/* A queue record whose size the device cannot have (over its maximum, or
 * not a power of two for a split ring) is refused. The record is found by
 * its descriptor area (0x300000): size (u16) and enabled (u8) precede it. */
static void test_snapshot_bad_size(const struct sbuf *b)
{
	static const uint16_t bad[] = { 0, 9, 64 };
	uint8_t desc[8] = { 0, 0, 0x30 }, *copy = malloc(b->len);
	struct sbuf_reader in;
	struct rig r;
	size_t at = 0;

	for (size_t i = 3; i + 8 <= b->len && !at; i++)
		if (!memcmp(b->data + i, desc, 8))
			at = i - 3;
	CHECK(at != 0 && copy);
	if (!at || !copy)
		return;
	CHECK_EQ(get_le16(b->data + at), 8);
	for (unsigned int k = 0; k < ARRAY_SIZE(bad); k++) {
		memcpy(copy, b->data, b->len);
		put_le16(copy + at, bad[k]);
		rig_up(&r);
		sbuf_reader_init(&in, copy, b->len);
		CHECK(r.vpci->ops->restore(r.vpci, &in) != 0);
		rig_down(&r);
	}
	free(copy);
}

/* State saved by an earlier minivmm, whose device did not offer
 * RING_PACKED yet, restores, and the device keeps the saved offer; an
 * offer that differs otherwise is another device's, refused. */
static void test_snapshot_older_offer(const struct sbuf *b)
{
	struct virtio_features saved;
	struct sbuf_reader in;
	struct rig r;

	rig_up(&r);
	saved = r.td.vdev.offered;
	virtio_feat_set(&r.td.vdev.offered, VIRTIO_F_RING_PACKED);
	sbuf_reader_init(&in, b->data, b->len);
	CHECK_EQ(r.vpci->ops->restore(r.vpci, &in), 0);
	CHECK(virtio_feat_equal(&r.td.vdev.offered, &saved));
	rig_down(&r);

	rig_up(&r);
	virtio_feat_set(&r.td.vdev.offered, VIRTIO_F_RING_PACKED);
	virtio_feat_set(&r.td.vdev.offered, 5);
	sbuf_reader_init(&in, b->data, b->len);
	CHECK(r.vpci->ops->restore(r.vpci, &in) != 0);
	rig_down(&r);
}

static void test_snapshot(void)
{
	struct sbuf b;
	struct sbuf_reader in;
	struct caps c;
	struct rig r;
	uint64_t moved = 0xc0200000;

	rig_up(&r);
	walk_caps(&r, &c);
	negotiate(&r);
	setup_queue(&r, 1, 0x300000);
	common_wr(&r, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	common_wr(&r, VIRTIO_PCI_COMMON_STATUS, 1, 0xf);
	msix_entry(&r, 1, 0xfee00000, 0x61, 0);
	cfg_wr(&r, c.msix + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	cfg_wr(&r, PCI_COMMAND, 2, 0);
	cfg_wr(&r, PCI_BASE_ADDRESS_0, 4, (uint32_t)moved);
	cfg_wr(&r, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	sbuf_init(&b);
	CHECK_EQ(r.vpci->ops->save(r.vpci, &b), 0);
	rig_down(&r);

	/* A fresh VM with the same device takes the state back. */
	rig_up(&r);
	CHECK(bar_base(&r) != moved);
	sbuf_reader_init(&in, b.data, b.len);
	CHECK_EQ(r.vpci->ops->restore(r.vpci, &in), 0);
	CHECK_EQ(sbuf_reader_done(&in), 0);
	CHECK_EQ(bar_base(&r), moved);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_STATUS, 1), 0xf);
	CHECK_EQ(r.td.activated, 1);
	common_wr(&r, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0x300000);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
	common_wr(&r, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	CHECK_EQ(common_rd(&r, VIRTIO_PCI_COMMON_GF, 4), 1);
	CHECK_EQ(mm_rd(&r, VIRTIO_PCI_MSIX_TABLE_OFF + 16 + 8, 4), 0x61);
	/* the live vector is routed again; its irqfd comes once the
	 * interrupt controller is restored too (restored) */
	CHECK_EQ(fk.nirqfd, 0);
	CHECK_EQ(r.vpci->ops->restored(r.vpci), 0);
	CHECK_EQ(fk.nirqfd, 1);
	CHECK(fk.nirqfd && msi_route(fk.irqfd[0].gsi) != NULL);
	CHECK_EQ(fk.nioev, TD_QUEUES);
	/* Truncated state is refused. */
	sbuf_reader_init(&in, b.data, b.len / 2);
	CHECK(r.vpci->ops->restore(r.vpci, &in) != 0 ||
	      sbuf_reader_done(&in) != 0);
	rig_down(&r);
	test_snapshot_bad_size(&b);
	test_snapshot_older_offer(&b);
	sbuf_free(&b);
}

int main(void)
{
	test_header();
	test_caps();
	test_features();
	test_queues();
	test_intx();
	test_msix();
	test_pci_cfg_window();
	test_bar_move();
	test_snapshot();
	return unit_done("virtio_pci");
}
