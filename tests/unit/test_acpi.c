/* test_acpi.c: parses back the guest ACPI tables and drives the ACPI PM ports through fakes. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>

#include "unit.h"
#include "acpi.h"
#include "bus.h"
#include "config.h"
#include "device.h"
#include "devices/acpi_pm.h"
#include "fake_mem.h"
#include "mem.h"
#include "platform.h"
#include "util.h"
#include "vm.h"
#include "x86.h"

/* ---- fakes for the core (vmm/ is not linked for these symbols) ---- */

#define FAKE_MAX_RANGES 8

struct fake_range {
	uint64_t base, len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

static struct fake_range fake_ranges[FAKE_MAX_RANGES];
static unsigned int fake_nr_ranges;
static int fake_fail_at = -1; /* bus_register call index that fails */
static int fake_register_calls;
static struct device *fake_devices[4];
static unsigned int fake_nr_devices;
static int fake_ends;
static enum vm_end fake_end;
static char fake_detail[160];

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	if (fake_register_calls++ == fake_fail_at)
		return -EEXIST;
	if (fake_nr_ranges == FAKE_MAX_RANGES)
		return -ENOMEM;
	fake_ranges[fake_nr_ranges++] =
	    (struct fake_range){base, len, ops, opaque, name};
	return 0;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	for (unsigned int i = 0; i < fake_nr_ranges; i++) {
		if (fake_ranges[i].base != base)
			continue;
		fake_ranges[i] = fake_ranges[--fake_nr_ranges];
		return 0;
	}
	return -ENOENT;
}

void vm_add_device(struct vm *vm, struct device *dev)
{
	if (fake_nr_devices < ARRAY_SIZE(fake_devices))
		fake_devices[fake_nr_devices++] = dev;
}

void vm_request_end(struct vm *vm, enum vm_end end, int code,
		    const char *detail, ...)
{
	va_list ap;

	fake_ends++;
	fake_end = end;
	va_start(ap, detail);
	vsnprintf(fake_detail, sizeof(fake_detail), detail, ap);
	va_end(ap);
}

static void fake_reset(void)
{
	fake_nr_ranges = 0;
	fake_fail_at = -1;
	fake_register_calls = 0;
	fake_nr_devices = 0;
	fake_ends = 0;
	fake_end = VM_RUNNING;
	fake_detail[0] = '\0';
}

static const struct fake_range *fake_find(uint64_t port)
{
	for (unsigned int i = 0; i < fake_nr_ranges; i++)
		if (fake_ranges[i].base == port)
			return &fake_ranges[i];
	return NULL;
}

static void pio_write(uint64_t port, uint8_t v)
{
	const struct fake_range *r = fake_find(port);

	if (r && r->ops->write)
		r->ops->write(r->opaque, 0, &v, 1);
}

static uint8_t pio_read(uint64_t port)
{
	const struct fake_range *r = fake_find(port);
	uint8_t v = 0xee;

	if (r && r->ops->read)
		r->ops->read(r->opaque, 0, &v, 1);
	return v;
}

static void destroy_devices(void)
{
	while (fake_nr_devices) {
		struct device *dev = fake_devices[--fake_nr_devices];

		if (dev->ops && dev->ops->report)
			dev->ops->report(dev);
		if (dev->ops && dev->ops->destroy)
			dev->ops->destroy(dev);
	}
}

/* ---- guest memory: one RAM region covering the first MiB ---- */

#define LOW_MEM (1024 * 1024)

static uint8_t *ram;
static struct guest_mem mem;

static void mem_init(uint64_t size)
{
	memset(ram, 0, LOW_MEM);
	memset(&mem, 0, sizeof(mem));
	mem.regions[0] = (struct mem_region){.gpa = 0, .size = size,
					     .hva = ram};
	mem.nr = 1;
	mem.total = size;
}

static const uint8_t *gpa(uint64_t addr)
{
	return addr < LOW_MEM ? ram + addr : NULL;
}

/* ---- table parsing ---- */

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Checks a table header at addr and returns it (NULL if not sane). */
static const uint8_t *table_at(uint64_t addr, const char *sig)
{
	const uint8_t *t = gpa(addr);
	uint32_t len;

	CHECK(t != NULL);
	if (!t)
		return NULL;
	len = get_le32(t + 4);
	CHECK(memcmp(t, sig, 4) == 0);
	CHECK(len >= 36 && addr + len <= X86_ACPI_ADDR + X86_ACPI_SIZE);
	if (memcmp(t, sig, 4) || len < 36 ||
	    addr + len > X86_ACPI_ADDR + X86_ACPI_SIZE)
		return NULL;
	CHECK_EQ(sum8(t, len), 0);
	CHECK(memcmp(t + 10, "MNVMM ", 6) == 0);
	CHECK(memcmp(t + 16, "MINIVMM ", 8) == 0);
	return t;
}

/* Linux's way: "RSD PTR " on a 16-byte boundary in the BIOS area. */
static uint64_t scan_rsdp(void)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp(ram + a, "RSD PTR ", 8))
			return a;
	return 0;
}

