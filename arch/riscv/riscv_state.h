/* riscv_state.h: riscv snapshot state (state.c): vCPU registers, HSM state, the timer with its blackout accounting, the userspace PLIC. */
#ifndef MINIVMM_RISCV_STATE_H
#define MINIVMM_RISCV_STATE_H

#include <stdint.h>

#include "arch.h"

struct vm;
struct snap_writer;
struct snap_reader;

/* What the host says about time; arch.c gives the real one, tests a fake. */
struct riscv_host {
	uint64_t (*realtime_ns)(void); /* CLOCK_REALTIME */
};

/* The guest's time line at the save: CLOCK_REALTIME and the guest's time
 * CSR read back to back, and the guest's timebase. */
struct riscv_clock {
	uint64_t realtime_ns, time, hz;
};

int riscv_state_save(struct vm *vm, struct snap_writer *w,
		     const struct riscv_host *h);
/* After the vCPUs exist, before the first KVM_RUN. */
int riscv_state_restore(struct vm *vm, struct snap_reader *r,
			const struct restore_opts *o,
			const struct riscv_host *h);

/*
 * The guest time to restore at wall-clock 'now_ns': freeze gives the saved
 * time; catch-up adds the wall-clock blackout in guest ticks
 * (floor(ns * hz / 10^9), modulo 2^64 as the counter wraps). Returns 0,
 * 1 when catch-up found the wall clock behind the save (nothing added), or
 * -EINVAL when the saved timebase is outside 1 kHz-10 GHz.
 */
int riscv_clock_target(const struct riscv_clock *saved, uint64_t now_ns,
		       enum clock_mode mode, uint64_t *target,
		       uint64_t *blackout_ns);

#endif
