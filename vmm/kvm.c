/* kvm.c: the thin ioctl wrappers through which every layer reaches KVM. */
#include <errno.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kvm.h"
#include "vm.h"

static long kvm_ioctl_fd(int fd, unsigned long req, void *arg)
{
	long ret;

	do
		ret = ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return kvm_ioctl_fd(vm->kvm_fd, req, arg);
}

long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return kvm_ioctl_fd(vm->vm_fd, req, arg);
}

long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg)
{
	return kvm_ioctl_fd(vcpu->fd, req, arg);
}

long kvm_device_ioctl(int fd, unsigned long req, void *arg)
{
	return kvm_ioctl_fd(fd, req, arg);
}

long kvm_check_cap(struct vm *vm, unsigned int cap)
{
	long ret = -EBADF;

	if (vm->vm_fd >= 0)
		ret = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, (unsigned long)cap);
	if (ret < 0)
		ret = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, (unsigned long)cap);
	return ret < 0 ? -errno : ret;
}

int kvm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = (uint32_t)level };

	return (int)kvm_vm_ioctl(vm, KVM_IRQ_LINE, &l);
}