static const uint8_t *xsdt_find(const uint8_t *xsdt, const char *sig)
{
	uint32_t n = (get_le32(xsdt + 4) - 36) / 8;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *t = gpa(get_le64(xsdt + 36 + 8 * i));

		if (t && !memcmp(t, sig, 4))
			return t;
	}
	return NULL;
}

static const uint8_t *check_rsdp_xsdt(uint64_t rsdp_addr)
{
	const uint8_t *r = gpa(rsdp_addr);

	CHECK_EQ(rsdp_addr, X86_ACPI_ADDR);
	CHECK_EQ(scan_rsdp(), rsdp_addr);
	CHECK(memcmp(r, "RSD PTR ", 8) == 0);
	CHECK_EQ(sum8(r, 20), 0);
	CHECK_EQ(sum8(r, 36), 0);
	CHECK_EQ(r[15], 2);
	CHECK_EQ(get_le32(r + 20), 36);
	CHECK(memcmp(r + 9, "MNVMM ", 6) == 0);
	return table_at(get_le64(r + 24), "XSDT");
}

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
	CHECK_EQ(g[0], 1); /* system I/O */
	CHECK_EQ(g[1], 8); /* bit width */
	CHECK_EQ(g[2], 0); /* bit offset */
	CHECK_EQ(g[3], 1); /* byte access */
	CHECK_EQ(get_le64(g + 4), port);
}

static uint64_t check_fadt(const uint8_t *xsdt)
{
	const uint8_t *f = xsdt_find(xsdt, "FACP");
	uint32_t flags;
	uint16_t boot;

	CHECK(f != NULL);
	if (!f)
		return 0;
	f = table_at((uint64_t)(f - ram), "FACP");
	if (!f)
		return 0;
	CHECK_EQ(get_le32(f + 4), 276);
	CHECK_EQ(f[8], 6);
	flags = get_le32(f + 112);
	CHECK(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	CHECK(flags & (1u << 10)); /* RESET_REG_SUP */
	boot = get_le16(f + 109);
	CHECK(!(boot & (1u << 1))); /* no 8042: Linux skips the probe */
	CHECK(boot & (1u << 2));    /* VGA not present */
	CHECK(!(boot & (1u << 3))); /* MSI allowed */
	CHECK(!(boot & (1u << 5))); /* CMOS RTC present */
	check_gas_io8(f + 116, X86_ACPI_RESET_PORT);
	CHECK_EQ(f[128], X86_ACPI_RESET_VALUE);
	check_gas_io8(f + 244, X86_ACPI_SLEEP_CTL_PORT);
	check_gas_io8(f + 256, X86_ACPI_SLEEP_STS_PORT);
	CHECK_EQ(get_le64(f + 132), 0); /* no FACS */
	CHECK_EQ(get_le32(f + 40), get_le64(f + 140));
	return get_le64(f + 140);
}

struct madt_counts {
	unsigned int lapic, ioapic, iso, nmi, other;
};

static void check_madt_entry(const uint8_t *e, unsigned int nr_cpus,
			     struct madt_counts *c)
{
	switch (e[0]) {
	case 0:
		CHECK_EQ(e[1], 8);
		CHECK_EQ(e[2], c->lapic); /* processor UID = index */
		CHECK_EQ(e[3], c->lapic); /* APIC id = index */
		CHECK_EQ(get_le32(e + 4), 1);
		c->lapic++;
		break;
	case 1:
		CHECK_EQ(e[1], 12);
		CHECK_EQ(e[2], nr_cpus);
		CHECK_EQ(get_le32(e + 4), 0xfec00000);
		CHECK_EQ(get_le32(e + 8), 0);
		c->ioapic++;
		break;
	case 2:
		c->iso++;
		break;
	case 4:
		CHECK_EQ(e[1], 6);
		CHECK_EQ(e[2], 0xff);
		CHECK_EQ(e[5], 1); /* LINT1 */
		c->nmi++;
		break;
	default:
		c->other++;
	}
}

static void check_madt(const uint8_t *xsdt, unsigned int nr_cpus)
{
	const uint8_t *m = xsdt_find(xsdt, "APIC");
	struct madt_counts c = {0};
	uint32_t len, off;

	CHECK(m != NULL);
	if (!m || !table_at((uint64_t)(m - ram), "APIC"))
		return;
	len = get_le32(m + 4);
	CHECK_EQ(len, 44 + 8 * nr_cpus + 12 + 6);
	CHECK_EQ(get_le32(m + 36), 0xfee00000);
	CHECK_EQ(get_le32(m + 40), 1); /* PCAT_COMPAT */
	for (off = 44; off + 2 <= len && m[off + 1] >= 2; off += m[off + 1])
		check_madt_entry(m + off, nr_cpus, &c);
	CHECK_EQ(off, len); /* entries tile the table exactly */
	CHECK_EQ(c.lapic, nr_cpus);
	CHECK_EQ(c.ioapic, 1);
	CHECK_EQ(c.iso, 0); /* ISA IRQ n = GSI n, as KVM routes them */
	CHECK_EQ(c.nmi, 1);
	CHECK_EQ(c.other, 0);
}

/* ---- a small AML reader, independent of the writer ---- */

struct rd {
	const uint8_t *p;
	size_t pos, end;
	bool bad;
};

static uint8_t rd_u8(struct rd *r)
{
	if (r->pos >= r->end) {
		r->bad = true;
		return 0;
	}
	return r->p[r->pos++];
}

/* Returns the end offset of the package whose PkgLength starts here. */
static size_t rd_pkg_end(struct rd *r)
{
	size_t start = r->pos;
	uint8_t lead = rd_u8(r);
	unsigned int extra = lead >> 6;
	size_t len = extra ? (lead & 0x0f) : (lead & 0x3f);

	for (unsigned int i = 0; i < extra; i++)
		len |= (size_t)rd_u8(r) << (4 + 8 * i);
	if (start + len > r->end)
		r->bad = true;
	return r->bad ? r->end : start + len;
}

static uint64_t rd_integer(struct rd *r)
{
	uint8_t op = rd_u8(r);
	unsigned int n = op == 0x0a   ? 1
			 : op == 0x0b ? 2
			 : op == 0x0c ? 4
			 : op == 0x0e ? 8
				      : 0;
	uint64_t v = 0;

	if (op == 0x00 || op == 0x01)
		return op;
	if (!n)
		r->bad = true;
	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)rd_u8(r) << (8 * i);
	return v;
}

