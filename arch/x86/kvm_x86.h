/* kvm_x86.h: our own definitions of the x86 KVM ABI the backend uses (checked against <linux/kvm.h> by tests/unit/test_abi_x86.c). */
#ifndef MINIVMM_KVM_X86_H
#define MINIVMM_KVM_X86_H

#include <stdint.h>
#include "ioctl_num.h"

struct kvmx_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

struct kvmx_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, present, dpl, db, s, l, g, avl;
	uint8_t unusable, padding;
};

struct kvmx_dtable {
	uint64_t base;
	uint16_t limit;
	uint16_t padding[3];
};

struct kvmx_sregs {
	struct kvmx_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct kvmx_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t interrupt_bitmap[4];
};

struct kvmx_fpu {
	uint8_t fpr[8][16];
	uint16_t fcw, fsw;
	uint8_t ftwx, pad1;
	uint16_t last_opcode;
	uint64_t last_ip, last_dp;
	uint8_t xmm[16][16];
	uint32_t mxcsr, pad2;
};

struct kvmx_cpuid_entry2 {
	uint32_t function, index, flags;
	uint32_t eax, ebx, ecx, edx;
	uint32_t padding[3];
};
#define KVMX_CPUID_FLAG_SIGNIFCANT_INDEX 1

struct kvmx_cpuid2 {
	uint32_t nent, padding;
	struct kvmx_cpuid_entry2 entries[];
};

struct kvmx_msr_entry {
	uint32_t index, reserved;
	uint64_t data;
};

struct kvmx_msrs {
	uint32_t nmsrs, pad;
	struct kvmx_msr_entry entries[];
};

struct kvmx_lapic_state {
	uint8_t regs[1024];
};

struct kvmx_pit_config {
	uint32_t flags;
	uint32_t pad[15];
};
#define KVMX_PIT_SPEAKER_DUMMY 1

#define KVMX_GET_SUPPORTED_CPUID   MVM_IOWR(MVM_KVMIO, 0x05, sizeof(struct kvmx_cpuid2))
#define KVMX_SET_TSS_ADDR	   MVM_IO(MVM_KVMIO, 0x47)
#define KVMX_SET_IDENTITY_MAP_ADDR MVM_IOW(MVM_KVMIO, 0x48, sizeof(uint64_t))
#define KVMX_CREATE_IRQCHIP	   MVM_IO(MVM_KVMIO, 0x60)
#define KVMX_CREATE_PIT2	   MVM_IOW(MVM_KVMIO, 0x77, sizeof(struct kvmx_pit_config))
#define KVMX_GET_REGS		   MVM_IOR(MVM_KVMIO, 0x81, sizeof(struct kvmx_regs))
#define KVMX_SET_REGS		   MVM_IOW(MVM_KVMIO, 0x82, sizeof(struct kvmx_regs))
#define KVMX_GET_SREGS		   MVM_IOR(MVM_KVMIO, 0x83, sizeof(struct kvmx_sregs))
#define KVMX_SET_SREGS		   MVM_IOW(MVM_KVMIO, 0x84, sizeof(struct kvmx_sregs))
#define KVMX_SET_MSRS		   MVM_IOW(MVM_KVMIO, 0x89, sizeof(struct kvmx_msrs))
#define KVMX_SET_FPU		   MVM_IOW(MVM_KVMIO, 0x8d, sizeof(struct kvmx_fpu))
#define KVMX_GET_LAPIC		   MVM_IOR(MVM_KVMIO, 0x8e, sizeof(struct kvmx_lapic_state))
#define KVMX_SET_LAPIC		   MVM_IOW(MVM_KVMIO, 0x8f, sizeof(struct kvmx_lapic_state))
#define KVMX_SET_CPUID2		   MVM_IOW(MVM_KVMIO, 0x90, sizeof(struct kvmx_cpuid2))

#define KVMX_CAP_SET_TSS_ADDR	       4
#define KVMX_CAP_EXT_CPUID	       7
#define KVMX_CAP_PIT2		       33
#define KVMX_CAP_SET_IDENTITY_MAP_ADDR 37

#endif
