/* test_abi_x86.c: our own x86 KVM definitions (arch/x86/kvm_x86.h) match the installed <linux/kvm.h>. */
#include <stddef.h>
#include <linux/kvm.h>

#include "kvm_x86.h"
#include "unit.h"

#define SAME_SIZE(ours, theirs) \
	_Static_assert(sizeof(struct ours) == sizeof(struct theirs), #ours)
#define SAME_OFF(ours, theirs, f)                                       \
	_Static_assert(offsetof(struct ours, f) == offsetof(struct theirs, f), \
		       #ours "." #f)

SAME_SIZE(kvmx_regs, kvm_regs);
SAME_OFF(kvmx_regs, kvm_regs, rip);
SAME_OFF(kvmx_regs, kvm_regs, rflags);
SAME_SIZE(kvmx_segment, kvm_segment);
SAME_OFF(kvmx_segment, kvm_segment, selector);
SAME_OFF(kvmx_segment, kvm_segment, unusable);
SAME_SIZE(kvmx_dtable, kvm_dtable);
SAME_SIZE(kvmx_sregs, kvm_sregs);
SAME_OFF(kvmx_sregs, kvm_sregs, gdt);
SAME_OFF(kvmx_sregs, kvm_sregs, cr0);
SAME_OFF(kvmx_sregs, kvm_sregs, efer);
SAME_OFF(kvmx_sregs, kvm_sregs, apic_base);
SAME_OFF(kvmx_sregs, kvm_sregs, interrupt_bitmap);
SAME_SIZE(kvmx_fpu, kvm_fpu);
SAME_OFF(kvmx_fpu, kvm_fpu, fcw);
SAME_OFF(kvmx_fpu, kvm_fpu, last_ip);
SAME_OFF(kvmx_fpu, kvm_fpu, mxcsr);
SAME_SIZE(kvmx_cpuid_entry2, kvm_cpuid_entry2);
SAME_OFF(kvmx_cpuid_entry2, kvm_cpuid_entry2, eax);
SAME_SIZE(kvmx_cpuid2, kvm_cpuid2);
SAME_SIZE(kvmx_msr_entry, kvm_msr_entry);
SAME_OFF(kvmx_msr_entry, kvm_msr_entry, data);
SAME_SIZE(kvmx_msrs, kvm_msrs);
SAME_SIZE(kvmx_lapic_state, kvm_lapic_state);
SAME_SIZE(kvmx_pit_config, kvm_pit_config);

int main(void)
{
	CHECK_EQ(KVMX_GET_SUPPORTED_CPUID, KVM_GET_SUPPORTED_CPUID);
	CHECK_EQ(KVMX_SET_TSS_ADDR, KVM_SET_TSS_ADDR);
	CHECK_EQ(KVMX_SET_IDENTITY_MAP_ADDR, KVM_SET_IDENTITY_MAP_ADDR);
	CHECK_EQ(KVMX_CREATE_IRQCHIP, KVM_CREATE_IRQCHIP);
	CHECK_EQ(KVMX_CREATE_PIT2, KVM_CREATE_PIT2);
	CHECK_EQ(KVMX_GET_REGS, KVM_GET_REGS);
	CHECK_EQ(KVMX_SET_REGS, KVM_SET_REGS);
	CHECK_EQ(KVMX_GET_SREGS, KVM_GET_SREGS);
	CHECK_EQ(KVMX_SET_SREGS, KVM_SET_SREGS);
	CHECK_EQ(KVMX_SET_MSRS, KVM_SET_MSRS);
	CHECK_EQ(KVMX_SET_FPU, KVM_SET_FPU);
	CHECK_EQ(KVMX_GET_LAPIC, KVM_GET_LAPIC);
	CHECK_EQ(KVMX_SET_LAPIC, KVM_SET_LAPIC);
	CHECK_EQ(KVMX_SET_CPUID2, KVM_SET_CPUID2);
	CHECK_EQ(KVMX_PIT_SPEAKER_DUMMY, KVM_PIT_SPEAKER_DUMMY);
	CHECK_EQ(KVMX_CPUID_FLAG_SIGNIFCANT_INDEX,
		 KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	CHECK_EQ(KVMX_CAP_SET_TSS_ADDR, KVM_CAP_SET_TSS_ADDR);
	CHECK_EQ(KVMX_CAP_PIT2, KVM_CAP_PIT2);
	CHECK_EQ(KVMX_CAP_SET_IDENTITY_MAP_ADDR, KVM_CAP_SET_IDENTITY_MAP_ADDR);
	return unit_done("abi_x86");
}
