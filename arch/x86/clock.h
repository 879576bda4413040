/* clock.h: pure TSC/kvmclock arithmetic for restoring guest clocks. */
#ifndef MINIVMM_X86_CLOCK_H
#define MINIVMM_X86_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Units: kvmclock and CLOCK_REALTIME values are nanoseconds, TSC values and
 * offsets are cycles, frequencies are kHz (what KVM_GET_TSC_KHZ returns).
 * TSC arithmetic wraps at 2^64 as the hardware's does, so every cycle result
 * here is exact modulo 2^64; intermediates are 128-bit and never overflow
 * (|delta_ns| < 2^64, kHz < 2^32: the product is < 2^96).
 */

/* KVM's own tolerance: frequencies within 250 ppm need no TSC scaling. */
#define X86_TSC_TOLERANCE_PPM 250

/* Cycles elapsed in 'delta_ns' at 'khz': delta_ns * khz / 10^6, rounded
 * toward zero so that cycles(-d) == -cycles(d). Negative deltas give the
 * two's complement. Exact for any int64 delta at any u32 kHz (292 years at
 * 4.29 THz), modulo 2^64. */
uint64_t x86_tsc_cycles(int64_t delta_ns, uint32_t khz);

/* Same, for the difference of two unsigned kvmclock readings a - b. */
uint64_t x86_tsc_cycles_between(uint64_t a_ns, uint64_t b_ns, uint32_t khz);

/* The guest TSC at host TSC 'host_tsc' under 'offset' (no scaling). */
uint64_t x86_guest_tsc(uint64_t offset, uint64_t host_tsc);

/* The guest TSC value that corresponds to kvmclock 0:
 * ofs + tsc - guest_ns * khz / 10^6. The catch-up formula keeps it. */
uint64_t x86_tsc_at_kvmclock_zero(uint64_t offset, uint64_t host_tsc,
				  uint64_t guest_ns, uint32_t khz);

/* Catch-up (Documentation/virt/kvm/devices/vcpu.rst, KVM_VCPU_TSC_OFFSET):
 * ofs_dst = ofs_src - (guest_src - guest_dest) * khz / 10^6
 *	     + (tsc_src - tsc_dest)
 * with guest_* from KVM_GET_CLOCK.clock (ns), tsc_* from .host_tsc (cycles):
 * the guest TSC advances by exactly the kvmclock time that passed. */
uint64_t x86_tsc_offset_catchup(uint64_t ofs_src, uint64_t tsc_src,
				uint64_t guest_src, uint64_t tsc_dest,
				uint64_t guest_dest, uint32_t khz);

/* Freeze: the guest TSC continues from the value it had when the source's
 * clock was read: ofs_dst = saved_guest_tsc - host_tsc_now. */
uint64_t x86_tsc_offset_freeze(uint64_t saved_guest_tsc, uint64_t host_tsc_now);

/* True when 'have' differs from 'want' by more than 250 ppm of 'want'
 * (either is 0: mismatch unless both are). */
bool x86_tsc_khz_mismatch(uint32_t want, uint32_t have);

#endif
