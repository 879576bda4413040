/* pci_host.c: the PCI host: bus 0's functions and their configuration space, reached through mechanism #1 (ports 0xcf8-0xcff) or an ECAM window. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"
#include "vm.h"
#include "devices/pci.h"

#define PCI_HOST_PORTS	   8 /* 0xcf8-0xcff */
#define CONFIG_ADDR_MASK   0x80fffffcu /* enable, bus, devfn, dword register */
#define CONFIG_DATA_OFFSET 4

struct pci_host {
	struct device dev;
	pthread_mutex_t lock;
	uint32_t addr; /* the 0xcf8 latch */
	struct pci_device bridge;
	struct pci_device *slots[PCI_MAX_SLOTS];
};

static bool bar_is_64_top(const struct pci_device *dev, unsigned int bar)
{
	uint32_t lo;

	if (bar == 0 || !dev->bar_size[bar - 1])
		return false;
	lo = pci_cfg_get32(dev, PCI_BASE_ADDRESS_0 + 4 * (bar - 1));
	return !(lo & PCI_BASE_ADDRESS_SPACE_IO) &&
	       (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
		       PCI_BASE_ADDRESS_MEM_TYPE_64;
}

uint64_t pci_bar_address(const struct pci_device *dev, unsigned int bar)
{
	uint32_t lo;
	uint64_t addr;

	if (bar >= PCI_NR_BARS || !dev->bar_size[bar])
		return 0;
	lo = pci_cfg_get32(dev, PCI_BASE_ADDRESS_0 + 4 * bar);
	if (lo & PCI_BASE_ADDRESS_SPACE_IO)
		return lo & PCI_BASE_ADDRESS_IO_MASK;
	addr = lo & PCI_BASE_ADDRESS_MEM_MASK;
	if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
	    PCI_BASE_ADDRESS_MEM_TYPE_64)
		addr |= (uint64_t)pci_cfg_get32(dev, PCI_BASE_ADDRESS_0 +
							4 * (bar + 1))
			<< 32;
	return addr;
}

/* Where the BAR decodes now: its address if COMMAND enables its space. */
static uint64_t bar_decoded(const struct pci_device *dev, unsigned int bar)
{
	uint16_t cmd = pci_cfg_get16(dev, PCI_COMMAND);
	uint32_t lo = pci_cfg_get32(dev, PCI_BASE_ADDRESS_0 + 4 * bar);
	uint16_t enable = (lo & PCI_BASE_ADDRESS_SPACE_IO) ? PCI_COMMAND_IO :
							     PCI_COMMAND_MEMORY;

	if (!(cmd & enable))
		return PCI_BAR_UNMAPPED;
	return pci_bar_address(dev, bar);
}

static void bars_update(struct pci_device *dev, bool notify)
{
	unsigned int bar;
	uint64_t old, now;

	for (bar = 0; bar < PCI_NR_BARS; bar++) {
		if (!dev->bar_size[bar])
			continue;
		now = bar_decoded(dev, bar);
		old = dev->bar_addr[bar];
		if (now == old)
			continue;
		dev->bar_addr[bar] = now;
		if (notify && dev->ops && dev->ops->bar_moved)
			dev->ops->bar_moved(dev, bar, old, now);
	}
}

void pci_device_init(struct pci_device *dev, uint16_t vendor, uint16_t device,
		     uint32_t class_code, uint8_t revision,
		     const struct pci_device_ops *ops)
{
	unsigned int bar;

	memset(dev, 0, sizeof(*dev));
	pci_cfg_set16(dev, PCI_VENDOR_ID, vendor);
	pci_cfg_set16(dev, PCI_DEVICE_ID, device);
	pci_cfg_set32(dev, PCI_CLASS_REVISION, class_code << 8 | revision);
	pci_cfg_set8(dev, PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL);
	put_le16(&dev->wmask[PCI_COMMAND],
		 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_INTX_DISABLE);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	for (bar = 0; bar < PCI_NR_BARS; bar++)
		dev->bar_addr[bar] = PCI_BAR_UNMAPPED;
	dev->ops = ops;
}

