/* mp.c: reads the Intel MP table (floating pointer + configuration table)
 * and the ACPI MADT, the two places a PC lists its CPUs. */
#include "mp.h"

static const u8 *scan(u64 start, u64 end, const char *sig, usize siglen,
		      usize len)
{
	for (u64 a = start; a + len <= end; a += 16) {
		const u8 *p = (const u8 *)(usize)a;

		if (!memcmp(p, sig, siglen) && sum_bytes(p, len) == 0)
			return p;
	}
	return 0;
}

/* The floating pointer: in the EBDA, the last KiB of base memory, or the
 * BIOS ROM area, on a 16-byte boundary. */
static const u8 *mp_config(void)
{
	u64 ebda = (u64)*(volatile u16 *)0x40e << 4;
	const u8 *fp = 0, *cfg;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		fp = scan(ebda, ebda + 1024, "_MP_", 4, 16);
	if (!fp)
		fp = scan(0x9fc00, 0xa0000, "_MP_", 4, 16);
	if (!fp)
		fp = scan(0xf0000, 0x100000, "_MP_", 4, 16);
	if (!fp || !rd32(fp, 4))
		return 0;
	cfg = (const u8 *)(usize)rd32(fp, 4);
	if (memcmp(cfg, "PCMP", 4) || sum_bytes(cfg, rd16(cfg, 4)) != 0) {
		printf("mp: floating pointer at %p, but no valid table at %p\n",
		       fp, cfg);
		return 0;
	}
	return cfg;
}

int mp_find_cpus(struct cpu_list *l)
{
	const u8 *cfg = mp_config(), *e, *end;

	l->n = 0;
	l->bsp_index = -1;
	if (!cfg)
		return -1;
	l->table = (u64)(usize)cfg;
	e = cfg + 44;
	end = cfg + rd16(cfg, 4);
	for (unsigned int i = 0; i < rd16(cfg, 34) && e < end; i++) {
		if (e[0] == 0) {
			if ((e[3] & 1) && l->n < MP_MAX_CPUS) {
				if (e[3] & 2)
					l->bsp_index = (int)l->n;
				l->apic_id[l->n++] = e[1];
			}
			e += 20;
		} else {
			e += 8;
		}
	}
	return 0;
}

int mp_isa_irq_pin(unsigned int irq)
{
	const u8 *cfg = mp_config(), *e, *end;
	int isa_bus = -1;

	if (!cfg)
		return -1;
	e = cfg + 44;
	end = cfg + rd16(cfg, 4);
	for (unsigned int i = 0; i < rd16(cfg, 34) && e < end; i++) {
		if (e[0] == 1 && !memcmp(e + 2, "ISA", 3))
			isa_bus = e[1];
		if (e[0] == 3 && e[1] == 0 && e[4] == isa_bus && e[5] == irq)
			return e[7];
		e += e[0] == 0 ? 20 : 8;
	}
	return -1;
}

int madt_find_cpus(struct cpu_list *l)
{
	const u8 *madt = acpi_find_table("APIC");

	l->n = 0;
	l->bsp_index = -1;
	if (!madt)
		return -1;
	l->table = (u64)(usize)madt;
	for (u32 off = 44; off + 2 <= rd32(madt, 4) && madt[off + 1];
	     off += madt[off + 1]) {
		const u8 *e = madt + off;

		if (e[0] == 0 && (rd32(e, 4) & 1) && l->n < MP_MAX_CPUS)
			l->apic_id[l->n++] = e[3];
	}
	return 0;
}
