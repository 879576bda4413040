/* state.c: riscv vCPU and VM state to and from snapshot sections: every ONE_REG register, SBI HSM state, the timer (blackout, timebase), the userspace PLIC. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "kvm.h"
#include "kvm_riscv.h"
#include "log.h"
#include "onereg_state.h"
#include "plic.h"
#include "riscv_state.h"
#include "riscv_vm.h"
#include "sbuf.h"
#include "snap_records.h"
#include "snapshot_file.h"
#include "timescale.h"
#include "util.h"
#include "vm.h"

/*
 * Save (every vCPU paused out of KVM_RUN):
 *  per vCPU (section ARCH_VCPU, instance = vCPU id): MP_STATE (RUNNABLE
 *   for a hart SBI HSM has started, STOPPED for one it has not or that
 *   stopped itself), then the registers: every id KVM_GET_REG_LIST gives
 *   (Linux 6.6+; FP_F left out where FP_D is listed: the same state),
 *   else the known set below, each read with
 *   KVM_GET_ONE_REG and stored as its id and the bytes its size field
 *   says. The known set, in this order: CONFIG (isa; mvendorid, marchid,
 *   mimpid, the cache-block sizes, satp_mode where KVM has them), every
 *   ISA_EXT and SBI_EXT switch KVM answers for, CORE (pc, x1-x31, mode),
 *   the general CSRs (senvcfg where KVM has it), the AIA CSRs where KVM
 *   has them, FP_D (or FP_F for a hart without D), TIMER (frequency,
 *   time, compare, state).
 *  the VM (section ARCH_VM): CLOCK: CLOCK_REALTIME, vCPU 0's time and
 *   its timer frequency, read back to back; IRQCHIP: which controller;
 *   PLIC: the userspace PLIC's state (plic.c). A VM on KVM's in-kernel
 *   AIA is refused (its APLIC and IMSIC state is not saved).
 *
 * Restore (after the vCPUs are created, before the first KVM_RUN; every
 * section is decoded and checked first):
 *  1. the timebase: when the saved one differs from the host's (vCPU 0's
 *     frequency register), it is written to KVM; where KVM refuses (it
 *     does upstream) the restore is refused naming both frequencies,
 *     unless --allow-timebase-mismatch (then the guest's clock runs at
 *     the host's rate from its restored value).
 *  2. per vCPU: the registers that shape the vCPU (CONFIG, ISA_EXT,
 *     SBI_EXT) first, each written only where it differs from what KVM
 *     gave the new vCPU (older kernels refuse writes of some of them even
 *     with the same value; a write of CONFIG isa also resets FP state,
 *     restored after it); then the others in the saved order, except
 *     TIMER.
 *  3. the timer: time (VM-wide in KVM: written once, on vCPU 0) is the
 *     saved time plus, with --clock catch-up, the wall-clock blackout in
 *     guest ticks (riscv_clock_target); then each vCPU's compare, then
 *     its state, which re-arms the deadline against the new time (OFF
 *     only written to a running timer: KVM refuses to stop a stopped
 *     one). (Linux
 *     6.1's KVM arms the timer at the value written to 'state', 1,
 *     rather than at 'compare': the guest then takes one early timer
 *     interrupt, after which Linux programs its next deadline itself.)
 *  4. per vCPU: MP_STATE (KVM created every hart but 0 stopped).
 *  5. the PLIC's state, which then sets every hart's external interrupt
 *     line with KVM_INTERRUPT (after the CSRs: writing sip drops pending
 *     interrupt updates).
 */

#define STATE_VERSION 1
#define MAX_REGS      4096

enum vm_rec { MR_CLOCK = 1, MR_IRQCHIP, MR_PLIC };

#define BIT(tag) (1U << (tag))

