/* test_riscv_timescale.c: riscv time-scaling arithmetic against 128-bit reference results: edge cases, 100-year ranges at 1 kHz-10 GHz, randomized round trips and mult/shift error bounds. */
#include <errno.h>

#include "timescale.h"
#include "unit.h"
#include "util.h"

__extension__ typedef unsigned __int128 u128;

#define NS_100Y (3155760000ULL * TS_NSEC_PER_SEC) /* 100 Julian years */

static char err[256];
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random values of every magnitude, not just near 2^64. */
static uint64_t rnd_bits(void)
{
	unsigned int bits = (unsigned int)(rnd() % 65);

	return bits == 64 ? rnd() : rnd() & ((1ULL << bits) - 1);
}

/* A frequency in [1 kHz, 10 GHz], spread over the decades. */
static uint64_t rnd_hz(void)
{
	static const uint64_t decade[] = {1000ULL,	  10000ULL,
					  100000ULL,	  1000000ULL,
					  10000000ULL,	  100000000ULL,
					  1000000000ULL};
	uint64_t lo = decade[rnd() % 7];

	return lo + rnd() % (9 * lo + 1);
}

static u128 ref_mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	return (u128)a * b / c;
}

static const uint64_t edge_vals[] = {
    0, 1, 2, 999, 1000, 0xffffffffULL, 0x100000000ULL, 0x7fffffffffffffffULL,
    0x8000000000000000ULL, 0xfffffffffffffffeULL, UINT64_MAX};

static const uint64_t edge_hz[] = {
    1000, 1001, 32768, 1000000, 10000000 /* QEMU virt */, 24000000, 999999937,
    1000000000, 1000000007, 3000000000ULL, 4294967295ULL, 10000000000ULL};

static void test_u128_paths(void)
{
	for (int i = 0; i < 200000; i++) {
		uint64_t a = i < 121 ? edge_vals[i % 11] : rnd_bits();
		uint64_t b = i < 121 ? edge_vals[i / 11] : rnd_bits();
		uint64_t d = rnd_bits() | (i & 1), rp = 0, rn = 0;
		u128 p = (u128)a * b;
		struct ts_u128 m = ts_mul_64x64_portable(a, b), q, qn;

		CHECK(m.hi == (uint64_t)(p >> 64) && m.lo == (uint64_t)p);
		m = ts_mul_64x64(a, b);
		CHECK(m.hi == (uint64_t)(p >> 64) && m.lo == (uint64_t)p);
		if (!d)
			continue;
		q = ts_div_128_64_portable(m, d, &rp);
		qn = ts_div_128_64(m, d, &rn);
		CHECK(q.hi == (uint64_t)(p / d >> 64) &&
		      q.lo == (uint64_t)(p / d) && rp == (uint64_t)(p % d));
		CHECK(qn.hi == q.hi && qn.lo == q.lo && rn == rp);
	}
	CHECK_EQ(ts_div_128_64_portable((struct ts_u128){1, 0}, 0, NULL).lo,
		 0);
}

static void test_mul_div(void)
{
	uint64_t q;

	CHECK(ts_mul_div_overflows(1, 1, 0, &q));
	CHECK_EQ(q, 0);
	CHECK_EQ(ts_mul_div_sat(5, 5, 0), 0);
	CHECK(!ts_mul_div_overflows(UINT64_MAX, UINT64_MAX, UINT64_MAX, &q));
	CHECK_EQ(q, UINT64_MAX);
	CHECK(ts_mul_div_overflows(UINT64_MAX, 2, 1, &q));
	CHECK_EQ(q, UINT64_MAX - 1); /* modulo 2^64 */
	CHECK_EQ(ts_mul_div_sat(UINT64_MAX, 2, 1), UINT64_MAX);
	CHECK_EQ(ts_mul_div_wrap(UINT64_MAX, 3, 2),
		 (uint64_t)((u128)UINT64_MAX * 3 / 2));
	for (int i = 0; i < 100000; i++) {
		uint64_t a = rnd_bits(), b = rnd_bits(), c = rnd_bits() | 1;
		u128 r = ref_mul_div(a, b, c);

		CHECK_EQ(ts_mul_div_overflows(a, b, c, &q), r >> 64 != 0);
		CHECK_EQ(q, (uint64_t)r);
		CHECK_EQ(ts_mul_div_sat(a, b, c),
			 r >> 64 ? UINT64_MAX : (uint64_t)r);
	}
}

