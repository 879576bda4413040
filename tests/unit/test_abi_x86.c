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
SAME_SIZE(kvmx_mp_state, kvm_mp_state);
SAME_SIZE(kvmx_sregs2, kvm_sregs2);
SAME_OFF(kvmx_sregs2, kvm_sregs2, gdt);
SAME_OFF(kvmx_sregs2, kvm_sregs2, apic_base);
SAME_OFF(kvmx_sregs2, kvm_sregs2, flags);
SAME_OFF(kvmx_sregs2, kvm_sregs2, pdptrs);
SAME_SIZE(kvmx_xsave, kvm_xsave);
SAME_OFF(kvmx_xsave, kvm_xsave, extra);
SAME_SIZE(kvmx_xcr, kvm_xcr);
SAME_OFF(kvmx_xcr, kvm_xcr, value);
SAME_SIZE(kvmx_xcrs, kvm_xcrs);
SAME_OFF(kvmx_xcrs, kvm_xcrs, xcrs);
SAME_OFF(kvmx_xcrs, kvm_xcrs, padding);
SAME_SIZE(kvmx_debugregs, kvm_debugregs);
SAME_OFF(kvmx_debugregs, kvm_debugregs, dr6);
SAME_OFF(kvmx_debugregs, kvm_debugregs, dr7);
SAME_OFF(kvmx_debugregs, kvm_debugregs, flags);
SAME_SIZE(kvmx_vcpu_events, kvm_vcpu_events);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, interrupt);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, nmi);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, sipi_vector);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, flags);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, smi);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, triple_fault);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, exception_has_payload);
SAME_OFF(kvmx_vcpu_events, kvm_vcpu_events, exception_payload);
SAME_SIZE(kvmx_msr_list, kvm_msr_list);
SAME_OFF(kvmx_msr_list, kvm_msr_list, indices);
SAME_SIZE(kvmx_pic_state, kvm_pic_state);
SAME_OFF(kvmx_pic_state, kvm_pic_state, elcr);
SAME_OFF(kvmx_pic_state, kvm_pic_state, elcr_mask);
SAME_SIZE(kvmx_ioapic_state, kvm_ioapic_state);
SAME_OFF(kvmx_ioapic_state, kvm_ioapic_state, irr);
SAME_OFF(kvmx_ioapic_state, kvm_ioapic_state, redirtbl);
SAME_SIZE(kvmx_irqchip, kvm_irqchip);
SAME_OFF(kvmx_irqchip, kvm_irqchip, chip);
SAME_SIZE(kvmx_pit_channel_state, kvm_pit_channel_state);
SAME_OFF(kvmx_pit_channel_state, kvm_pit_channel_state, gate);
SAME_OFF(kvmx_pit_channel_state, kvm_pit_channel_state, count_load_time);
SAME_SIZE(kvmx_pit_state2, kvm_pit_state2);
SAME_OFF(kvmx_pit_state2, kvm_pit_state2, flags);
SAME_SIZE(kvmx_clock_data, kvm_clock_data);
SAME_OFF(kvmx_clock_data, kvm_clock_data, flags);
SAME_OFF(kvmx_clock_data, kvm_clock_data, realtime);
SAME_OFF(kvmx_clock_data, kvm_clock_data, host_tsc);
SAME_SIZE(kvmx_device_attr, kvm_device_attr);
SAME_OFF(kvmx_device_attr, kvm_device_attr, group);
SAME_OFF(kvmx_device_attr, kvm_device_attr, attr);
SAME_OFF(kvmx_device_attr, kvm_device_attr, addr);

