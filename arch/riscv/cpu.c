/* cpu.c: riscv vCPUs through KVM: the hart description (ISA, satp mode, timebase) from ONE_REGs, SBI extension switches, boot registers, register dump. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "kvm.h"
#include "kvm_riscv.h"
#include "log.h"
#include "onereg_state.h"
#include "riscv_vm.h"
#include "util.h"
#include "vm.h"

/* KVM's SBI extension numbers by kvmtool's --disable-sbi-NAME names. */
static const char *const sbi_ext_name[] = {
    [KVMR_SBI_EXT_V01] = "legacy",
    [KVMR_SBI_EXT_TIME] = "time",
    [KVMR_SBI_EXT_IPI] = "ipi",
    [KVMR_SBI_EXT_RFENCE] = "rfence",
    [KVMR_SBI_EXT_SRST] = "srst",
    [KVMR_SBI_EXT_HSM] = "hsm",
    [KVMR_SBI_EXT_PMU] = "pmu",
    [KVMR_SBI_EXT_EXPERIMENTAL] = "experimental",
    [KVMR_SBI_EXT_VENDOR] = "vendor",
    [KVMR_SBI_EXT_DBCN] = "dbcn",
    [KVMR_SBI_EXT_STA] = "sta",
    [KVMR_SBI_EXT_SUSP] = "susp",
    [KVMR_SBI_EXT_FWFT] = "fwft",
    [KVMR_SBI_EXT_MPXY] = "mpxy",
};

/* --disable-sbi-NAME: an explicit request, so a KVM without SBI_EXT
 * registers (before Linux 6.4) is an error. */
static int sbi_disable(struct vcpu *vcpu)
{
	uint64_t off = vcpu->vm->cfg->sbi_ext_off;

	for (unsigned int n = 0; n < ARRAY_SIZE(sbi_ext_name); n++) {
		int ret;

		if (!(off & 1ULL << n))
			continue;
		ret = onereg_set_u64(vcpu, KVMR_SBI_EXT_SINGLE_ID(n), 0);
		if (ret) {
			pr_err("--disable-sbi-%s: KVM refused (%s)%s",
			       sbi_ext_name[n], strerror(-ret),
			       ret == -ENOENT || ret == -EINVAL
				   ? "; it has no SBI_EXT registers (Linux "
				     "6.4+) or no such extension"
				   : "");
			return ret;
		}
	}
	return 0;
}

/* DBCN is forwarded to us but off by default: on unless disabled. Older
 * kernels lack it (their guests use the legacy console). */
static void sbi_enable_dbcn(struct vcpu *vcpu)
{
	int ret;

	if (vcpu->vm->cfg->sbi_ext_off & 1ULL << KVMR_SBI_EXT_DBCN)
		return;
	ret =
	    onereg_set_u64(vcpu, KVMR_SBI_EXT_SINGLE_ID(KVMR_SBI_EXT_DBCN), 1);
	if (ret && vcpu->id == 0)
		pr_debug("SBI DBCN not available (%s): legacy console only",
			 strerror(-ret));
}

/* KVM's frequency is the host's timebase; upstream cannot change it. */
static int timebase(struct vcpu *vcpu, uint64_t *hz)
{
	uint64_t want = vcpu->vm->cfg->timebase_hz;
	int ret = onereg_get_u64(vcpu, KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY), hz);

	if (ret) {
		pr_err("vCPU %u: reading the timer frequency: %s", vcpu->id,
		       strerror(-ret));
		return ret;
	}
	if (!want || want == *hz)
		return 0;
	ret = onereg_set_u64(vcpu, KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY), want);
	if (ret) {
		pr_err("--timebase-frequency %" PRIu64 ": this KVM cannot set "
		       "the timer frequency (%s): it is fixed at the host's "
		       "%" PRIu64 " Hz",
		       want, strerror(-ret), *hz);
		return -ENOTSUP;
	}
	*hz = want;
	return 0;
}

static void read_isa_ext(struct vcpu *vcpu, uint64_t *words)
{
	for (unsigned int i = 0; i < KVMR_ISA_EXT_KNOWN; i++) {
		uint64_t v = 0;

		if (!onereg_get_u64(vcpu, KVMR_ISA_EXT_ID(i), &v) && v)
			words[i / 64] |= 1ULL << (i % 64);
	}
}

