/* test_x86_clock.c: TSC math: cycles, catch-up/freeze offsets, 250 ppm. */
#include "clock.h"
#include "unit.h"

#define NS_PER_SEC  1000000000LL
#define NS_PER_YEAR (365LL * 86400 * NS_PER_SEC)

/* The exact product by schoolbook 32-bit halves, independent of clock.c's
 * 128-bit path: (hi*2^32 + lo) * k / 10^6, for non-negative inputs. */
static uint64_t ref_cycles(uint64_t ns, uint32_t khz)
{
	uint64_t hi = (ns >> 32) * khz, lo = (ns & 0xffffffffULL) * khz;
	/* value = hi * 2^32 + lo, each split as q * 10^6 + r */
	uint64_t q_hi = hi / 1000000, r_hi = hi % 1000000;
	uint64_t q_lo = lo / 1000000, r_lo = lo % 1000000;

	return (q_hi << 32) + q_lo + ((r_hi << 32) + r_lo) / 1000000;
}

static void test_cycles_basic(void)
{
	CHECK_EQ(x86_tsc_cycles(0, 0), 0);
	CHECK_EQ(x86_tsc_cycles(0, 3000000), 0);
	CHECK_EQ(x86_tsc_cycles(NS_PER_SEC, 0), 0);
	/* one second is khz * 1000 cycles */
	CHECK_EQ(x86_tsc_cycles(NS_PER_SEC, 1), 1000);
	CHECK_EQ(x86_tsc_cycles(NS_PER_SEC, 1000000), 1000000000);
	CHECK_EQ(x86_tsc_cycles(NS_PER_SEC, 2700000), 2700000000ULL);
	CHECK_EQ(x86_tsc_cycles(NS_PER_SEC, 10000000), 10000000000ULL);
	CHECK_EQ(x86_tsc_cycles(1, 1000000), 1);       /* 1 GHz: 1 ns = 1 */
	CHECK_EQ(x86_tsc_cycles(1, 999999), 0);	       /* rounds toward 0 */
	CHECK_EQ(x86_tsc_cycles(999999, 1), 0);	       /* 1 kHz: < 1 ms */
	CHECK_EQ(x86_tsc_cycles(1000000, 1), 1);       /* 1 kHz: 1 ms */
	CHECK_EQ(x86_tsc_cycles(1, UINT32_MAX), 4294); /* 4.29 THz */
	/* 1 kHz .. 10 GHz by decades, one hour each */
	for (uint32_t khz = 1; khz <= 10000000; khz *= 10)
		CHECK_EQ(x86_tsc_cycles(3600 * NS_PER_SEC, khz),
			 (uint64_t)khz * 3600 * 1000);
}

static void test_cycles_negative(void)
{
	CHECK_EQ((int64_t)x86_tsc_cycles(-NS_PER_SEC, 2700000), -2700000000LL);
	CHECK_EQ((int64_t)x86_tsc_cycles(-1, 1000000), -1);
	CHECK_EQ((int64_t)x86_tsc_cycles(-1, 999999), 0); /* toward 0 */
	/* odd symmetry for awkward values */
	for (int64_t d = 1; d < 5000000; d = d * 7 + 3)
		for (uint32_t khz = 1; khz < 20000000; khz = khz * 13 + 1)
			CHECK_EQ(x86_tsc_cycles(-d, khz),
				 -x86_tsc_cycles(d, khz));
	CHECK_EQ(x86_tsc_cycles_between(5, 7, 1000000), (uint64_t)-2);
	CHECK_EQ(x86_tsc_cycles_between(7, 5, 1000000), 2);
	CHECK_EQ(x86_tsc_cycles_between(0, UINT64_MAX, 1000000), 1);
	CHECK_EQ(x86_tsc_cycles_between(UINT64_MAX, 0, 1000000), UINT64_MAX);
}

