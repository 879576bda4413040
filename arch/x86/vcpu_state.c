/* vcpu_state.c: a new x86 vCPU's MSRs, local APIC LINT pins and FPU control words. */
#include <errno.h>
#include <string.h>

#include "kvm.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "x86_cpu.h"

#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MISC_ENABLE_FAST_STRING 1ULL
#define MTRR_ENABLE_WB		((1ULL << 11) | 6)

#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_MODE_NMI	0x4
#define APIC_MODE_EXTINT 0x7

int x86_vcpu_msrs(struct vcpu *vcpu)
{
	static const struct kvmx_msr_entry init[] = {
		{ MSR_IA32_SYSENTER_CS, 0, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0, 0 },
		{ MSR_STAR, 0, 0 },
		{ MSR_CSTAR, 0, 0 },
		{ MSR_KERNEL_GS_BASE, 0, 0 },
		{ MSR_SYSCALL_MASK, 0, 0 },
		{ MSR_LSTAR, 0, 0 },
		{ MSR_IA32_MISC_ENABLE, 0, MISC_ENABLE_FAST_STRING },
		{ MSR_MTRR_DEF_TYPE, 0, MTRR_ENABLE_WB },
	};
	struct {
		struct kvmx_msrs hdr;
		struct kvmx_msr_entry e[ARRAY_SIZE(init)];
	} m = { .hdr.nmsrs = ARRAY_SIZE(init) };
	long ret;

	memcpy(m.e, init, sizeof(init));
	ret = kvm_vcpu_ioctl(vcpu, KVMX_SET_MSRS, &m);
	if (ret < 0) {
		pr_err("vCPU %u: KVM_SET_MSRS: %s", vcpu->id,
		       strerror((int)-ret));
		return (int)ret;
	}
	/* KVM stops at the first MSR it refuses; the rest are optional. */
	if (ret < (long)ARRAY_SIZE(init))
		pr_debug("vCPU %u: KVM refused MSR 0x%x; later ones skipped",
			 vcpu->id, init[ret].index);
	return 0;
}

static void lvt_set_mode(struct kvmx_lapic_state *l, unsigned int reg,
			 uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], 4);
	v = (v & ~0x700U) | (mode << 8);
	memcpy(&l->regs[reg], &v, 4);
}

/* LINT0 delivers the PIC's ExtINT, LINT1 NMIs: what a PC's BIOS sets. */
int x86_vcpu_lapic(struct vcpu *vcpu)
{
	struct kvmx_lapic_state l;
	long ret = kvm_vcpu_ioctl(vcpu, KVMX_GET_LAPIC, &l);

	if (ret >= 0) {
		lvt_set_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
		lvt_set_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
		ret = kvm_vcpu_ioctl(vcpu, KVMX_SET_LAPIC, &l);
	}
	if (ret < 0)
		pr_err("vCPU %u: cannot set up the local APIC: %s", vcpu->id,
		       strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

int x86_vcpu_fpu(struct vcpu *vcpu)
{
	struct kvmx_fpu fpu;
	long ret;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	ret = kvm_vcpu_ioctl(vcpu, KVMX_SET_FPU, &fpu);
	if (ret < 0)
		pr_err("vCPU %u: KVM_SET_FPU: %s", vcpu->id, strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}