static void test_check_hz(void)
{
	CHECK_EQ(ts_check_hz(999, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "999 Hz") != NULL);
	CHECK_EQ(ts_check_hz(0, err, sizeof(err)), -EINVAL);
	CHECK_EQ(ts_check_hz(1000, err, sizeof(err)), 0);
	CHECK_EQ(ts_check_hz(10000000000ULL, err, sizeof(err)), 0);
	CHECK_EQ(ts_check_hz(10000000001ULL, err, sizeof(err)), -EINVAL);
}

/* Every edge value at every edge frequency, both ways. */
static void test_conversion_edges(void)
{
	for (size_t h = 0; h < ARRAY_SIZE(edge_hz); h++) {
		uint64_t hz = edge_hz[h];

		for (size_t v = 0; v < ARRAY_SIZE(edge_vals); v++) {
			uint64_t x = edge_vals[v];
			u128 ns = ref_mul_div(x, TS_NSEC_PER_SEC, hz);

			CHECK_EQ(ts_ticks_to_ns(x, hz),
				 ns >> 64 ? UINT64_MAX : (uint64_t)ns);
			CHECK_EQ(ts_ns_to_ticks(x, hz),
				 (uint64_t)ref_mul_div(x, hz, TS_NSEC_PER_SEC));
		}
		CHECK_EQ(ts_ticks_to_ns(hz, hz), TS_NSEC_PER_SEC);
		CHECK_EQ(ts_ns_to_ticks(TS_NSEC_PER_SEC, hz), hz);
		CHECK_EQ(ts_ticks_to_ns(hz - 1, hz),
			 (uint64_t)ref_mul_div(hz - 1, TS_NSEC_PER_SEC, hz));
	}
	CHECK_EQ(ts_ticks_to_ns(1, 0), 0);
	CHECK_EQ(ts_ns_to_ticks(1, 0), 0);
	/* 1 kHz: one tick is 1 ms; 10 GHz: one ns is 10 ticks. */
	CHECK_EQ(ts_ticks_to_ns(1, 1000), 1000000);
	CHECK_EQ(ts_ns_to_ticks(999999, 1000), 0);
	CHECK_EQ(ts_ns_to_ticks(1, 10000000000ULL), 10);
	CHECK_EQ(ts_ticks_to_ns(9, 10000000000ULL), 0);
}

/* 100 years at every frequency: exact, no overflow. */
static void test_100_years(void)
{
	for (int i = 0; i < 20000; i++) {
		uint64_t hz = i < 12 ? edge_hz[i] : rnd_hz();
		u128 ticks = ref_mul_div(NS_100Y, hz, TS_NSEC_PER_SEC);
		uint64_t t = ts_ns_to_ticks(NS_100Y, hz), back;

		CHECK_EQ(t, (uint64_t)ticks); /* modulo 2^64 above 5.8 GHz */
		if (ticks >> 64)
			continue;
		back = ts_ticks_to_ns(t, hz);
		CHECK(back <= NS_100Y &&
		      NS_100Y - back < TS_NSEC_PER_SEC / hz + 1);
		CHECK_EQ(ts_blackout_ticks(NS_100Y, hz), t);
	}
	/* The counter wraps at 2^64 like the time CSR: 10 GHz, 100 years. */
	CHECK_EQ(ts_ns_to_ticks(NS_100Y, 10000000000ULL),
		 (uint64_t)((u128)NS_100Y * 10));
	CHECK_EQ(ts_ticks_to_ns(UINT64_MAX, 1000), UINT64_MAX); /* saturates */
}