static void rd_nameseg(struct rd *r, char out[5])
{
	for (int i = 0; i < 4; i++)
		out[i] = (char)rd_u8(r);
	out[4] = '\0';
}

#define PRT_MAX 128

struct dev_info {
	char name[5];
	uint32_t hid;
	char hid_str[16]; /* _HID as a string (virtio-mmio: "LNRO0005") */
	int64_t uid, seg, bbn, adr; /* -1: absent */
	uint8_t crs[160];
	size_t crs_len;
	uint64_t prt[PRT_MAX][4]; /* address, pin, source, source index */
	unsigned int nr_prt;
	bool has_prt;
};

struct dsdt_info {
	uint64_t s5[8];
	unsigned int s5_count;
	char scope[6];
	struct dev_info devs[12];
	unsigned int nr_devs;
};

/* One _PRT entry: Package(4) { address, pin, Zero, GSI }. */
static void rd_prt_entry(struct rd *r, uint64_t e[4])
{
	size_t end;

	if (rd_u8(r) != 0x12) { /* PackageOp */
		r->bad = true;
		return;
	}
	end = rd_pkg_end(r);
	CHECK_EQ(rd_u8(r), 4); /* NumElements */
	e[0] = rd_integer(r);
	e[1] = rd_integer(r);
	CHECK_EQ(r->pos < r->end ? r->p[r->pos] : 0xff, 0x00); /* ZeroOp */
	e[2] = rd_integer(r);
	e[3] = rd_integer(r);
	CHECK_EQ(r->pos, end);
	if (!r->bad)
		r->pos = end;
}

static void rd_prt(struct rd *r, struct dev_info *d)
{
	size_t end;
	unsigned int n;

	if (rd_u8(r) != 0x12) { /* PackageOp: fewer than 256 entries */
		r->bad = true;
		return;
	}
	end = rd_pkg_end(r);
	n = rd_u8(r);
	if (n > PRT_MAX) {
		r->bad = true;
		return;
	}
	for (d->nr_prt = 0; d->nr_prt < n && !r->bad; d->nr_prt++)
		rd_prt_entry(r, d->prt[d->nr_prt]);
	d->has_prt = true;
	CHECK_EQ(r->pos, end);
}

/* Name(NAME, object) inside a Device: integer, Buffer or _PRT Package. */
static void rd_dev_name(struct rd *r, struct dev_info *d)
{
	char name[5];

	rd_nameseg(r, name);
	if (!strcmp(name, "_PRT")) {
		rd_prt(r, d);
	} else if (r->pos < r->end && r->p[r->pos] == 0x11) { /* BufferOp */
		size_t end, size;

		r->pos++;
		end = rd_pkg_end(r);
		size = (size_t)rd_integer(r);
		CHECK_EQ(size, end - r->pos);
		CHECK(!strcmp(name, "_CRS"));
		if (size > sizeof(d->crs) || end - r->pos != size) {
			r->bad = true;
			return;
		}
		memcpy(d->crs, r->p + r->pos, size);
		d->crs_len = size;
		r->pos = end;
	} else if (!strcmp(name, "_HID") && r->p[r->pos] == 0x0d) {
		size_t n = 0;

		r->pos++; /* StringPrefix: ASCII up to a NUL */
		while (r->pos < r->end && r->p[r->pos] &&
		       n + 1 < sizeof(d->hid_str))
			d->hid_str[n++] = (char)r->p[r->pos++];
		if (r->pos >= r->end || r->p[r->pos]) {
			r->bad = true;
			return;
		}
		r->pos++;
	} else if (!strcmp(name, "_HID")) {
		CHECK_EQ(r->p[r->pos], 0x0c); /* EISAID is a DWordConst */
		d->hid = (uint32_t)rd_integer(r);
	} else if (!strcmp(name, "_UID")) {
		d->uid = (int64_t)rd_integer(r);
	} else if (!strcmp(name, "_SEG")) {
		d->seg = (int64_t)rd_integer(r);
	} else if (!strcmp(name, "_BBN")) {
		d->bbn = (int64_t)rd_integer(r);
	} else if (!strcmp(name, "_ADR")) {
		d->adr = (int64_t)rd_integer(r);
	} else {
		r->bad = true;
	}
}