static int bar_check(const struct pci_device *dev, unsigned int bar,
		     unsigned int kind, uint64_t size, uint64_t addr)
{
	bool io = kind & PCI_BAR_IO, is64 = kind & PCI_BAR_MEM64;

	if (bar >= PCI_NR_BARS || (is64 && bar + 1 >= PCI_NR_BARS))
		return -EINVAL;
	if (kind & ~(PCI_BAR_IO | PCI_BAR_MEM64 | PCI_BAR_PREFETCH) ||
	    (io && kind != PCI_BAR_IO))
		return -EINVAL;
	if (!size || (size & (size - 1)) || size < (io ? 4u : 16u))
		return -EINVAL;
	if ((io && size > 0x10000) || (!io && !is64 && size > (1ULL << 31)))
		return -EINVAL;
	if (addr & (size - 1) || (!is64 && addr > UINT32_MAX - (size - 1)))
		return -EINVAL;
	if (dev->bar_size[bar] || bar_is_64_top(dev, bar) ||
	    (is64 && dev->bar_size[bar + 1]))
		return -EBUSY;
	return 0;
}

int pci_set_bar(struct pci_device *dev, unsigned int bar, unsigned int kind,
		uint64_t size, uint64_t addr)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t mask = ~(size - 1);
	uint32_t low_bits = (kind & PCI_BAR_IO) ? 0x3 : 0xf;
	int err = bar_check(dev, bar, kind, size, addr);

	if (err)
		return err;
	pci_cfg_set32(dev, off, (uint32_t)addr | kind);
	put_le32(&dev->wmask[off], (uint32_t)mask & ~low_bits);
	if (kind & PCI_BAR_MEM64) {
		pci_cfg_set32(dev, off + 4, (uint32_t)(addr >> 32));
		put_le32(&dev->wmask[off + 4], (uint32_t)(mask >> 32));
	}
	dev->bar_size[bar] = size;
	return 0;
}

/* The function at bus:devfn, or NULL (absent: reads all-ones). */
static struct pci_device *pci_function(struct pci_host *h, unsigned int bus,
				       unsigned int devfn)
{
	struct pci_device *dev;

	if (bus)
		return NULL;
	dev = h->slots[devfn >> 3];
	return dev && dev->devfn == devfn ? dev : NULL;
}

/* The function the latch selects. */
static struct pci_device *pci_selected(struct pci_host *h)
{
	if (!(h->addr & PCI_CONFIG_ENABLE))
		return NULL;
	return pci_function(h, (h->addr >> 16) & 0xff, (h->addr >> 8) & 0xff);
}

static void pci_cfg_read(struct pci_device *dev, uint32_t reg, uint8_t *data,
			 uint32_t len)
{
	memcpy(data, &dev->cfg.bytes[reg], len);
	if (dev->ops && dev->ops->cfg_read)
		dev->ops->cfg_read(dev, reg, data, len);
}

static void pci_cfg_write(struct pci_device *dev, uint32_t reg,
			  const uint8_t *data, uint32_t len)
{
	uint8_t *b = &dev->cfg.bytes[reg];
	const uint8_t *m = &dev->wmask[reg];
	uint32_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)((b[i] & ~m[i]) | (data[i] & m[i]));
	/* COMMAND or a BAR touched: the decoded addresses may move. */
	if (reg < PCI_COMMAND + 2 && reg + len > PCI_COMMAND)
		bars_update(dev, true);
	else if (reg < PCI_BASE_ADDRESS_5 + 4 &&
		 reg + len > PCI_BASE_ADDRESS_0)
		bars_update(dev, true);
	if (dev->ops && dev->ops->cfg_write)
		dev->ops->cfg_write(dev, reg, data, len);
}

/* 0xcfc-0xcff: byte, word or dword at (latch register) + port offset. */
static void pci_data_access(struct pci_host *h, uint64_t offset, uint8_t *data,
			    uint32_t len, bool is_write)
{
	struct pci_device *dev = pci_selected(h);
	uint32_t reg = (h->addr & 0xfc) + (uint32_t)offset - CONFIG_DATA_OFFSET;
	uint32_t n = (uint32_t)MIN((uint64_t)len, PCI_HOST_PORTS - offset);

	if (!is_write)
		memset(data, 0xff, len);
	if (!dev)
		return;
	if (is_write)
		pci_cfg_write(dev, reg, data, n);
	else
		pci_cfg_read(dev, reg, data, n);
}

