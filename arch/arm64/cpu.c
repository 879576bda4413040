/* cpu.c: arm64 vCPUs through KVM: KVM_ARM_VCPU_INIT with PSCI 0.2 (and PMUv3), boot registers, MPIDR, register dump. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "arch.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "log.h"
#include "onereg_state.h"
#include "util.h"
#include "vm.h"

/* Every vCPU gets PSCI 0.2 (and PMUv3 with --pmu); all but the boot vCPU
 * start powered off and wait for the guest's PSCI CPU_ON (in KVM). */
int arch_vcpu_init(struct vcpu *vcpu)
{
	struct kvma_vcpu_init init = vcpu->vm->arch->init;
	long ret;

	memset(init.features, 0, sizeof(init.features));
	init.features[0] = 1U << KVMA_ARM_VCPU_PSCI_0_2;
	if (vcpu->id != 0)
		init.features[0] |= 1U << KVMA_ARM_VCPU_POWER_OFF;
	if (vcpu->vm->cfg->pmu)
		init.features[0] |= 1U << KVMA_ARM_VCPU_PMU_V3;
	ret = kvm_vcpu_ioctl(vcpu, KVMA_ARM_VCPU_INIT, &init);
	if (ret < 0)
		pr_err("vCPU %u: KVM_ARM_VCPU_INIT (target %u, features "
		       "0x%x): %s",
		       vcpu->id, init.target, init.features[0],
		       strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

/* The boot protocol (Documentation/arch/arm64/booting.rst): x0 = the
 * device tree's address, x1..x3 = 0, EL1h with DAIF masked, at the entry. */
int arch_vcpu_reset(struct vcpu *vcpu)
{
	const struct arm64_boot *b = &vcpu->vm->arch->boot;
	const struct onereg_u64 regs[] = {
	    {KVMA_REG_X(0), b->fdt_addr},
	    {KVMA_REG_X(1), 0},
	    {KVMA_REG_X(2), 0},
	    {KVMA_REG_X(3), 0},
	    {KVMA_REG_PSTATE, KVMA_PSTATE_EL1H_DAIF},
	    {KVMA_REG_PC, b->img.load},
	};

	return vcpu->id ? 0 : onereg_set_all(vcpu, regs, ARRAY_SIZE(regs));
}

void arch_vcpu_dump(struct vcpu *vcpu)
{
	uint64_t pc = 0, pstate = 0, sp = 0, x[4] = {0};

	if (onereg_get_u64(vcpu, KVMA_REG_PC, &pc) ||
	    onereg_get_u64(vcpu, KVMA_REG_PSTATE, &pstate) ||
	    onereg_get_u64(vcpu, KVMA_REG_SP_EL1, &sp))
		return;
	for (unsigned int i = 0; i < 4; i++)
		onereg_get_u64(vcpu, KVMA_REG_X(i), &x[i]);
	pr_err("vCPU %u: pc %016" PRIx64 " pstate %08" PRIx64
	       " sp_el1 %016" PRIx64,
	       vcpu->id, pc, pstate, sp);
	pr_err("vCPU %u: x0 %016" PRIx64 " x1 %016" PRIx64 " x2 %016" PRIx64
	       " x3 %016" PRIx64,
	       vcpu->id, x[0], x[1], x[2], x[3]);
}

/* Nothing to tell KVM: arm64 has no KVM_KVMCLOCK_CTRL. The virtual counter
 * keeps running while paused, so a guest sees a pause as time passing (its
 * soft-lockup watchdog may report it); a restore accounts its blackout
 * through the counter (state.c). */
void arch_vcpu_paused(struct vcpu *vcpu)
{
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
}