static void rd_device(struct rd *r, struct dsdt_info *info)
{
	size_t end = rd_pkg_end(r), saved = r->end;
	struct dev_info *d;

	if (info->nr_devs == ARRAY_SIZE(info->devs)) {
		r->bad = true;
		return;
	}
	d = &info->devs[info->nr_devs++];
	d->uid = d->seg = d->bbn = d->adr = -1;
	r->end = end;
	rd_nameseg(r, d->name);
	while (!r->bad && r->pos < end) {
		if (rd_u8(r) != 0x08) {
			r->bad = true;
			break;
		}
		rd_dev_name(r, d);
	}
	r->end = saved;
}

static void rd_scope(struct rd *r, struct dsdt_info *info)
{
	size_t end = rd_pkg_end(r), saved = r->end;

	r->end = end;
	info->scope[0] = (char)rd_u8(r);
	rd_nameseg(r, info->scope + 1);
	while (!r->bad && r->pos < end) {
		if (rd_u8(r) != 0x5b || rd_u8(r) != 0x82) {
			r->bad = true;
			break;
		}
		rd_device(r, info);
	}
	r->end = saved;
}

static void rd_s5(struct rd *r, struct dsdt_info *info)
{
	size_t end;
	unsigned int n;

	if (rd_u8(r) != 0x12) { /* PackageOp */
		r->bad = true;
		return;
	}
	end = rd_pkg_end(r);
	n = rd_u8(r);
	CHECK(n <= ARRAY_SIZE(info->s5));
	for (info->s5_count = 0; info->s5_count < n && !r->bad &&
				 info->s5_count < ARRAY_SIZE(info->s5);)
		info->s5[info->s5_count++] = rd_integer(r);
	CHECK_EQ(r->pos, end);
	r->pos = end;
}

static void rd_dsdt(const uint8_t *aml, size_t len, struct dsdt_info *info)
{
	struct rd r = {aml, 0, len, false};
	char name[5];

	memset(info, 0, sizeof(*info));
	while (!r.bad && r.pos < r.end) {
		uint8_t op = rd_u8(&r);

		if (op == 0x08) {
			rd_nameseg(&r, name);
			CHECK(!strcmp(name, "_S5_"));
			rd_s5(&r, info);
		} else if (op == 0x10) {
			rd_scope(&r, info);
		} else {
			r.bad = true;
		}
	}
	CHECK(!r.bad);
	CHECK_EQ(r.pos, len);
}

static const struct dev_info *find_dev(const struct dsdt_info *info,
				       const char *name)
{
	for (unsigned int i = 0; i < info->nr_devs; i++)
		if (!strcmp(info->devs[i].name, name))
			return &info->devs[i];
	return NULL;
}

/* ---- resource templates, decoded by descriptor type (ACPI 6.4) ---- */

#define RES_IO	  0x40 /* small type 8, length bits stripped */
#define RES_END	  0x78 /* small type 15 */
#define RES_WORD  0x88
#define RES_DWORD 0x87
#define RES_QWORD 0x8a
#define RES_MAX	  8

/* An IO descriptor uses flags (decode), min, max, gra (alignment), len. */
struct res_desc {
	uint8_t tag, type, flags, type_flags;
	uint64_t gra, min, max, tra, len;
};

