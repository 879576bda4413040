/* virtio_mmio_drv.h: the test guests' virtio-mmio driver helpers: registers, the virtio_mmio.device= command-line entries, feature negotiation and queue programming. */
#ifndef GUEST_VIRTIO_MMIO_DRV_H
#define GUEST_VIRTIO_MMIO_DRV_H

#include "rt.h"

/* virtio-mmio registers (virtio 1.x 4.2.2) and the bits the tests use. */
#define R_MAGIC		0x000
#define R_VERSION	0x004
#define R_DEVICE_ID	0x008
#define R_VENDOR	0x00c
#define R_DEV_FEAT	0x010
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEAT	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_SEL	0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_QUEUE_NOTIFY	0x050
#define R_INT_STATUS	0x060
#define R_INT_ACK	0x064
#define R_STATUS	0x070
#define R_QUEUE_DESC	0x080
#define R_QUEUE_DRIVER	0x090
#define R_QUEUE_DEVICE	0x0a0
#define R_CONFIG_GEN	0x0fc
#define R_CONFIG	0x100

#define S_ACK	      1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8

struct vmmio_dev {
	usize base;
	u32 gsi;
	u32 id;
};

static inline u32 rd(usize base, u32 reg) { return mmio_read32(base + reg); }
static inline void wr(usize base, u32 reg, u32 v) { mmio_write32(base + reg, v); }

/* The "virtio_mmio.device=4K@0xe0000000:5" entries of a command line, at
 * most max; returns how many (the device id is left for the caller). */
unsigned int vmmio_find_devs(const char *cmdline, struct vmmio_dev *devs,
			     unsigned int max);
/* Device feature word 'sel'. */
u32 vmmio_dev_feat(usize base, u32 sel);
/* Reset, ACK, DRIVER, driver feature words want[0..3] (select 0 first),
 * FEATURES_OK. Returns whether FEATURES_OK stuck, or -1 when the status
 * did not read 0 after the reset. */
int vmmio_negotiate(usize base, const u32 want[4]);
/* Selects queue q and writes its size and ring addresses (not QueueReady). */
void vmmio_queue_program(usize base, u32 q, u32 size, u64 desc, u64 driver,
			 u64 device);

#endif