static void test_cycles_huge(void)
{
	int64_t century = 100 * NS_PER_YEAR;

	/* 100 years at 10 GHz: 3.15e19 cycles, beyond 2^64; exact mod 2^64 */
	CHECK_EQ(x86_tsc_cycles(century, 10000000),
		 ref_cycles(century, 10000000));
	CHECK_EQ(x86_tsc_cycles(century, 10000000),
		 (uint64_t)century * 10); /* 10 cycles per ns, wraps */
	CHECK_EQ(x86_tsc_cycles(-century, 10000000), -((uint64_t)century * 10));
	/* near 2^63 ns at several frequencies */
	CHECK_EQ(x86_tsc_cycles(INT64_MAX, 1000000), (uint64_t)INT64_MAX);
	CHECK_EQ(x86_tsc_cycles(INT64_MAX, 10000000),
		 ref_cycles(INT64_MAX, 10000000));
	CHECK_EQ(x86_tsc_cycles(INT64_MAX, UINT32_MAX),
		 ref_cycles(INT64_MAX, UINT32_MAX));
	CHECK_EQ(x86_tsc_cycles(INT64_MAX - 12345, 2712345),
		 ref_cycles(INT64_MAX - 12345, 2712345));
	CHECK_EQ(x86_tsc_cycles(INT64_MIN, 1000000), (uint64_t)INT64_MIN);
	CHECK_EQ(x86_tsc_cycles(INT64_MIN + 1, 2712345),
		 -ref_cycles(INT64_MAX, 2712345));
	CHECK_EQ(x86_tsc_cycles_between(UINT64_MAX, 0, 2712345),
		 ref_cycles(UINT64_MAX, 2712345));
}

/* Documentation/virt/kvm/devices/vcpu.rst keeps this invariant. */
static void test_catchup_invariant(void)
{
	static const uint32_t khzs[] = {1,	 1000,	  999999,  1000000,
					2700000, 2712345, 3000000, 10000000};
	static const uint64_t gsrc[] = {
	    0, 1, 5 * NS_PER_SEC, 86400 * NS_PER_SEC, (uint64_t)INT64_MAX - 7};

	for (size_t k = 0; k < sizeof(khzs) / sizeof(khzs[0]); k++)
		for (size_t g = 0; g < sizeof(gsrc) / sizeof(gsrc[0]); g++) {
			uint32_t khz = khzs[k];
			uint64_t ofs_src = (uint64_t)-123456789,
				 tsc_src = 1ULL << 40;
			uint64_t guest_src = gsrc[g];
			uint64_t guest_dst = guest_src + 3600 * NS_PER_SEC + 17;
			uint64_t tsc_dst = 999; /* the new host rebooted */
			uint64_t ofs =
			    x86_tsc_offset_catchup(ofs_src, tsc_src, guest_src,
						   tsc_dst, guest_dst, khz);
			uint64_t a = x86_tsc_at_kvmclock_zero(ofs_src, tsc_src,
							      guest_src, khz);
			uint64_t b = x86_tsc_at_kvmclock_zero(ofs, tsc_dst,
							      guest_dst, khz);
			int64_t diff = (int64_t)(a - b);

			/* exact up to the rounding of two separate products */
			CHECK(diff >= -1 && diff <= 1);
			if (khz % 1000000 == 0)
				CHECK_EQ(a, b);
			/* the guest TSC moved by exactly the elapsed cycles */
			CHECK_EQ(
			    x86_guest_tsc(ofs, tsc_dst) -
				x86_guest_tsc(ofs_src, tsc_src),
			    x86_tsc_cycles_between(guest_dst, guest_src, khz));
		}
}