static uint64_t le_n(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static bool res_io(const uint8_t *b, size_t n, struct res_desc *d)
{
	if (n != 7)
		return false;
	d->flags = b[0];
	d->min = le_n(b + 1, 2);
	d->max = le_n(b + 3, 2);
	d->gra = b[5];
	d->len = b[6];
	return true;
}

/* Word, DWord and QWord address space descriptors share one layout. */
static bool res_addr(const uint8_t *b, size_t n, struct res_desc *d)
{
	unsigned int w = d->tag == RES_WORD ? 2 : d->tag == RES_DWORD ? 4 : 8;

	if (n != 3 + 5 * w)
		return false;
	d->type = b[0];
	d->flags = b[1];
	d->type_flags = b[2];
	d->gra = le_n(b + 3, w);
	d->min = le_n(b + 3 + w, w);
	d->max = le_n(b + 3 + 2 * w, w);
	d->tra = le_n(b + 3 + 3 * w, w);
	d->len = le_n(b + 3 + 4 * w, w);
	return true;
}

static bool res_body(const uint8_t *b, size_t n, struct res_desc *d)
{
	switch (d->tag) {
	case RES_IO:
		return res_io(b, n, d);
	case RES_WORD:
	case RES_DWORD:
	case RES_QWORD:
		return res_addr(b, n, d);
	default:
		return false;
	}
}

/* Decodes the template up to its end tag; returns the descriptor count,
 * or -1 on anything malformed or unknown. */
static int res_decode(const uint8_t *p, size_t len, struct res_desc *out)
{
	size_t pos = 0, n;
	int count = 0;

	while (pos < len && count < RES_MAX) {
		struct res_desc *d = &out[count];
		const uint8_t *b;

		memset(d, 0, sizeof(*d));
		if (p[pos] & 0x80) { /* large: tag, 16-bit length */
			if (pos + 3 > len)
				return -1;
			d->tag = p[pos];
			n = le_n(p + pos + 1, 2);
			b = p + pos + 3;
		} else {
			d->tag = p[pos] & 0x78;
			n = p[pos] & 0x07;
			b = p + pos + 1;
		}
		pos = (size_t)(b - p) + n;
		if (pos > len)
			return -1;
		if (d->tag == RES_END)
			return n == 1 && b[0] == 0 && pos == len ? count : -1;
		if (!res_body(b, n, d))
			return -1;
		count++;
	}
	return -1;
}

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

/* Neither memory window may touch RAM, the APICs or KVM's pages, for the
 * largest RAM we accept; no RAM bank may end up inside them either. */
static void check_windows_free(uint64_t base, uint64_t len)
{
	struct e820_entry tbl[E820_MAX];
	struct guest_mem m;
	int n;

	CHECK(!overlaps(base, len, 0xfec00000, 0x1000)); /* IOAPIC */
	CHECK(!overlaps(base, len, 0xfee00000, 0x1000)); /* LAPIC */
	CHECK(!overlaps(base, len, 0xfeffc000, 0x4000)); /* idmap + TSS */
	for (uint64_t sz = 1ULL << 30; sz <= CONFIG_MAX_MEM; sz <<= 1) {
		fake_mem_layout(&m, sz, false);
		n = x86_build_e820(&m, tbl, E820_MAX);
		CHECK(n > 0);
		for (int i = 0; i < n; i++)
			CHECK(!overlaps(base, len, tbl[i].addr, tbl[i].size));
	}
}

/* What PCI0's _CRS must say, in order (see arch/x86/acpi.h). */
static const struct res_desc pci0_crs[] = {
    /* WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
     * 0, 0, 0, 0, 1) */
    {RES_WORD, 2, 0x0c, 0x00, 0, 0, 0, 0, 1},
    /* IO (Decode16, 0x0cf8, 0x0cf8, 1, 8) */
    {RES_IO, 0, 0x01, 0, 1, 0xcf8, 0xcf8, 0, 8},
    /* WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode,
     * EntireRange, ...) below and above the config ports */
    {RES_WORD, 1, 0x0c, 0x03, 0, 0x0000, 0x0cf7, 0, 0x0cf8},
    {RES_WORD, 1, 0x0c, 0x03, 0, 0x0d00, 0xffff, 0, 0xf300},
    /* DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
     * NonCacheable, ReadWrite, ...) */
    {RES_DWORD, 0, 0x0c, 0x01, 0, 0xc0000000, 0xdfffffff, 0, 0x20000000},
    /* QWordMemory (same flags): 64 GiB from 1 TiB + 4 GiB */
    {RES_QWORD, 0, 0x0c, 0x01, 0, 0x10100000000, 0x110ffffffff, 0,
     0x1000000000},
};

static void check_pci0_crs(const struct dev_info *pci0)
{
	struct res_desc got[RES_MAX];
	int n = res_decode(pci0->crs, pci0->crs_len, got);

	CHECK_EQ(n, ARRAY_SIZE(pci0_crs));
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(pci0_crs); i++) {
		const struct res_desc *w = &pci0_crs[i];

		CHECK_EQ(got[i].tag, w->tag);
		CHECK_EQ(got[i].type, w->type);
		CHECK_EQ(got[i].flags, w->flags);
		CHECK_EQ(got[i].type_flags, w->type_flags);
		CHECK_EQ(got[i].gra, w->gra);
		CHECK_EQ(got[i].min, w->min);
		CHECK_EQ(got[i].max, w->max);
		CHECK_EQ(got[i].tra, w->tra);
		CHECK_EQ(got[i].len, w->len);
		if (w->tag != RES_IO) /* fixed windows: _LEN spans them */
			CHECK_EQ(got[i].max - got[i].min + 1, got[i].len);
	}
	/* The config ports and the two I/O windows tile the 64 KiB exactly. */
	CHECK_EQ(pci0_crs[2].max + 1, pci0_crs[1].min);
	CHECK_EQ(pci0_crs[1].min + pci0_crs[1].len, pci0_crs[3].min);
	/* The header's numbers are the ones the guest sees. */
	CHECK_EQ(pci0_crs[4].min, X86_PCI_MMIO32_BASE);
	CHECK_EQ(pci0_crs[4].len, X86_PCI_MMIO32_SIZE);
	CHECK_EQ(pci0_crs[5].min, X86_PCI_MMIO64_BASE);
	CHECK_EQ(pci0_crs[5].len, X86_PCI_MMIO64_SIZE);
	CHECK(X86_PCI_MMIO64_BASE >
	      X86_MMIO_HOLE_END + CONFIG_MAX_MEM - X86_MMIO_HOLE);
	check_windows_free(X86_PCI_MMIO32_BASE, X86_PCI_MMIO32_SIZE);
	check_windows_free(X86_PCI_MMIO64_BASE, X86_PCI_MMIO64_SIZE);
}

