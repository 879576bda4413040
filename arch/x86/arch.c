/* arch.c: the x86-64 backend behind include/arch.h: memory map, irqchip, platform devices, boot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "kvm.h"
#include "log.h"
#include "platform.h"
#include "util.h"
#include "vm.h"
#include "x86_cpu.h"
#include "state.h"
#include "snapshot_file.h"
#include "acpi.h"
#include "devices/acpi_pm.h"
#include "devices/boot_timer.h"
#include "devices/exit_port.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/port_sink.h"
#include "devices/rtc.h"
#include "devices/uart8250.h"

#define X86_MIN_MEM	     (2 * MiB)
#define X86_EXIT_PORT	     0xf4
#define X86_COM1_BASE	     0x3f8
#define X86_COM1_IRQ	     4
#define X86_DEFAULT_CMDLINE  "console=ttyS0 reboot=k panic=-1"

const char arch_name[] = "x86_64";

uint64_t arch_min_mem(void)
{
	return X86_MIN_MEM;
}

unsigned int arch_max_cpus(void)
{
	return X86_MAX_CPUS;
}

int arch_default_exit_port(void)
{
	return X86_EXIT_PORT;
}

uint64_t arch_exit_port_max(void)
{
	return 0xffff;
}

/* KVM_IRQ_LINE takes the GSI itself (PIC/IOAPIC pins). */
uint32_t arch_irq_line_number(uint32_t gsi)
{
	return gsi;
}

/* RAM below the 32-bit MMIO hole, the rest from 4 GiB up. */
int arch_mem_layout(uint64_t ram_size, struct mem_bank *banks, unsigned int max)
{
	uint64_t low = MIN(ram_size, X86_MMIO_HOLE);

	if (max < 2)
		return -EINVAL;
	banks[0] = (struct mem_bank){ 0, low };
	if (ram_size == low)
		return 1;
	banks[1] = (struct mem_bank){ X86_MMIO_HOLE_END, ram_size - low };
	return 2;
}