/* The boot vCPU describes every hart; kernels without satp_mode (before
 * 6.3) get Sv39, which every rv64 hart with an MMU has. */
static int hart_info(struct vcpu *vcpu, struct riscv_hart_info *h)
{
	uint64_t v;
	int ret =
	    onereg_get_u64(vcpu, KVMR_CONFIG_ID(KVMR_CONFIG_ISA), &h->isa);

	if (ret) {
		pr_err("vCPU %u: reading the ISA: %s", vcpu->id,
		       strerror(-ret));
		return ret;
	}
	read_isa_ext(vcpu, h->isa_ext);
	if (onereg_get_u64(vcpu, KVMR_CONFIG_ID(KVMR_CONFIG_SATP_MODE),
			   &h->satp_mode))
		h->satp_mode = KVMR_SATP_MODE_SV39;
	if (h->isa_ext[0] & 1ULL << KVMR_ISA_EXT_ZICBOM &&
	    !onereg_get_u64(vcpu, KVMR_CONFIG_ID(KVMR_CONFIG_ZICBOM_BLOCK_SIZE),
			    &v))
		h->cbom_block_size = (uint32_t)v;
	if (h->isa_ext[0] & 1ULL << KVMR_ISA_EXT_ZICBOZ &&
	    !onereg_get_u64(vcpu, KVMR_CONFIG_ID(KVMR_CONFIG_ZICBOZ_BLOCK_SIZE),
			    &v))
		h->cboz_block_size = (uint32_t)v;
	return timebase(vcpu, &h->timebase_hz);
}

/* KVM keeps every hart but the first stopped until the guest starts it
 * with SBI HSM (in the kernel). */
int arch_vcpu_init(struct vcpu *vcpu)
{
	int ret = sbi_disable(vcpu);

	if (ret)
		return ret;
	sbi_enable_dbcn(vcpu);
	/* The timer frequency is VM-wide: the boot vCPU checks it. */
	return vcpu->id == 0 ? hart_info(vcpu, &vcpu->vm->arch->hart) : 0;
}

/* The boot protocol (Documentation/arch/riscv/boot.rst): S-mode, MMU off,
 * a0 = hart id, a1 = the device tree, pc = the kernel's first byte. */
int arch_vcpu_reset(struct vcpu *vcpu)
{
	const struct arch_vm *a = vcpu->vm->arch;
	const struct onereg_u64 regs[] = {
	    {KVMR_CORE_ID(KVMR_CORE_A(0)), vcpu->id},
	    {KVMR_CORE_ID(KVMR_CORE_A(1)), a->fdt_addr},
	    {KVMR_CORE_ID(KVMR_CORE_MODE), KVMR_MODE_S},
	    {KVMR_CORE_ID(KVMR_CORE_PC), a->img.load},
	};

	return vcpu->id ? 0 : onereg_set_all(vcpu, regs, ARRAY_SIZE(regs));
}

void arch_vcpu_dump(struct vcpu *vcpu)
{
	static const struct {
		const char *name;
		uint64_t id;
	} regs[] = {
	    {"pc", KVMR_CORE_ID(KVMR_CORE_PC)},
	    {"ra", KVMR_CORE_ID(KVMR_CORE_RA)},
	    {"sp", KVMR_CORE_ID(KVMR_CORE_SP)},
	    {"a0", KVMR_CORE_ID(KVMR_CORE_A(0))},
	    {"a1", KVMR_CORE_ID(KVMR_CORE_A(1))},
	    {"sstatus", KVMR_CSR_ID(KVMR_CSR_SSTATUS)},
	    {"sepc", KVMR_CSR_ID(KVMR_CSR_SEPC)},
	    {"scause", KVMR_CSR_ID(KVMR_CSR_SCAUSE)},
	    {"stval", KVMR_CSR_ID(KVMR_CSR_STVAL)},
	    {"satp", KVMR_CSR_ID(KVMR_CSR_SATP)},
	};
	char line[512];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(regs) && n < sizeof(line); i++) {
		uint64_t v = 0;

		if (onereg_get_u64(vcpu, regs[i].id, &v))
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      "%s%s %016" PRIx64, n ? " " : "",
				      regs[i].name, v);
	}
	pr_err("vCPU %u: %s", vcpu->id, line);
}

void arch_vcpu_paused(struct vcpu *vcpu)
{
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
}