static void pci_host_access(struct pci_host *h, uint64_t offset, uint8_t *data,
			    uint32_t len, bool is_write)
{
	pthread_mutex_lock(&h->lock);
	if (offset >= CONFIG_DATA_OFFSET) {
		pci_data_access(h, offset, data, len, is_write);
	} else if (offset == 0 && len == 4) {
		/* Only a dword access is the address register; narrower
		 * ones at 0xcf8-0xcfb are other chipset registers. */
		if (is_write)
			h->addr = get_le32(data) & CONFIG_ADDR_MASK;
		else
			put_le32(data, h->addr);
	} else if (!is_write) {
		memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&h->lock);
}

static void pci_host_read(void *opaque, uint64_t offset, uint8_t *data,
			  uint32_t len)
{
	pci_host_access(opaque, offset, data, len, false);
}

typedef void pci_access_fn(struct pci_host *h, uint64_t offset, uint8_t *data,
			   uint32_t len, bool is_write);

/* Both mechanisms take one buffer for either direction: a write's bytes
 * are copied into one (accesses are at most 8 bytes). */
static void pci_write_through(pci_access_fn *access, void *opaque,
			      uint64_t offset, const uint8_t *data,
			      uint32_t len)
{
	uint8_t buf[8];

	len = MIN(len, (uint32_t)sizeof(buf));
	memcpy(buf, data, len);
	access(opaque, offset, buf, len, true);
}

static void pci_host_write(void *opaque, uint64_t offset, const uint8_t *data,
			   uint32_t len)
{
	pci_write_through(pci_host_access, opaque, offset, data, len);
}

static const struct bus_ops pci_host_ops = {
	.read = pci_host_read,
	.write = pci_host_write,
};

/*
 * ECAM: offset = bus << 20 | devfn << 12 | register. Accesses of 1, 2 or 4
 * bytes inside one aligned dword reach the 256-byte configuration space;
 * the extended space (0x100-0xfff) of a present function reads 0 (no
 * extended capabilities). Anything else reads all-ones, writes are dropped.
 */
static void pci_ecam_access(struct pci_host *h, uint64_t offset, uint8_t *data,
			    uint32_t len, bool is_write)
{
	unsigned int bus = (unsigned int)(offset >> 20) & 0xff;
	unsigned int devfn = (unsigned int)(offset >> 12) & 0xff;
	uint32_t reg = (uint32_t)offset & 0xfff;
	struct pci_device *dev;
	bool ok = (len == 1 || len == 2 || len == 4) && !(reg & (len - 1));

	if (!is_write)
		memset(data, 0xff, len);
	pthread_mutex_lock(&h->lock);
	dev = ok ? pci_function(h, bus, devfn) : NULL;
	if (dev && reg >= PCI_CFG_SIZE) {
		if (!is_write)
			memset(data, 0, len);
	} else if (dev && is_write) {
		pci_cfg_write(dev, reg, data, len);
	} else if (dev) {
		pci_cfg_read(dev, reg, data, len);
	}
	pthread_mutex_unlock(&h->lock);
}

static void pci_ecam_read(void *opaque, uint64_t offset, uint8_t *data,
			  uint32_t len)
{
	pci_ecam_access(opaque, offset, data, len, false);
}

static void pci_ecam_write(void *opaque, uint64_t offset, const uint8_t *data,
			   uint32_t len)
{
	pci_write_through(pci_ecam_access, opaque, offset, data, len);
}

static const struct bus_ops pci_ecam_ops = {
	.read = pci_ecam_read,
	.write = pci_ecam_write,
};