/* A round trip loses at most one unit of the coarser domain. */
static void test_round_trips(void)
{
	for (int i = 0; i < 300000; i++) {
		uint64_t hz = rnd_hz();
		uint64_t t = rnd() % (ts_ns_to_ticks(NS_100Y, hz) | 1);
		/* Below the 2^64-tick wrap (58 years at 10 GHz). */
		uint64_t n = rnd() % MIN(NS_100Y, ts_ticks_to_ns(UINT64_MAX, hz));
		uint64_t t2;
		uint64_t n2 = ts_ticks_to_ns(ts_ns_to_ticks(n, hz), hz);
		uint64_t tick_ns = (TS_NSEC_PER_SEC + hz - 1) / hz;
		uint64_t ns_ticks = (hz + TS_NSEC_PER_SEC - 1) / TS_NSEC_PER_SEC;

		if (hz > 5800000000ULL) /* keep t below the 2^64 wrap */
			t >>= 1;
		t2 = ts_ns_to_ticks(ts_ticks_to_ns(t, hz), hz);
		CHECK(t2 <= t && t - t2 <= ns_ticks);
		if (hz <= TS_NSEC_PER_SEC)
			CHECK(t - t2 <= 1);
		CHECK(n2 <= n && n - n2 < tick_ns + 1);
		if (hz >= TS_NSEC_PER_SEC)
			CHECK(n - n2 <= 1);
	}
}

static void check_scale(uint64_t from, uint64_t to, uint64_t x)
{
	struct ts_scale s;
	u128 exact;
	uint64_t got;

	CHECK_EQ(ts_scale_init(&s, from, to), 0);
	CHECK(s.mult >> 63 && s.shift <= 127);
	exact = ref_mul_div(x, to, from);
	got = ts_scale(&s, x);
	if (exact >> 63)
		return;
	CHECK(got == (uint64_t)exact || got + 1 == (uint64_t)exact);
}

static void test_scale(void)
{
	struct ts_scale s;

	CHECK_EQ(ts_scale_init(&s, 0, 1), -EINVAL);
	CHECK_EQ(ts_scale_init(&s, 1, 0), -EINVAL);
	/* Equal and integer ratios are exact. */
	CHECK_EQ(ts_scale_init(&s, 24000000, 24000000), 0);
	CHECK_EQ(s.mult, 1ULL << 63);
	CHECK_EQ(s.shift, 63);
	CHECK_EQ(ts_scale(&s, 123456789012345ULL), 123456789012345ULL);
	CHECK_EQ(ts_scale_init(&s, 10000000, TS_NSEC_PER_SEC), 0);
	CHECK_EQ(s.shift, 57); /* 100 has 7 significant bits */
	CHECK_EQ(ts_scale(&s, 1234567), 123456700);
	CHECK_EQ(ts_scale(&s, NS_100Y / 100), NS_100Y);
	/* Extremes of the ratio: shift 0 and shift 127. */
	CHECK_EQ(ts_scale_init(&s, 1, UINT64_MAX), 0);
	CHECK_EQ(s.shift, 0);
	CHECK_EQ(ts_scale(&s, 1), UINT64_MAX);
	CHECK_EQ(ts_scale_init(&s, UINT64_MAX, 1), 0);
	CHECK_EQ(s.shift, 127);
	CHECK_EQ(ts_scale(&s, UINT64_MAX), 0); /* floor(1 - 2^-64) */
	/* 1 kHz -> ns: 10^6 per tick; 10 GHz -> ns: 1/10. */
	CHECK_EQ(ts_scale_init(&s, 1000, TS_NSEC_PER_SEC), 0);
	CHECK_EQ(ts_scale(&s, 3155760000000ULL), NS_100Y);
	for (size_t i = 0; i < ARRAY_SIZE(edge_hz); i++)
		for (size_t j = 0; j < ARRAY_SIZE(edge_hz); j++)
			for (size_t v = 0; v < ARRAY_SIZE(edge_vals); v++)
				check_scale(edge_hz[i], edge_hz[j],
					    edge_vals[v]);
	for (int i = 0; i < 300000; i++)
		check_scale(rnd_hz(), i & 1 ? TS_NSEC_PER_SEC : rnd_hz(),
			    rnd_bits());
}