#define corrupt(sec, inst, fmt, ...)                                           \
	(pr_err("snapshot section %s %u: " fmt, sec, inst, ##__VA_ARGS__),     \
	 -EINVAL)

struct vm_state {
	uint32_t have;
	struct riscv_clock clk;
	uint32_t irqchip;
	const uint8_t *plic;
	uint32_t plic_len;
};

static unsigned int reg_type(uint64_t id)
{
	return (unsigned int)((id & KVMR_REG_TYPE_MASK) >> KVMR_REG_TYPE_SHIFT);
}

/* The registers that describe the vCPU rather than its running state. */
static bool is_shape(uint64_t id)
{
	unsigned int t = reg_type(id);

	return t == KVMR_REG_CONFIG || t == KVMR_REG_ISA_EXT ||
	       t == KVMR_REG_SBI_EXT;
}

/* ---- save ---- */

/* KVM lists FP_F and FP_D for a hart with D: both are views of one
 * state (FP_F a 32-bit window), so only FP_D is kept. */
static uint32_t drop_fp_f(uint64_t *ids, uint32_t n)
{
	bool has_d = false;
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		if (reg_type(ids[i]) == KVMR_REG_FP_D)
			has_d = true;
	for (uint32_t i = 0; i < n; i++)
		if (!has_d || reg_type(ids[i]) != KVMR_REG_FP_F)
			ids[k++] = ids[i];
	return k;
}

static void add(struct onereg_cand *c, uint32_t *n, uint64_t id,
		bool optional)
{
	c[(*n)++] = (struct onereg_cand){id, optional};
}

/* The known set (kernels before 6.6), in the order of the comment above. */
static int known_list(struct vcpu *v, struct onereg_cand **out, uint32_t *n)
{
	uint64_t isa, vext = 0;
	struct onereg_cand *c;
	int ret;

	if (v->id == 0)
		pr_info("snapshot: no KVM_GET_REG_LIST (Linux < 6.6): "
			"saving the known riscv register set");
	c = calloc(MAX_REGS, sizeof(*c));
	ret = c ? onereg_rw(v, false, KVMR_CONFIG_ID(KVMR_CONFIG_ISA), &isa)
		: -ENOMEM;
	if (ret) {
		free(c);
		return ret;
	}
	if (!onereg_try(v, false, KVMR_ISA_EXT_ID(KVMR_ISA_EXT_V), &vext) &&
	    vext) {
		pr_err("vCPU %u has the V extension, and this KVM has no "
		       "KVM_GET_REG_LIST (Linux 6.6+) to list its vector "
		       "registers: cannot save them",
		       v->id);
		free(c);
		return -ENOTSUP;
	}
	*n = 0;
	add(c, n, KVMR_CONFIG_ID(KVMR_CONFIG_ISA), false);
	for (unsigned int i = KVMR_CONFIG_ZICBOM_BLOCK_SIZE;
	     i <= KVMR_CONFIG_ZICBOP_BLOCK_SIZE; i++)
		add(c, n, KVMR_CONFIG_ID(i), true);
	for (unsigned int i = 0; i < KVMR_ISA_EXT_KNOWN; i++)
		add(c, n, KVMR_ISA_EXT_ID(i), true);
	for (unsigned int i = 0; i <= KVMR_SBI_EXT_MPXY; i++)
		add(c, n, KVMR_SBI_EXT_SINGLE_ID(i), true);
	for (unsigned int i = 0; i <= KVMR_CORE_MODE; i++)
		add(c, n, KVMR_CORE_ID(i), false);
	for (unsigned int i = 0; i <= KVMR_CSR_SCOUNTEREN; i++)
		add(c, n, KVMR_CSR_ID(i), false);
	add(c, n, KVMR_CSR_ID(KVMR_CSR_SENVCFG), true);
	for (unsigned int i = 0; i <= KVMR_CSR_AIA_IPRIO2; i++)
		add(c, n, KVMR_CSR_AIA_ID(i), true);
	if (isa & 1ULL << ('d' - 'a')) {
		for (unsigned int i = 0; i < KVMR_FP_NR; i++)
			add(c, n, KVMR_FP_D_ID(i), false);
		add(c, n, KVMR_FP_D_FCSR_ID, false);
	} else if (isa & 1ULL << ('f' - 'a')) {
		for (unsigned int i = 0; i <= KVMR_FP_FCSR; i++)
			add(c, n, KVMR_FP_F_ID(i), false);
	}
	for (unsigned int i = KVMR_TIMER_FREQUENCY; i <= KVMR_TIMER_STATE; i++)
		add(c, n, KVMR_TIMER_ID(i), false);
	*out = c;
	return 0;
}

static const struct onereg_arch onereg_riscv = {
	.arch = KVMR_REG_RISCV,
	.version = STATE_VERSION,
	.max_regs = MAX_REGS,
	.filter = drop_fp_f,
	.known_list = known_list,
};

static int vm_save(struct vm *vm, struct snap_writer *w,
		   const struct riscv_host *h)
{
	struct arch_vm *a = vm->arch;
	struct riscv_clock c;
	struct snap_records b;
	struct sbuf p;
	int ret;

	c.realtime_ns = h->realtime_ns();
	ret = onereg_rw(&vm->vcpus[0], false, KVMR_TIMER_ID(KVMR_TIMER_TIME),
		      &c.time);
	if (!ret)
		ret = onereg_rw(&vm->vcpus[0], false,
			      KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY), &c.hz);
	if (ret)
		return ret;
	snap_records_init(&b, STATE_VERSION);
	sbuf_init(&p);
	sbuf_put_u64(&p, c.realtime_ns);
	sbuf_put_u64(&p, c.time);
	sbuf_put_u64(&p, c.hz);
	snap_records_put_sbuf(&b, MR_CLOCK, &p);
	p.len = 0;
	sbuf_put_u32(&p, a->irqchip);
	snap_records_put_sbuf(&b, MR_IRQCHIP, &p);
	p.len = 0;
	plic_save(&a->plic, &p);
	snap_records_put_sbuf(&b, MR_PLIC, &p);
	sbuf_free(&p);
	ret = snap_records_write(w, SNAP_SEC_ARCH_VM, 0, &b);
	sbuf_free(&b.b);
	return ret;
}