int pci_register(struct pci_host *host, struct pci_device *dev,
		 unsigned int *devfn_out)
{
	unsigned int slot, free_slot = 0;

	if (!host || !dev)
		return -EINVAL;
	pthread_mutex_lock(&host->lock);
	for (slot = PCI_MAX_SLOTS; slot-- > 0;) {
		if (host->slots[slot] == dev) {
			pthread_mutex_unlock(&host->lock);
			return -EEXIST;
		}
		if (!host->slots[slot])
			free_slot = slot;
	}
	if (!free_slot) {
		pthread_mutex_unlock(&host->lock);
		return -ENOSPC;
	}
	dev->devfn = PCI_DEVFN(free_slot, 0);
	bars_update(dev, false);
	host->slots[free_slot] = dev;
	pthread_mutex_unlock(&host->lock);
	if (devfn_out)
		*devfn_out = dev->devfn;
	return 0;
}

static void pci_host_destroy(struct device *dev)
{
	struct pci_host *h = container_of(dev, struct pci_host, dev);

	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* Snapshot: the 0xcf8 latch and the host bridge's configuration space;
 * devices on the bus save their own. */
static int pci_host_save(struct device *dev, struct sbuf *b)
{
	struct pci_host *h = container_of(dev, struct pci_host, dev);

	pthread_mutex_lock(&h->lock);
	sbuf_put_u32(b, h->addr);
	sbuf_put_bytes(b, &h->bridge.cfg, sizeof(h->bridge.cfg));
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static int pci_host_restore(struct device *dev, struct sbuf_reader *in)
{
	struct pci_host *h = container_of(dev, struct pci_host, dev);
	struct pci_config cfg;
	uint32_t addr = sbuf_get_u32(in);

	sbuf_get_bytes(in, &cfg, sizeof(cfg));
	if (in->err)
		return in->err;
	pthread_mutex_lock(&h->lock);
	h->addr = addr;
	h->bridge.cfg = cfg;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static const struct device_ops pci_host_dev_ops = {
	.destroy = pci_host_destroy,
	.save = pci_host_save,
	.restore = pci_host_restore,
};

static struct pci_host *pci_host_alloc(uint16_t vendor, uint16_t device)
{
	struct pci_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	if (pthread_mutex_init(&h->lock, NULL)) {
		free(h);
		return NULL;
	}
	h->dev.name = "pci-host";
	h->dev.ops = &pci_host_dev_ops;
	pci_device_init(&h->bridge, vendor, device, PCI_HOST_BRIDGE_CLASS, 0,
			NULL);
	pci_cfg_set16(&h->bridge, PCI_COMMAND,
		      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	memset(h->bridge.wmask, 0, sizeof(h->bridge.wmask)); /* all fixed */
	h->bridge.devfn = PCI_DEVFN(0, 0);
	h->slots[0] = &h->bridge;
	return h;
}

static int pci_host_add(struct vm *vm, struct pci_host *h, struct bus *bus,
			uint64_t base, uint64_t len, const struct bus_ops *ops,
			const char *name, struct pci_host **out)
{
	int err = bus_register(bus, base, len, ops, h, name);

	if (err < 0) {
		pci_host_destroy(&h->dev);
		return err;
	}
	vm_add_device(vm, &h->dev);
	if (out)
		*out = h;
	return 0;
}

int pci_host_create(struct vm *vm, struct pci_host **out)
{
	struct pci_host *h;

	if (!vm)
		return -EINVAL;
	h = pci_host_alloc(PCI_HOST_BRIDGE_VENDOR, PCI_HOST_BRIDGE_DEVICE);
	if (!h)
		return -ENOMEM;
	return pci_host_add(vm, h, &vm->pio, PCI_CONFIG_ADDRESS_PORT,
			    PCI_HOST_PORTS, &pci_host_ops, "pci-config", out);
}

int pci_host_create_ecam(struct vm *vm, uint64_t base, uint64_t size,
			 struct pci_host **out)
{
	struct pci_host *h;

	if (!vm || size < PCI_ECAM_BUS_SIZE || size % PCI_ECAM_BUS_SIZE)
		return -EINVAL;
	h = pci_host_alloc(PCI_ECAM_BRIDGE_VENDOR, PCI_ECAM_BRIDGE_DEVICE);
	if (!h)
		return -ENOMEM;
	return pci_host_add(vm, h, &vm->mmio, base, size, &pci_ecam_ops,
			    "pci-ecam", out);
}
