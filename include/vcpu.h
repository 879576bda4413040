/* vcpu.h: vCPU creation, threads, the KVM_RUN loop and kicking. */
#ifndef MINIVMM_VCPU_H
#define MINIVMM_VCPU_H

struct vm;
struct vcpu;

int vcpus_create(struct vm *vm);
int vcpus_start(struct vm *vm);
/* Make every vCPU leave KVM_RUN promptly (immediate_exit + signal). */
void vcpus_kick(struct vm *vm);
void vcpus_join(struct vm *vm);
/* Bring every vCPU to a safe point outside KVM_RUN and keep it there; the
 * one mechanism behind pause, snapshot and stop. Main thread only. */
int vcpus_pause(struct vm *vm);
void vcpus_resume(struct vm *vm);
/* Wake parked vCPUs so they see the VM is ending. */
void vcpus_wake(struct vm *vm);
void vcpus_destroy(struct vm *vm);
/* Block the signals the main loop handles, install the kick handler. */
int vcpu_signals_init(void);

#endif
