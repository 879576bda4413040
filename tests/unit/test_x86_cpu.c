/* test_x86_cpu.c: x86 memory layout, CPUID topology fix-ups, boot page tables and registers. */
#include <stdlib.h>

#include "arch.h"
#include "util.h"
#include "x86_cpu.h"
#include "unit.h"

static void test_layout(void)
{
	struct mem_bank b[MEM_MAX_BANKS];

	CHECK_EQ(arch_mem_layout(256 * MiB, b, MEM_MAX_BANKS), 1);
	CHECK_EQ(b[0].gpa, 0);
	CHECK_EQ(b[0].size, 256 * MiB);
	CHECK_EQ(arch_mem_layout(3 * GiB, b, MEM_MAX_BANKS), 1);
	CHECK_EQ(b[0].size, 3 * GiB);
	CHECK_EQ(arch_mem_layout(3 * GiB + 4096, b, MEM_MAX_BANKS), 2);
	CHECK_EQ(b[1].gpa, 4 * GiB);
	CHECK_EQ(b[1].size, 4096);
	CHECK_EQ(arch_mem_layout(16 * GiB, b, MEM_MAX_BANKS), 2);
	CHECK_EQ(b[0].size + b[1].size, 16 * GiB);
	CHECK_EQ(b[1].gpa + b[1].size, 17 * GiB);
}

static struct kvmx_cpuid2 *make_cpuid(void)
{
	static const uint32_t leaves[][2] = {
		{ 1, 0 },	   { 4, 0 },	      { 4, 1 },
		{ 0xb, 0 },	   { 0xb, 1 },	      { 0xb, 2 },
		{ 0x40000000, 0 }, { 0x80000008, 0 },
	};
	size_t n = ARRAY_SIZE(leaves);
	struct kvmx_cpuid2 *c =
		calloc(1, sizeof(*c) + (n + X86_CPUID_EXTRA) * sizeof(c->entries[0]));

	c->nent = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		c->entries[i].function = leaves[i][0];
		c->entries[i].index = leaves[i][1];
		c->entries[i].ebx = 0x00ff0800; /* junk the fix-up must replace */
		c->entries[i].ecx = 0xffff;
		c->entries[i].eax = 0xffffffff;
		c->entries[i].edx = 0x10000000;
	}
	return c;
}