static int x86_vm_ioctl(struct vm *vm, unsigned long req, void *arg,
			const char *what)
{
	long ret = kvm_vm_ioctl(vm, req, arg);

	if (ret < 0)
		pr_err("%s failed: %s", what, strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

int arch_vm_init(struct vm *vm)
{
	struct kvmx_pit_config pit = { .flags = KVMX_PIT_SPEAKER_DUMMY };
	uint64_t idmap = X86_IDENTITY_MAP;
	int ret;

	vm->arch = calloc(1, sizeof(*vm->arch));
	if (!vm->arch)
		return -ENOMEM;
	vm->arch->cpuid = x86_cpuid_supported(vm);
	if (!vm->arch->cpuid)
		return -ENOTSUP;
	if ((ret = x86_vm_ioctl(vm, KVMX_SET_IDENTITY_MAP_ADDR, &idmap,
				"KVM_SET_IDENTITY_MAP_ADDR")) ||
	    (ret = x86_vm_ioctl(vm, KVMX_SET_TSS_ADDR,
				(void *)(uintptr_t)X86_TSS_ADDR,
				"KVM_SET_TSS_ADDR")) ||
	    (ret = x86_vm_ioctl(vm, KVMX_CREATE_IRQCHIP, NULL,
				"KVM_CREATE_IRQCHIP")))
		return ret;
	return x86_vm_ioctl(vm, KVMX_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");
}

int arch_devices_init(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int ret;

	if ((ret = uart8250_create(vm, &vm->pio, X86_COM1_BASE, X86_COM1_IRQ,
				   vm->console, NULL)) ||
	    (ret = i8042_create(vm)) || (ret = rtc_create(vm)) ||
	    (ret = pci_host_create(vm, &vm->pci)) ||
	    (ret = port_sink_create(vm, 0x80, 1, "post")) ||
	    (ret = port_sink_create(vm, 0xed, 1, "io-delay")) ||
	    (ret = boot_timer_create(vm)) ||
	    (ret = acpi_pm_create(vm, X86_ACPI_SLEEP_CTL_PORT,
				  X86_ACPI_SLEEP_STS_PORT, X86_ACPI_RESET_PORT,
				  X86_ACPI_S5_SLP_TYP, X86_ACPI_RESET_VALUE)))
		return ret;
	if (cfg->exit_port >= 0)
		return exit_port_create(vm, &vm->pio, (uint64_t)cfg->exit_port);
	return 0;
}

/* Does the user's command line hold the word acpi=off? */
static bool x86_acpi_off(const char *cmdline)
{
	const char *p = cmdline;
	size_t n = strlen("acpi=off");

	while ((p = strstr(p, "acpi=off"))) {
		if ((p == cmdline || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

/*
 * " virtio_mmio.device=4K@0xBASE:GSI" per virtio-mmio device, only for a
 * guest booted with acpi=off: it cannot read the DSDT that normally lists
 * them (acpi.c), and with ACPI on the same device named twice would be
 * probed twice. Needs CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES in the guest.
 */
static size_t x86_cmdline_platform(char *s, size_t len,
				   const struct platform_dev *p)
{
	size_t n = 0;

	for (; p; p = p->next) {
		if (strcmp(p->kind, PLATFORM_VIRTIO_MMIO))
			continue;
		n += (size_t)snprintf(s ? s + n : NULL, s ? len - n : 0,
				      " virtio_mmio.device=%lluK@0x%llx:%u",
				      (unsigned long long)(p->size / KiB),
				      (unsigned long long)p->base, p->gsi);
	}
	return n;
}

/* The arch's defaults and the devices first, so the user's parameters
 * override them (and anything after a user's "--" stays init's). */
static char *x86_cmdline(const char *user, const struct platform_dev *p)
{
	size_t dev = x86_acpi_off(user) ? x86_cmdline_platform(NULL, 0, p) : 0;
	size_t len = strlen(X86_DEFAULT_CMDLINE) + dev + 1 + strlen(user) + 1;
	size_t at = strlen(X86_DEFAULT_CMDLINE);
	char *s = malloc(len);

	if (!s)
		return NULL;
	memcpy(s, X86_DEFAULT_CMDLINE, at + 1);
	if (dev)
		at += x86_cmdline_platform(s + at, len - at, p);
	snprintf(s + at, len - at, "%s%s", *user ? " " : "", user);
	return s;
}

int arch_load_kernel(struct vm *vm)
{
	struct x86_load_args a = {
		.mem = &vm->mem,
		.kernel = &vm->kernel,
		.initrd = &vm->initrd,
		.nr_cpus = vm->cfg->nr_cpus,
	};
	char err[256] = "";
	int fmt = vm->cfg->kernel_format, ret;
	char *cmdline = x86_cmdline(vm->cfg->cmdline, vm->platform);

	if (!cmdline)
		return -ENOMEM;
	a.cmdline = cmdline;
	if (fmt == KFMT_AUTO)
		fmt = x86_probe_kernel(&vm->kernel, err, sizeof(err));
	if (fmt == KFMT_BZIMAGE)
		ret = x86_load_bzimage(&a, &vm->arch->boot, err, sizeof(err));
	else if (fmt == KFMT_ELF)
		ret = x86_load_elf(&a, &vm->arch->boot, err, sizeof(err));
	else if (fmt == KFMT_FLAT)
		ret = x86_load_flat(&a, &vm->arch->boot, err, sizeof(err));
	else
		ret = fmt < 0 ? fmt : -EINVAL;
	free(cmdline);
	if (ret) {
		pr_err("cannot load %s: %s", vm->kernel.path,
		       err[0] ? err : strerror(-ret));
		return ret;
	}
	ret = x86_write_boot_tables(&vm->mem);
	if (ret)
		pr_err("no room for the boot page tables in guest RAM");
	return ret;
}

int arch_vcpu_init(struct vcpu *vcpu)
{
	int ret = x86_cpuid_set(vcpu, vcpu->vm->arch->cpuid);

	if (!ret)
		ret = x86_vcpu_msrs(vcpu);
	if (!ret)
		ret = x86_vcpu_lapic(vcpu);
	if (!ret)
		ret = x86_vcpu_fpu(vcpu);
	return ret;
}

/* Application processors wait for INIT/SIPI in KVM's local APIC. */
int arch_vcpu_reset(struct vcpu *vcpu)
{
	if (vcpu->id != 0)
		return 0;
	return x86_vcpu_boot(vcpu, &vcpu->vm->arch->boot);
}

int arch_vm_finalize(struct vm *vm)
{
	uint64_t rsdp;
	int ret = x86_write_mptable(&vm->mem, vm->nr_vcpus);

	if (vm->cfg->dump_dtb)
		pr_warn("--dump-dtb: x86 guests get no device tree; "
			"nothing written to %s", vm->cfg->dump_dtb);
	if (ret) {
		pr_err("cannot write the MP table: %s", strerror(-ret));
		return ret;
	}
	ret = x86_write_acpi(&vm->mem, vm->nr_vcpus, vm->platform, &rsdp);
	if (ret)
		pr_err("cannot write the ACPI tables: %s", strerror(-ret));
	return ret;
}

int arch_handle_exit(struct vcpu *vcpu, uint32_t reason, void *exit)
{
	return ARCH_EXIT_UNHANDLED;
}

void arch_vcpu_dump(struct vcpu *vcpu)
{
	struct kvmx_regs r;
	struct kvmx_sregs s;

	if (kvm_vcpu_ioctl(vcpu, KVMX_GET_REGS, &r) < 0 ||
	    kvm_vcpu_ioctl(vcpu, KVMX_GET_SREGS, &s) < 0)
		return;
	pr_err("vCPU %u: rip %016llx rsp %016llx rflags %08llx", vcpu->id,
	       (unsigned long long)r.rip, (unsigned long long)r.rsp,
	       (unsigned long long)r.rflags);
	pr_err("vCPU %u: rax %016llx rbx %016llx rcx %016llx rdx %016llx",
	       vcpu->id, (unsigned long long)r.rax, (unsigned long long)r.rbx,
	       (unsigned long long)r.rcx, (unsigned long long)r.rdx);
	pr_err("vCPU %u: cs %04x (base %llx) cr0 %llx cr3 %llx cr4 %llx "
	       "efer %llx", vcpu->id, s.cs.selector,
	       (unsigned long long)s.cs.base, (unsigned long long)s.cr0,
	       (unsigned long long)s.cr3, (unsigned long long)s.cr4,
	       (unsigned long long)s.efer);
}

/* The guest's soft-lockup watchdog must not count the pause. */
void arch_vcpu_paused(struct vcpu *vcpu)
{
	x86_vcpu_kvmclock_ctrl(vcpu);
}

unsigned int arch_snapshot_id(void)
{
	return SNAP_ARCH_X86_64;
}

int arch_snapshot_save(struct vm *vm, struct snap_writer *w)
{
	return x86_snapshot_save(vm, w);
}

int arch_snapshot_restore(struct vm *vm, struct snap_reader *r,
			  const struct restore_opts *o)
{
	const struct x86_restore_opts xo = {
		.clock = o->clock == CLOCK_FREEZE ? X86_CLOCK_FREEZE
						  : X86_CLOCK_CATCHUP,
		.allow_tsc_mismatch = o->allow_tsc_mismatch,
	};

	return x86_snapshot_restore(vm, r, &xo);
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
}

void arch_vm_destroy(struct vm *vm)
{
	free(vm->arch->cpuid);
	free(vm->arch);
	vm->arch = NULL;
}
