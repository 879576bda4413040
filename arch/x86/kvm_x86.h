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

/* Snapshot state (arch/x86/state.c). */
struct kvmx_mp_state {
	uint32_t mp_state;
};
#define KVMX_MP_STATE_RUNNABLE	     0
#define KVMX_MP_STATE_UNINITIALIZED  1
#define KVMX_MP_STATE_INIT_RECEIVED  2
#define KVMX_MP_STATE_HALTED	     3
#define KVMX_MP_STATE_SIPI_RECEIVED  4

struct kvmx_sregs2 {
	struct kvmx_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct kvmx_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t flags;
	uint64_t pdptrs[4];
};
#define KVMX_SREGS2_FLAGS_PDPTRS_VALID 1

/* KVM_GET_XSAVE2/KVM_SET_XSAVE move KVM_CAP_XSAVE2's size (>= 4096). */
#define KVMX_XSAVE_SIZE 4096
struct kvmx_xsave {
	uint32_t region[KVMX_XSAVE_SIZE / 4];
	uint32_t extra[];
};

#define KVMX_MAX_XCRS 16
struct kvmx_xcr {
	uint32_t xcr, reserved;
	uint64_t value;
};

struct kvmx_xcrs {
	uint32_t nr_xcrs, flags;
	struct kvmx_xcr xcrs[KVMX_MAX_XCRS];
	uint64_t padding[16];
};

struct kvmx_debugregs {
	uint64_t db[4];
	uint64_t dr6, dr7, flags;
	uint64_t reserved[9];
};

struct kvmx_vcpu_events {
	struct {
		uint8_t injected, nr, has_error_code, pending;
		uint32_t error_code;
	} exception;
	struct {
		uint8_t injected, nr, soft, shadow;
	} interrupt;
	struct {
		uint8_t injected, pending, masked, pad;
	} nmi;
	uint32_t sipi_vector;
	uint32_t flags;
	struct {
		uint8_t smm, pending, smm_inside_nmi, latched_init;
	} smi;
	struct {
		uint8_t pending;
	} triple_fault;
	uint8_t reserved[26];
	uint8_t exception_has_payload;
	uint64_t exception_payload;
};
#define KVMX_VCPUEVENT_VALID_NMI_PENDING  0x01
#define KVMX_VCPUEVENT_VALID_SIPI_VECTOR  0x02
#define KVMX_VCPUEVENT_VALID_SHADOW	  0x04
#define KVMX_VCPUEVENT_VALID_SMM	  0x08
#define KVMX_VCPUEVENT_VALID_PAYLOAD	  0x10
#define KVMX_VCPUEVENT_VALID_TRIPLE_FAULT 0x20

struct kvmx_msr_list {
	uint32_t nmsrs;
	uint32_t indices[];
};

struct kvmx_pic_state {
	uint8_t last_irr, irr, imr, isr, priority_add, irq_base;
	uint8_t read_reg_select, poll, special_mask, init_state, auto_eoi;
	uint8_t rotate_on_auto_eoi, special_fully_nested_mode, init4;
	uint8_t elcr, elcr_mask;
};

#define KVMX_IOAPIC_NUM_PINS 24
struct kvmx_ioapic_state {
	uint64_t base_address;
	uint32_t ioregsel, id, irr, pad;
	uint64_t redirtbl[KVMX_IOAPIC_NUM_PINS];
};

#define KVMX_IRQCHIP_PIC_MASTER 0
#define KVMX_IRQCHIP_PIC_SLAVE	1
#define KVMX_IRQCHIP_IOAPIC	2
struct kvmx_irqchip {
	uint32_t chip_id, pad;
	union {
		char dummy[512];
		struct kvmx_pic_state pic;
		struct kvmx_ioapic_state ioapic;
	} chip;
};

struct kvmx_pit_channel_state {
	uint32_t count;
	uint16_t latched_count;
	uint8_t count_latched, status_latched, status, read_state;
	uint8_t write_state, write_latch, rw_mode, mode, bcd, gate;
	int64_t count_load_time;
};

struct kvmx_pit_state2 {
	struct kvmx_pit_channel_state channels[3];
	uint32_t flags;
	uint32_t reserved[9];
};
#define KVMX_PIT_FLAGS_HPET_LEGACY     1
#define KVMX_PIT_FLAGS_SPEAKER_DATA_ON 2

struct kvmx_clock_data {
	uint64_t clock;	   /* kvmclock, ns */
	uint32_t flags;
	uint32_t pad0;
	uint64_t realtime; /* host CLOCK_REALTIME, ns (KVM_CLOCK_REALTIME) */
	uint64_t host_tsc; /* host TSC, cycles (KVM_CLOCK_HOST_TSC) */
	uint32_t pad[4];
};
#define KVMX_CLOCK_TSC_STABLE 2
#define KVMX_CLOCK_REALTIME   (1U << 2)
#define KVMX_CLOCK_HOST_TSC   (1U << 3)

struct kvmx_device_attr {
	uint32_t flags, group;
	uint64_t attr, addr;
};
#define KVMX_VCPU_TSC_CTRL   0 /* vCPU attribute group */
#define KVMX_VCPU_TSC_OFFSET 0 /* u64: guest TSC = host TSC + offset */

