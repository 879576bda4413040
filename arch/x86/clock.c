/* clock.c: pure TSC/kvmclock arithmetic for restoring guest clocks. */
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

__extension__ typedef __int128 s128;
__extension__ typedef unsigned __int128 u128;

#define NS_PER_MS 1000000 /* ns * kHz / 10^6 = cycles */

/* C division truncates toward zero, which makes the result odd-symmetric. */
static uint64_t cycles128(s128 delta_ns, uint32_t khz)
{
	s128 c = delta_ns * (s128)khz / NS_PER_MS;

	return (uint64_t)(u128)c; /* modulo 2^64, well defined for unsigned */
}

uint64_t x86_tsc_cycles(int64_t delta_ns, uint32_t khz)
{
	return cycles128(delta_ns, khz);
}

uint64_t x86_tsc_cycles_between(uint64_t a_ns, uint64_t b_ns, uint32_t khz)
{
	return cycles128((s128)a_ns - (s128)b_ns, khz);
}

uint64_t x86_guest_tsc(uint64_t offset, uint64_t host_tsc)
{
	return offset + host_tsc;
}

uint64_t x86_tsc_at_kvmclock_zero(uint64_t offset, uint64_t host_tsc,
				  uint64_t guest_ns, uint32_t khz)
{
	return offset + host_tsc - cycles128(guest_ns, khz);
}

uint64_t x86_tsc_offset_catchup(uint64_t ofs_src, uint64_t tsc_src,
				uint64_t guest_src, uint64_t tsc_dest,
				uint64_t guest_dest, uint32_t khz)
{
	return ofs_src - x86_tsc_cycles_between(guest_src, guest_dest, khz) +
	       (tsc_src - tsc_dest);
}

uint64_t x86_tsc_offset_freeze(uint64_t saved_guest_tsc, uint64_t host_tsc_now)
{
	return saved_guest_tsc - host_tsc_now;
}

bool x86_tsc_khz_mismatch(uint32_t want, uint32_t have)
{
	uint64_t diff = want > have ? want - have : have - want;

	return diff * 1000000 > (uint64_t)want * X86_TSC_TOLERANCE_PPM;
}
