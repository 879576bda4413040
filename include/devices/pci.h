/* pci.h: the PCI host (config mechanism #1 or ECAM), the bus 0 function registry and the generic config-space model. */
#ifndef MINIVMM_DEVICES_PCI_H
#define MINIVMM_DEVICES_PCI_H

#include <stdint.h>
#include <linux/pci_regs.h> /* standard register offsets and bits */

#include "util.h"

struct vm;
struct pci_host;
struct pci_device;

#define PCI_CONFIG_ADDRESS_PORT 0xcf8 /* 32-bit accesses only */
#define PCI_CONFIG_DATA_PORT	0xcfc /* 0xcfc-0xcff */
#define PCI_CONFIG_ENABLE	0x80000000u
#define PCI_CFG_SIZE		256
#define PCI_MAX_SLOTS		32
#define PCI_NR_BARS		6
#define PCI_DEVFN(slot, fn)	((((slot)&0x1f) << 3) | ((fn)&0x07))

/* The host bridge at 00:00.0: Intel 82G33/P35 DRAM controller (the Q35
 * machine's MCH), a host bridge every x86 guest knows and no driver needs. */
#define PCI_HOST_BRIDGE_VENDOR 0x8086
#define PCI_HOST_BRIDGE_DEVICE 0x29c0
#define PCI_HOST_BRIDGE_CLASS  0x060000
/* Behind ECAM (the device tree's pci-host-ecam-generic): a generic PCIe
 * host bridge ID (Red Hat's, as QEMU's gpex), which no guest binds. */
#define PCI_ECAM_BRIDGE_VENDOR 0x1b36
#define PCI_ECAM_BRIDGE_DEVICE 0x0008
/* ECAM: 4 KiB per function, 1 MiB per bus. */
#define PCI_ECAM_BUS_SIZE      0x100000ULL

/* BAR kinds for pci_set_bar(); PCI_BAR_PREFETCH may be or-ed to memory. */
#define PCI_BAR_MEM32	 0x0
#define PCI_BAR_IO	 PCI_BASE_ADDRESS_SPACE_IO
#define PCI_BAR_MEM64	 PCI_BASE_ADDRESS_MEM_TYPE_64
#define PCI_BAR_PREFETCH PCI_BASE_ADDRESS_MEM_PREFETCH
/* bar_moved()'s address while a BAR does not decode. */
#define PCI_BAR_UNMAPPED UINT64_MAX

/* 256 bytes of configuration space, little-endian. */
struct pci_config {
	uint8_t bytes[PCI_CFG_SIZE];
};

/*
 * All optional; they run on vCPU threads with the host's lock held, so they
 * must not access PCI configuration space themselves. They run inside a
 * vm->pio or (ECAM) vm->mmio access, without the bus lock: registering or
 * removing ranges on either bus from them is fine (see bus.h).
 */
struct pci_device_ops {
	/* After the generic read put cfg bytes [offset, offset + len) in
	 * 'data'; may replace them (live registers). */
	void (*cfg_read)(struct pci_device *dev, uint32_t offset,
			 uint8_t *data, uint32_t len);
	/* After the generic write stored the bits 'wmask' lets through. */
	void (*cfg_write)(struct pci_device *dev, uint32_t offset,
			  const uint8_t *data, uint32_t len);
	/* The address BAR 'bar' decodes changed. A BAR decodes at its
	 * programmed address while COMMAND has its I/O or memory enable
	 * set, else the address is PCI_BAR_UNMAPPED: so sizing with decode
	 * off (as Linux does) and 64-bit updates do not bounce the mapping. */
	void (*bar_moved)(struct pci_device *dev, unsigned int bar,
			  uint64_t old_addr, uint64_t new_addr);
};

/* One PCI function, embedded in the device that implements it. */
struct pci_device {
	struct pci_config cfg;
	uint8_t wmask[PCI_CFG_SIZE];	/* 1 bits are guest-writable */
	uint64_t bar_size[PCI_NR_BARS]; /* 0: none (or a 64-bit BAR's top) */
	uint64_t bar_addr[PCI_NR_BARS]; /* decoded address, host-maintained */
	const struct pci_device_ops *ops;
	unsigned int devfn; /* set by pci_register() */
};

/* Registers 0xcf8-0xcff on vm->pio, adds the device, puts the host bridge
 * at 00:00.0. 'out' may be NULL. Returns 0 or -errno. */
int pci_host_create(struct vm *vm, struct pci_host **out);
/* The same host behind an ECAM window of 'size' bytes (whole buses of
 * PCI_ECAM_BUS_SIZE; only bus 0 has functions) at 'base' on vm->mmio. */
int pci_host_create_ecam(struct vm *vm, uint64_t base, uint64_t size,
			 struct pci_host **out);

/* Puts 'dev' (set up with pci_device_init/pci_set_bar) in the next free
 * slot of bus 0 as function 0. Its initial decoded BARs are recorded without
 * calling bar_moved. Returns 0, -ENOSPC when bus 0 is full, -EEXIST when
 * 'dev' is already registered. */
int pci_register(struct pci_host *host, struct pci_device *dev,
		 unsigned int *devfn_out);

/* Clears 'dev' and fills a type 0 header: IDs, class (24 bits), revision.
 * Writable: COMMAND I/O, memory, bus master and INTx disable; cache line
 * size, latency timer and interrupt line. Everything else is read-only. */
void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision,
		     const struct pci_device_ops *ops);

/* Declares BAR 'bar' of a power-of-two 'size' (I/O >= 4, memory >= 16) at
 * 'addr' (aligned; 0 leaves it to the guest). PCI_BAR_MEM64 also uses
 * bar + 1. Sizing (all-ones in, size mask out) then works via wmask.
 * Returns 0 or -EINVAL / -EBUSY. Call before pci_register(). */
int pci_set_bar(struct pci_device *dev, unsigned int bar, unsigned int kind,
		uint64_t size, uint64_t addr);

/* The address programmed in a BAR (whether or not it decodes). */
uint64_t pci_bar_address(const struct pci_device *dev, unsigned int bar);

/* Config-space accessors for device code (no write masks applied). */
static inline uint8_t pci_cfg_get8(const struct pci_device *dev,
				   unsigned int off)
{
	return dev->cfg.bytes[off & 0xff];
}
static inline uint16_t pci_cfg_get16(const struct pci_device *dev,
				     unsigned int off)
{
	return get_le16(&dev->cfg.bytes[off & 0xfe]);
}
static inline uint32_t pci_cfg_get32(const struct pci_device *dev,
				     unsigned int off)
{
	return get_le32(&dev->cfg.bytes[off & 0xfc]);
}
static inline void pci_cfg_set8(struct pci_device *dev, unsigned int off,
				uint8_t v)
{
	dev->cfg.bytes[off & 0xff] = v;
}
static inline void pci_cfg_set16(struct pci_device *dev, unsigned int off,
				 uint16_t v)
{
	put_le16(&dev->cfg.bytes[off & 0xfe], v);
}
static inline void pci_cfg_set32(struct pci_device *dev, unsigned int off,
				 uint32_t v)
{
	put_le32(&dev->cfg.bytes[off & 0xfc], v);
}

#endif
