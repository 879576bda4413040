/* test_pci.c: unit tests of config mechanism #1 and ECAM, the host bridge, BAR sizing and write masks. */
#include <errno.h>
#include <stdarg.h>

#include "unit.h"
#include "bus.h"
#include "vm.h"
#include "device.h"
#include "log.h"
#include "devices/pci.h"

static struct {
	const struct bus_ops *ops;
	void *opaque;
	uint64_t base, len;
} fbus;
static struct device *fdev;

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	fbus.base = base;
	fbus.len = len;
	fbus.ops = ops;
	fbus.opaque = opaque;
	return 0;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	fdev = dev;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
}

/* A test function: records hook calls, makes register 0x40 live. */
static struct {
	int moves;
	unsigned int bar;
	uint64_t old_addr, new_addr;
	int writes;
	uint32_t write_off, write_len;
	uint8_t live;
} hooks;

static void td_cfg_read(struct pci_device *dev, uint32_t offset, uint8_t *data,
			uint32_t len)
{
	if (offset <= 0x40 && offset + len > 0x40)
		data[0x40 - offset] = ++hooks.live;
}

static void td_cfg_write(struct pci_device *dev, uint32_t offset,
			 const uint8_t *data, uint32_t len)
{
	hooks.writes++;
	hooks.write_off = offset;
	hooks.write_len = len;
}

static void td_bar_moved(struct pci_device *dev, unsigned int bar,
			 uint64_t old_addr, uint64_t new_addr)
{
	hooks.moves++;
	hooks.bar = bar;
	hooks.old_addr = old_addr;
	hooks.new_addr = new_addr;
}

static const struct pci_device_ops td_ops = {
	.cfg_read = td_cfg_read,
	.cfg_write = td_cfg_write,
	.bar_moved = td_bar_moved,
};

static uint32_t pin(uint16_t port, uint32_t len)
{
	uint8_t b[4] = { 0 };

	fbus.ops->read(fbus.opaque, port - 0xcf8, b, len);
	return len == 1 ? b[0] : len == 2 ? get_le16(b) : get_le32(b);
}

static void pout(uint16_t port, uint32_t len, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	fbus.ops->write(fbus.opaque, port - 0xcf8, b, len);
}

static uint32_t cfg_addr(unsigned int bus, unsigned int slot, unsigned int fn,
			 unsigned int reg)
{
	return 0x80000000u | bus << 16 | slot << 11 | fn << 8 | reg;
}

static uint32_t cfg_read32(unsigned int slot, unsigned int reg)
{
	pout(0xcf8, 4, cfg_addr(0, slot, 0, reg));
	return pin(0xcfc, 4);
}

static void cfg_write32(unsigned int slot, unsigned int reg, uint32_t v)
{
	pout(0xcf8, 4, cfg_addr(0, slot, 0, reg));
	pout(0xcfc, 4, v);
}

static void test_mechanism1(void)
{
	CHECK_EQ(fbus.base, 0xcf8);
	CHECK_EQ(fbus.len, 8);
	pout(0xcf8, 4, 0x80000000);
	CHECK_EQ(pin(0xcf8, 4), 0x80000000);
	pout(0xcf8, 4, 0xff000003); /* reserved and low bits read as 0 */
	CHECK_EQ(pin(0xcf8, 4), 0x80000000);

	CHECK_EQ(pin(0xcfc, 4), 0x29c08086); /* host bridge IDs */
	CHECK_EQ(pin(0xcfc, 2), 0x8086);
	CHECK_EQ(pin(0xcfe, 2), 0x29c0);
	CHECK_EQ(pin(0xcfd, 1), 0x80);
	CHECK_EQ(pin(0xcff, 1), 0x29);
	CHECK_EQ(pin(0xcfd, 2), 0xc080); /* unaligned word */
	CHECK_EQ(cfg_read32(0, 0x08) >> 8, 0x060000);
	CHECK_EQ(cfg_read32(0, 0x0c) >> 16 & 0x7f, 0); /* header type 0 */

	/* Only dword accesses latch the address. */
	pout(0xcf8, 4, cfg_addr(0, 0, 0, 0x00));
	pout(0xcf8, 1, 0x08);
	pout(0xcfa, 2, 0x1234);
	CHECK_EQ(pin(0xcf8, 4), 0x80000000);
	CHECK_EQ(pin(0xcf8, 1), 0xff);
	CHECK_EQ(pin(0xcfc, 4), 0x29c08086);

	pout(0xcf8, 4, 0x00000000); /* enable bit clear */
	CHECK_EQ(pin(0xcfc, 4), 0xffffffff);
	CHECK_EQ(pin(0xcfe, 2), 0xffff);

	CHECK_EQ(cfg_read32(5, 0), 0xffffffff); /* absent slot */
	pout(0xcf8, 4, cfg_addr(0, 0, 1, 0));	 /* absent function */
	CHECK_EQ(pin(0xcfc, 4), 0xffffffff);
	pout(0xcf8, 4, cfg_addr(1, 0, 0, 0)); /* absent bus */
	CHECK_EQ(pin(0xcfc, 4), 0xffffffff);
	cfg_write32(5, 0x04, 0x7);
	CHECK_EQ(cfg_read32(5, 0x04), 0xffffffff);

	cfg_write32(0, 0x00, 0x12345678); /* IDs are read-only */
	CHECK_EQ(cfg_read32(0, 0x00), 0x29c08086);
	cfg_write32(0, 0x10, 0xffffffff); /* the bridge has no BARs */
	CHECK_EQ(cfg_read32(0, 0x10), 0);
}