/* Slots 1-31 in order, INTA-INTD each, straight to GSI 16 + (s + p) % 8. */
static void check_pci0_prt(const struct dev_info *pci0)
{
	unsigned int i = 0;

	CHECK(pci0->has_prt);
	CHECK_EQ(pci0->nr_prt, 124);
	for (unsigned int slot = 1; slot < 32; slot++) {
		for (unsigned int pin = 0; pin < 4; pin++, i++) {
			const uint64_t *e = pci0->prt[i];

			if (i >= pci0->nr_prt)
				return;
			CHECK_EQ(e[0], (uint64_t)slot << 16 | 0xffff);
			CHECK_EQ(e[1], pin);
			CHECK_EQ(e[2], 0);
			CHECK_EQ(e[3], 16 + (slot + pin) % 8);
			CHECK_EQ(e[3], x86_pci_intx_gsi(slot, pin));
		}
	}
}

static void check_pci0(const struct dev_info *pci0)
{
	CHECK(pci0 != NULL);
	if (!pci0)
		return;
	CHECK_EQ(pci0->hid, 0x030ad041); /* EISAID("PNP0A03") */
	CHECK_EQ(pci0->uid, 0);
	CHECK_EQ(pci0->seg, 0);
	CHECK_EQ(pci0->bbn, 0);
	CHECK_EQ(pci0->adr, 0);
	check_pci0_crs(pci0);
	check_pci0_prt(pci0);
}

/* With $env=file set, the DSDT goes there (for iasl -d). */
static void dump_dsdt(const uint8_t *d, const char *env)
{
	const char *path = getenv(env);
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(fwrite(d, 1, get_le32(d + 4), f), get_le32(d + 4));
	CHECK_EQ(fclose(f), 0);
}

static void check_dsdt(uint64_t addr)
{
	static const uint8_t s5_aml[] = {0x08, '_',  'S',  '5',	 '_',
					 0x12, 0x08, 0x04, 0x0a, 0x05,
					 0x0a, 0x05, 0x00, 0x00};
	static const uint8_t com1_crs[] = {0x47, 0x01, 0xf8, 0x03, 0xf8,
					   0x03, 0x01, 0x08, 0x22, 0x10,
					   0x00, 0x79, 0x00};
	static const uint8_t rtc_crs[] = {0x47, 0x01, 0x70, 0x00, 0x70,
					  0x00, 0x01, 0x02, 0x22, 0x00,
					  0x01, 0x79, 0x00};
	const uint8_t *d = table_at(addr, "DSDT");
	const struct dev_info *com1, *rtc;
	struct dsdt_info info;

	if (!d)
		return;
	CHECK_EQ(d[8], 2);
	/* Hand-assembled: Name(_S5_, Package(){5, 5, Zero, Zero}) comes first.
	 */
	CHECK(memcmp(d + 36, s5_aml, sizeof(s5_aml)) == 0);
	rd_dsdt(d + 36, get_le32(d + 4) - 36, &info);
	CHECK_EQ(info.s5_count, 4);
	CHECK_EQ(info.s5[0], X86_ACPI_S5_SLP_TYP);
	CHECK_EQ(info.s5[1], X86_ACPI_S5_SLP_TYP);
	CHECK_EQ(info.s5[2], 0);
	CHECK_EQ(info.s5[3], 0);
	CHECK(!strcmp(info.scope, "\\_SB_"));
	CHECK_EQ(info.nr_devs, 3);
	dump_dsdt(d, "ACPI_DUMP_DSDT");
	check_pci0(find_dev(&info, "PCI0"));
	com1 = find_dev(&info, "COM1");
	rtc = find_dev(&info, "RTC_");
	CHECK(com1 && rtc);
	if (!com1 || !rtc)
		return;
	CHECK_EQ(com1->hid, 0x0105d041); /* EISAID("PNP0501") */
	CHECK_EQ(com1->uid, 0);
	CHECK_EQ(com1->crs_len, sizeof(com1_crs));
	CHECK(!memcmp(com1->crs, com1_crs, sizeof(com1_crs)));
	CHECK_EQ(rtc->hid, 0x000bd041); /* EISAID("PNP0B00") */
	CHECK_EQ(rtc->crs_len, sizeof(rtc_crs));
	CHECK(!memcmp(rtc->crs, rtc_crs, sizeof(rtc_crs)));
}

static void test_tables(unsigned int nr_cpus)
{
	uint64_t rsdp = 0, dsdt;
	const uint8_t *xsdt;

	mem_init(LOW_MEM);
	CHECK_EQ(x86_write_acpi(&mem, nr_cpus, NULL, &rsdp), 0);
	xsdt = check_rsdp_xsdt(rsdp);
	CHECK(xsdt != NULL);
	if (!xsdt)
		return;
	CHECK_EQ(get_le32(xsdt + 4), 36 + 2 * 8);
	dsdt = check_fadt(xsdt);
	check_madt(xsdt, nr_cpus);
	check_dsdt(dsdt);
	/* Nothing written at or past 0xf0000. */
	for (uint64_t a = 0xf0000; a < LOW_MEM; a++)
		if (ram[a]) {
			CHECK(!"write outside the ACPI area");
			break;
		}
}

