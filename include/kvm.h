/* kvm.h: the core's small KVM wrappers, the only way arch code reaches KVM. */
#ifndef MINIVMM_KVM_H
#define MINIVMM_KVM_H

#include <stdint.h>

struct vm;
struct vcpu;

/* Each returns the ioctl's non-negative result or -errno (EINTR retried). */
long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg);
long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg);
long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg);
/* On a device fd from KVM_CREATE_DEVICE (an in-kernel irqchip, ...). */
long kvm_device_ioctl(int fd, unsigned long req, void *arg);
/* KVM_CHECK_EXTENSION on the VM fd (falls back to /dev/kvm); <= 0 means absent. */
long kvm_check_cap(struct vm *vm, unsigned int cap);
/* Raise or lower an interrupt line (KVM_IRQ_LINE). */
int kvm_irq_line(struct vm *vm, uint32_t irq, int level);

#endif
