/* test_e820.c: the guest e820 map for several RAM sizes, and the command line and initrd placement helpers. */
#include <errno.h>
#include <string.h>

#include "fake_mem.h"
#include "unit.h"
#include "x86.h"

#define LOW_END 0x9e000ULL /* below the 254-CPU MP table */
#define KVM_LO	0xfeffc000ULL
#define KVM_HI	0xff000000ULL

struct want {
	uint64_t addr, end;
	uint32_t type;
};

static void check_map(uint64_t ram, const struct want *w, int n)
{
	struct guest_mem mem;
	struct e820_entry t[E820_MAX];
	int got;

	fake_mem_layout(&mem, ram, false);
	got = x86_build_e820(&mem, t, E820_MAX);
	CHECK_EQ(got, n);
	for (int i = 0; i < n && i < got; i++) {
		CHECK_EQ(t[i].addr, w[i].addr);
		CHECK_EQ(t[i].addr + t[i].size, w[i].end);
		CHECK_EQ(t[i].type, w[i].type);
		if (i)
			CHECK(t[i].addr >= t[i - 1].addr + t[i - 1].size);
	}
}

static void test_layouts(void)
{
	const struct want small[] = {
		{ 0, LOW_END, E820_RAM },
		{ LOW_END, 0x100000, E820_RESERVED },
		{ 0x100000, 32 * MiB, E820_RAM },
		{ KVM_LO, KVM_HI, E820_RESERVED },
	};
	const struct want one_g[] = {
		{ 0, LOW_END, E820_RAM },
		{ LOW_END, 0x100000, E820_RESERVED },
		{ 0x100000, GiB, E820_RAM },
		{ KVM_LO, KVM_HI, E820_RESERVED },
	};
	const struct want three_g[] = {
		{ 0, LOW_END, E820_RAM },
		{ LOW_END, 0x100000, E820_RESERVED },
		{ 0x100000, 3 * GiB, E820_RAM },
		{ KVM_LO, KVM_HI, E820_RESERVED },
	};
	const struct want eight_g[] = {
		{ 0, LOW_END, E820_RAM },
		{ LOW_END, 0x100000, E820_RESERVED },
		{ 0x100000, 3 * GiB, E820_RAM },
		{ KVM_LO, KVM_HI, E820_RESERVED },
		{ 4 * GiB, 9 * GiB, E820_RAM },
	};
	const struct want one_m[] = {
		{ 0, LOW_END, E820_RAM },
		{ LOW_END, 0x100000, E820_RESERVED },
		{ KVM_LO, KVM_HI, E820_RESERVED },
	};

	check_map(32 * MiB, small, 4);
	check_map(GiB, one_g, 4);
	check_map(3 * GiB, three_g, 4);
	check_map(8 * GiB, eight_g, 5);
	check_map(MiB, one_m, 3);
	CHECK(LOW_END <= x86_mptable_base(X86_MAX_CPUS));
}

static void test_errors(void)
{
	struct guest_mem mem;
	struct e820_entry t[E820_MAX];

	fake_mem_layout(&mem, 512 * KiB, false);
	CHECK_EQ(x86_build_e820(&mem, t, E820_MAX), -EINVAL);
	fake_mem_layout(&mem, 8 * GiB, false);
	CHECK_EQ(x86_build_e820(&mem, t, 4), -ENOSPC);
	CHECK_EQ(x86_build_e820(&mem, t, 5), 5);
	mem.nr = 0;
	CHECK_EQ(x86_build_e820(&mem, t, E820_MAX), -EINVAL);
	/* Regions given out of order come out sorted. */
	fake_mem_layout(&mem, 8 * GiB, false);
	mem.regions[2] = mem.regions[0];
	mem.regions[0] = mem.regions[1];
	mem.regions[1] = mem.regions[2];
	mem.regions[2].size = 0;
	CHECK_EQ(x86_build_e820(&mem, t, E820_MAX), 5);
	CHECK_EQ(t[4].addr, 4 * GiB);
}

static void test_cmdline(void)
{
	struct guest_mem mem;
	char err[256], long_line[X86_CMDLINE_MAX + 1];
	uint8_t *g;

	fake_mem_layout(&mem, 2 * MiB, true);
	g = fake_mem_at(&mem, X86_CMDLINE_ADDR);
	memset(g, 'x', 16);
	CHECK_EQ(x86_write_cmdline(&mem, "ab", 2, err, sizeof(err)), 0);
	CHECK(!memcmp(g, "ab", 3));
	CHECK_EQ(x86_write_cmdline(&mem, "abc", 2, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "at most 2") != NULL);
	CHECK_EQ(x86_write_cmdline(&mem, NULL, 2, err, sizeof(err)), 0);
	CHECK_EQ(g[0], 0);
	memset(long_line, 'y', X86_CMDLINE_MAX);
	long_line[X86_CMDLINE_MAX] = '\0';
	CHECK_EQ(x86_write_cmdline(&mem, long_line, UINT64_MAX, err,
				   sizeof(err)), -EINVAL);
	long_line[X86_CMDLINE_MAX - 1] = '\0';
	CHECK_EQ(x86_write_cmdline(&mem, long_line, UINT64_MAX, err,
				   sizeof(err)), 0);
	fake_mem_free(&mem);
}

static void test_initrd(void)
{
	static uint8_t data[3 * 4096 + 1];
	struct guest_mem mem;
	struct image rd = { data, sizeof(data), "rd" };
	struct x86_load_args a = { &mem, NULL, &rd, "", 1 };
	uint64_t at;
	char err[256];

	fake_mem_layout(&mem, 16 * MiB, true);
	CHECK_EQ(x86_load_initrd(&a, 2 * MiB, UINT64_MAX, &at, err,
				 sizeof(err)), 0);
	CHECK_EQ(at, 16 * MiB - 4 * 4096);
	CHECK_EQ(x86_load_initrd(&a, 2 * MiB, 8 * MiB + 100, &at, err,
				 sizeof(err)), 0);
	CHECK_EQ(at, 8 * MiB - 3 * 4096);
	/* Exactly enough room above the floor. */
	CHECK_EQ(x86_load_initrd(&a, 16 * MiB - 4 * 4096, UINT64_MAX, &at, err,
				 sizeof(err)), 0);
	CHECK_EQ(x86_load_initrd(&a, 16 * MiB - 4 * 4096 + 1, UINT64_MAX, &at,
				 err, sizeof(err)), -ENOSPC);
	CHECK(strstr(err, "initrd (12289 bytes) does not fit below 0x1000000")
	      != NULL);
	CHECK_EQ(x86_load_initrd(&a, 16 * MiB, UINT64_MAX, &at, err,
				 sizeof(err)), -ENOSPC);
	rd.data = NULL;
	CHECK_EQ(x86_load_initrd(&a, 16 * MiB, UINT64_MAX, &at, err,
				 sizeof(err)), 0);
	CHECK_EQ(at, 0);
	fake_mem_free(&mem);
}

int main(void)
{
	test_layouts();
	test_errors();
	test_cmdline();
	test_initrd();
	return unit_done("e820");
}
