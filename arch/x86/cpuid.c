/* cpuid.c: each vCPU's CPUID from KVM's supported set, with hypervisor bit, KVM leaves and topology. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "kvm_x86.h"
#include "log.h"
#include "vm.h"
#include "x86_cpu.h"

#define CPUID_MAX_ENTRIES 256
#define CPUID_1_ECX_HYPERVISOR (1U << 31)
#define CPUID_1_EDX_HTT	       (1U << 28)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define KVM_SIGNATURE_LEAF     0x40000000U

struct kvmx_cpuid2 *x86_cpuid_supported(struct vm *vm)
{
	size_t sz = sizeof(struct kvmx_cpuid2) +
		    CPUID_MAX_ENTRIES * sizeof(struct kvmx_cpuid_entry2);
	struct kvmx_cpuid2 *c = calloc(1, sz);
	long ret;

	if (!c)
		return NULL;
	c->nent = CPUID_MAX_ENTRIES;
	ret = kvm_sys_ioctl(vm, KVMX_GET_SUPPORTED_CPUID, c);
	if (ret < 0) {
		pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror((int)-ret));
		free(c);
		return NULL;
	}
	return c;
}

static unsigned int order_base_2(unsigned int n)
{
	unsigned int s = 0;

	while ((1U << s) < n)
		s++;
	return s;
}

/* Leaves 0xB / 0x1F: an SMT level of one thread, a core level of n cores. */
static void cpuid_topology(struct kvmx_cpuid_entry2 *e, unsigned int apic_id,
			   unsigned int n)
{
	e->edx = apic_id;
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = 0 | (1U << 8);
		break;
	case 1:
		e->eax = order_base_2(n);
		e->ebx = n;
		e->ecx = 1 | (2U << 8);
		break;
	default:
		e->eax = e->ebx = 0;
		e->ecx = e->index; /* level type 0: invalid */
		break;
	}
}

static struct kvmx_cpuid_entry2 *cpuid_find(struct kvmx_cpuid2 *c,
					     uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == function &&
		    c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/* KVM may list only sub-leaf 0 of leaf 0xB; the guest needs the SMT and core
 * levels and the terminating one. Room for 2 more entries is the caller's. */
static void cpuid_add_topology(struct kvmx_cpuid2 *c)
{
	if (!cpuid_find(c, 0xb, 0))
		return;
	for (uint32_t idx = 1; idx <= 2; idx++) {
		if (cpuid_find(c, 0xb, idx))
			continue;
		c->entries[c->nent++] = (struct kvmx_cpuid_entry2){
			.function = 0xb,
			.index = idx,
			.flags = KVMX_CPUID_FLAG_SIGNIFCANT_INDEX,
		};
	}
}

void x86_cpuid_fixup(struct kvmx_cpuid2 *c, unsigned int apic_id,
		     unsigned int nr_cpus)
{
	cpuid_add_topology(c);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvmx_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffffU) | (apic_id << 24) |
				 ((nr_cpus & 0xff) << 16);
			/* KVM's LAPIC emulates the TSC deadline timer always. */
			e->ecx |= CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_TSC_DEADLINE;
			if (nr_cpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			else
				e->edx &= ~CPUID_1_EDX_HTT;
			break;
		case 4: /* cores per package; no cache sharing across cores */
			e->eax = (e->eax & 0x03ffffffU) |
				 ((nr_cpus - 1) << 26);
			e->eax &= ~(0xfffU << 14);
			break;
		case 0xb:
		case 0x1f:
			cpuid_topology(e, apic_id, nr_cpus);
			break;
		case KVM_SIGNATURE_LEAF:
			e->ebx = 0x4b4d564b; /* "KVMKVMKVM\0\0\0" */
			e->ecx = 0x564b4d56;
			e->edx = 0x0000004d;
			if (e->eax < KVM_SIGNATURE_LEAF + 1)
				e->eax = KVM_SIGNATURE_LEAF + 1;
			break;
		case 0x80000008: /* AMD: number of cores - 1, APIC id size */
			e->ecx = (e->ecx & ~0xf0ffU) | (nr_cpus - 1) |
				 (order_base_2(nr_cpus) << 12);
			break;
		default:
			break;
		}
	}
}

int x86_cpuid_set(struct vcpu *vcpu, const struct kvmx_cpuid2 *supported)
{
	size_t sz = sizeof(*supported) +
		    supported->nent * sizeof(supported->entries[0]);
	struct kvmx_cpuid2 *c = malloc(sz + X86_CPUID_EXTRA * sizeof(c->entries[0]));
	long ret;

	if (!c)
		return -ENOMEM;
	memcpy(c, supported, sz);
	x86_cpuid_fixup(c, vcpu->id, vcpu->vm->cfg->nr_cpus);
	ret = kvm_vcpu_ioctl(vcpu, KVMX_SET_CPUID2, c);
	free(c);
	if (ret < 0)
		pr_err("vCPU %u: KVM_SET_CPUID2: %s", vcpu->id,
		       strerror((int)-ret));
	return (int)ret;
}