static void test_set_bar(struct pci_device *td)
{
	struct pci_device t2;

	pci_device_init(td, 0x1af4, 0x1000, 0x020000, 0x01, &td_ops);
	CHECK_EQ(pci_set_bar(td, 0, PCI_BAR_MEM32, 0x1000, 0), 0);
	CHECK_EQ(pci_set_bar(td, 1, PCI_BAR_IO, 0x20, 0), 0);
	CHECK_EQ(pci_set_bar(td, 2, PCI_BAR_MEM64 | PCI_BAR_PREFETCH,
			     8 * GiB, 0), 0);
	CHECK_EQ(pci_set_bar(td, 3, PCI_BAR_MEM32, 0x1000, 0), -EBUSY);
	CHECK_EQ(pci_set_bar(td, 0, PCI_BAR_MEM32, 0x1000, 0), -EBUSY);
	CHECK_EQ(pci_set_bar(td, 5, PCI_BAR_MEM64, 0x1000, 0), -EINVAL);
	CHECK_EQ(pci_set_bar(td, 4, PCI_BAR_MEM32, 0x3000, 0), -EINVAL);
	CHECK_EQ(pci_set_bar(td, 4, PCI_BAR_IO, 2, 0), -EINVAL);
	CHECK_EQ(pci_set_bar(td, 4, PCI_BAR_MEM32, 0x1000, 0x800), -EINVAL);
	CHECK_EQ(pci_set_bar(td, 6, PCI_BAR_MEM32, 0x1000, 0), -EINVAL);

	pci_device_init(&t2, 0x1af4, 0x1001, 0x010000, 0, NULL);
	CHECK_EQ(pci_set_bar(&t2, 4, PCI_BAR_MEM32, 0x4000, 0xfe000000), 0);
	CHECK_EQ(pci_bar_address(&t2, 4), 0xfe000000);
	CHECK_EQ(pci_cfg_get32(&t2, 0x20), 0xfe000000);
}

static void test_register(struct pci_host *host, struct pci_device *td,
			  struct pci_device *t3)
{
	unsigned int devfn = 99;

	CHECK_EQ(pci_register(host, td, &devfn), 0);
	CHECK_EQ(devfn, PCI_DEVFN(1, 0));
	CHECK_EQ(pci_register(host, td, &devfn), -EEXIST);
	pci_device_init(t3, 0x1af4, 0x1002, 0x078000, 0, NULL);
	CHECK_EQ(pci_set_bar(t3, 0, PCI_BAR_MEM64, 0x4000, 0), 0);
	CHECK_EQ(pci_register(host, t3, &devfn), 0);
	CHECK_EQ(devfn, PCI_DEVFN(2, 0));
	CHECK_EQ(cfg_read32(1, 0x00), 0x10001af4);
	CHECK_EQ(cfg_read32(1, 0x08), 0x02000001);
	CHECK_EQ(cfg_read32(2, 0x00), 0x10021af4);
	CHECK_EQ(cfg_read32(3, 0x00), 0xffffffff);
}

