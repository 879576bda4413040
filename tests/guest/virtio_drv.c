/* virtio_drv.c: the test guests' virtio-pci driver library: config mechanism #1, capability walk, feature words, split queues. */
#include "virtio_drv.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

static void pci_select(u8 slot, u8 reg)
{
	outl(PCI_ADDR, 0x80000000u | (u32)slot << 11 | (reg & 0xfc));
}

u32 pci_cfg_read32(u8 slot, u8 reg)
{
	pci_select(slot, reg);
	return inl(PCI_DATA);
}

u16 pci_cfg_read16(u8 slot, u8 reg)
{
	pci_select(slot, reg);
	return inw(PCI_DATA + (reg & 2));
}

u8 pci_cfg_read8(u8 slot, u8 reg)
{
	pci_select(slot, reg);
	return inb(PCI_DATA + (reg & 3));
}

void pci_cfg_write32(u8 slot, u8 reg, u32 v)
{
	pci_select(slot, reg);
	outl(PCI_DATA, v);
}

void pci_cfg_write16(u8 slot, u8 reg, u16 v)
{
	pci_select(slot, reg);
	outw(PCI_DATA + (reg & 2), v);
}

void pci_cfg_write8(u8 slot, u8 reg, u8 v)
{
	pci_select(slot, reg);
	outb(PCI_DATA + (reg & 3), v);
}

int pci_find(u16 vendor, u16 device)
{
	for (int slot = 0; slot < 32; slot++) {
		u32 id = pci_cfg_read32((u8)slot, 0);

		if ((id & 0xffff) == vendor && (id >> 16) == device)
			return slot;
	}
	return -1;
}

static void read_bars(struct vp_dev *d)
{
	for (u8 i = 0; i < 6; i++) {
		u32 lo = pci_cfg_read32(d->slot, PCI_BAR0 + 4 * i);

		d->bar[i] = 0;
		if (lo & 1)
			continue; /* I/O */
		d->bar[i] = lo & ~0xfULL;
		if ((lo & 6) == 4 && i < 5) {
			d->bar[i] |= (u64)pci_cfg_read32(d->slot,
							 PCI_BAR0 + 4 * (i + 1))
				     << 32;
			i++;
		}
	}
}

/* Where a vendor capability's region is, by its bar and offset. */
static usize cap_region(const struct vp_dev *d, u8 cap)
{
	u8 bar = pci_cfg_read8(d->slot, cap + 4);

	if (bar > 5)
		return 0;
	return (usize)(d->bar[bar] + pci_cfg_read32(d->slot, cap + 8));
}

static void vendor_cap(struct vp_dev *d, u8 cap)
{
	u8 type = pci_cfg_read8(d->slot, cap + 3);

	switch (type) {
	case VP_CAP_COMMON:
		d->common = cap_region(d, cap);
		break;
	case VP_CAP_NOTIFY:
		d->notify = cap_region(d, cap);
		d->notify_mult = pci_cfg_read32(d->slot, cap + 16);
		break;
	case VP_CAP_ISR:
		d->isr = cap_region(d, cap);
		break;
	case VP_CAP_DEVICE:
		d->device = cap_region(d, cap);
		d->device_len = pci_cfg_read32(d->slot, cap + 12);
		break;
	case VP_CAP_PCI:
		d->cap_pci = cap;
		break;
	}
}

static void walk_caps(struct vp_dev *d)
{
	u8 cap = pci_cfg_read8(d->slot, PCI_CAP_PTR) & 0xfc;

	d->common = d->notify = d->isr = d->device = 0;
	d->ncaps = 0;
	while (cap && d->ncaps < 48) {
		u8 id = pci_cfg_read8(d->slot, cap);

		d->ncaps++;
		if (id == PCI_CAP_ID_VENDOR)
			vendor_cap(d, cap);
		else if (id == PCI_CAP_ID_MSIX)
			d->cap_msix = cap;
		cap = pci_cfg_read8(d->slot, cap + 1) & 0xfc;
	}
}

