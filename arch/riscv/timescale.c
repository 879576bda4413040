/* timescale.c: exact tick/nanosecond arithmetic with 128-bit intermediates, mult/shift factors and timer conversions for save/restore. */
#include <errno.h>
#include <stdio.h>

#include "timescale.h"

#if defined(__SIZEOF_INT128__) && !defined(TS_FORCE_PORTABLE)
#define TS_HAVE_INT128 1
__extension__ typedef unsigned __int128 u128;
#endif

static inline bool u128_fits64(struct ts_u128 v)
{
	return v.hi == 0;
}

struct ts_u128 ts_mul_64x64_portable(uint64_t a, uint64_t b)
{
	uint64_t a_lo = (uint32_t)a, a_hi = a >> 32;
	uint64_t b_lo = (uint32_t)b, b_hi = b >> 32;
	uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi;
	uint64_t hl = a_hi * b_lo, hh = a_hi * b_hi;
	/* The middle column: at most 3 * (2^32 - 1), no overflow. */
	uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;

	return (struct ts_u128){
	    .hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32),
	    .lo = (mid << 32) | (uint32_t)ll,
	};
}

/* (r:lo) / d for r < d: a 64-bit quotient by shift-and-subtract. */
static uint64_t div_step(uint64_t r, uint64_t lo, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0;

	for (int i = 63; i >= 0; i--) {
		uint64_t carry = r >> 63;

		r = (r << 1) | ((lo >> i) & 1);
		q <<= 1;
		/* r < d before the shift, so 2r + 1 - d < d: one subtract. */
		if (carry || r >= d) {
			r -= d;
			q |= 1;
		}
	}
	*rem = r;
	return q;
}

struct ts_u128 ts_div_128_64_portable(struct ts_u128 n, uint64_t d,
				      uint64_t *rem)
{
	struct ts_u128 q = {0, 0};
	uint64_t r = 0;

	if (d) {
		q.hi = n.hi / d;
		q.lo = div_step(n.hi % d, n.lo, d, &r);
	}
	if (rem)
		*rem = r;
	return q;
}

#ifdef TS_HAVE_INT128
struct ts_u128 ts_mul_64x64(uint64_t a, uint64_t b)
{
	u128 p = (u128)a * b;

	return (struct ts_u128){.hi = (uint64_t)(p >> 64), .lo = (uint64_t)p};
}

struct ts_u128 ts_div_128_64(struct ts_u128 n, uint64_t d, uint64_t *rem)
{
	u128 v = (u128)n.hi << 64 | n.lo;

	if (!d) {
		if (rem)
			*rem = 0;
		return (struct ts_u128){0, 0};
	}
	if (rem)
		*rem = (uint64_t)(v % d);
	v /= d;
	return (struct ts_u128){.hi = (uint64_t)(v >> 64), .lo = (uint64_t)v};
}
#else
struct ts_u128 ts_mul_64x64(uint64_t a, uint64_t b)
{
	return ts_mul_64x64_portable(a, b);
}

struct ts_u128 ts_div_128_64(struct ts_u128 n, uint64_t d, uint64_t *rem)
{
	return ts_div_128_64_portable(n, d, rem);
}
#endif

bool ts_mul_div_overflows(uint64_t a, uint64_t b, uint64_t c, uint64_t *q)
{
	struct ts_u128 r;

	if (!c) {
		*q = 0;
		return true;
	}
	r = ts_div_128_64(ts_mul_64x64(a, b), c, NULL);
	*q = r.lo;
	return !u128_fits64(r);
}

uint64_t ts_mul_div_wrap(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q;

	ts_mul_div_overflows(a, b, c, &q);
	return q;
}

uint64_t ts_mul_div_sat(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q;

	if (!c)
		return 0;
	return ts_mul_div_overflows(a, b, c, &q) ? UINT64_MAX : q;
}

int ts_check_hz(uint64_t hz, char *err, size_t errlen)
{
	if (hz >= TS_MIN_HZ && hz <= TS_MAX_HZ)
		return 0;
	snprintf(err, errlen,
		 "timebase %llu Hz is outside the supported 1 kHz - 10 GHz",
		 (unsigned long long)hz);
	return -EINVAL;
}

uint64_t ts_ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	return ts_mul_div_sat(ticks, TS_NSEC_PER_SEC, hz);
}

uint64_t ts_ns_to_ticks(uint64_t ns, uint64_t hz)
{
	return ts_mul_div_wrap(ns, hz, TS_NSEC_PER_SEC);
}

int ts_scale_init(struct ts_scale *s, uint64_t from_hz, uint64_t to_hz)
{
	uint64_t q, r;
	unsigned int shift = 0;

	if (!from_hz || !to_hz)
		return -EINVAL;
	/* Long division of to / from, one fraction bit per shift step,
	 * until the quotient has 64 significant bits. */
	q = to_hz / from_hz;
	r = to_hz % from_hz;
	while (!(q >> 63) && shift < 127) {
		uint64_t carry = r >> 63;

		r <<= 1;
		q <<= 1;
		if (carry || r >= from_hz) {
			r -= from_hz;
			q |= 1;
		}
		shift++;
	}
	s->mult = q;
	s->shift = shift;
	return 0;
}

uint64_t ts_scale(const struct ts_scale *s, uint64_t in)
{
	struct ts_u128 p = ts_mul_64x64(in, s->mult);

	if (s->shift == 0)
		return p.lo;
	if (s->shift < 64)
		return p.lo >> s->shift | p.hi << (64 - s->shift);
	return p.hi >> (s->shift - 64);
}

uint64_t ts_blackout_ticks(uint64_t delta_ns, uint64_t hz)
{
	return ts_ns_to_ticks(delta_ns, hz);
}

uint64_t ts_rebase(uint64_t ticks, uint64_t from_hz, uint64_t to_hz)
{
	return ts_mul_div_wrap(ticks, to_hz, from_hz);
}

uint64_t ts_rebase_compare(uint64_t compare, uint64_t from_hz, uint64_t to_hz)
{
	if (compare == TS_COMPARE_NEVER)
		return TS_COMPARE_NEVER;
	return ts_mul_div_sat(compare, to_hz, from_hz);
}

int ts_timer_restore(const struct ts_timer *saved, uint64_t host_hz,
		     uint64_t blackout_ns, struct ts_timer *out, char *err,
		     size_t errlen)
{
	int ret = ts_check_hz(saved->freq_hz, err, errlen);

	if (!ret)
		ret = ts_check_hz(host_hz, err, errlen);
	if (ret)
		return ret;
	out->freq_hz = host_hz;
	out->time = ts_rebase(saved->time, saved->freq_hz, host_hz) +
		    ts_blackout_ticks(blackout_ns, host_hz);
	out->compare = ts_rebase_compare(saved->compare, saved->freq_hz,
					 host_hz);
	return 0;
}
