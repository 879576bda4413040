/* state.c: arm64 vCPU and VM state to and from snapshot sections: every ONE_REG register, MP state, the virtual counter, the vGICv3 and ITS, the PMU. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "arm64_state.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "log.h"
#include "onereg_state.h"
#include "sbuf.h"
#include "snap_records.h"
#include "snapshot_file.h"
#include "sysreg.h"
#include "util.h"
#include "vm.h"

/*
 * Save order (every vCPU paused out of KVM_RUN):
 *  per vCPU (section ARCH_VCPU, instance = vCPU id): MP_STATE (RUNNABLE,
 *   or STOPPED for a vCPU the guest has not started or has turned off with
 *   PSCI), then KVM_GET_REG_LIST and every listed register through
 *   KVM_GET_ONE_REG: core registers, FP/SIMD, system registers (with
 *   --pmu the PMU's too: KVM lists them once the vCPU has PMU_V3), the
 *   firmware pseudo-registers, the timers' CTL/CVAL/CNT. Each is stored
 *   as its id and the number of bytes the id's size field gives.
 *  the VM (section ARCH_VM): COUNTER: CLOCK_REALTIME and vCPU 0's virtual
 *   counter read back to back, and the counter frequency; GIC: every
 *   vGICv3 register (gic_state.c), after a one-line ICH_VMCR_EL2 dump of
 *   each vCPU's CPU interface (info level); ITS (only with an ITS): the
 *   LPI pending tables and the ITS tables written into guest RAM, then
 *   the ITS and LPI registers (its_state.c). The core writes guest RAM
 *   to the file after this, with the devices quiet since before it.
 *
 * Restore order (after the vCPUs are created with KVM_ARM_VCPU_INIT,
 * before the first KVM_RUN; every section is decoded and checked first):
 *  1. per vCPU: the registers in the saved (list) order, except the
 *     timers' (TIMER_* and PTIMER_*) and the PMU's, then MP_STATE.
 *  2. the virtual counter, once for the VM. The target is the saved
 *     counter, plus (catch-up) the wall-clock time since the save in
 *     counter ticks; freeze: nothing added. With KVM_CAP_COUNTER_OFFSET
 *     (Linux >= 6.4): KVM_ARM_SET_COUNTER_OFFSET(0), so vCPU 0's counter
 *     reads the host counter H, then the offset H - target (applies to the
 *     virtual and the physical counter of every vCPU).
 *     Fallback (older kernels, logged): TIMER_CNT = target written on
 *     every vCPU (KVM turns each write into one VM-wide virtual offset);
 *     the physical counter is not offset.
 *  3. per vCPU: the timers' CVAL, then CTL: after the counter, so that a
 *     deadline keeps its distance from it (freeze) or is seen as passed.
 *  4. the vGIC: CTRL_INIT (it needs every vCPU, and MPIDR_EL1 restored),
 *     then its registers (gic_state.c: GICD_IIDR first; with an ITS each
 *     redistributor's PROPBASER and PENDBASER before its GICR_CTLR),
 *     then the ITS (its_state.c: registers but GITS_CTLR, RESTORE_TABLES,
 *     GITS_CTLR), then all of it is read back and compared with the saved
 *     state (warnings, and a summary line at info level) with the VMCR
 *     dump again.
 *  5. with --pmu, per vCPU: the PMU's interrupt (PPI) and PMU_V3_INIT
 *     (KVM wants the vGIC initialised first, and the PMU set up before
 *     its registers are written: a counter register write can create the
 *     host perf event), then the PMU registers in the saved order, read
 *     back and compared.
 * A vGIC register write while a vCPU runs fails with -EBUSY: restore runs
 * before the vCPU threads start.
 *
 * Format: each section is u32 version, u32 record count, then records
 * {u32 tag, u32 len, len bytes}, little-endian. REGS: u32 n, then n times
 * {u64 id, the value in 1 << size bytes}. COUNTER: u64 realtime ns, u64
 * counter, u64 Hz. GIC: gic_state.c's encoding. ITS: its_state.c's. Every
 * count and size is checked before use.
 */

#define STATE_VERSION 1
#define MAX_REGS      8192
#define NSEC	      1000000000ULL

enum vm_rec { MR_COUNTER = 1, MR_GIC, MR_ITS };

#define BIT(tag) (1U << (tag))