static void test_rebase(void)
{
	CHECK_EQ(ts_rebase(10000000, 10000000, 24000000), 24000000);
	CHECK_EQ(ts_rebase(7, 3, 2), 4);
	CHECK_EQ(ts_rebase_compare(TS_COMPARE_NEVER, 10000000, 1000), UINT64_MAX);
	CHECK_EQ(ts_rebase_compare(TS_COMPARE_NEVER, 1000, 10000000),
		 UINT64_MAX);
	/* Beyond 2^64 in the new timebase: saturate, never wrap to the past. */
	CHECK_EQ(ts_rebase_compare(1ULL << 62, 1000, 10000), UINT64_MAX);
	CHECK_EQ(ts_rebase(1ULL << 62, 1000, 10000), (uint64_t)((u128)1 << 62) * 10);
	for (int i = 0; i < 100000; i++) {
		uint64_t a = rnd_hz(), b = rnd_hz(), t = rnd_bits();
		u128 r = ref_mul_div(t, b, a);

		CHECK_EQ(ts_rebase(t, a, b), (uint64_t)r);
		if (t != UINT64_MAX)
			CHECK_EQ(ts_rebase_compare(t, a, b),
				 r >> 64 ? UINT64_MAX : (uint64_t)r);
	}
}

static void test_timer_restore(void)
{
	struct ts_timer saved = {.freq_hz = 10000000,
				 .time = 36000ULL * 10000000, /* 10 hours */
				 .compare = 36000ULL * 10000000 + 50000};
	struct ts_timer out;

	/* Same host, frozen clock: identical. */
	CHECK_EQ(ts_timer_restore(&saved, 10000000, 0, &out, err, sizeof(err)),
		 0);
	CHECK(out.time == saved.time && out.compare == saved.compare);
	CHECK_EQ(out.freq_hz, 10000000);
	/* 24 MHz host, 2 ms blackout: 10 h + 2 ms of 24 MHz ticks; the
	 * deadline 5 ms after the save point. */
	CHECK_EQ(ts_timer_restore(&saved, 24000000, 2000000, &out, err,
				  sizeof(err)),
		 0);
	CHECK_EQ(out.time, 36000ULL * 24000000 + 48000);
	CHECK_EQ(out.compare, 36000ULL * 24000000 + 120000);
	CHECK(out.compare > out.time);
	/* A 10 ms blackout passes the deadline: it fires at once. */
	CHECK_EQ(ts_timer_restore(&saved, 24000000, 10000000, &out, err,
				  sizeof(err)),
		 0);
	CHECK(out.compare <= out.time);
	saved.compare = TS_COMPARE_NEVER;
	CHECK_EQ(ts_timer_restore(&saved, 1000, NS_100Y, &out, err, sizeof(err)),
		 0);
	CHECK_EQ(out.compare, TS_COMPARE_NEVER);
	CHECK_EQ(out.time, 36000ULL * 1000 + 3155760000000ULL);
	CHECK_EQ(ts_timer_restore(&saved, 20000000000ULL, 0, &out, err,
				  sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "20000000000 Hz") != NULL);
	saved.freq_hz = 0;
	CHECK_EQ(ts_timer_restore(&saved, 1000, 0, &out, err, sizeof(err)),
		 -EINVAL);
	/* Randomized: within 2 ticks of the exact combined value. */
	for (int i = 0; i < 100000; i++) {
		struct ts_timer s = {.freq_hz = rnd_hz(), .compare = 0};
		uint64_t host = rnd_hz(), bo = rnd() % NS_100Y;
		u128 exact;

		s.time = rnd() % (ts_ns_to_ticks(NS_100Y, s.freq_hz) / 4 + 1);
		exact = ((u128)s.time * TS_NSEC_PER_SEC + (u128)bo * s.freq_hz) *
			host / ((u128)s.freq_hz * TS_NSEC_PER_SEC);
		CHECK_EQ(ts_timer_restore(&s, host, bo, &out, err, sizeof(err)),
			 0);
		if (exact >> 64)
			continue;
		CHECK(out.time <= (uint64_t)exact &&
		      (uint64_t)exact - out.time <= 2);
	}
}

int main(void)
{
	test_u128_paths();
	test_mul_div();
	test_check_hz();
	test_conversion_edges();
	test_100_years();
	test_round_trips();
	test_scale();
	test_rebase();
	test_timer_restore();
	return unit_done("riscv_timescale");
}
