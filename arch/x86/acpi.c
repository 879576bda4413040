/* acpi.c: builds the guest's hardware-reduced ACPI tables (RSDP, XSDT, FADT, MADT, DSDT). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "config.h"
#include "devices/pci.h"
#include "log.h"
#include "platform.h"
#include "util.h"
#include "x86.h"

/* Identity shared by every table header (and the RSDP's OEM id). */
#define ACPI_OEM_ID	      "MNVMM "	 /* 6 bytes */
#define ACPI_OEM_TABLE_ID     "MINIVMM " /* 8 bytes */
#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_ID	      "MNVM" /* 4 bytes */
#define ACPI_CREATOR_REVISION 1
#define ACPI_HYPERVISOR_ID    "MINIVMM " /* FADT 6.0+, 8 bytes */

/* System description table header (ACPI 6.5, 5.2.6). */
#define ACPI_HDR_LEN	  36
#define ACPI_HDR_CHECKSUM 9

/* RSDP (5.2.5.3). */
#define RSDP_LEN       36
#define RSDP_V1_LEN    20 /* the part the first checksum covers */
#define RSDP_CHECKSUM  8
#define RSDP_OEM_ID    9
#define RSDP_REVISION  15
#define RSDP_LENGTH    20
#define RSDP_XSDT      24
#define RSDP_XCHECKSUM 32

/* XSDT (5.2.8): the header, then 64-bit table addresses. */
#define XSDT_ENTRIES 2 /* FADT, MADT; the DSDT hangs off the FADT */

/* FADT (5.2.9), revision 6, offsets of the fields we fill. */
#define FADT_LEN	       276
#define FADT_REVISION	       6
#define FADT_MINOR_VERSION     5
#define FADT_DSDT	       40
#define FADT_IAPC_BOOT_ARCH    109
#define FADT_FLAGS	       112
#define FADT_RESET_REG	       116
#define FADT_RESET_VALUE       128
#define FADT_MINOR	       131
#define FADT_X_DSDT	       140
#define FADT_SLEEP_CONTROL_REG 244
#define FADT_SLEEP_STATUS_REG  256
#define FADT_HYPERVISOR_ID     268

/* FADT flags (table 5.10). */
#define FADT_F_WBINVD	       (1u << 0)
#define FADT_F_PROC_C1	       (1u << 2)
#define FADT_F_PWR_BUTTON      (1u << 4) /* no fixed-feature power button */
#define FADT_F_SLP_BUTTON      (1u << 5) /* no fixed-feature sleep button */
#define FADT_F_RESET_REG_SUP   (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

/* IA-PC boot architecture flags (table 5.11). Clear "8042" bit 1: Linux
 * then skips the i8042 probe. CMOS RTC stays (bit 5 clear), MSI allowed. */
#define IAPC_VGA_NOT_PRESENT (1u << 2)

/* Generic Address Structure (5.2.3.2). */
#define GAS_LEN		    12
#define GAS_SPACE_SYSTEM_IO 1
#define GAS_ACCESS_BYTE	    1

/* MADT (5.2.12). */
#define MADT_REVISION	    5
#define MADT_LAPIC_ADDR	    36
#define MADT_FLAGS	    40
#define MADT_ENTRIES	    44
#define MADT_PCAT_COMPAT    (1u << 0)
#define MADT_LAPIC	    0
#define MADT_LAPIC_LEN	    8
#define MADT_LAPIC_ENABLED  (1u << 0)
#define MADT_IOAPIC	    1
#define MADT_IOAPIC_LEN	    12
#define MADT_LAPIC_NMI	    4
#define MADT_LAPIC_NMI_LEN  6
#define MADT_ALL_PROCESSORS 0xff

/* DSDT; revision 2 means 64-bit AML integers. */
#define DSDT_REVISION 2
#define DSDT_AML_MAX  8192