#define corrupt(sec, inst, fmt, ...)                                           \
	(pr_err("snapshot section %s %u: " fmt, sec, inst, ##__VA_ARGS__),     \
	 -EINVAL)

struct counter_rec {
	uint64_t realtime_ns, counter, hz;
};

struct vm_state {
	uint32_t have;
	struct counter_rec cnt;
	struct gic_state gic;
	struct its_state its;
};

static const struct onereg_arch onereg_arm64 = {
	.arch = KVMA_REG_ARM64,
	.version = STATE_VERSION,
	.max_regs = MAX_REGS,
};

static bool is_counter(uint64_t id)
{
	return id == KVMA_REG_TIMER_CNT || id == KVMA_REG_PTIMER_CNT;
}

static bool is_timer(uint64_t id)
{
	return is_counter(id) || id == KVMA_REG_TIMER_CTL ||
	       id == KVMA_REG_TIMER_CVAL || id == KVMA_REG_PTIMER_CTL ||
	       id == KVMA_REG_PTIMER_CVAL;
}

/* The PMU's system registers (op0 3): PMCR_EL0 ... PMOVSSET_EL0 and
 * PMINTEN*_EL1, PMMIR_EL1 (CRn 9, CRm 12-14), PMEVCNTRn, PMEVTYPERn and
 * PMCCFILTR_EL0 (op1 3, CRn 14, CRm 8-15). */
static bool is_pmu(uint64_t id)
{
	unsigned int enc = (unsigned int)(id & 0xffff);
	unsigned int op0 = enc >> 14, op1 = (enc >> 11) & 7;
	unsigned int crn = (enc >> 7) & 15, crm = (enc >> 3) & 15;

	if ((id & ~0xffffULL) != KVMA_REG_ARM64_SYSREG || op0 != 3)
		return false;
	return (crn == 9 && crm >= 12 && crm <= 14) ||
	       (op1 == 3 && crn == 14 && crm >= 8);
}

/* ---- save ---- */

static int read_mpidrs(struct vm *vm, uint64_t *mpidr)
{
	int ret = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = onereg_rw(&vm->vcpus[i], false,
			      KVMA_REG_ARM64_SYSREG | SYS_MPIDR_EL1, &mpidr[i]);
	return ret;
}

static void log_cif(const char *when, const struct gic_state *g)
{
	char line[320];

	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		gic_cpu_if_line(g, i, line, sizeof(line));
		pr_info("%s: vCPU %u: GIC CPU interface: %s", when, i, line);
	}
}

void arch_irq_report(struct vm *vm)
{
	uint64_t *mpidr = calloc(vm->nr_vcpus, sizeof(*mpidr));
	char spis[512], line[320];
	struct gic_state g;

	if (!mpidr || read_mpidrs(vm, mpidr) || gic_state_read(vm, mpidr, &g)) {
		free(mpidr);
		return;
	}
	gic_state_report_spis(&g, spis, sizeof(spis));
	pr_debug("vGIC: SPIs%s", spis);
	for (unsigned int i = 0; i < g.nr_vcpus; i++) {
		gic_cpu_if_line(&g, i, line, sizeof(line));
		pr_debug("vCPU %u: GIC CPU interface: %s", i, line);
	}
	gic_state_free(&g);
	free(mpidr);
}

static int save_gic(struct vm *vm, struct snap_records *b)
{
	uint64_t *mpidr = calloc(vm->nr_vcpus, sizeof(*mpidr));
	struct gic_state g;
	struct sbuf p;
	int ret = mpidr ? read_mpidrs(vm, mpidr) : -ENOMEM;

	if (!ret)
		ret = gic_state_read(vm, mpidr, &g);
	free(mpidr);
	if (ret)
		return ret;
	log_cif("snapshot", &g);
	sbuf_init(&p);
	gic_state_encode(&g, &p);
	snap_records_put_sbuf(b, MR_GIC, &p);
	sbuf_free(&p);
	gic_state_free(&g);
	return 0;
}

/* The tables go into guest RAM here, which the core saves afterwards. */
static int save_its(struct vm *vm, struct snap_records *b)
{
	uint64_t *mpidr = calloc(vm->nr_vcpus, sizeof(*mpidr));
	struct its_state s;
	struct sbuf p;
	int ret = mpidr ? read_mpidrs(vm, mpidr) : -ENOMEM;

	if (!ret)
		ret = its_state_save(vm, mpidr, &s);
	free(mpidr);
	if (ret)
		return ret;
	pr_info("snapshot: ITS (%s): tables and LPI pending bits written to "
		"guest RAM, %u registers and %u redistributors' LPI registers "
		"saved",
		its_state_enabled(&s) ? "enabled" : "disabled", ITS_NR_REGS,
		s.nr_vcpus);
	sbuf_init(&p);
	its_state_encode(&s, &p);
	snap_records_put_sbuf(b, MR_ITS, &p);
	sbuf_free(&p);
	its_state_free(&s);
	return 0;
}

