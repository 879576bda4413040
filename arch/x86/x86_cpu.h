/* x86_cpu.h: the x86 backend's vCPU pieces: CPUID, MSRs, LAPIC and boot registers. */
#ifndef MINIVMM_X86_CPU_H
#define MINIVMM_X86_CPU_H

#include "kvm_x86.h"
#include "x86.h"

struct vm;
struct vcpu;

struct arch_vm {
	struct x86_boot boot;
	struct kvmx_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, fetched once */
};

/* CPUID. x86_cpuid_fixup may add up to X86_CPUID_EXTRA entries. */
#define X86_CPUID_EXTRA 2
struct kvmx_cpuid2 *x86_cpuid_supported(struct vm *vm);
void x86_cpuid_fixup(struct kvmx_cpuid2 *c, unsigned int apic_id,
		     unsigned int nr_cpus);
int x86_cpuid_set(struct vcpu *vcpu, const struct kvmx_cpuid2 *supported);

/* Boot state: GDT, page tables and registers for each boot mode. */
int x86_write_boot_tables(const struct guest_mem *mem);
void x86_boot_sregs(const struct x86_boot *boot, struct kvmx_sregs *s);
void x86_boot_regs(const struct x86_boot *boot, struct kvmx_regs *r);
int x86_vcpu_boot(struct vcpu *vcpu, const struct x86_boot *boot);
int x86_vcpu_msrs(struct vcpu *vcpu);
int x86_vcpu_lapic(struct vcpu *vcpu);
int x86_vcpu_fpu(struct vcpu *vcpu);

#endif