/* Two virtio-mmio devices: VR00 and VR01 after PCI0, each with its
 * Memory32Fixed window and a level, active-high, exclusive Interrupt. */
static void test_platform_devices(void)
{
	struct platform_dev p1 = {PLATFORM_VIRTIO_MMIO, 0xe0001000, 0x1000, 6, 1,
				  NULL};
	struct platform_dev p0 = {PLATFORM_VIRTIO_MMIO, 0xe0000000, 0x1000, 5, 0,
				  &p1};
	const struct platform_dev *want[2] = {&p0, &p1};
	uint64_t rsdp = 0, dsdt;
	const uint8_t *xsdt, *d;
	struct dsdt_info info;

	mem_init(LOW_MEM);
	CHECK_EQ(x86_write_acpi(&mem, 2, &p0, &rsdp), 0);
	xsdt = check_rsdp_xsdt(rsdp);
	if (!xsdt)
		return;
	dsdt = check_fadt(xsdt);
	d = table_at(dsdt, "DSDT");
	if (!d)
		return;
	rd_dsdt(d + 36, get_le32(d + 4) - 36, &info);
	CHECK_EQ(info.nr_devs, 5);
	dump_dsdt(d, "ACPI_DUMP_DSDT_PLATFORM");
	for (unsigned int i = 0; i < 2; i++) {
		const struct dev_info *v = find_dev(&info, i ? "VR01" : "VR00");
		uint8_t crs[] = {
		    0x86, 0x09, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x10, 0x00, 0x00,
		    0x89, 0x06, 0x00, 0x01, 0x01, 0, 0, 0, 0, 0x79, 0x00};

		put_le32(crs + 4, (uint32_t)want[i]->base);
		put_le32(crs + 17, want[i]->gsi);
		CHECK(v != NULL);
		if (!v)
			continue;
		CHECK_STR(v->hid_str, "LNRO0005");
		CHECK_EQ(v->uid, i);
		CHECK_EQ(v->crs_len, sizeof(crs));
		CHECK(!memcmp(v->crs, crs, sizeof(crs)));
	}
	/* The platform window is outside PCI0's and free of RAM. */
	CHECK(X86_PLATFORM_MMIO_BASE >= X86_PCI_MMIO32_BASE + X86_PCI_MMIO32_SIZE);
	check_windows_free(X86_PLATFORM_MMIO_BASE,
			   X86_PLATFORM_MMIO_END - X86_PLATFORM_MMIO_BASE);
}

static void test_intx_gsi(void)
{
	unsigned int used[8] = {0};

	CHECK_EQ(x86_pci_intx_gsi(1, 0), 17);
	CHECK_EQ(x86_pci_intx_gsi(1, 3), 20);
	CHECK_EQ(x86_pci_intx_gsi(7, 1), 16);
	CHECK_EQ(x86_pci_intx_gsi(31, 3), 18);
	for (unsigned int slot = 0; slot < 32; slot++) {
		for (unsigned int pin = 0; pin < 4; pin++) {
			unsigned int gsi = x86_pci_intx_gsi(slot, pin);

			CHECK(gsi >= 16 && gsi <= 23); /* KVM: 24 pins */
			CHECK_EQ(gsi, 16 + (slot + pin) % 8);
			if (gsi >= 16 && gsi <= 23 && slot)
				used[gsi - 16]++;
			/* INTA of neighbours differ: no two adjacent
			 * single-function devices share a line. */
			if (slot)
				CHECK(gsi != x86_pci_intx_gsi(slot - 1, pin));
		}
	}
	for (unsigned int i = 0; i < 8; i++) /* 124 entries over 8 pins */
		CHECK(used[i] == 15 || used[i] == 16);
}

static void test_table_errors(void)
{
	uint64_t rsdp = 0x1234;

	mem_init(LOW_MEM);
	CHECK_EQ(x86_write_acpi(&mem, 0, NULL, &rsdp), -EINVAL);
	CHECK_EQ(x86_write_acpi(&mem, 255, NULL, &rsdp), -EINVAL);
	mem_init(0xa0000); /* no RAM behind the BIOS area */
	CHECK_EQ(x86_write_acpi(&mem, 1, NULL, &rsdp), -EFAULT);
	CHECK_EQ(rsdp, 0x1234);
}

static size_t decode_pkglen(const uint8_t *b, size_t n)
{
	size_t len = n > 1 ? (b[0] & 0x0f) : (b[0] & 0x3f);

	CHECK_EQ(b[0] >> 6, n - 1);
	for (size_t i = 1; i < n; i++)
		len |= (size_t)b[i] << (4 + 8 * (i - 1));
	return len;
}

