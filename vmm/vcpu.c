/* vcpu.c: one thread per vCPU running KVM_RUN, exit decoding and dispatch. */
#include <errno.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "arch.h"
#include "kvm.h"
#include "log.h"
#include "thread.h"
#include "vcpu.h"
#include "vm.h"

#define SIG_KICK (SIGRTMIN + 0)

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

int vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_KICK, &sa, NULL) < 0)
		return -errno;
	/* The main loop takes these through a signalfd; threads inherit. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	signal(SIGPIPE, SIG_IGN);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int vcpu_create_one(struct vm *vm, struct vcpu *vcpu, unsigned int id,
			   size_t run_size)
{
	long fd;

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->run_size = run_size;
	fd = kvm_vm_ioctl(vm, KVM_CREATE_VCPU, (void *)(uintptr_t)id);
	if (fd < 0) {
		pr_err("cannot create vCPU %u: %s", id, strerror((int)-fd));
		return (int)fd;
	}
	vcpu->fd = (int)fd;
	vcpu->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		pr_err("cannot map vCPU %u's run area: %s", id, strerror(errno));
		return -errno;
	}
	return arch_vcpu_init(vcpu);
}

int vcpus_create(struct vm *vm)
{
	long size = kvm_sys_ioctl(vm, KVM_GET_VCPU_MMAP_SIZE, NULL);
	int ret;

	if (size < (long)sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE failed: %s",
		       size < 0 ? strerror((int)-size) : "size too small");
		return size < 0 ? (int)size : -EINVAL;
	}
	vm->vcpus = calloc(vm->cfg->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg->nr_cpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned int i = 0; i < vm->cfg->nr_cpus; i++) {
		vm->nr_vcpus = i + 1;
		ret = vcpu_create_one(vm, &vm->vcpus[i], i, (size_t)size);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		ret = arch_vcpu_reset(&vm->vcpus[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static void vcpu_crash(struct vcpu *vcpu, const char *what, uint64_t a,
		       uint64_t b)
{
	if (vm_ending(vcpu->vm))
		return;
	arch_vcpu_dump(vcpu);
	vm_request_end(vcpu->vm, VM_END_CRASH, 0,
		       "vCPU %u: %s (0x%" PRIx64 ", 0x%" PRIx64 ")", vcpu->id,
		       what, a, b);
}

static void vcpu_exit_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++) {
		bus_access(&vcpu->vm->pio, run->io.port, data, run->io.size,
			   out);
		data += run->io.size;
	}
}

static void vcpu_exit_system_event(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_end(vm, VM_END_POWEROFF, 0, "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_end(vm, VM_END_RESET, 0, "guest reset");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vcpu_crash(vcpu, "guest reported a crash", 0, 0);
		break;
	default:
		if (arch_handle_exit(vcpu, KVM_EXIT_SYSTEM_EVENT,
				     &vcpu->run->system_event))
			vcpu_crash(vcpu, "unknown system event",
				   vcpu->run->system_event.type, 0);
	}
}

/* Decodes one exit; false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	vcpu->exits++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_exit_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		bus_access(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data,
			   run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		vcpu_crash(vcpu, "triple fault (KVM_EXIT_SHUTDOWN)", 0, 0);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_exit_system_event(vcpu);
		return !vm_ending(vcpu->vm);
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_crash(vcpu, "VM entry failed",
			   run->fail_entry.hardware_entry_failure_reason, 0);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_crash(vcpu, "KVM internal error", run->internal.suberror,
			   run->internal.ndata ? run->internal.data[0] : 0);
		return false;
	default:
		if (arch_handle_exit(vcpu, run->exit_reason, &run->hw) ==
		    ARCH_EXIT_CONTINUE)
			return !vm_ending(vcpu->vm);
		vcpu_crash(vcpu, "unhandled exit reason", run->exit_reason, 0);
		return false;
	}
}

/* Park until resumed or the VM ends; the pauser counts parked vCPUs. */
static void vcpu_park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->park_lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->park_cond);
	while (atomic_load(&vm->pause_req) && !vm_ending(vm))
		pthread_cond_wait(&vm->park_cond, &vm->park_lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->park_lock);
}