/* AML opcodes (20.3). */
#define AML_ZERO_OP	  0x00
#define AML_STRING_PREFIX 0x0d
#define AML_ONE_OP	  0x01
#define AML_NAME_OP	  0x08
#define AML_BYTE_PREFIX	  0x0a
#define AML_WORD_PREFIX	  0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE_OP	  0x10
#define AML_BUFFER_OP	  0x11
#define AML_PACKAGE_OP	  0x12
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP	  0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR	  '\\'

/* Small resource descriptors (6.4.2). */
#define RES_IRQ_NOFLAGS 0x22 /* type 4, length 2 */
#define RES_IO		0x47 /* type 8, length 7 */
#define RES_IO_DECODE16 0x01
#define RES_END_TAG	0x79 /* type 15, length 1 */

/* Large resource descriptors (6.4.3): Memory32Fixed, Extended Interrupt. */
#define RES_MEM32_FIXED	    0x86
#define RES_MEM32_FIXED_LEN 9
#define RES_EXT_IRQ	    0x89
#define RES_EXT_IRQ_LEN	    6	 /* one interrupt number */
#define RES_MEM_READWRITE   0x01
/* Interrupt flags: consumer; level (bit 1 clear), active high (bit 2
 * clear), exclusive (bit 3 clear). */
#define RES_IRQ_CONSUMER    0x01
#define RES_IRQ_LEVEL_HIGH  RES_IRQ_CONSUMER

/* virtio-mmio devices: Linux's virtio_mmio driver matches this ACPI id. */
#define VIRTIO_MMIO_HID "LNRO0005"

/* Address space descriptors (6.4.3.5): Word, DWord and QWord forms. */
#define RES_WORD_ADDR  0x88
#define RES_DWORD_ADDR 0x87
#define RES_QWORD_ADDR 0x8a
#define RES_ADDR_MEM   0
#define RES_ADDR_IO    1
#define RES_ADDR_BUS   2
#define RES_ADDR_FIXED 0x0c /* _MAF | _MIF, positive decode, producer */
#define RES_IO_ENTIRE  0x03 /* _RNG: ISA and non-ISA ports */
#define RES_MEM_RW     0x01 /* _RW, non-cacheable, AddressRangeMemory */
#define RES_MAX	       160  /* bytes in the largest template we build */

/* The PCI root bridge: bus 0 behind configuration mechanism #1. */
#define PCI0_CFG_PORTS 8      /* 0xcf8-0xcff, consumed by the bridge */
#define PCI0_IO_HIGH   0x0d00 /* first port of the I/O window above them */
#define PCI0_IO_END    0xffff
/* _PRT: INTA-INTD of slots 1-31. */
#define PCI_INTX_PINS 4
#define PCI0_PRT_LEN  ((PCI_MAX_SLOTS - 1) * PCI_INTX_PINS)

_Static_assert(PCI0_PRT_LEN <= 0xff, "_PRT too long for a Package");
_Static_assert(X86_PCI_MMIO32_BASE >= X86_MMIO_HOLE &&
		   X86_PCI_MMIO32_BASE + X86_PCI_MMIO32_SIZE <= X86_IOAPIC_ADDR,
	       "32-bit PCI window overlaps RAM or the IOAPIC");
_Static_assert(X86_PCI_MMIO64_BASE >=
		   X86_MMIO_HOLE_END + CONFIG_MAX_MEM - X86_MMIO_HOLE,
	       "64-bit PCI window overlaps RAM above 4 GiB");

/* Legacy devices the DSDT declares (their emulations live in devices/). */
#define COM1_PORT  0x3f8
#define COM1_PORTS 8
#define COM1_IRQ   4
#define RTC_PORT   0x70
#define RTC_PORTS  2
#define RTC_IRQ	   8

/* Where each table sits, as offsets from X86_ACPI_ADDR. */
struct acpi_layout {
	size_t rsdp, xsdt, fadt, madt, dsdt, end;
	size_t xsdt_len, madt_len, dsdt_len;
};

/* A growing AML byte string in a fixed buffer; 'err' sticks on overflow. */
struct aml {
	uint8_t *p;
	size_t len, cap;
	bool err;
};

static uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