#define KVMX_GET_MSR_INDEX_LIST MVM_IOWR(MVM_KVMIO, 0x02, sizeof(struct kvmx_msr_list))
#define KVMX_GET_IRQCHIP	MVM_IOWR(MVM_KVMIO, 0x62, sizeof(struct kvmx_irqchip))
#define KVMX_SET_IRQCHIP	MVM_IOR(MVM_KVMIO, 0x63, sizeof(struct kvmx_irqchip))
#define KVMX_SET_CLOCK		MVM_IOW(MVM_KVMIO, 0x7b, sizeof(struct kvmx_clock_data))
#define KVMX_GET_CLOCK		MVM_IOR(MVM_KVMIO, 0x7c, sizeof(struct kvmx_clock_data))
#define KVMX_GET_MSRS		MVM_IOWR(MVM_KVMIO, 0x88, sizeof(struct kvmx_msrs))
#define KVMX_GET_FPU		MVM_IOR(MVM_KVMIO, 0x8c, sizeof(struct kvmx_fpu))
#define KVMX_GET_CPUID2		MVM_IOWR(MVM_KVMIO, 0x91, sizeof(struct kvmx_cpuid2))
#define KVMX_GET_MP_STATE	MVM_IOR(MVM_KVMIO, 0x98, sizeof(struct kvmx_mp_state))
#define KVMX_SET_MP_STATE	MVM_IOW(MVM_KVMIO, 0x99, sizeof(struct kvmx_mp_state))
#define KVMX_GET_PIT2		MVM_IOR(MVM_KVMIO, 0x9f, sizeof(struct kvmx_pit_state2))
#define KVMX_SET_PIT2		MVM_IOW(MVM_KVMIO, 0xa0, sizeof(struct kvmx_pit_state2))
#define KVMX_GET_VCPU_EVENTS	MVM_IOR(MVM_KVMIO, 0x9f, sizeof(struct kvmx_vcpu_events))
#define KVMX_SET_VCPU_EVENTS	MVM_IOW(MVM_KVMIO, 0xa0, sizeof(struct kvmx_vcpu_events))
#define KVMX_GET_DEBUGREGS	MVM_IOR(MVM_KVMIO, 0xa1, sizeof(struct kvmx_debugregs))
#define KVMX_SET_DEBUGREGS	MVM_IOW(MVM_KVMIO, 0xa2, sizeof(struct kvmx_debugregs))
#define KVMX_SET_TSC_KHZ	MVM_IO(MVM_KVMIO, 0xa2)
#define KVMX_GET_TSC_KHZ	MVM_IO(MVM_KVMIO, 0xa3)
#define KVMX_GET_XSAVE		MVM_IOR(MVM_KVMIO, 0xa4, sizeof(struct kvmx_xsave))
#define KVMX_SET_XSAVE		MVM_IOW(MVM_KVMIO, 0xa5, sizeof(struct kvmx_xsave))
#define KVMX_GET_XCRS		MVM_IOR(MVM_KVMIO, 0xa6, sizeof(struct kvmx_xcrs))
#define KVMX_SET_XCRS		MVM_IOW(MVM_KVMIO, 0xa7, sizeof(struct kvmx_xcrs))
#define KVMX_KVMCLOCK_CTRL	MVM_IO(MVM_KVMIO, 0xad)
#define KVMX_GET_SREGS2		MVM_IOR(MVM_KVMIO, 0xcc, sizeof(struct kvmx_sregs2))
#define KVMX_SET_SREGS2		MVM_IOW(MVM_KVMIO, 0xcd, sizeof(struct kvmx_sregs2))
#define KVMX_GET_XSAVE2		MVM_IOR(MVM_KVMIO, 0xcf, sizeof(struct kvmx_xsave))
#define KVMX_SET_DEVICE_ATTR	MVM_IOW(MVM_KVMIO, 0xe1, sizeof(struct kvmx_device_attr))
#define KVMX_GET_DEVICE_ATTR	MVM_IOW(MVM_KVMIO, 0xe2, sizeof(struct kvmx_device_attr))
#define KVMX_HAS_DEVICE_ATTR	MVM_IOW(MVM_KVMIO, 0xe3, sizeof(struct kvmx_device_attr))

#define KVMX_CAP_PIT_STATE2	  35
#define KVMX_CAP_ADJUST_CLOCK	  39 /* returns the valid KVM_CLOCK_* mask */
#define KVMX_CAP_VCPU_EVENTS	  41
#define KVMX_CAP_DEBUGREGS	  50
#define KVMX_CAP_XSAVE		  55
#define KVMX_CAP_XCRS		  56
#define KVMX_CAP_TSC_CONTROL	  60
#define KVMX_CAP_GET_TSC_KHZ	  61
#define KVMX_CAP_VM_TSC_CONTROL	  214 /* KVM_GET_TSC_KHZ on the VM fd */
#define KVMX_CAP_KVMCLOCK_CTRL	  76
#define KVMX_CAP_VCPU_ATTRIBUTES  127
#define KVMX_CAP_SREGS2		  200
#define KVMX_CAP_XSAVE2		  208 /* returns the XSAVE buffer size */

#endif
