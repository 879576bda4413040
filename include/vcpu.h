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
void vcpus_destroy(struct vm *vm);
/* Block the signals the main loop handles, install the kick handler. */
int vcpu_signals_init(void);

#endif