static void test_pkglen(void)
{
	static const struct {
		size_t content, bytes;
	} cases[] = {
	    {0, 1},	    {62, 1},	    {63, 2},	  {64, 2},
	    {4093, 2},	    {4094, 3},	    {0xffffc, 3}, {0xffffd, 4},
	    {0xffffffb, 4}, {0xffffffc, 0},
	};
	uint8_t b[4];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = acpi_aml_pkglen(cases[i].content, b);

		CHECK_EQ(n, cases[i].bytes);
		if (n)
			CHECK_EQ(decode_pkglen(b, n), cases[i].content + n);
	}
	/* Spec example shape: 2-byte form of 65 is 0x41 0x04. */
	CHECK_EQ(acpi_aml_pkglen(63, b), 2);
	CHECK_EQ(b[0], 0x41);
	CHECK_EQ(b[1], 0x04);
}

/* ---- acpi_pm ---- */

#define CTL X86_ACPI_SLEEP_CTL_PORT
#define STS X86_ACPI_SLEEP_STS_PORT
#define RST X86_ACPI_RESET_PORT

static struct vm test_vm;

static int pm_setup(void)
{
	fake_reset();
	return acpi_pm_create(&test_vm, CTL, STS, RST, X86_ACPI_S5_SLP_TYP,
			      X86_ACPI_RESET_VALUE);
}

static uint8_t slp(unsigned int typ, bool en)
{
	return (uint8_t)(typ << 2 | (en ? 0x20 : 0));
}

static void test_pm_registration(void)
{
	CHECK_EQ(pm_setup(), 0);
	CHECK_EQ(fake_nr_ranges, 3);
	CHECK_EQ(fake_nr_devices, 1);
	for (unsigned int i = 0; i < fake_nr_ranges; i++)
		CHECK_EQ(fake_ranges[i].len, 1);
	CHECK(fake_find(CTL) && fake_find(STS) && fake_find(RST));
	CHECK_EQ(pio_read(CTL), 0);
	CHECK_EQ(pio_read(STS), 0); /* WAK_STS never set */
	CHECK_EQ(pio_read(RST), 0);
	destroy_devices();
}

static void test_pm_sleep(void)
{
	CHECK_EQ(pm_setup(), 0);
	pio_write(STS, 0x80); /* Linux clears WAK_STS first */
	pio_write(CTL, slp(X86_ACPI_S5_SLP_TYP, false)); /* no SLP_EN */
	CHECK_EQ(fake_ends, 0);
	pio_write(CTL, slp(1, true)); /* S1-ish: refused, guest goes on */
	pio_write(CTL, slp(3, true));
	pio_write(CTL, slp(0, true));
	CHECK_EQ(fake_ends, 0);
	pio_write(CTL, slp(X86_ACPI_S5_SLP_TYP, true));
	CHECK_EQ(fake_ends, 1);
	CHECK_EQ(fake_end, VM_END_POWEROFF);
	CHECK(strstr(fake_detail, "S5") != NULL);
	CHECK_EQ(pio_read(STS), 0); /* the post-S5 poll keeps spinning */
	destroy_devices();
}

static void test_pm_reset(void)
{
	CHECK_EQ(pm_setup(), 0);
	pio_write(RST, 0x00);
	pio_write(RST, 0x06);
	pio_write(RST, 0xfe);
	CHECK_EQ(fake_ends, 0);
	pio_write(RST, X86_ACPI_RESET_VALUE);
	CHECK_EQ(fake_ends, 1);
	CHECK_EQ(fake_end, VM_END_RESET);
	CHECK(strstr(fake_detail, "reset") != NULL);
	/* The reset value on the sleep ports means nothing. */
	fake_ends = 0;
	pio_write(STS, X86_ACPI_RESET_VALUE);
	pio_write(CTL, X86_ACPI_RESET_VALUE);
	CHECK_EQ(fake_ends, 0);
	destroy_devices();
}

static void test_pm_errors(void)
{
	fake_reset();
	CHECK_EQ(acpi_pm_create(&test_vm, CTL, CTL, RST, 5, 1), -EINVAL);
	CHECK_EQ(acpi_pm_create(&test_vm, CTL, STS, STS, 5, 1), -EINVAL);
	CHECK_EQ(acpi_pm_create(&test_vm, CTL, STS, RST, 8, 1), -EINVAL);
	CHECK_EQ(fake_nr_ranges, 0);
	fake_reset();
	fake_fail_at = 2; /* the reset port collides */
	CHECK_EQ(acpi_pm_create(&test_vm, CTL, STS, RST, 5, 1), -EEXIST);
	CHECK_EQ(fake_nr_ranges, 0); /* the first two were undone */
	CHECK_EQ(fake_nr_devices, 0);
}

int main(void)
{
	ram = calloc(1, LOW_MEM);
	if (!ram)
		return 1;
	test_tables(1);
	test_tables(4);
	test_tables(X86_ACPI_MAX_CPUS);
	test_table_errors();
	test_platform_devices();
	test_intx_gsi();
	test_pkglen();
	test_pm_registration();
	test_pm_sleep();
	test_pm_reset();
	test_pm_errors();
	free(ram);
	return unit_done("acpi");
}