int riscv_state_save(struct vm *vm, struct snap_writer *w,
		     const struct riscv_host *h)
{
	int ret;

	if (vm->arch->irqchip != RISCV_IRQCHIP_PLIC) {
		pr_err("snapshots of a VM on KVM's in-kernel AIA are not "
		       "supported: its APLIC and IMSIC state is not saved "
		       "(the userspace PLIC's is; this host's KVM has the "
		       "AIA, so minivmm uses it)");
		return -ENOTSUP;
	}
	ret = onereg_save_vcpus(vm, w, &onereg_riscv);
	return ret ? ret : vm_save(vm, w, h);
}

/* ---- decode ---- */

static int vm_rec(void *opaque, uint32_t tag, const uint8_t *p, uint32_t n)
{
	struct vm_state *vs = opaque;

	if (tag == MR_CLOCK && n == 24) {
		vs->clk.realtime_ns = get_le64(p);
		vs->clk.time = get_le64(p + 8);
		vs->clk.hz = get_le64(p + 16);
		return 0;
	}
	if (tag == MR_IRQCHIP && n == 4) {
		vs->irqchip = get_le32(p);
		return 0;
	}
	if (tag == MR_PLIC) {
		vs->plic = p;
		vs->plic_len = n;
		return 0;
	}
	return corrupt("ARCH_VM", 0, "record type %u of %u bytes is not known",
		       tag, n);
}

struct restore_ctx {
	struct vm *vm;
	const struct restore_opts *o;
	const struct riscv_host *h;
	struct onereg_vcpu *st;
	struct vm_state vs;
};

static int restore_decode(struct restore_ctx *c, struct snap_reader *r)
{
	uint32_t need = BIT(MR_CLOCK) | BIT(MR_IRQCHIP) | BIT(MR_PLIC);
	char err[160];
	const void *data;
	size_t len;
	int ret = onereg_decode_vcpus(c->vm, r, &onereg_riscv, &c->st);

	for (unsigned int i = 0; !ret && i < c->vm->nr_vcpus; i++) {
		const struct onereg_vcpu *st = &c->st[i];

		if (st->mp_state != KVMR_MP_STATE_RUNNABLE &&
		    st->mp_state != KVMR_MP_STATE_STOPPED)
			return corrupt("ARCH_VCPU", i, "MP_STATE %u",
				       st->mp_state);
		if (!onereg_find(st, KVMR_TIMER_ID(KVMR_TIMER_COMPARE)) ||
		    !onereg_find(st, KVMR_TIMER_ID(KVMR_TIMER_STATE)))
			return corrupt("ARCH_VCPU", i,
				       "no timer compare or state register");
	}
	if (ret)
		return ret;
	if (snap_reader_find(r, SNAP_SEC_ARCH_VM, 0, &data, &len)) {
		pr_err("snapshot has no riscv VM state (timer, irqchip)");
		return -EINVAL;
	}
	ret = snap_records_walk(data, len, STATE_VERSION, "ARCH_VM", 0,
				&c->vs.have, vm_rec, &c->vs);
	if (!ret && (c->vs.have & need) != need)
		ret = corrupt("ARCH_VM", 0, "no CLOCK, IRQCHIP or PLIC record");
	if (!ret && ts_check_hz(c->vs.clk.hz, err, sizeof(err)))
		ret = corrupt("ARCH_VM", 0, "CLOCK: %s", err);
	if (!ret && c->vs.irqchip != RISCV_IRQCHIP_PLIC)
		ret = corrupt("ARCH_VM", 0, "irqchip %u (only the userspace "
			      "PLIC's state is saved)", c->vs.irqchip);
	if (!ret && c->vm->arch->irqchip != RISCV_IRQCHIP_PLIC) {
		pr_err("the snapshot's VM used minivmm's userspace PLIC, and "
		       "this host's KVM has the in-kernel AIA, which minivmm "
		       "uses where it exists: restoring onto the AIA is not "
		       "supported");
		ret = -ENOTSUP;
	}
	return ret;
}