/* The snapshot state ioctls (arch/x86/state.c) and their constants. */
static void test_snapshot_abi(void)
{
	CHECK_EQ(KVMX_GET_MSR_INDEX_LIST, KVM_GET_MSR_INDEX_LIST);
	CHECK_EQ(KVMX_GET_IRQCHIP, KVM_GET_IRQCHIP);
	CHECK_EQ(KVMX_SET_IRQCHIP, KVM_SET_IRQCHIP);
	CHECK_EQ(KVMX_SET_CLOCK, KVM_SET_CLOCK);
	CHECK_EQ(KVMX_GET_CLOCK, KVM_GET_CLOCK);
	CHECK_EQ(KVMX_GET_MSRS, KVM_GET_MSRS);
	CHECK_EQ(KVMX_GET_FPU, KVM_GET_FPU);
	CHECK_EQ(KVMX_GET_CPUID2, KVM_GET_CPUID2);
	CHECK_EQ(KVMX_GET_MP_STATE, KVM_GET_MP_STATE);
	CHECK_EQ(KVMX_SET_MP_STATE, KVM_SET_MP_STATE);
	CHECK_EQ(KVMX_GET_PIT2, KVM_GET_PIT2);
	CHECK_EQ(KVMX_SET_PIT2, KVM_SET_PIT2);
	CHECK_EQ(KVMX_GET_VCPU_EVENTS, KVM_GET_VCPU_EVENTS);
	CHECK_EQ(KVMX_SET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS);
	CHECK_EQ(KVMX_GET_DEBUGREGS, KVM_GET_DEBUGREGS);
	CHECK_EQ(KVMX_SET_DEBUGREGS, KVM_SET_DEBUGREGS);
	CHECK_EQ(KVMX_SET_TSC_KHZ, KVM_SET_TSC_KHZ);
	CHECK_EQ(KVMX_GET_TSC_KHZ, KVM_GET_TSC_KHZ);
	CHECK_EQ(KVMX_GET_XSAVE, KVM_GET_XSAVE);
	CHECK_EQ(KVMX_SET_XSAVE, KVM_SET_XSAVE);
	CHECK_EQ(KVMX_GET_XSAVE2, KVM_GET_XSAVE2);
	CHECK_EQ(KVMX_GET_XCRS, KVM_GET_XCRS);
	CHECK_EQ(KVMX_SET_XCRS, KVM_SET_XCRS);
	CHECK_EQ(KVMX_KVMCLOCK_CTRL, KVM_KVMCLOCK_CTRL);
	CHECK_EQ(KVMX_GET_SREGS2, KVM_GET_SREGS2);
	CHECK_EQ(KVMX_SET_SREGS2, KVM_SET_SREGS2);
	CHECK_EQ(KVMX_SET_DEVICE_ATTR, KVM_SET_DEVICE_ATTR);
	CHECK_EQ(KVMX_GET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR);
	CHECK_EQ(KVMX_HAS_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR);

	CHECK_EQ(KVMX_CAP_PIT_STATE2, KVM_CAP_PIT_STATE2);
	CHECK_EQ(KVMX_CAP_ADJUST_CLOCK, KVM_CAP_ADJUST_CLOCK);
	CHECK_EQ(KVMX_CAP_VCPU_EVENTS, KVM_CAP_VCPU_EVENTS);
	CHECK_EQ(KVMX_CAP_DEBUGREGS, KVM_CAP_DEBUGREGS);
	CHECK_EQ(KVMX_CAP_XSAVE, KVM_CAP_XSAVE);
	CHECK_EQ(KVMX_CAP_XCRS, KVM_CAP_XCRS);
	CHECK_EQ(KVMX_CAP_TSC_CONTROL, KVM_CAP_TSC_CONTROL);
	CHECK_EQ(KVMX_CAP_GET_TSC_KHZ, KVM_CAP_GET_TSC_KHZ);
	CHECK_EQ(KVMX_CAP_KVMCLOCK_CTRL, KVM_CAP_KVMCLOCK_CTRL);
	CHECK_EQ(KVMX_CAP_VCPU_ATTRIBUTES, KVM_CAP_VCPU_ATTRIBUTES);
	CHECK_EQ(KVMX_CAP_SREGS2, KVM_CAP_SREGS2);
	CHECK_EQ(KVMX_CAP_XSAVE2, KVM_CAP_XSAVE2);

	CHECK_EQ(KVMX_MP_STATE_RUNNABLE, KVM_MP_STATE_RUNNABLE);
	CHECK_EQ(KVMX_MP_STATE_UNINITIALIZED, KVM_MP_STATE_UNINITIALIZED);
	CHECK_EQ(KVMX_MP_STATE_INIT_RECEIVED, KVM_MP_STATE_INIT_RECEIVED);
	CHECK_EQ(KVMX_MP_STATE_HALTED, KVM_MP_STATE_HALTED);
	CHECK_EQ(KVMX_MP_STATE_SIPI_RECEIVED, KVM_MP_STATE_SIPI_RECEIVED);
	CHECK_EQ(KVMX_SREGS2_FLAGS_PDPTRS_VALID, KVM_SREGS2_FLAGS_PDPTRS_VALID);
	CHECK_EQ(KVMX_MAX_XCRS, KVM_MAX_XCRS);
	CHECK_EQ(KVMX_VCPUEVENT_VALID_NMI_PENDING, KVM_VCPUEVENT_VALID_NMI_PENDING);
	CHECK_EQ(KVMX_VCPUEVENT_VALID_SIPI_VECTOR, KVM_VCPUEVENT_VALID_SIPI_VECTOR);
	CHECK_EQ(KVMX_VCPUEVENT_VALID_SHADOW, KVM_VCPUEVENT_VALID_SHADOW);
	CHECK_EQ(KVMX_VCPUEVENT_VALID_SMM, KVM_VCPUEVENT_VALID_SMM);
	CHECK_EQ(KVMX_VCPUEVENT_VALID_PAYLOAD, KVM_VCPUEVENT_VALID_PAYLOAD);
	CHECK_EQ(KVMX_VCPUEVENT_VALID_TRIPLE_FAULT,
		 KVM_VCPUEVENT_VALID_TRIPLE_FAULT);
	CHECK_EQ(KVMX_IOAPIC_NUM_PINS, KVM_IOAPIC_NUM_PINS);
	CHECK_EQ(KVMX_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_MASTER);
	CHECK_EQ(KVMX_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_PIC_SLAVE);
	CHECK_EQ(KVMX_IRQCHIP_IOAPIC, KVM_IRQCHIP_IOAPIC);
	CHECK_EQ(KVMX_PIT_FLAGS_HPET_LEGACY, KVM_PIT_FLAGS_HPET_LEGACY);
	CHECK_EQ(KVMX_PIT_FLAGS_SPEAKER_DATA_ON, KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	CHECK_EQ(KVMX_CLOCK_TSC_STABLE, KVM_CLOCK_TSC_STABLE);
	CHECK_EQ(KVMX_CLOCK_REALTIME, KVM_CLOCK_REALTIME);
	CHECK_EQ(KVMX_CLOCK_HOST_TSC, KVM_CLOCK_HOST_TSC);
	CHECK_EQ(KVMX_VCPU_TSC_CTRL, KVM_VCPU_TSC_CTRL);
	CHECK_EQ(KVMX_VCPU_TSC_OFFSET, KVM_VCPU_TSC_OFFSET);
	CHECK_EQ(KVMX_XSAVE_SIZE, sizeof(struct kvm_xsave));
}

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
	test_snapshot_abi();
	return unit_done("abi_x86");
}