static void test_bar_sizing(struct pci_device *td)
{
	CHECK_EQ(cfg_read32(1, 0x10), 0x00000000);
	CHECK_EQ(cfg_read32(1, 0x14), 0x00000001); /* I/O */
	CHECK_EQ(cfg_read32(1, 0x18), 0x0000000c); /* 64-bit prefetchable */

	cfg_write32(1, 0x10, 0xffffffff);
	CHECK_EQ(cfg_read32(1, 0x10), 0xfffff000);
	cfg_write32(1, 0x14, 0xffffffff);
	CHECK_EQ(cfg_read32(1, 0x14), 0xffffffe1);
	cfg_write32(1, 0x18, 0xffffffff);
	cfg_write32(1, 0x1c, 0xffffffff);
	CHECK_EQ(cfg_read32(1, 0x18), 0x0000000c); /* 8 GiB: low dword fixed */
	CHECK_EQ(cfg_read32(1, 0x1c), 0xfffffffe); /* 8 GiB */
	cfg_write32(2, 0x10, 0xffffffff); /* small 64-bit BAR */
	cfg_write32(2, 0x14, 0xffffffff);
	CHECK_EQ(cfg_read32(2, 0x10), 0xffffc004);
	CHECK_EQ(cfg_read32(2, 0x14), 0xffffffff);
	cfg_write32(1, 0x20, 0xffffffff); /* no BAR 4 */
	CHECK_EQ(cfg_read32(1, 0x20), 0);
	cfg_write32(1, 0x30, 0xfffff800); /* no ROM */
	CHECK_EQ(cfg_read32(1, 0x30), 0);

	cfg_write32(1, 0x10, 0xfebf0123);
	CHECK_EQ(cfg_read32(1, 0x10), 0xfebf0000);
	cfg_write32(1, 0x14, 0xc040);
	CHECK_EQ(cfg_read32(1, 0x14), 0xc041);
	cfg_write32(1, 0x18, 0);
	cfg_write32(1, 0x1c, 0x3); /* bit 32 is below the 8 GiB size */
	CHECK_EQ(cfg_read32(1, 0x1c), 0x2);
	CHECK_EQ(pci_bar_address(td, 0), 0xfebf0000);
	CHECK_EQ(pci_bar_address(td, 1), 0xc040);
	CHECK_EQ(pci_bar_address(td, 2), 0x200000000ULL);
	CHECK_EQ(hooks.moves, 0); /* decoding is off */
}

static void test_bar_moves(void)
{
	cfg_write32(1, 0x04, 0x0003); /* I/O and memory decode on */
	CHECK_EQ(hooks.moves, 3);
	CHECK_EQ(hooks.bar, 2);
	CHECK_EQ(hooks.old_addr, PCI_BAR_UNMAPPED);
	CHECK_EQ(hooks.new_addr, 0x200000000ULL);
	cfg_write32(1, 0x10, 0xfebe0000);
	CHECK_EQ(hooks.moves, 4);
	CHECK_EQ(hooks.bar, 0);
	CHECK_EQ(hooks.old_addr, 0xfebf0000);
	CHECK_EQ(hooks.new_addr, 0xfebe0000);
	cfg_write32(1, 0x10, 0xfebe0000); /* same address: no move */
	CHECK_EQ(hooks.moves, 4);
	pout(0xcf8, 4, cfg_addr(0, 1, 0, 0x04));
	pout(0xcfc, 1, 0x02); /* I/O decode off only */
	CHECK_EQ(hooks.moves, 5);
	CHECK_EQ(hooks.bar, 1);
	CHECK_EQ(hooks.new_addr, PCI_BAR_UNMAPPED);
	cfg_write32(1, 0x04, 0);
	CHECK_EQ(hooks.moves, 7);
}

static void test_masks_and_hooks(void)
{
	int writes = hooks.writes;

	cfg_write32(1, 0x00, 0xffffffff);
	CHECK_EQ(cfg_read32(1, 0x00), 0x10001af4);
	cfg_write32(1, 0x04, 0xffffffff); /* status read-only */
	CHECK_EQ(cfg_read32(1, 0x04), 0x00000407);
	CHECK_EQ(hooks.writes, writes + 2);
	CHECK_EQ(hooks.write_off, 0x04);
	CHECK_EQ(hooks.write_len, 4);
	cfg_write32(1, 0x04, 0);

	pout(0xcf8, 4, cfg_addr(0, 1, 0, 0x0c));
	pout(0xcfd, 2, 0xff40); /* latency timer RW, header type RO */
	CHECK_EQ(hooks.write_off, 0x0d);
	CHECK_EQ(hooks.write_len, 2);
	CHECK_EQ(pin(0xcfc, 4), 0x00004000);
	pout(0xcfc, 1, 0x10); /* cache line size */
	CHECK_EQ(pin(0xcfc, 4), 0x00004010);

	pout(0xcf8, 4, cfg_addr(0, 1, 0, 0x3c));
	pout(0xcfc, 2, 0xff0b); /* line RW, pin RO */
	CHECK_EQ(pin(0xcfc, 2), 0x000b);

	pout(0xcf8, 4, cfg_addr(0, 1, 0, 0x40)); /* live register via hook */
	CHECK_EQ(pin(0xcfc, 1), 1);
	CHECK_EQ(pin(0xcfc, 1), 2);
	CHECK_EQ(pin(0xcfd, 1), 0); /* past the hook's byte */
	cfg_write32(1, 0x40, 0xffffffff);
	CHECK_EQ(cfg_read32(1, 0x40) & 0xffffff00, 0);
}