/* ---- restore ---- */

int riscv_clock_target(const struct riscv_clock *saved, uint64_t now_ns,
		       enum clock_mode mode, uint64_t *target,
		       uint64_t *blackout_ns)
{
	char err[96];

	*target = saved->time;
	*blackout_ns = 0;
	if (ts_check_hz(saved->hz, err, sizeof(err)))
		return -EINVAL;
	if (mode == CLOCK_FREEZE)
		return 0;
	if (now_ns < saved->realtime_ns)
		return 1;
	*blackout_ns = now_ns - saved->realtime_ns;
	*target = saved->time + ts_blackout_ticks(*blackout_ns, saved->hz);
	return 0;
}

/* Step 1: the guest's timebase is the saved one, or allowed to differ. */
static int restore_timebase(struct restore_ctx *c)
{
	struct vcpu *v0 = &c->vm->vcpus[0];
	uint64_t saved = c->vs.clk.hz, host;
	int ret = onereg_rw(v0, false, KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY),
			  &host);
	long r;

	if (ret || host == saved)
		return ret;
	r = onereg_try(v0, true, KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY), &saved);
	if (r >= 0) {
		pr_info("restore: timebase set to the saved %" PRIu64
			" Hz (the host's is %" PRIu64 " Hz)",
			saved, host);
		return 0;
	}
	if (c->o->allow_timebase_mismatch) {
		pr_warn("restore: the snapshot's timebase is %" PRIu64
			" Hz, this host's %" PRIu64 " Hz, and KVM cannot "
			"set it (%s); restoring anyway: the guest's clock "
			"runs %s",
			saved, host, strerror((int)-r),
			host > saved ? "fast" : "slow");
		return 0;
	}
	pr_err("restore: the snapshot's timebase is %" PRIu64 " Hz, this "
	       "host's is %" PRIu64 " Hz, and KVM cannot set the timer "
	       "frequency (%s): the guest's clock would run at the wrong "
	       "rate; --allow-timebase-mismatch restores anyway",
	       saved, host, strerror((int)-r));
	return -ENOTSUP;
}

static const char *shape_name(uint64_t id)
{
	switch (reg_type(id)) {
	case KVMR_REG_CONFIG: return "CONFIG";
	case KVMR_REG_ISA_EXT: return "ISA_EXT";
	default: return "SBI_EXT";
	}
}

/* Writes a register that shapes the vCPU only where it differs. */
static int restore_shape(struct vcpu *v, const struct onereg_val *rv)
{
	uint64_t want, cur = 0;
	char here[40];
	long got, r;

	if (onereg_size(rv->id) != 8)
		return corrupt("ARCH_VCPU", v->id,
			       "register 0x%016" PRIx64 " has size %zu",
			       rv->id, onereg_size(rv->id));
	want = get_le64(rv->val);
	got = onereg_try(v, false, rv->id, &cur);
	if (got >= 0 && cur == want)
		return 0;
	/* An extension switch this KVM does not know is off anyway. */
	if (got < 0 && !want && reg_type(rv->id) != KVMR_REG_CONFIG)
		return 0;
	r = onereg_try(v, true, rv->id, &want);
	if (r >= 0)
		return 0;
	if (got < 0)
		snprintf(here, sizeof(here), "does not have it");
	else
		snprintf(here, sizeof(here), "has 0x%" PRIx64, cur);
	pr_err("vCPU %u: %s register 0x%016" PRIx64 " is 0x%" PRIx64 " in "
	       "the snapshot, this host's vCPU %s, and KVM refused the "
	       "change (%s): the hart cannot be recreated here",
	       v->id, shape_name(rv->id), rv->id, want, here,
	       strerror((int)-r));
	return (int)r;
}