/* Sets p[at] so that the bytes p[0..len) add up to zero. */
static void acpi_set_checksum(uint8_t *p, size_t len, size_t at)
{
	p[at] = 0;
	p[at] = (uint8_t)(0x100 - acpi_sum(p, len));
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len,
			uint8_t revision)
{
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = revision;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put_le32(t + 24, ACPI_OEM_REVISION);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put_le32(t + 32, ACPI_CREATOR_REVISION);
}

/* An 8-bit register in system I/O space, accessed a byte at a time. */
static void acpi_gas_io8(uint8_t *g, uint16_t port)
{
	g[0] = GAS_SPACE_SYSTEM_IO;
	g[1] = 8; /* bit width: Linux's acpi_reboot insists on 8 */
	g[2] = 0; /* bit offset */
	g[3] = GAS_ACCESS_BYTE;
	put_le64(g + 4, port);
}

size_t acpi_aml_pkglen(size_t content, uint8_t out[4])
{
	size_t n, total;

	if (content + 1 <= 0x3f) {
		out[0] = (uint8_t)(content + 1);
		return 1;
	}
	/* Lead byte: count of extra bytes in bits 7:6, length bits 3:0. */
	for (n = 2; n <= 4; n++) {
		total = content + n;
		if (total < (1ULL << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4)
		return 0;
	out[0] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
	for (size_t i = 1; i < n; i++)
		out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return n;
}

static void aml_bytes(struct aml *a, const void *src, size_t n)
{
	if (a->err || n > a->cap - a->len) {
		a->err = true;
		return;
	}
	memcpy(a->p + a->len, src, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_nameseg(struct aml *a, const char *seg)
{
	aml_bytes(a, seg, 4);
}

static void aml_dword(struct aml *a, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_bytes(a, b, 4);
}

/* The shortest integer encoding, as iasl emits it. */
static void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[8];

	if (v == 0 || v == 1) {
		aml_byte(a, v ? AML_ONE_OP : AML_ZERO_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		put_le16(b, (uint16_t)v);
		aml_byte(a, AML_WORD_PREFIX);
		aml_bytes(a, b, 2);
	} else if (v <= 0xffffffff) {
		aml_dword(a, (uint32_t)v);
	} else {
		put_le64(b, v);
		aml_byte(a, AML_QWORD_PREFIX);
		aml_bytes(a, b, 8);
	}
}

/* A package body starts here; aml_close() puts its PkgLength in front. */
static size_t aml_open(const struct aml *a)
{
	return a->len;
}

static void aml_close(struct aml *a, size_t start)
{
	uint8_t enc[4];
	size_t n;

	if (a->err)
		return;
	n = acpi_aml_pkglen(a->len - start, enc);
	if (!n || n > a->cap - a->len) {
		a->err = true;
		return;
	}
	memmove(a->p + start + n, a->p + start, a->len - start);
	memcpy(a->p + start, enc, n);
	a->len += n;
}

/* EISAID("PNP0501"): three 5-bit letters, four hex digits, big-endian. */
static uint32_t aml_eisa_id(const char *id)
{
	uint16_t mfg = (uint16_t)((id[0] - '@') << 10 | (id[1] - '@') << 5 |
				  (id[2] - '@'));
	uint16_t prod = (uint16_t)strtoul(id + 3, NULL, 16);

	return (uint32_t)(mfg >> 8) | (uint32_t)(mfg & 0xff) << 8 |
	       (uint32_t)(prod >> 8) << 16 | (uint32_t)(prod & 0xff) << 24;
}

static void aml_name(struct aml *a, const char *seg)
{
	aml_byte(a, AML_NAME_OP);
	aml_nameseg(a, seg);
}

static void aml_name_integer(struct aml *a, const char *name, uint64_t v)
{
	aml_name(a, name);
	aml_integer(a, v);
}

/* Name(_S5_, Package() { typ, typ, Zero, Zero }) */
static void aml_s5(struct aml *a, uint8_t slp_typ)
{
	size_t pkg;

	aml_name(a, "_S5_");
	aml_byte(a, AML_PACKAGE_OP);
	pkg = aml_open(a);
	aml_byte(a, 4);		 /* NumElements */
	aml_integer(a, slp_typ); /* SLP_TYPa */
	aml_integer(a, slp_typ); /* SLP_TYPb (unused when HW-reduced) */
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_close(a, pkg);
}

/* Device(name) { ...: the caller adds the body and aml_close()s it. */
static size_t aml_device(struct aml *a, const char *name)
{
	size_t dev;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	dev = aml_open(a);
	aml_nameseg(a, name);
	return dev;
}

/* Name(name, Buffer() { the bytes 'res' holds }) */
static void aml_name_buffer(struct aml *a, const char *name,
			    const struct aml *res)
{
	size_t buf;

	if (res->err) {
		a->err = true;
		return;
	}
	aml_name(a, name);
	aml_byte(a, AML_BUFFER_OP);
	buf = aml_open(a);
	aml_integer(a, res->len); /* BufferSize */
	aml_bytes(a, res->p, res->len);
	aml_close(a, buf);
}

static void res_le(struct aml *r, uint64_t v, unsigned int width)
{
	for (unsigned int i = 0; i < width; i++)
		aml_byte(r, (uint8_t)(v >> 8 * i));
}

/* IO(Decode16, port, port, 1, n) */
static void res_io16(struct aml *r, uint16_t port, uint8_t nports)
{
	aml_byte(r, RES_IO);
	aml_byte(r, RES_IO_DECODE16);
	res_le(r, port, 2); /* minimum base */
	res_le(r, port, 2); /* maximum base */
	aml_byte(r, 1);	    /* alignment */
	aml_byte(r, nports);
}

/* IRQNoFlags() {irq}: edge, active high, exclusive */
static void res_irq(struct aml *r, uint8_t irq)
{
	aml_byte(r, RES_IRQ_NOFLAGS);
	res_le(r, 1u << irq, 2);
}

/* Memory32Fixed(ReadWrite, base, len) */
static void res_mem32_fixed(struct aml *r, uint32_t base, uint32_t len)
{
	aml_byte(r, RES_MEM32_FIXED);
	res_le(r, RES_MEM32_FIXED_LEN, 2);
	aml_byte(r, RES_MEM_READWRITE);
	res_le(r, base, 4);
	res_le(r, len, 4);
}

/* Interrupt(ResourceConsumer, Level, ActiveHigh, Exclusive) {gsi} */
static void res_ext_irq(struct aml *r, uint32_t gsi)
{
	aml_byte(r, RES_EXT_IRQ);
	res_le(r, RES_EXT_IRQ_LEN, 2);
	aml_byte(r, RES_IRQ_LEVEL_HIGH);
	aml_byte(r, 1); /* interrupt table length */
	res_le(r, gsi, 4);
}

static void res_end(struct aml *r)
{
	aml_byte(r, RES_END_TAG);
	aml_byte(r, 0); /* zero: treat the template as checksummed */
}

static unsigned int res_addr_width(uint8_t tag)
{
	switch (tag) {
	case RES_WORD_ADDR:
		return 2;
	case RES_DWORD_ADDR:
		return 4;
	default:
		return 8;
	}
}

/*
 * A window [min, max] the bridge produces, as a Word, DWord or QWord
 * address space descriptor: fixed (so _GRA is 0 and _LEN = max - min + 1),
 * positive decode, no translation.
 */
static void res_window(struct aml *r, uint8_t tag, uint8_t type,
		       uint8_t type_flags, uint64_t min, uint64_t max)
{
	unsigned int width = res_addr_width(tag);

	aml_byte(r, tag);
	res_le(r, 3 + 5 * width, 2); /* length after this field */
	aml_byte(r, type);
	aml_byte(r, RES_ADDR_FIXED);
	aml_byte(r, type_flags);
	res_le(r, 0, width); /* _GRA */
	res_le(r, min, width);
	res_le(r, max, width);
	res_le(r, 0, width); /* _TRA */
	res_le(r, max - min + 1, width);
}

/* Device(name) { Name(_HID, EISAID(hid)) [Name(_UID, uid)]
 * Name(_CRS, ResourceTemplate() { IO(Decode16, port, port, 1, n)
 * IRQNoFlags() {irq} }) } */
static void aml_isa_device(struct aml *a, const char *name, const char *hid,
			   int uid, uint16_t port, uint8_t nports, uint8_t irq)
{
	uint8_t buf[RES_MAX];
	struct aml res = {buf, 0, sizeof(buf), false};
	size_t dev;

	dev = aml_device(a, name);
	aml_name(a, "_HID");
	aml_dword(a, aml_eisa_id(hid));
	if (uid >= 0)
		aml_name_integer(a, "_UID", (uint64_t)uid);
	res_io16(&res, port, nports);
	res_irq(&res, irq);
	res_end(&res);
	aml_name_buffer(a, "_CRS", &res);
	aml_close(a, dev);
}

/* PCI0's _CRS: bus 0, the config ports it consumes, the I/O around them,
 * and both memory windows. */
static void aml_pci_crs(struct aml *a)
{
	uint8_t buf[RES_MAX];
	struct aml res = {buf, 0, sizeof(buf), false};

	res_window(&res, RES_WORD_ADDR, RES_ADDR_BUS, 0, 0, 0);
	res_io16(&res, PCI_CONFIG_ADDRESS_PORT, PCI0_CFG_PORTS);
	res_window(&res, RES_WORD_ADDR, RES_ADDR_IO, RES_IO_ENTIRE, 0,
		   PCI_CONFIG_ADDRESS_PORT - 1);
	res_window(&res, RES_WORD_ADDR, RES_ADDR_IO, RES_IO_ENTIRE,
		   PCI0_IO_HIGH, PCI0_IO_END);
	res_window(&res, RES_DWORD_ADDR, RES_ADDR_MEM, RES_MEM_RW,
		   X86_PCI_MMIO32_BASE,
		   X86_PCI_MMIO32_BASE + X86_PCI_MMIO32_SIZE - 1);
	res_window(&res, RES_QWORD_ADDR, RES_ADDR_MEM, RES_MEM_RW,
		   X86_PCI_MMIO64_BASE,
		   X86_PCI_MMIO64_BASE + X86_PCI_MMIO64_SIZE - 1);
	res_end(&res);
	aml_name_buffer(a, "_CRS", &res);
}

unsigned int x86_pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return X86_PCI_INTX_GSI_BASE + (slot + pin) % X86_PCI_INTX_GSIS;
}

/* Package() { 0xSSSSFFFF, pin, Zero, gsi }: every function of 'slot'; with
 * Source Zero, the last field is a GSI (level-triggered, active-low). */
static void aml_prt_entry(struct aml *a, unsigned int slot, unsigned int pin)
{
	size_t pkg;

	aml_byte(a, AML_PACKAGE_OP);
	pkg = aml_open(a);
	aml_byte(a, 4); /* NumElements */
	aml_integer(a, (uint64_t)slot << 16 | 0xffff);
	aml_integer(a, pin);
	aml_integer(a, 0);
	aml_integer(a, x86_pci_intx_gsi(slot, pin));
	aml_close(a, pkg);
}

/* Name(_PRT, Package() { ... }) for slots 1-31 (00:00.0 has no INTx). */
static void aml_pci_prt(struct aml *a)
{
	size_t pkg;

	aml_name(a, "_PRT");
	aml_byte(a, AML_PACKAGE_OP);
	pkg = aml_open(a);
	aml_byte(a, PCI0_PRT_LEN); /* NumElements */
	for (unsigned int slot = 1; slot < PCI_MAX_SLOTS; slot++)
		for (unsigned int pin = 0; pin < PCI_INTX_PINS; pin++)
			aml_prt_entry(a, slot, pin);
	aml_close(a, pkg);
}

/* The PCI root bridge: segment 0, bus 0, config mechanism #1 (PNP0A03; no
 * ECAM, so not PNP0A08). _ADR besides _HID follows common VMM practice. */
static void aml_pci_root(struct aml *a)
{
	size_t dev = aml_device(a, "PCI0");

	aml_name(a, "_HID");
	aml_dword(a, aml_eisa_id("PNP0A03"));
	aml_name_integer(a, "_UID", 0);
	aml_name_integer(a, "_SEG", 0);
	aml_name_integer(a, "_BBN", 0);
	aml_name_integer(a, "_ADR", 0);
	aml_pci_crs(a);
	aml_pci_prt(a);
	aml_close(a, dev);
}

static void aml_name_string(struct aml *a, const char *name, const char *str)
{
	aml_name(a, name);
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, str, strlen(str) + 1);
}

static char aml_hex_digit(unsigned int v)
{
	return (char)(v < 10 ? '0' + v : 'A' + v - 10);
}

/*
 * Device(VRnn) { Name(_HID, "LNRO0005") Name(_UID, n)
 * Name(_CRS, ResourceTemplate() { Memory32Fixed(ReadWrite, base, size)
 * Interrupt(ResourceConsumer, Level, ActiveHigh, Exclusive) {gsi} }) }
 * Level: the transport holds its line up until the driver's InterruptACK.
 */
static void aml_virtio_mmio(struct aml *a, const struct platform_dev *p)
{
	char name[5] = { 'V', 'R', aml_hex_digit(p->index >> 4 & 0xf),
			 aml_hex_digit(p->index & 0xf), 0 };
	uint8_t buf[RES_MAX];
	struct aml res = {buf, 0, sizeof(buf), false};
	size_t dev;

	if (p->index > 0xff || p->base + p->size > X86_MMIO_HOLE_END) {
		a->err = true;
		return;
	}
	dev = aml_device(a, name);
	aml_name_string(a, "_HID", VIRTIO_MMIO_HID);
	aml_name_integer(a, "_UID", p->index);
	res_mem32_fixed(&res, (uint32_t)p->base, (uint32_t)p->size);
	res_ext_irq(&res, p->gsi);
	res_end(&res);
	aml_name_buffer(a, "_CRS", &res);
	aml_close(a, dev);
}

static void aml_platform_devs(struct aml *a, const struct platform_dev *p)
{
	for (; p; p = p->next)
		if (!strcmp(p->kind, PLATFORM_VIRTIO_MMIO))
			aml_virtio_mmio(a, p);
}

/*
 * The DSDT body: \_S5_ for power-off, the ISA devices Linux must see
 * through ACPI, and the PCI root bridge. Without the legacy PIC
 * (hardware-reduced mode) Linux no longer maps ISA IRQs 0-15 1:1, so the
 * UART and RTC get their GSIs from these _CRS descriptors. With ACPI on,
 * Linux scans PCI only below a PNP0A03/PNP0A08 device. Platform devices
 * (virtio-mmio) follow, one Device each.
 */
static int acpi_build_aml(struct aml *a, const struct platform_dev *platform)
{
	size_t scope;

	aml_s5(a, X86_ACPI_S5_SLP_TYP);
	aml_byte(a, AML_SCOPE_OP);
	scope = aml_open(a);
	aml_byte(a, AML_ROOT_CHAR);
	aml_nameseg(a, "_SB_");
	aml_isa_device(a, "COM1", "PNP0501", 0, COM1_PORT, COM1_PORTS,
		       COM1_IRQ);
	aml_isa_device(a, "RTC_", "PNP0B00", -1, RTC_PORT, RTC_PORTS, RTC_IRQ);
	aml_pci_root(a);
	aml_platform_devs(a, platform);
	aml_close(a, scope);
	return a->err ? -ENOSPC : 0;
}

static size_t acpi_madt_len(unsigned int nr_cpus)
{
	return MADT_ENTRIES + nr_cpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN +
	       MADT_LAPIC_NMI_LEN;
}

static int acpi_plan(unsigned int nr_cpus, size_t aml_len,
		     struct acpi_layout *l)
{
	l->xsdt_len = ACPI_HDR_LEN + XSDT_ENTRIES * 8;
	l->madt_len = acpi_madt_len(nr_cpus);
	l->dsdt_len = ACPI_HDR_LEN + aml_len;
	l->rsdp = 0;
	l->xsdt = ALIGN_UP(l->rsdp + RSDP_LEN, 16);
	l->fadt = ALIGN_UP(l->xsdt + l->xsdt_len, 16);
	l->madt = ALIGN_UP(l->fadt + FADT_LEN, 16);
	l->dsdt = ALIGN_UP(l->madt + l->madt_len, 16);
	l->end = l->dsdt + l->dsdt_len;
	if (l->end > X86_ACPI_SIZE) {
		pr_err("ACPI tables need %zu bytes, only %llu reserved", l->end,
		       X86_ACPI_SIZE);
		return -ENOSPC;
	}
	return 0;
}

static void acpi_write_rsdp(uint8_t *p, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + RSDP_OEM_ID, ACPI_OEM_ID, 6);
	p[RSDP_REVISION] = 2;
	/* RSDT address (offset 16) stays 0: revision 2 guests use the XSDT. */
	put_le32(p + RSDP_LENGTH, RSDP_LEN);
	put_le64(p + RSDP_XSDT, xsdt);
	acpi_set_checksum(p, RSDP_V1_LEN, RSDP_CHECKSUM);
	acpi_set_checksum(p, RSDP_LEN, RSDP_XCHECKSUM);
}

static void acpi_write_xsdt(uint8_t *t, const struct acpi_layout *l)
{
	acpi_header(t, "XSDT", (uint32_t)l->xsdt_len, 1);
	put_le64(t + ACPI_HDR_LEN, X86_ACPI_ADDR + l->fadt);
	put_le64(t + ACPI_HDR_LEN + 8, X86_ACPI_ADDR + l->madt);
	acpi_set_checksum(t, l->xsdt_len, ACPI_HDR_CHECKSUM);
}

static void acpi_write_fadt(uint8_t *t, uint64_t dsdt)
{
	acpi_header(t, "FACP", FADT_LEN, FADT_REVISION);
	/* FIRMWARE_CTRL/X_FIRMWARE_CTRL stay 0: no FACS when HW-reduced. */
	put_le32(t + FADT_DSDT, (uint32_t)dsdt);
	put_le64(t + FADT_X_DSDT, dsdt);
	put_le16(t + FADT_IAPC_BOOT_ARCH, IAPC_VGA_NOT_PRESENT);
	put_le32(t + FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 |
				     FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
				     FADT_F_RESET_REG_SUP |
				     FADT_F_HW_REDUCED_ACPI);
	acpi_gas_io8(t + FADT_RESET_REG, X86_ACPI_RESET_PORT);
	t[FADT_RESET_VALUE] = X86_ACPI_RESET_VALUE;
	t[FADT_MINOR] = FADT_MINOR_VERSION;
	acpi_gas_io8(t + FADT_SLEEP_CONTROL_REG, X86_ACPI_SLEEP_CTL_PORT);
	acpi_gas_io8(t + FADT_SLEEP_STATUS_REG, X86_ACPI_SLEEP_STS_PORT);
	memcpy(t + FADT_HYPERVISOR_ID, ACPI_HYPERVISOR_ID, 8);
	acpi_set_checksum(t, FADT_LEN, ACPI_HDR_CHECKSUM);
}

static uint8_t *madt_lapic(uint8_t *e, unsigned int id)
{
	e[0] = MADT_LAPIC;
	e[1] = MADT_LAPIC_LEN;
	e[2] = (uint8_t)id; /* ACPI processor UID */
	e[3] = (uint8_t)id; /* APIC id */
	put_le32(e + 4, MADT_LAPIC_ENABLED);
	return e + MADT_LAPIC_LEN;
}

static uint8_t *madt_ioapic(uint8_t *e, unsigned int id)
{
	e[0] = MADT_IOAPIC;
	e[1] = MADT_IOAPIC_LEN;
	e[2] = (uint8_t)id;
	e[3] = 0;
	put_le32(e + 4, (uint32_t)X86_IOAPIC_ADDR);
	put_le32(e + 8, 0); /* GSI base */
	return e + MADT_IOAPIC_LEN;
}

static uint8_t *madt_lint1_nmi(uint8_t *e)
{
	e[0] = MADT_LAPIC_NMI;
	e[1] = MADT_LAPIC_NMI_LEN;
	e[2] = MADT_ALL_PROCESSORS;
	put_le16(e + 3, 0); /* flags: conform to the bus */
	e[5] = 1;	    /* LINT1 */
	return e + MADT_LAPIC_NMI_LEN;
}

/*
 * No Interrupt Source Override: KVM's default GSI routing wires GSI n to
 * IOAPIC pin n (GSI 0 included; 0 -> 2 is QEMU's own table) and the MP
 * table says the same, so ISA IRQ n is GSI n. A VMM-installed routing
 * (KVM_SET_GSI_ROUTING) would have to be mirrored here and in mptable.c.
 */
static void acpi_write_madt(uint8_t *t, size_t len, unsigned int nr_cpus)
{
	uint8_t *e = t + MADT_ENTRIES;

	acpi_header(t, "APIC", (uint32_t)len, MADT_REVISION);
	put_le32(t + MADT_LAPIC_ADDR, (uint32_t)X86_LAPIC_ADDR);
	put_le32(t + MADT_FLAGS, MADT_PCAT_COMPAT);
	for (unsigned int i = 0; i < nr_cpus; i++)
		e = madt_lapic(e, i);
	e = madt_ioapic(e, nr_cpus);
	madt_lint1_nmi(e);
	acpi_set_checksum(t, len, ACPI_HDR_CHECKSUM);
}

static void acpi_write_dsdt(uint8_t *t, const struct aml *a)
{
	uint32_t len = (uint32_t)(ACPI_HDR_LEN + a->len);

	acpi_header(t, "DSDT", len, DSDT_REVISION);
	memcpy(t + ACPI_HDR_LEN, a->p, a->len);
	acpi_set_checksum(t, len, ACPI_HDR_CHECKSUM);
}

int x86_write_acpi(const struct guest_mem *mem, unsigned int nr_cpus,
		   const struct platform_dev *platform, uint64_t *rsdp_out)
{
	uint8_t aml_buf[DSDT_AML_MAX];
	struct aml aml = {aml_buf, 0, sizeof(aml_buf), false};
	struct acpi_layout l;
	uint8_t *blob;
	int ret;

	if (nr_cpus < 1 || nr_cpus > X86_ACPI_MAX_CPUS) {
		pr_err("ACPI: %u vCPUs, the MADT describes 1 to %u", nr_cpus,
		       X86_ACPI_MAX_CPUS);
		return -EINVAL;
	}
	ret = acpi_build_aml(&aml, platform);
	if (!ret)
		ret = acpi_plan(nr_cpus, aml.len, &l);
	if (ret)
		return ret;
	blob = calloc(1, l.end);
	if (!blob)
		return -ENOMEM;
	acpi_write_rsdp(blob + l.rsdp, X86_ACPI_ADDR + l.xsdt);
	acpi_write_xsdt(blob + l.xsdt, &l);
	acpi_write_fadt(blob + l.fadt, X86_ACPI_ADDR + l.dsdt);
	acpi_write_madt(blob + l.madt, l.madt_len, nr_cpus);
	acpi_write_dsdt(blob + l.dsdt, &aml);
	ret = guest_mem_write(mem, X86_ACPI_ADDR, blob, l.end);
	free(blob);
	if (ret) {
		pr_err("ACPI: [0x%llx, 0x%llx) is not guest RAM", X86_ACPI_ADDR,
		       X86_ACPI_ADDR + l.end);
		return ret;
	}
	*rsdp_out = X86_ACPI_ADDR + l.rsdp;
	return 0;
}