static struct kvmx_cpuid_entry2 *leaf(struct kvmx_cpuid2 *c, uint32_t f,
				      uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == f && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static void test_cpuid(void)
{
	struct kvmx_cpuid2 *c = make_cpuid();

	x86_cpuid_fixup(c, 3, 4);
	CHECK_EQ(leaf(c, 1, 0)->ebx >> 24, 3);
	CHECK_EQ((leaf(c, 1, 0)->ebx >> 16) & 0xff, 4);
	CHECK_EQ(leaf(c, 1, 0)->ebx & 0xffff, 0x0800); /* CLFLUSH size kept */
	CHECK(leaf(c, 1, 0)->ecx & (1U << 31));	/* hypervisor */
	CHECK(leaf(c, 1, 0)->edx & (1U << 28));	/* HTT with 4 CPUs */
	CHECK_EQ(leaf(c, 4, 0)->eax >> 26, 3);
	CHECK_EQ(leaf(c, 4, 1)->eax >> 26, 3);
	CHECK_EQ((leaf(c, 4, 0)->eax >> 14) & 0xfff, 0);
	CHECK(leaf(c, 1, 0)->ecx & (1U << 24)); /* TSC deadline */
	CHECK_EQ(leaf(c, 0xb, 0)->edx, 3);
	CHECK_EQ(leaf(c, 0xb, 0)->ebx, 1);
	CHECK_EQ((leaf(c, 0xb, 0)->ecx >> 8) & 0xff, 1); /* SMT */
	CHECK_EQ(leaf(c, 0xb, 1)->eax, 2);		   /* 4 cores: shift 2 */
	CHECK_EQ(leaf(c, 0xb, 1)->ebx, 4);
	CHECK_EQ((leaf(c, 0xb, 1)->ecx >> 8) & 0xff, 2); /* core */
	CHECK_EQ((leaf(c, 0xb, 2)->ecx >> 8) & 0xff, 0); /* end */
	CHECK_EQ(leaf(c, 0x40000000, 0)->ebx, 0x4b4d564b);
	CHECK_EQ(leaf(c, 0x40000000, 0)->ecx, 0x564b4d56);
	CHECK_EQ(leaf(c, 0x40000000, 0)->edx, 0x4d);
	CHECK_EQ(leaf(c, 0x80000008, 0)->ecx & 0xff, 3);
	CHECK_EQ((leaf(c, 0x80000008, 0)->ecx >> 12) & 0xf, 2);
	free(c);

	c = make_cpuid();
	x86_cpuid_fixup(c, 0, 1);
	CHECK(!(leaf(c, 1, 0)->edx & (1U << 28)));
	CHECK_EQ(leaf(c, 4, 0)->eax >> 26, 0);
	CHECK_EQ(leaf(c, 0xb, 1)->eax, 0);
	free(c);

	c = make_cpuid();
	x86_cpuid_fixup(c, 5, 6); /* not a power of two: shift rounds up */
	CHECK_EQ(leaf(c, 0xb, 1)->eax, 3);
	free(c);

	/* KVM listing only sub-leaf 0 of 0xB: levels 1 and 2 are added. */
	c = make_cpuid();
	c->nent = 4; /* 1, 4.0, 4.1, 0xb.0 */
	x86_cpuid_fixup(c, 2, 3);
	CHECK_EQ(c->nent, 6);
	CHECK(leaf(c, 0xb, 1) != NULL);
	CHECK_EQ(leaf(c, 0xb, 1)->ebx, 3);
	CHECK_EQ(leaf(c, 0xb, 1)->edx, 2);
	CHECK_EQ(leaf(c, 0xb, 1)->flags, KVMX_CPUID_FLAG_SIGNIFCANT_INDEX);
	CHECK_EQ((leaf(c, 0xb, 2)->ecx >> 8) & 0xff, 0);
	CHECK_EQ(leaf(c, 0xb, 2)->ecx & 0xff, 2);
	free(c);
}

static void test_boot_tables(void)
{
	struct guest_mem mem = { .nr = 1, .total = 2 * MiB };
	uint64_t *pml4, *pdpt, *pd, gdt[5];

	mem.regions[0] = (struct mem_region){ .gpa = 0, .size = 2 * MiB,
					      .hva = calloc(1, 2 * MiB) };
	CHECK_EQ(x86_write_boot_tables(&mem), 0);
	pml4 = guest_mem_ptr(&mem, X86_PML4_ADDR, 8);
	pdpt = guest_mem_ptr(&mem, X86_PDPT_ADDR, 32);
	pd = guest_mem_ptr(&mem, X86_PD_ADDR, 4 * 4096);
	CHECK_EQ(pml4[0], X86_PDPT_ADDR | 3);
	CHECK_EQ(pdpt[3], (X86_PD_ADDR + 3 * 4096) | 3);
	CHECK_EQ(pd[0], 0x83);
	CHECK_EQ(pd[2047], (2047ULL << 21) | 0x83); /* maps up to 4 GiB */
	guest_mem_read(&mem, X86_GDT_ADDR, gdt, sizeof(gdt));
	CHECK_EQ(gdt[0], 0);
	CHECK_EQ(gdt[1], 0x00cf9b000000ffffULL); /* 32-bit code, flat */
	CHECK_EQ(gdt[2], 0x00af9b000000ffffULL); /* 64-bit code */
	CHECK_EQ(gdt[3], 0x00cf93000000ffffULL); /* data */
	CHECK_EQ(gdt[4], 0x00008b0000000067ULL); /* TSS */
	free(mem.regions[0].hva);

	mem.regions[0].size = 0x9000; /* too small for page tables */
	mem.regions[0].hva = calloc(1, 0x9000);
	CHECK(x86_write_boot_tables(&mem) < 0);
	free(mem.regions[0].hva);
}

static void test_boot_regs(void)
{
	struct x86_boot b = { .mode = X86_BOOT_LINUX64, .entry = 0x100200,
			      .info = X86_ZERO_PAGE_ADDR };
	struct kvmx_sregs s = { 0 };
	struct kvmx_regs r;

	x86_boot_sregs(&b, &s);
	x86_boot_regs(&b, &r);
	CHECK_EQ(s.cs.selector, 0x10);
	CHECK_EQ(s.ds.selector, 0x18);
	CHECK_EQ(s.cs.l, 1);
	CHECK_EQ(s.cs.db, 0);
	CHECK_EQ(s.efer, 0x500);
	CHECK_EQ(s.cr3, X86_PML4_ADDR);
	CHECK(s.cr0 & (1ULL << 31));
	CHECK_EQ(s.cr4 & 0x20, 0x20);
	CHECK_EQ(r.rip, 0x100200);
	CHECK_EQ(r.rsi, X86_ZERO_PAGE_ADDR);
	CHECK_EQ(r.rflags, 2);

	b = (struct x86_boot){ .mode = X86_BOOT_PVH, .entry = 0x1000000,
			       .info = X86_PVH_INFO_ADDR };
	x86_boot_sregs(&b, &s);
	x86_boot_regs(&b, &r);
	CHECK_EQ(s.cs.selector, 0x08);
	CHECK_EQ(s.cs.db, 1);
	CHECK_EQ(s.cs.l, 0);
	CHECK_EQ(s.cr0 & (1ULL << 31), 0);
	CHECK_EQ(s.cr0 & 1, 1);
	CHECK_EQ(s.efer, 0);
	CHECK_EQ(s.tr.limit, 0x67);
	CHECK_EQ(r.rbx, X86_PVH_INFO_ADDR);
	CHECK_EQ(r.rip, 0x1000000);

	b = (struct x86_boot){ .mode = X86_BOOT_REAL, .entry = 0,
			       .real_cs = 0x1000, .real_sp = 0x8000 };
	x86_boot_sregs(&b, &s);
	x86_boot_regs(&b, &r);
	CHECK_EQ(s.cs.selector, 0x1000);
	CHECK_EQ(s.cs.base, 0x10000);
	CHECK_EQ(s.ss.base, 0x10000);
	CHECK_EQ(r.rsp, 0x8000);
	CHECK_EQ(r.rip, 0);
}

int main(void)
{
	test_layout();
	test_cpuid();
	test_boot_tables();
	test_boot_regs();
	return unit_done("x86_cpu");
}
