/* test_mptable.c: writes MP tables for several vCPU counts and parses them back. */
#include <errno.h>
#include <string.h>

#include "fake_mem.h"
#include "unit.h"
#include "x86.h"

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

struct counts {
	unsigned int cpus, bsps, buses, ioapics, ints, lints, other;
};

static void check_cpu(const uint8_t *e, unsigned int idx, struct counts *c)
{
	CHECK_EQ(e[1], idx);		/* APIC id = index */
	CHECK(e[3] & 1);		/* enabled */
	c->bsps += !!(e[3] & 2);
	if (idx == 0)
		CHECK(e[3] & 2);
	CHECK(get_le32(e + 4) != 0);	/* signature */
	CHECK(get_le32(e + 8) & (1 << 9)); /* APIC feature */
	c->cpus++;
}

static void check_entry(const uint8_t *e, unsigned int nr_cpus,
			struct counts *c)
{
	switch (e[0]) {
	case 1:
		CHECK_EQ(e[1], 0);
		CHECK(!memcmp(e + 2, "ISA   ", 6));
		c->buses++;
		break;
	case 2:
		CHECK_EQ(e[1], nr_cpus);
		CHECK_EQ(e[2], 0x11);
		CHECK_EQ(e[3], 1);
		CHECK_EQ(get_le32(e + 4), 0xfec00000);
		c->ioapics++;
		break;
	case 3: /* ISA IRQ n -> IOAPIC pin n, as KVM's default routing */
		CHECK_EQ(e[1], 0);
		CHECK_EQ(e[4], 0);
		CHECK_EQ(e[5], c->ints);
		CHECK_EQ(e[6], nr_cpus);
		CHECK_EQ(e[7], c->ints);
		c->ints++;
		break;
	case 4:
		CHECK_EQ(e[1], c->lints == 0 ? 3 : 1); /* ExtINT, then NMI */
		CHECK_EQ(e[6], 0xff);
		CHECK_EQ(e[7], c->lints);
		c->lints++;
		break;
	default:
		c->other++;
	}
}

static void parse_back(const struct guest_mem *mem, unsigned int nr_cpus)
{
	const uint8_t *f = fake_mem_at(mem, X86_MPTABLE_ADDR), *c, *e;
	uint64_t cfg, len;
	struct counts n = { 0 };
	unsigned int entries;

	CHECK(!memcmp(f, "_MP_", 4));
	CHECK_EQ(f[8], 1);
	CHECK_EQ(f[9], 4);
	CHECK_EQ(sum(f, 16), 0);
	CHECK_EQ(f[11], 0);
	cfg = get_le32(f + 4);
	c = guest_mem_ptr(mem, cfg, 44);
	CHECK(c != NULL);
	if (!c)
		return;
	len = get_le16(c + 4);
	CHECK(!memcmp(c, "PCMP", 4));
	CHECK_EQ(c[6], 4);
	CHECK(!memcmp(c + 8, "MINIVMM ", 8));
	CHECK_EQ(get_le32(c + 36), 0xfee00000);
	CHECK_EQ(get_le16(c + 40), 0);	/* no extended table */
	CHECK_EQ(sum(c, len), 0);
	CHECK(cfg >= x86_mptable_base(nr_cpus));
	CHECK(cfg + len <= 0xa0000);
	CHECK(cfg + len <= X86_MPTABLE_ADDR || cfg >= X86_MPTABLE_ADDR + 16);
	CHECK(x86_mptable_base(nr_cpus) >= x86_mptable_base(X86_MAX_CPUS));
	entries = get_le16(c + 34);
	e = c + 44;
	for (unsigned int i = 0; i < entries && e < c + len; i++) {
		if (e[0] == 0) {
			check_cpu(e, n.cpus, &n);
			e += 20;
		} else {
			check_entry(e, nr_cpus, &n);
			e += 8;
		}
	}
	CHECK(e == c + len);
	CHECK_EQ(entries, nr_cpus + 20);
	CHECK_EQ(n.cpus, nr_cpus);
	CHECK_EQ(n.bsps, 1);
	CHECK_EQ(n.buses, 1);
	CHECK_EQ(n.ioapics, 1);
	CHECK_EQ(n.ints, 16);
	CHECK_EQ(n.lints, 2);
	CHECK_EQ(n.other, 0);
}

static void test_counts(void)
{
	const unsigned int cpus[] = { 1, 2, 4, 40, 41, 128, 254 };
	struct guest_mem mem;

	fake_mem_layout(&mem, 64 * MiB, true);
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
		memset(fake_mem_at(&mem, 0x90000), 0xee, 0x10000);
		CHECK_EQ(x86_write_mptable(&mem, cpus[i]), 0);
		parse_back(&mem, cpus[i]);
	}
	CHECK_EQ(x86_mptable_base(40), X86_MPTABLE_ADDR);
	CHECK(x86_mptable_base(41) < X86_MPTABLE_ADDR);
	CHECK_EQ(x86_write_mptable(&mem, 0), -EINVAL);
	CHECK_EQ(x86_write_mptable(&mem, 255), -EINVAL);
	fake_mem_free(&mem);
	mem.nr = 0;
	CHECK_EQ(x86_write_mptable(&mem, 1), -EFAULT);
}

int main(void)
{
	test_counts();
	return unit_done("mptable");
}
