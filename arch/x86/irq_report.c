/* irq_report.c: the x86 interrupt state at exit, for --loglevel debug: IOAPIC pins in use, each vCPU's pending and in-service vectors. */
#include <stdio.h>

#include "arch.h"
#include "kvm.h"
#include "kvm_x86.h"
#include "log.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"
#include "x86.h"

/* IOAPIC redirection entry fields. */
#define RTE_VECTOR(e)  ((unsigned int)((e)&0xff))
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL      (1ull << 15)
#define RTE_MASKED     (1ull << 16)
#define RFLAGS_IF      (1ull << 9)

/* Local APIC register pages: ISR at 0x100, IRR at 0x200, eight 32-bit
 * words 16 bytes apart. */
#define LAPIC_TPR  0x080
#define LAPIC_PPR  0x0a0
#define LAPIC_ISR  0x100
#define LAPIC_IRR  0x200
#define LAPIC_LVTT 0x320

/* "0x22 0x31" for the vectors set in a 256-bit APIC register. */
static void lapic_vectors(const uint8_t *regs, unsigned int off, char *buf,
			  size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned int v = 32; v < 256 && at + 6 < len; v++) {
		uint8_t b = regs[off + (v / 32) * 16 + (v % 32) / 8];

		if (b & (1u << (v % 8)))
			at +=
			    (size_t)snprintf(buf + at, len - at, " 0x%02x", v);
	}
	if (!at)
		snprintf(buf, len, " none");
}

static void ioapic_report(struct vm *vm)
{
	struct kvmx_irqchip ic = {.chip_id = KVMX_IRQCHIP_IOAPIC};

	if (kvm_vm_ioctl(vm, KVMX_GET_IRQCHIP, &ic) < 0)
		return;
	for (unsigned int pin = 0; pin < KVMX_IOAPIC_NUM_PINS; pin++) {
		uint64_t e = ic.chip.ioapic.redirtbl[pin];
		bool line = ic.chip.ioapic.irr & (1u << pin);

		if ((e & RTE_MASKED) && !line)
			continue; /* unused */
		pr_debug("IOAPIC pin %u: vector 0x%02x %s%s%s, line %s", pin,
			 RTE_VECTOR(e), e & RTE_LEVEL ? "level" : "edge",
			 e & RTE_MASKED ? ", masked" : "",
			 e & RTE_REMOTE_IRR ? ", remote IRR (awaiting EOI)"
					    : "",
			 line ? "asserted" : "low");
	}
}

static void vcpu_irq_report(struct vcpu *vcpu)
{
	struct kvmx_lapic_state lapic;
	struct kvmx_vcpu_events ev;
	struct kvmx_mp_state mp;
	struct kvmx_regs r;
	char irr[128], isr[128];

	if (kvm_vcpu_ioctl(vcpu, KVMX_GET_LAPIC, &lapic) < 0 ||
	    kvm_vcpu_ioctl(vcpu, KVMX_GET_VCPU_EVENTS, &ev) < 0 ||
	    kvm_vcpu_ioctl(vcpu, KVMX_GET_MP_STATE, &mp) < 0 ||
	    kvm_vcpu_ioctl(vcpu, KVMX_GET_REGS, &r) < 0)
		return;
	lapic_vectors(lapic.regs, LAPIC_IRR, irr, sizeof(irr));
	lapic_vectors(lapic.regs, LAPIC_ISR, isr, sizeof(isr));
	pr_debug("vCPU %u: rip %llx, mp_state %u, interrupts %s%s%s; LAPIC "
		 "TPR 0x%02x PPR 0x%02x timer LVT 0x%x; IRR%s; ISR%s",
		 vcpu->id, (unsigned long long)r.rip, mp.mp_state,
		 r.rflags & RFLAGS_IF ? "on" : "off",
		 ev.interrupt.shadow ? " (shadowed)" : "",
		 ev.interrupt.injected ? " (one being injected)" : "",
		 lapic.regs[LAPIC_TPR], lapic.regs[LAPIC_PPR],
		 get_le32(&lapic.regs[LAPIC_LVTT]), irr, isr);
}

void arch_irq_report(struct vm *vm)
{
	ioapic_report(vm);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_irq_report(&vm->vcpus[i]);
}