int vp_probe(struct vp_dev *d, u8 slot)
{
	memset(d, 0, sizeof(*d));
	d->slot = slot;
	if (!(pci_cfg_read16(slot, PCI_STATUS_REG) & PCI_STS_CAP_LIST))
		return -1;
	read_bars(d);
	walk_caps(d);
	return d->common && d->notify && d->isr ? 0 : -1;
}

void vp_rebase(struct vp_dev *d)
{
	read_bars(d);
	walk_caps(d);
}

u32 vp_device_features(const struct vp_dev *d, u32 sel)
{
	mmio_write32(d->common + VP_DFSELECT, sel);
	return mmio_read32(d->common + VP_DF);
}

u32 vp_driver_features(const struct vp_dev *d, u32 sel)
{
	mmio_write32(d->common + VP_GFSELECT, sel);
	return mmio_read32(d->common + VP_GF);
}

void vp_set_driver_features(const struct vp_dev *d, u32 sel, u32 val)
{
	mmio_write32(d->common + VP_GFSELECT, sel);
	mmio_write32(d->common + VP_GF, val);
}

int vp_negotiate(const struct vp_dev *d, const u32 words[4])
{
	for (u32 sel = 0; sel < 4; sel++)
		vp_set_driver_features(d, sel, words[sel]);
	vp_set_status(d, vp_status(d) | VS_FEATURES_OK);
	return (vp_status(d) & VS_FEATURES_OK) != 0;
}

u32 vp_pcicfg_read(const struct vp_dev *d, u32 off, u32 len)
{
	u8 cap = d->cap_pci;

	pci_cfg_write8(d->slot, cap + 4, 0); /* bar */
	pci_cfg_write32(d->slot, cap + 8, off);
	pci_cfg_write32(d->slot, cap + 12, len);
	return pci_cfg_read32(d->slot, cap + 16) &
	       (len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1);
}

u16 vq_setup(const struct vp_dev *d, struct vq *q, u16 index, u16 size,
	     void *area)
{
	usize base = (usize)area;
	u16 max;

	mmio_write16(d->common + VP_QSELECT, index);
	max = mmio_read16(d->common + VP_QSIZE);
	if (!max)
		return 0;
	q->index = index;
	q->size = max < size ? max : size;
	q->desc = (volatile struct vq_desc *)base;
	q->avail = (volatile u16 *)(base + 0x1000);
	q->used = (volatile u16 *)(base + 0x2000);
	q->avail_idx = q->used_seen = 0;
	q->notify = d->notify +
		    (usize)mmio_read16(d->common + VP_QNOFF) * d->notify_mult;
	memset(area, 0, 0x3000);
	mmio_write16(d->common + VP_QSIZE, q->size);
	mmio_write64(d->common + VP_QDESC, base);
	mmio_write32(d->common + VP_QDRIVER, (u32)(base + 0x1000));
	mmio_write32(d->common + VP_QDRIVER + 4, 0);
	mmio_write32(d->common + VP_QDEVICE, (u32)(base + 0x2000));
	mmio_write32(d->common + VP_QDEVICE + 4, 0);
	mmio_write16(d->common + VP_QENABLE, 1);
	return q->size;
}

void vq_post(struct vq *q, u16 slot, u64 addr, u32 len, u16 flags)
{
	q->desc[slot].addr = addr;
	q->desc[slot].len = len;
	q->desc[slot].flags = flags;
	q->desc[slot].next = 0;
	q->avail[2 + q->avail_idx % q->size] = slot;
	__asm__ volatile("mfence" ::: "memory");
	q->avail[1] = ++q->avail_idx;
	__asm__ volatile("mfence" ::: "memory");
	mmio_write16(q->notify, q->index);
}

void vq_used_elem(const struct vq *q, u16 n, u32 *id, u32 *len)
{
	volatile u32 *e = (volatile u32 *)(q->used + 2) + 2 * (n % q->size);

	*id = e[0];
	*len = e[1];
}