/*
 * After an exit handled here (I/O, MMIO, an SBI or hypercall answer), KVM
 * finishes the instruction only on the next KVM_RUN: an IN's or an MMIO
 * read's result reaches the register, an OUT's RIP is advanced, an SBI
 * call's return values are written. A vCPU parked before that would be saved
 * with the instruction half done, and a restore would execute it again (a
 * character printed twice, a byte of input lost). KVM_RUN with
 * immediate_exit set completes it and returns -EINTR without running guest
 * code (Documentation/virt/kvm/api.rst, "immediate_exit"). Returns 0 when
 * done, 1 when KVM exited again instead (the next fragment of a split MMIO
 * access: handled, and pending in turn), -1 when the vCPU must stop.
 */
static int vcpu_complete_exit(struct vcpu *vcpu)
{
	int ret;

	vcpu->exits_completed++;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	ret = ioctl(vcpu->fd, KVM_RUN, 0);
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (ret == 0)
		return vcpu_handle_exit(vcpu) ? 1 : -1;
	if (errno == EINTR || errno == EAGAIN)
		return 0;
	pr_err("vCPU %u: KVM_RUN to complete an exit before pausing: %s",
	       vcpu->id, strerror(errno));
	vm_request_end(vcpu->vm, VM_END_ERROR, 0, "vCPU %u: KVM_RUN failed",
		       vcpu->id);
	return -1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	bool exit_pending = false; /* an exit handled, not yet completed */

	/* A kicker sets its flag (end or pause) before immediate_exit, and we
	 * clear immediate_exit before looking at the flags: no kick is lost. */
	while (!vm_ending(vm)) {
		if (atomic_load(&vm->pause_req)) {
			if (exit_pending) {
				int r = vcpu_complete_exit(vcpu);

				if (r < 0)
					break;
				exit_pending = r > 0;
				continue; /* an exit may have ended the VM */
			}
			vcpu_park(vcpu);
			continue;
		}
		exit_pending = false;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&vcpu->run->immediate_exit, 0,
						 __ATOMIC_SEQ_CST);
				continue;
			}
			pr_err("vCPU %u: KVM_RUN failed: %s", vcpu->id,
			       strerror(errno));
			vm_request_end(vm, VM_END_ERROR, 0,
				       "vCPU %u: KVM_RUN failed", vcpu->id);
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
		exit_pending = true;
	}
	return NULL;
}

int vcpus_start(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		char name[THREAD_NAME_MAX + 1];
		int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

		if (ret) {
			pr_err("cannot start vCPU %u's thread: %s", i,
			       strerror(ret));
			return -ret;
		}
		snprintf(name, sizeof(name), "vcpu %u", i);
		thread_name(vcpu->thread, name);
		vcpu->thread_started = true;
	}
	return 0;
}

void vcpus_kick(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (!vcpu->run || !vcpu->thread_started)
			continue;
		__atomic_store_n(&vcpu->run->immediate_exit, 1,
				 __ATOMIC_SEQ_CST);
		pthread_kill(vcpu->thread, SIG_KICK);
	}
}

int vcpus_pause(struct vm *vm)
{
	if (vm->paused)
		return 0;
	atomic_store(&vm->pause_req, true);
	vcpus_kick(vm);
	pthread_mutex_lock(&vm->park_lock);
	while (vm->parked < vm->nr_vcpus && !vm_ending(vm))
		pthread_cond_wait(&vm->park_cond, &vm->park_lock);
	pthread_mutex_unlock(&vm->park_lock);
	if (vm_ending(vm)) {
		atomic_store(&vm->pause_req, false);
		return -ESHUTDOWN;
	}
	vm->paused = true;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		arch_vcpu_paused(&vm->vcpus[i]);
	return 0;
}

void vcpus_resume(struct vm *vm)
{
	if (!vm->paused)
		return;
	pthread_mutex_lock(&vm->park_lock);
	atomic_store(&vm->pause_req, false);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
	vm->paused = false;
}

void vcpus_wake(struct vm *vm)
{
	pthread_mutex_lock(&vm->park_lock);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
}

void vcpus_join(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->thread_started)
			pthread_join(vcpu->thread, NULL);
		vcpu->thread_started = false;
	}
}

void vcpus_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		arch_vcpu_destroy(vcpu);
		if (vcpu->run)
			munmap(vcpu->run, vcpu->run_size);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
}
