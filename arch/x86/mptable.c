/* mptable.c: the Intel MP 1.4 table that tells the guest its vCPUs, IOAPIC and ISA interrupt wiring. */
#include <errno.h>
#include <string.h>

#include "util.h"
#include "x86.h"

/*
 * Layout (MP spec 1.4, chapter 4). The floating pointer always sits at
 * X86_MPTABLE_ADDR (0x9fc00, the "last KiB of base memory" Linux scans).
 * The configuration table follows it when both fit below 0xa0000 (up to 40
 * vCPUs); otherwise it ends just below the floating pointer, and the e820
 * map keeps the area for X86_MAX_CPUS reserved (x86_mptable_base()).
 *
 * Interrupt wiring: ISA IRQ n goes to IOAPIC pin n for n = 0..15. That is
 * what KVM's default GSI routing does (kvm_setup_default_irq_routing maps
 * GSI n to IOAPIC pin n and, below 16, to the PICs; there is no 0 -> 2
 * override there, that one is QEMU's own routing table) and the in-kernel
 * PIT raises GSI 0. The 8259's output reaches the CPUs through LINT0
 * (ExtINT, virtual wire mode), not through an IOAPIC pin, so pin 0 carries
 * IRQ 0 and no IOAPIC ExtINT entry is listed. If the VMM ever installs its
 * own GSI routing (KVM_SET_GSI_ROUTING), this table must follow it.
 * Only an ISA bus is listed: Linux matches an MP "PCI" bus id against the
 * PCI bus number, so a PCI bus would have to be MP bus 0, which ISA holds.
 */
#define MPF_SIZE	 16
#define MPC_HDR_SIZE	 44
#define MPC_CPU_SIZE	 20
#define MPC_ENTRY_SIZE	 8 /* bus, IOAPIC, I/O and local interrupt */
#define MP_ISA_IRQS	 16
#define MP_LOCAL_INTS	 2
#define MP_SPEC_REV	 4

enum { MP_PROCESSOR = 0, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

#define MP_CPU_ENABLED	 0x01
#define MP_CPU_BSP	 0x02
#define MP_LAPIC_VERSION 0x14 /* what KVM's LAPIC reports */
#define MP_IOAPIC_VERSION 0x11 /* KVM's IOAPIC */
#define MP_IOAPIC_ENABLED 0x01
#define MP_CPU_SIGNATURE 0x000006f1 /* family 6, model 15, stepping 1 */
#define MP_CPU_FEATURES	 0x00000201 /* FPU, APIC */
#define MP_ISA_BUS_ID	 0
#define MP_ALL_APICS	 0xff

static uint64_t config_size(unsigned int nr_cpus)
{
	return MPC_HDR_SIZE + (uint64_t)nr_cpus * MPC_CPU_SIZE +
	       MPC_ENTRY_SIZE * (1 + 1 + MP_ISA_IRQS + MP_LOCAL_INTS);
}

/* Where the configuration table starts. */
static uint64_t config_addr(unsigned int nr_cpus)
{
	uint64_t size = config_size(MIN(nr_cpus, X86_MAX_CPUS));

	if (MPF_SIZE + size <= X86_BIOS_START - X86_MPTABLE_ADDR)
		return X86_MPTABLE_ADDR + MPF_SIZE;
	return ALIGN_DOWN(X86_MPTABLE_ADDR - size, 16);
}

uint64_t x86_mptable_base(unsigned int nr_cpus)
{
	return MIN(config_addr(nr_cpus), X86_MPTABLE_ADDR);
}

static uint8_t checksum(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static uint8_t *put_cpu(uint8_t *p, unsigned int id)
{
	p[0] = MP_PROCESSOR;
	p[1] = (uint8_t)id;
	p[2] = MP_LAPIC_VERSION;
	p[3] = MP_CPU_ENABLED | (id == 0 ? MP_CPU_BSP : 0);
	put_le32(p + 4, MP_CPU_SIGNATURE);
	put_le32(p + 8, MP_CPU_FEATURES);
	return p + MPC_CPU_SIZE;
}

static uint8_t *put_intsrc(uint8_t *p, uint8_t entry, uint8_t type,
			   uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin)
{
	p[0] = entry;
	p[1] = type;
	put_le16(p + 2, 0); /* polarity and trigger: conform to the bus */
	p[4] = MP_ISA_BUS_ID;
	p[5] = src_irq;
	p[6] = dst_id;
	p[7] = dst_pin;
	return p + MPC_ENTRY_SIZE;
}

/* Bus, IOAPIC and interrupt entries after the processors. */
static uint8_t *put_platform(uint8_t *p, uint8_t ioapic_id)
{
	p[0] = MP_BUS;
	p[1] = MP_ISA_BUS_ID;
	memcpy(p + 2, "ISA   ", 6);
	p += MPC_ENTRY_SIZE;

	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = MP_IOAPIC_ENABLED;
	put_le32(p + 4, (uint32_t)X86_IOAPIC_ADDR);
	p += MPC_ENTRY_SIZE;

	for (uint8_t irq = 0; irq < MP_ISA_IRQS; irq++)
		p = put_intsrc(p, MP_INTSRC, MP_INT, irq, ioapic_id, irq);
	p = put_intsrc(p, MP_LINTSRC, MP_EXTINT, 0, MP_ALL_APICS, 0);
	return put_intsrc(p, MP_LINTSRC, MP_NMI, 0, MP_ALL_APICS, 1);
}

static void put_config_header(uint8_t *c, uint64_t size, unsigned int nr_cpus)
{
	unsigned int entries = nr_cpus + 2 + MP_ISA_IRQS + MP_LOCAL_INTS;

	memcpy(c, "PCMP", 4);
	put_le16(c + 4, (uint16_t)size);
	c[6] = MP_SPEC_REV;
	memcpy(c + 8, "MINIVMM ", 8);
	memcpy(c + 16, "MINIVMM-PC  ", 12);
	put_le16(c + 34, (uint16_t)entries);
	put_le32(c + 36, (uint32_t)X86_LAPIC_ADDR);
	/* OEM table 0, extended table length 0 and its checksum 0. */
	c[7] = checksum(c, size);
}

static void put_floating(uint8_t *f, uint64_t cfg)
{
	memcpy(f, "_MP_", 4);
	put_le32(f + 4, (uint32_t)cfg);
	f[8] = MPF_SIZE / 16;
	f[9] = MP_SPEC_REV;
	/* feature 1 = 0: a configuration table exists; feature 2 = 0: no
	 * IMCR, the PIC is wired to LINT0 (virtual wire mode). */
	f[10] = checksum(f, MPF_SIZE);
}

int x86_write_mptable(const struct guest_mem *mem, unsigned int nr_cpus)
{
	uint64_t cfg = config_addr(nr_cpus), size = config_size(nr_cpus);
	uint8_t *f, *c, *p;

	if (nr_cpus == 0 || nr_cpus > X86_MAX_CPUS)
		return -EINVAL;
	f = guest_mem_ptr(mem, X86_MPTABLE_ADDR, MPF_SIZE);
	c = guest_mem_ptr(mem, cfg, size);
	if (!f || !c)
		return -EFAULT;
	memset(f, 0, MPF_SIZE);
	memset(c, 0, size);
	p = c + MPC_HDR_SIZE;
	for (unsigned int i = 0; i < nr_cpus; i++)
		p = put_cpu(p, i);
	put_platform(p, (uint8_t)nr_cpus);
	put_config_header(c, size, nr_cpus);
	put_floating(f, cfg);
	return 0;
}
