/* sbi_vm.c: connects arch/riscv/sbi.c to the VM: KVM_EXIT_RISCV_SBI exits, the core console for SBI console output and (--console sbi) input, SRST as the VM's end. */
#include <string.h>

#include "arch.h"
#include "console.h"
#include "riscv_vm.h"
#include "sbi.h"
#include "util.h"
#include "vm.h"

static long con_write(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	console_write(vm->console, buf, len);
	return (long)len;
}

/* Input queued by the console's receiver below; never blocks. */
static long con_read(void *opaque, uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;
	struct arch_vm *a = vm->arch;
	size_t n = 0;

	pthread_mutex_lock(&a->in_lock);
	while (n < len && a->in_len) {
		buf[n++] = a->in_buf[a->in_head];
		a->in_head = (a->in_head + 1) % RISCV_SBI_IN_SIZE;
		a->in_len--;
	}
	pthread_mutex_unlock(&a->in_lock);
	if (n)
		console_rx_ready(vm->console);
	return (long)n;
}

static size_t con_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct arch_vm *a = opaque;
	size_t n = 0;

	pthread_mutex_lock(&a->in_lock);
	while (n < len && a->in_len < RISCV_SBI_IN_SIZE) {
		a->in_buf[(a->in_head + a->in_len) % RISCV_SBI_IN_SIZE] =
		    buf[n++];
		a->in_len++;
	}
	pthread_mutex_unlock(&a->in_lock);
	return n;
}

void riscv_sbi_console_init(struct vm *vm)
{
	if (vm->cfg->console == CONSOLE_SBI)
		console_set_receiver(vm->console, con_receive, vm->arch);
}

/* Normally KVM turns SRST into a system event the core decodes. */
static void system_reset(void *opaque, uint32_t type, uint32_t reason)
{
	struct vm *vm = opaque;

	if (type == SBI_SRST_TYPE_SHUTDOWN)
		vm_request_end(vm, VM_END_POWEROFF, 0,
			       "SBI system reset: shutdown (reason %u)",
			       reason);
	else
		vm_request_end(vm, VM_END_RESET, 0,
			       "SBI system reset: reboot (reason %u)", reason);
}

/* Console output always reaches the console (earlycon=sbi, hvc0); input
 * only with --console sbi. */
int riscv_sbi_exit(struct vcpu *vcpu, void *exit)
{
	struct vm *vm = vcpu->vm;
	const struct sbi_ctx ctx = {
	    .mem = &vm->mem,
	    .opaque = vm,
	    .con_write = con_write,
	    .con_read = vm->cfg->console == CONSOLE_SBI ? con_read : NULL,
	    .system_reset = system_reset,
	};

	sbi_handle(&ctx, exit);
	return ARCH_EXIT_CONTINUE;
}