/* Step 2. */
static bool shape_or_timer(uint64_t id)
{
	return is_shape(id) || reg_type(id) == KVMR_REG_TIMER;
}

static int restore_regs(struct vcpu *v, const struct onereg_vcpu *st)
{
	int ret = 0;

	for (uint32_t i = 0; i < st->nr_regs && !ret; i++)
		if (is_shape(st->regs[i].id))
			ret = restore_shape(v, &st->regs[i]);
	return ret ? ret : onereg_restore_regs(v, st, shape_or_timer);
}

/* Step 3. */
static int restore_timer(struct restore_ctx *c)
{
	const struct riscv_clock *s = &c->vs.clk;
	uint64_t now = c->h->realtime_ns(), target, blackout;
	int k = riscv_clock_target(s, now, c->o->clock, &target, &blackout);
	int ret;

	if (k < 0)
		return corrupt("ARCH_VM", 0, "CLOCK: timebase %" PRIu64 " Hz",
			       s->hz);
	if (k > 0)
		pr_warn("restore: clock catch-up: the wall clock is %.6f s "
			"behind the save; the guest's time resumes from its "
			"saved value",
			(double)(s->realtime_ns - now) / 1e9);
	ret = onereg_rw(&c->vm->vcpus[0], true, KVMR_TIMER_ID(KVMR_TIMER_TIME),
		      &target);
	for (unsigned int i = 0; i < c->vm->nr_vcpus && !ret; i++) {
		struct vcpu *v = &c->vm->vcpus[i];
		uint64_t cmp = get_le64(
		    onereg_find(&c->st[i], KVMR_TIMER_ID(KVMR_TIMER_COMPARE))->val);
		uint64_t on = get_le64(
		    onereg_find(&c->st[i], KVMR_TIMER_ID(KVMR_TIMER_STATE))->val);

		uint64_t cur = KVMR_TIMER_STATE_ON;

		ret = onereg_rw(v, true, KVMR_TIMER_ID(KVMR_TIMER_COMPARE), &cmp);
		/* KVM refuses to stop a timer that is not running (EINVAL). */
		if (!ret && on == KVMR_TIMER_STATE_OFF)
			ret = onereg_rw(v, false, KVMR_TIMER_ID(KVMR_TIMER_STATE),
				      &cur);
		if (!ret && (on != KVMR_TIMER_STATE_OFF ||
			     cur != KVMR_TIMER_STATE_OFF))
			ret = onereg_rw(v, true, KVMR_TIMER_ID(KVMR_TIMER_STATE),
				      &on);
	}
	if (!ret)
		pr_info("restore: clock %s: blackout %.6f s (guest time "
			"0x%" PRIx64 " -> 0x%" PRIx64 " at %" PRIu64 " Hz; "
			"wall time since the save %.6f s)",
			c->o->clock == CLOCK_FREEZE ? "freeze" : "catch-up",
			(double)blackout / 1e9, s->time, target, s->hz,
			((double)now - (double)s->realtime_ns) / 1e9);
	return ret;
}

/* Step 5. */
static int restore_plic(struct restore_ctx *c)
{
	char err[160] = "";
	int ret = plic_restore(&c->vm->arch->plic, c->vs.plic, c->vs.plic_len,
			       err, sizeof(err));

	if (ret == -EINVAL)
		return corrupt("ARCH_VM", 0, "%s", err);
	return ret;
}

int riscv_state_restore(struct vm *vm, struct snap_reader *r,
			const struct restore_opts *o,
			const struct riscv_host *h)
{
	struct restore_ctx c = {.vm = vm, .o = o, .h = h};
	int ret = restore_decode(&c, r);

	if (!ret)
		ret = restore_timebase(&c);
	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = restore_regs(&vm->vcpus[i], &c.st[i]);
	if (!ret)
		ret = restore_timer(&c);
	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = onereg_set_mp_state(&vm->vcpus[i], c.st[i].mp_state);
	if (!ret)
		ret = restore_plic(&c);
	onereg_vcpus_free(c.st, vm->nr_vcpus);
	return ret;
}