static int vm_save(struct vm *vm, struct snap_writer *w,
		   const struct arm64_host *h)
{
	struct counter_rec c = {.hz = h->counter_hz};
	struct snap_records b;
	struct sbuf p;
	int ret;

	c.realtime_ns = h->realtime_ns();
	ret = onereg_rw(&vm->vcpus[0], false, KVMA_REG_TIMER_CNT, &c.counter);
	if (ret)
		return ret;
	snap_records_init(&b, STATE_VERSION);
	sbuf_init(&p);
	sbuf_put_u64(&p, c.realtime_ns);
	sbuf_put_u64(&p, c.counter);
	sbuf_put_u64(&p, c.hz);
	snap_records_put_sbuf(&b, MR_COUNTER, &p);
	sbuf_free(&p);
	ret = save_gic(vm, &b);
	if (!ret && vm->arch->its_fd >= 0)
		ret = save_its(vm, &b);
	if (!ret)
		ret = snap_records_write(w, SNAP_SEC_ARCH_VM, 0, &b);
	sbuf_free(&b.b);
	return ret;
}

int arm64_state_save(struct vm *vm, struct snap_writer *w,
		     const struct arm64_host *h)
{
	int ret = onereg_save_vcpus(vm, w, &onereg_arm64);

	return ret ? ret : vm_save(vm, w, h);
}

/* ---- decode ---- */

struct vm_decode {
	struct vm_state *vs;
	unsigned int nr_vcpus;
};

static int vm_rec(void *opaque, uint32_t tag, const uint8_t *p, uint32_t n)
{
	struct vm_decode *d = opaque;
	struct vm_state *vs = d->vs;

	if (tag == MR_COUNTER && n == sizeof(vs->cnt)) {
		vs->cnt.realtime_ns = get_le64(p);
		vs->cnt.counter = get_le64(p + 8);
		vs->cnt.hz = get_le64(p + 16);
		return 0;
	}
	if (tag == MR_GIC)
		return gic_state_decode(p, n, d->nr_vcpus, &vs->gic);
	if (tag == MR_ITS)
		return its_state_decode(p, n, d->nr_vcpus, &vs->its);
	return corrupt("ARCH_VM", 0, "record type %u of %u bytes is not known",
		       tag, n);
}

struct restore_ctx {
	struct vm *vm;
	const struct restore_opts *o;
	const struct arm64_host *h;
	struct onereg_vcpu *st;
	struct vm_state vs;
};

/* PMU registers in a snapshot of a VM with a PMU only: the vCPUs were
 * created with the features of the saved ones. */
static int check_pmu(struct restore_ctx *c)
{
	bool pmu = c->vm->cfg && c->vm->cfg->pmu;

	for (unsigned int i = 0; i < c->vm->nr_vcpus; i++)
		for (uint32_t k = 0; k < c->st[i].nr_regs; k++)
			if (is_pmu(c->st[i].regs[k].id) && !pmu) {
				pr_err("snapshot vCPU %u has PMU register "
				       "0x%016" PRIx64 ", but this VM has no "
				       "PMU",
				       i, c->st[i].regs[k].id);
				return -EINVAL;
			}
	return 0;
}

static int restore_decode(struct restore_ctx *c, struct snap_reader *r)
{
	struct vm_decode d = {&c->vs, c->vm->nr_vcpus};
	const void *data;
	uint32_t need;
	size_t len;
	int ret = onereg_decode_vcpus(c->vm, r, &onereg_arm64, &c->st);

	if (ret)
		return ret;
	if (snap_reader_find(r, SNAP_SEC_ARCH_VM, 0, &data, &len)) {
		pr_err("snapshot has no arm64 VM state (vGIC, counter)");
		return -EINVAL;
	}
	ret = snap_records_walk(data, len, STATE_VERSION, "ARCH_VM", 0,
				&c->vs.have, vm_rec, &d);
	need = BIT(MR_COUNTER) | BIT(MR_GIC);
	if (!ret && (c->vs.have & need) != need)
		ret = corrupt("ARCH_VM", 0, "no COUNTER or GIC record");
	if (!ret && !(c->vs.have & BIT(MR_ITS)) != (c->vm->arch->its_fd < 0)) {
		pr_err("snapshot %s ITS state, but this VM %s an ITS",
		       c->vs.have & BIT(MR_ITS) ? "has" : "has no",
		       c->vm->arch->its_fd < 0 ? "has no" : "has");
		ret = -EINVAL;
	}
	return ret ? ret : check_pmu(c);
}