static void test_catchup_values(void)
{
	/* 2.7 GHz, 10 s of downtime, destination TSC behind the source */
	uint64_t ofs =
	    x86_tsc_offset_catchup(1000, 5000000000ULL, 100 * NS_PER_SEC,
				   2000000000ULL, 110 * NS_PER_SEC, 2700000);

	CHECK_EQ(ofs, 1000 + 27000000000ULL + 3000000000ULL);
	/* no time passed, same host TSC: the offset stays */
	CHECK_EQ(x86_tsc_offset_catchup(42, 7, 9, 7, 9, 2700000), 42);
	/* kvmclock went backwards (guest_dest < guest_src): subtract */
	CHECK_EQ(x86_tsc_offset_catchup(0, 0, 2 * NS_PER_SEC, 0, NS_PER_SEC,
					1000000),
		 (uint64_t)-1000000000LL);
	/* wrapping offsets and host TSCs */
	CHECK_EQ(x86_tsc_offset_catchup(UINT64_MAX, 0, 0, 1, 0, 1000000),
		 UINT64_MAX - 1);
	CHECK_EQ(x86_tsc_offset_catchup(0, UINT64_MAX, 0, 0, 0, 1000000),
		 UINT64_MAX);
}

static void test_freeze(void)
{
	uint64_t ofs_src = (uint64_t)-5000, tsc_src = 1ULL << 50;
	uint64_t saved = x86_guest_tsc(ofs_src, tsc_src);
	uint64_t ofs = x86_tsc_offset_freeze(saved, 12345);

	CHECK_EQ(saved, (1ULL << 50) - 5000);
	CHECK_EQ(x86_guest_tsc(ofs, 12345), saved); /* continues exactly */
	CHECK_EQ(x86_tsc_offset_freeze(0, 1), UINT64_MAX);
	CHECK_EQ(x86_tsc_offset_freeze(5, 5), 0);
	/* freeze == catch-up when no kvmclock time passed */
	CHECK_EQ(ofs, x86_tsc_offset_catchup(ofs_src, tsc_src, 77, 12345, 77,
					     2700000));
	/* and catch-up is freeze plus the elapsed cycles */
	CHECK_EQ(x86_tsc_offset_catchup(ofs_src, tsc_src, 77, 12345,
					77 + NS_PER_SEC, 2700000) -
		     ofs,
		 2700000000ULL);
}

static void test_ppm(void)
{
	/* 4 GHz: 250 ppm is exactly 1000 kHz */
	CHECK(!x86_tsc_khz_mismatch(4000000, 4000000));
	CHECK(!x86_tsc_khz_mismatch(4000000, 4001000));
	CHECK(!x86_tsc_khz_mismatch(4000000, 3999000));
	CHECK(x86_tsc_khz_mismatch(4000000, 4001001));
	CHECK(x86_tsc_khz_mismatch(4000000, 3998999));
	/* 2.7 GHz: 675 kHz */
	CHECK(!x86_tsc_khz_mismatch(2700000, 2700675));
	CHECK(x86_tsc_khz_mismatch(2700000, 2700676));
	CHECK(!x86_tsc_khz_mismatch(2700000, 2699325));
	CHECK(x86_tsc_khz_mismatch(2700000, 2699324));
	/* 1 kHz: nothing but equality is within 250 ppm */
	CHECK(!x86_tsc_khz_mismatch(1, 1));
	CHECK(x86_tsc_khz_mismatch(1, 2));
	/* 4000 kHz: exactly 1 kHz allowed */
	CHECK(!x86_tsc_khz_mismatch(4000, 4001));
	CHECK(x86_tsc_khz_mismatch(4000, 4002));
	/* zero and the top of the range */
	CHECK(!x86_tsc_khz_mismatch(0, 0));
	CHECK(x86_tsc_khz_mismatch(0, 1));
	CHECK(x86_tsc_khz_mismatch(1, 0));
	CHECK(!x86_tsc_khz_mismatch(UINT32_MAX, UINT32_MAX));
	CHECK(!x86_tsc_khz_mismatch(UINT32_MAX, UINT32_MAX - 1073741));
	CHECK(x86_tsc_khz_mismatch(UINT32_MAX, UINT32_MAX - 1073742));
	CHECK(x86_tsc_khz_mismatch(UINT32_MAX, 0));
}

int main(void)
{
	test_cycles_basic();
	test_cycles_negative();
	test_cycles_huge();
	test_catchup_invariant();
	test_catchup_values();
	test_freeze();
	test_ppm();
	return unit_done("x86_clock");
}