static uint32_t ecam_read(unsigned int bus, unsigned int devfn,
			  unsigned int reg, uint32_t len)
{
	uint8_t b[4] = {0};

	fbus.ops->read(fbus.opaque, (uint64_t)bus << 20 | devfn << 12 | reg, b,
		       len);
	return len == 1 ? b[0] : len == 2 ? get_le16(b) : get_le32(b);
}

static void ecam_write(unsigned int devfn, unsigned int reg, uint32_t len,
		       uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	fbus.ops->write(fbus.opaque, devfn << 12 | reg, b, len);
}

/* The same configuration space through an ECAM window on vm->mmio. */
static void test_ecam(void)
{
	static struct vm vm;
	static struct pci_device td;
	struct pci_host *host = NULL;
	int moves;

	CHECK_EQ(pci_host_create_ecam(&vm, 0x30000000, 0x80000, &host),
		 -EINVAL); /* not whole buses */
	CHECK_EQ(pci_host_create_ecam(&vm, 0x30000000, 0x100000, &host), 0);
	CHECK(host != NULL);
	CHECK_EQ(fbus.base, 0x30000000);
	CHECK_EQ(fbus.len, 0x100000);
	CHECK_EQ(ecam_read(0, 0, 0x00, 4), 0x00081b36); /* generic bridge */
	CHECK_EQ(ecam_read(0, 0, 0x08, 4) >> 8, 0x060000);
	CHECK_EQ(ecam_read(0, 0, 0x02, 2), 0x0008);
	CHECK_EQ(ecam_read(0, 0, 0x0b, 1), 0x06);
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0x00, 4), 0xffffffff);

	pci_device_init(&td, 0x1af4, 0x1001, 0x010000, 1, &td_ops);
	CHECK_EQ(pci_set_bar(&td, 0, PCI_BAR_MEM32, 0x1000, 0x10000000), 0);
	CHECK_EQ(pci_register(host, &td, NULL), 0);
	CHECK_EQ(td.devfn, PCI_DEVFN(1, 0));
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0x00, 4), 0x10011af4);
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 1), 0x00, 4), 0xffffffff);
	CHECK_EQ(ecam_read(1, PCI_DEVFN(1, 0), 0x00, 4), 0xffffffff);
	/* Misaligned: all-ones; extended space of a present function: 0. */
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0x01, 2), 0xffff);
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0x100, 4), 0);
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0xffc, 4), 0);
	CHECK_EQ(ecam_read(0, PCI_DEVFN(2, 0), 0x100, 4), 0xffffffff);

	/* Sizing and moving the BAR, with decode on: bar_moved fires. */
	moves = hooks.moves;
	ecam_write(PCI_DEVFN(1, 0), 0x10, 4, 0xffffffff);
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0x10, 4), 0xfffff000);
	ecam_write(PCI_DEVFN(1, 0), 0x10, 4, 0x10002000);
	ecam_write(PCI_DEVFN(1, 0), 0x04, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(hooks.moves, moves + 1);
	CHECK_EQ(hooks.new_addr, 0x10002000);
	ecam_write(PCI_DEVFN(1, 0), 0x11, 2, 0x0030); /* misaligned: dropped */
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0x10, 4), 0x10002000);
	ecam_write(PCI_DEVFN(1, 0), 0x3c, 1, 0x24); /* interrupt line */
	CHECK_EQ(ecam_read(0, PCI_DEVFN(1, 0), 0x3c, 1), 0x24);
	ecam_write(0, 0x04, 2, 0); /* the bridge is read-only */
	CHECK_EQ(ecam_read(0, 0, 0x04, 2), PCI_COMMAND_MEMORY |
						PCI_COMMAND_MASTER);
	fdev->ops->destroy(fdev);
}

int main(void)
{
	static struct vm vm;
	static struct pci_device td, t3;
	struct pci_host *host = NULL;

	CHECK_EQ(pci_host_create(&vm, &host), 0);
	CHECK(host != NULL);
	CHECK(fdev != NULL);
	test_mechanism1();
	test_set_bar(&td);
	test_register(host, &td, &t3);
	test_bar_sizing(&td);
	test_bar_moves();
	test_masks_and_hooks();
	fdev->ops->destroy(fdev);
	test_ecam();
	return unit_done("pci");
}
