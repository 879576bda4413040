/* state.h: x86 vCPU and VM state to and from snapshot sections. */
#ifndef MINIVMM_X86_STATE_H
#define MINIVMM_X86_STATE_H

#include <stdbool.h>

struct vm;
struct vcpu;
struct snap_writer;
struct snap_reader;

/* What a restored guest's clocks do across the time the VM was saved. */
enum x86_clock_mode {
	/* kvmclock and every guest TSC advance by the wall-clock time that
	 * passed since the save (KVM_CLOCK_REALTIME): the guest sees the
	 * downtime, as after a long pause. */
	X86_CLOCK_CATCHUP = 0,
	/* kvmclock and every guest TSC continue from their saved values: the
	 * guest does not see the downtime at all. */
	X86_CLOCK_FREEZE,
};

struct x86_restore_opts {
	enum x86_clock_mode clock;
	/* Restore even when the saved TSC frequency differs from this host's
	 * by more than 250 ppm and KVM cannot scale it. */
	bool allow_tsc_mismatch;
};

/* Every vCPU must be paused out of KVM_RUN. Writes one SNAP_SEC_ARCH_VCPU
 * section per vCPU (instance = vCPU id), then SNAP_SEC_ARCH_VM (instance 0).
 * Errors are reported once; returns 0 or -errno. */
int x86_snapshot_save(struct vm *vm, struct snap_writer *w);

/* After vm_create, vcpus_create and loading guest RAM (the kvmclock and
 * steal-time MSRs point into it), before any KVM_RUN. The VM must have the
 * saved vCPU count. Every section is validated before anything is set.
 * Errors are reported once, naming the section; returns 0 or -errno. */
int x86_snapshot_restore(struct vm *vm, struct snap_reader *r,
			 const struct x86_restore_opts *o);

/* Tell a guest using kvmclock that it was stopped (no soft-lockup report).
 * Call after pausing, before resuming. 0 when the guest has no kvmclock. */
int x86_vcpu_kvmclock_ctrl(struct vcpu *vcpu);

#endif