/* ---- restore ---- */

/* Written at steps 3 and 5. */
static bool later(uint64_t id)
{
	return is_timer(id) || is_pmu(id);
}

/* The timers' CVAL before their CTL (which may enable them). */
static int restore_timers(struct vcpu *v, const struct onereg_vcpu *st)
{
	static const uint64_t order[] = {KVMA_REG_TIMER_CVAL,
					 KVMA_REG_TIMER_CTL,
					 KVMA_REG_PTIMER_CVAL,
					 KVMA_REG_PTIMER_CTL};
	uint64_t val;
	int ret = 0;

	for (size_t k = 0; k < ARRAY_SIZE(order) && !ret; k++)
		for (uint32_t i = 0; i < st->nr_regs && !ret; i++) {
			if (st->regs[i].id != order[k])
				continue;
			val = get_le64(st->regs[i].val);
			ret = onereg_rw(v, true, order[k], &val);
		}
	return ret;
}

static int restore_vcpu(struct vcpu *v, const struct onereg_vcpu *st)
{
	int ret = onereg_restore_regs(v, st, later);

	return ret ? ret : onereg_set_mp_state(v, st->mp_state);
}

static int set_offset(struct vm *vm, uint64_t off)
{
	struct kvma_counter_offset o = {.counter_offset = off};
	long ret = kvm_vm_ioctl(vm, KVMA_ARM_SET_COUNTER_OFFSET, &o);

	if (ret < 0)
		pr_err("KVM_ARM_SET_COUNTER_OFFSET: %s", strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

/* The VM-wide offset: with 0, vCPU 0's counter reads the host's. */
static int counter_by_offset(struct vm *vm, uint64_t target)
{
	uint64_t host;
	int ret = set_offset(vm, 0);

	if (!ret)
		ret = onereg_rw(&vm->vcpus[0], false, KVMA_REG_TIMER_CNT, &host);
	return ret ? ret : set_offset(vm, host - target);
}

static int counter_by_cnt(struct vm *vm, uint64_t target)
{
	int ret = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = onereg_rw(&vm->vcpus[i], true, KVMA_REG_TIMER_CNT, &target);
	return ret;
}

static uint64_t ns_to_ticks(uint64_t ns, uint64_t hz)
{
	return (uint64_t)((unsigned __int128)ns * hz / NSEC);
}

static int restore_counter(struct restore_ctx *c)
{
	const struct counter_rec *s = &c->vs.cnt;
	bool catchup = c->o->clock == CLOCK_CATCH_UP;
	bool by_offset = kvm_check_cap(c->vm, KVMA_CAP_COUNTER_OFFSET) > 0;
	uint64_t hz = s->hz ? s->hz : c->h->counter_hz, now, target;
	int64_t wall;
	int ret;

	if (s->hz && c->h->counter_hz && s->hz != c->h->counter_hz)
		pr_warn("restore: the counter ran at %" PRIu64 " Hz where "
			"the snapshot was taken, %" PRIu64 " Hz here: the "
			"guest's timekeeping will be off",
			s->hz, c->h->counter_hz);
	now = c->h->realtime_ns();
	wall = (int64_t)(now - s->realtime_ns);
	target = s->counter;
	if (catchup && wall > 0 && hz)
		target += ns_to_ticks((uint64_t)wall, hz);
	else if (catchup)
		pr_warn("restore: clock catch-up: %s; the counter resumes "
			"from its saved value",
			hz ? "the wall clock went backwards since the save"
			   : "no counter frequency known");
	ret = by_offset ? counter_by_offset(c->vm, target)
			: counter_by_cnt(c->vm, target);
	if (ret)
		return ret;
	pr_info("restore: clock %s: blackout %.6f s (virtual counter "
		"0x%" PRIx64 " -> 0x%" PRIx64 " at %" PRIu64 " Hz; wall time "
		"since the save %.6f s; %s)",
		catchup ? "catch-up" : "freeze",
		hz ? (double)(target - s->counter) / (double)hz : 0.0,
		s->counter, target, hz, (double)wall / 1e9,
		by_offset ? "KVM_ARM_SET_COUNTER_OFFSET"
			  : "fallback: TIMER_CNT written on each vCPU, this "
			    "kernel has no KVM_ARM_SET_COUNTER_OFFSET");
	return 0;
}

/* The ITS after every redistributor; read back with the vGIC. */
static int restore_its(struct restore_ctx *c)
{
	const struct its_state *s = &c->vs.its;
	uint64_t *mpidr = calloc(s->nr_vcpus, sizeof(*mpidr));
	int ret = mpidr ? its_state_restore(c->vm, s) : -ENOMEM;

	for (unsigned int i = 0; i < s->nr_vcpus && mpidr; i++)
		mpidr[i] = c->vs.gic.cpu[i].mpidr;
	if (!ret)
		ret = its_state_verify(c->vm, mpidr, s);
	free(mpidr);
	if (ret > 0)
		pr_warn("restore: ITS state read back: %d registers differ "
			"from the saved ones",
			ret);
	else if (!ret)
		pr_info("restore: ITS state read back: %u ITS registers (%s) "
			"and %u redistributors' LPI registers equal the saved "
			"state; tables restored from guest RAM",
			ITS_NR_REGS, its_state_enabled(s) ? "enabled" : "disabled",
			s->nr_vcpus);
	return ret < 0 ? ret : 0;
}

static int restore_gic(struct restore_ctx *c)
{
	bool its = c->vs.have & BIT(MR_ITS);
	int ret = gic_state_restore(c->vm, &c->vs.gic, its ? &c->vs.its : NULL);

	if (!ret && its)
		ret = restore_its(c);
	if (ret)
		return ret;
	ret = gic_state_verify(c->vm, &c->vs.gic);
	if (ret < 0)
		return ret;
	log_cif("restore", &c->vs.gic);
	if (ret)
		pr_warn("restore: vGIC state read back: %d registers differ "
			"from the saved ones",
			ret);
	else
		pr_info("restore: vGIC state read back: distributor (%u "
			"interrupts), %u redistributors and CPU interfaces "
			"equal the saved state",
			c->vs.gic.nr_irqs, c->vs.gic.nr_vcpus);
	return 0;
}

/* The saved PMU registers of one vCPU written, read back, compared. */
static int pmu_regs(struct vcpu *v, const struct onereg_vcpu *st,
		    unsigned int *n, unsigned int *differ)
{
	int ret = 0;

	for (uint32_t i = 0; i < st->nr_regs && !ret; i++) {
		uint8_t val[ONEREG_MAX_SIZE], back[ONEREG_MAX_SIZE];
		uint64_t id = st->regs[i].id;

		if (!is_pmu(id))
			continue;
		memcpy(val, st->regs[i].val, onereg_size(id));
		ret = onereg_rw(v, true, id, val);
		if (!ret)
			ret = onereg_rw(v, false, id, back);
		if (ret)
			break;
		(*n)++;
		if (memcmp(back, st->regs[i].val, onereg_size(id))) {
			pr_warn("PMU read-back: vCPU %u register 0x%016" PRIx64
				" differs from the saved value",
				v->id, id);
			(*differ)++;
		}
	}
	return ret;
}

/* After the vGIC's CTRL_INIT: the PMU's PPI and INIT on every vCPU (as
 * arch_vm_finalize does on a boot), then its registers. */
static int restore_pmu(struct restore_ctx *c)
{
	unsigned int n = 0, differ = 0;
	int ret = arm64_pmu_init(c->vm);

	for (unsigned int i = 0; i < c->vm->nr_vcpus && !ret; i++)
		ret = pmu_regs(&c->vm->vcpus[i], &c->st[i], &n, &differ);
	if (ret)
		return ret;
	if (differ)
		pr_warn("restore: PMU registers read back: %u of %u differ "
			"from the saved ones",
			differ, n);
	else
		pr_info("restore: PMU registers read back: %u on %u vCPUs "
			"equal the saved ones",
			n, c->vm->nr_vcpus);
	return 0;
}

static void free_states(struct restore_ctx *c)
{
	onereg_vcpus_free(c->st, c->vm->nr_vcpus);
	gic_state_free(&c->vs.gic);
	its_state_free(&c->vs.its);
}

int arm64_state_restore(struct vm *vm, struct snap_reader *r,
			const struct restore_opts *o,
			const struct arm64_host *h)
{
	struct restore_ctx c = {.vm = vm, .o = o, .h = h};
	int ret = restore_decode(&c, r);

	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = restore_vcpu(&vm->vcpus[i], &c.st[i]);
	if (!ret)
		ret = restore_counter(&c);
	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = restore_timers(&vm->vcpus[i], &c.st[i]);
	if (!ret)
		ret = restore_gic(&c);
	if (!ret && vm->cfg && vm->cfg->pmu)
		ret = restore_pmu(&c);
	free_states(&c);
	return ret;
}
