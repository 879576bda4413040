/* timescale.h: exact tick/nanosecond arithmetic for guest timebases: 64x64->128 multiply-divide, mult/shift scale factors, blackout and cross-host timer conversions. */
#ifndef MINIVMM_RISCV_TIMESCALE_H
#define MINIVMM_RISCV_TIMESCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Units: frequencies in Hz (the TIMER 'frequency' register), times in
 * ticks of a 64-bit counter (the time CSR) or in nanoseconds.
 *
 * Overflow: every intermediate is 128 bits wide and cannot overflow for
 * any 64-bit operands. Tick results are exact modulo 2^64, as the counter
 * itself wraps (10 GHz wraps after 58 years; at 1 kHz-10 GHz a 100-year
 * uptime is < 2^62 ns). Nanosecond results saturate at UINT64_MAX
 * (584 years). Frequencies must be non-zero: ts_check_hz() says so with a
 * reason; the arithmetic returns 0 for a zero frequency instead of trapping.
 */
#define TS_NSEC_PER_SEC	   1000000000ULL
#define TS_MIN_HZ	   1000ULL	  /* 1 kHz */
#define TS_MAX_HZ	   10000000000ULL /* 10 GHz */
#define TS_COMPARE_NEVER   UINT64_MAX	  /* timer compare: no deadline */

struct ts_u128 {
	uint64_t hi, lo;
};

/* a * b, full width. */
struct ts_u128 ts_mul_64x64(uint64_t a, uint64_t b);
/* n / d with a 128-bit quotient; the remainder in *rem (may be NULL).
 * d must be non-zero (0 gives a zero quotient and remainder). */
struct ts_u128 ts_div_128_64(struct ts_u128 n, uint64_t d, uint64_t *rem);
/* The same without the compiler's 128-bit type: used when it is missing,
 * and exported so the unit test checks one path against the other. */
struct ts_u128 ts_mul_64x64_portable(uint64_t a, uint64_t b);
struct ts_u128 ts_div_128_64_portable(struct ts_u128 n, uint64_t d,
				      uint64_t *rem);

/* floor(a * b / c). *q gets the low 64 bits of the quotient; returns true
 * when the quotient needed more (c == 0: returns true, *q = 0). */
bool ts_mul_div_overflows(uint64_t a, uint64_t b, uint64_t c, uint64_t *q);
/* floor(a * b / c) modulo 2^64, for counters. */
uint64_t ts_mul_div_wrap(uint64_t a, uint64_t b, uint64_t c);
/* floor(a * b / c), UINT64_MAX if it does not fit. */
uint64_t ts_mul_div_sat(uint64_t a, uint64_t b, uint64_t c);

/* 0, or -EINVAL with a reason when hz is outside [TS_MIN_HZ, TS_MAX_HZ]. */
int ts_check_hz(uint64_t hz, char *err, size_t errlen);

/*
 * Exact conversions, rounded down: ns = floor(ticks * 10^9 / hz) (saturates),
 * ticks = floor(ns * hz / 10^9) (modulo 2^64). A round trip loses at most
 * one unit of the coarser of the two: ticks -> ns -> ticks gives t or t - 1
 * for hz <= 1 GHz, and ns -> ticks -> ns gives n or less by under 1 tick.
 */
uint64_t ts_ticks_to_ns(uint64_t ticks, uint64_t hz);
uint64_t ts_ns_to_ticks(uint64_t ns, uint64_t hz);

/*
 * A fixed-point factor: out = (in * mult) >> shift, with the product taken
 * to 128 bits, so the only limit on 'in' is that the result fits 64 bits.
 * ts_scale_init picks the largest shift (0..127) with mult < 2^64, i.e.
 * mult normalised to [2^63, 2^64) and 64 significant bits of to/from.
 * mult = floor(to * 2^shift / from), so the relative error of the factor is
 * below 2^-63 and ts_scale() returns floor(in * to / from) or one less
 * whenever the true result is below 2^63 (in general it is short by at most
 * 1 + result / 2^63). Exact when to/from * 2^shift is an integer.
 */
struct ts_scale {
	uint64_t mult;
	unsigned int shift;
};

/* -EINVAL if either frequency is 0. */
int ts_scale_init(struct ts_scale *s, uint64_t from_hz, uint64_t to_hz);
/* Result modulo 2^64. */
uint64_t ts_scale(const struct ts_scale *s, uint64_t in);

/*
 * Saved guest timer state (the TIMER registers) and its conversion for a
 * restore, possibly on a host with another timebase (KVM's frequency is
 * the host's and cannot be set). Guest time is kept in seconds: a count
 * moves to the new timebase as floor(count * to / from), and a blackout
 * of 'blackout_ns' (0 freezes the guest clock) adds floor(ns * to / 10^9)
 * ticks. The compare value is an absolute point on the same guest time
 * line, so it is rebased without the blackout: a deadline that passed
 * during the blackout fires at once. TS_COMPARE_NEVER stays, and a
 * deadline beyond 2^64 saturates to it instead of wrapping into the past.
 * Each result is within 2 ticks (of the new timebase) of the exact value.
 */
struct ts_timer {
	uint64_t freq_hz;
	uint64_t time;
	uint64_t compare;
};

/* Guest ticks for a wall-clock interval: floor(delta_ns * hz / 10^9). */
uint64_t ts_blackout_ticks(uint64_t delta_ns, uint64_t hz);
/* A count from one timebase to another, modulo 2^64. */
uint64_t ts_rebase(uint64_t ticks, uint64_t from_hz, uint64_t to_hz);
/* A compare value from one timebase to another, saturating. */
uint64_t ts_rebase_compare(uint64_t compare, uint64_t from_hz, uint64_t to_hz);
/* out = saved moved to host_hz after blackout_ns. -EINVAL with a reason
 * when a frequency is out of range. */
int ts_timer_restore(const struct ts_timer *saved, uint64_t host_hz,
		     uint64_t blackout_ns, struct ts_timer *out, char *err,
		     size_t errlen);

#endif
