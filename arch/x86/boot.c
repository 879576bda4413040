/* boot.c: the boot vCPU's starting state: GDT, identity page tables, segment and general registers. */
#include <errno.h>
#include <string.h>

#include "kvm.h"
#include "log.h"
#include "util.h"
#include "vm.h"
#include "x86_cpu.h"

/* GDT selectors: the 64-bit boot protocol wants __BOOT_CS 0x10, __BOOT_DS 0x18. */
#define SEL_CODE32 0x08
#define SEL_CODE64 0x10
#define SEL_DATA   0x18
#define SEL_TSS	   0x20
#define GDT_ENTRIES 5

#define CR0_PE	(1ULL << 0)
#define CR0_ET	(1ULL << 4)
#define CR0_NE	(1ULL << 5)
#define CR0_PG	(1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define PTE_P	 (1ULL << 0)
#define PTE_RW	 (1ULL << 1)
#define PTE_PS	 (1ULL << 7)
#define BOOT_STACK 0x8ff0ULL

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000U) << 32) |
	       ((uint64_t)(flags & 0xf0ffU) << 40) |
	       ((uint64_t)(limit & 0x000f0000U) << 32) |
	       ((uint64_t)(base & 0x00ffffffU) << 16) | (limit & 0xffffU);
}

/* GDT at X86_GDT_ADDR and an identity map of the low 4 GiB in 2 MiB pages. */
int x86_write_boot_tables(const struct guest_mem *mem)
{
	uint64_t gdt[GDT_ENTRIES] = {
		0,
		gdt_entry(0xc09b, 0, 0xfffff), /* 32-bit code */
		gdt_entry(0xa09b, 0, 0xfffff), /* 64-bit code */
		gdt_entry(0xc093, 0, 0xfffff), /* data */
		gdt_entry(0x008b, 0, 0x67),    /* TSS */
	};
	uint64_t *pml4 = guest_mem_ptr(mem, X86_PML4_ADDR, 4096);
	uint64_t *pdpt = guest_mem_ptr(mem, X86_PDPT_ADDR, 4096);
	uint64_t *pd = guest_mem_ptr(mem, X86_PD_ADDR, 4 * 4096);

	if (!pml4 || !pdpt || !pd ||
	    guest_mem_write(mem, X86_GDT_ADDR, gdt, sizeof(gdt)))
		return -ENOSPC;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = X86_PDPT_ADDR | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (X86_PD_ADDR + i * 4096) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

static struct kvmx_segment seg_flat(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvmx_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.s = 1,
		.db = code64 ? 0 : 1,
		.l = code64 ? 1 : 0,
		.g = 1,
	};
}

static struct kvmx_segment seg_real(uint16_t sel, uint8_t type)
{
	return (struct kvmx_segment){
		.base = (uint64_t)sel << 4,
		.limit = 0xffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.s = 1,
	};
}

/* Starts from KVM's reset sregs (apic_base, cr8, ldt stay as KVM set them). */
void x86_boot_sregs(const struct x86_boot *boot, struct kvmx_sregs *s)
{
	struct kvmx_segment data;

	if (boot->mode == X86_BOOT_REAL) {
		s->cs = seg_real(boot->real_cs, 0xb);
		data = seg_real(boot->real_cs, 0x3);
		s->ds = s->es = s->fs = s->gs = s->ss = data;
		return;
	}
	data = seg_flat(SEL_DATA, 0x3, false);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct kvmx_segment){ .selector = SEL_TSS, .limit = 0x67,
				       .type = 0xb, .present = 1 };
	s->gdt.base = X86_GDT_ADDR;
	s->gdt.limit = GDT_ENTRIES * 8 - 1;
	s->idt.base = 0;
	s->idt.limit = 0;
	if (boot->mode == X86_BOOT_PVH) {
		s->cs = seg_flat(SEL_CODE32, 0xb, false);
		s->cr0 = CR0_PE | CR0_ET;
		s->cr3 = s->cr4 = s->efer = 0;
		return;
	}
	s->cs = seg_flat(SEL_CODE64, 0xb, true);
	s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s->cr3 = X86_PML4_ADDR;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

void x86_boot_regs(const struct x86_boot *boot, struct kvmx_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rflags = 2;
	r->rip = boot->entry;
	switch (boot->mode) {
	case X86_BOOT_LINUX64:
		r->rsi = boot->info;
		r->rsp = r->rbp = BOOT_STACK;
		break;
	case X86_BOOT_PVH:
		r->rbx = boot->info;
		break;
	case X86_BOOT_REAL:
		r->rsp = boot->real_sp;
		break;
	}
}

int x86_vcpu_boot(struct vcpu *vcpu, const struct x86_boot *boot)
{
	struct kvmx_sregs s;
	struct kvmx_regs r;
	long ret = kvm_vcpu_ioctl(vcpu, KVMX_GET_SREGS, &s);

	if (ret >= 0) {
		x86_boot_sregs(boot, &s);
		ret = kvm_vcpu_ioctl(vcpu, KVMX_SET_SREGS, &s);
	}
	if (ret >= 0) {
		x86_boot_regs(boot, &r);
		ret = kvm_vcpu_ioctl(vcpu, KVMX_SET_REGS, &r);
	}
	if (ret < 0)
		pr_err("vCPU %u: cannot set boot registers: %s", vcpu->id,
		       strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}
