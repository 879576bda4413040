/* virtio_drv.h: a tiny freestanding virtio-pci (modern) driver library for the test guests: config access, capabilities, features, split queues. */
#ifndef GUEST_VIRTIO_DRV_H
#define GUEST_VIRTIO_DRV_H

#include "rt.h"

/* PCI configuration mechanism #1, bus 0, function 0 of 'slot'. */
u32 pci_cfg_read32(u8 slot, u8 reg);
u16 pci_cfg_read16(u8 slot, u8 reg);
u8 pci_cfg_read8(u8 slot, u8 reg);
void pci_cfg_write32(u8 slot, u8 reg, u32 v);
void pci_cfg_write16(u8 slot, u8 reg, u16 v);
void pci_cfg_write8(u8 slot, u8 reg, u8 v);
/* First slot of bus 0 with this vendor and device id, or -1. */
int pci_find(u16 vendor, u16 device);

#define PCI_COMMAND_REG	  0x04
#define PCI_STATUS_REG	  0x06
#define PCI_BAR0	  0x10
#define PCI_CAP_PTR	  0x34
#define PCI_CMD_MEMORY	  0x02
#define PCI_CMD_MASTER	  0x04
#define PCI_STS_CAP_LIST  0x10
#define PCI_CAP_ID_MSIX	  0x11
#define PCI_CAP_ID_VENDOR 0x09

/* virtio-pci capability types and common config offsets (virtio 1.x 4.1). */
#define VP_CAP_COMMON 1
#define VP_CAP_NOTIFY 2
#define VP_CAP_ISR    3
#define VP_CAP_DEVICE 4
#define VP_CAP_PCI    5

#define VP_DFSELECT  0
#define VP_DF	     4
#define VP_GFSELECT  8
#define VP_GF	     12
#define VP_MSIX	     16
#define VP_NUMQ	     18
#define VP_STATUS    20
#define VP_CFGGEN    21
#define VP_QSELECT   22
#define VP_QSIZE     24
#define VP_QMSIX     26
#define VP_QENABLE   28
#define VP_QNOFF     30
#define VP_QDESC     32
#define VP_QDRIVER   40
#define VP_QDEVICE   48

#define VS_ACK	       0x01
#define VS_DRIVER      0x02
#define VS_DRIVER_OK   0x04
#define VS_FEATURES_OK 0x08

struct vp_dev {
	u8 slot;
	u64 bar[6];	   /* memory BARs (a 64-bit one in its low slot) */
	usize common, notify, isr, device; /* 0: capability missing */
	u32 notify_mult;
	u32 device_len;
	u8 cap_pci;	   /* VP_CAP_PCI capability offset, 0: none */
	u8 cap_msix;	   /* MSI-X capability offset, 0: none */
	u8 ncaps;
};

/* Reads the BARs and walks the capability list (bounded). Returns 0 when
 * common, notify and ISR were found. */
int vp_probe(struct vp_dev *d, u8 slot);
/* Re-resolves the region addresses after the BAR moved. */
void vp_rebase(struct vp_dev *d);

static inline u8 vp_status(const struct vp_dev *d)
{
	return mmio_read8(d->common + VP_STATUS);
}

static inline void vp_set_status(const struct vp_dev *d, u8 s)
{
	mmio_write8(d->common + VP_STATUS, s);
}

/* 32 bits of the 128-bit sets through the select registers. */
u32 vp_device_features(const struct vp_dev *d, u32 sel);
u32 vp_driver_features(const struct vp_dev *d, u32 sel);
void vp_set_driver_features(const struct vp_dev *d, u32 sel, u32 val);
/* Writes words[0..3] as driver features, sets FEATURES_OK, and returns
 * whether the device kept it. */
int vp_negotiate(const struct vp_dev *d, const u32 words[4]);
/* The VP_CAP_PCI window: 'len' bytes at BAR offset 'off'. */
u32 vp_pcicfg_read(const struct vp_dev *d, u32 off, u32 len);

/* A split virtqueue in one 4 KiB-aligned area of at least 3 pages. */
struct vq_desc { u64 addr; u32 len; u16 flags; u16 next; };
#define VQ_DESC_F_NEXT	1
#define VQ_DESC_F_WRITE 2

struct vq {
	u16 index, size;
	volatile struct vq_desc *desc;
	volatile u16 *avail;	/* flags, idx, ring[size] */
	volatile u16 *used;	/* flags, idx, then {u32 id, u32 len}[size] */
	u16 avail_idx, used_seen;
	usize notify;
};

/* Programs queue 'index' with min(size max, 'size') entries at 'area'
 * (desc, then avail at +4 KiB, used at +8 KiB) and enables it. Returns the
 * queue size, or 0 when the device has no such queue. */
u16 vq_setup(const struct vp_dev *d, struct vq *q, u16 index, u16 size,
	     void *area);
/* One-buffer chain in descriptor 'slot'; then notify. */
void vq_post(struct vq *q, u16 slot, u64 addr, u32 len, u16 flags);
/* Used ring index as the device last wrote it. */
static inline u16 vq_used_idx(const struct vq *q) { return q->used[1]; }
/* The used element 'n' (mod size): id and length. */
void vq_used_elem(const struct vq *q, u16 n, u32 *id, u32 *len);

#endif
