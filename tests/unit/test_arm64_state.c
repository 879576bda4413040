/* test_arm64_state.c: arm64 snapshot state (vCPU registers, counter, vGICv3, ITS, PMU) against a fake KVM: round trip, save and restore order, corrupt sections. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "arm64_state.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "sbuf.h"
#include "snapshot_file.h"
#include "sysreg.h"
#include "util.h"
#include "vm.h"
#include "fake_snap.h"
#include "unit.h"

#define NV	  2
#define MAX_CALLS 4096
#define GIC_FD	  99
#define ITS_FD	  98
#define NR_IRQS	  128
#define HZ	  62500000ULL
#define NSYS	  9 /* PRIbits 4: one AP0R and one AP1R */

#define REG_V0	 0x6040000000100054ULL /* U128 */
#define REG_FPSR 0x60200000001000d4ULL /* U32 */
#define REG_SCTLR (KVMA_REG_ARM64_SYSREG | 0xc080)
#define REG_MPIDR (KVMA_REG_ARM64_SYSREG | SYS_MPIDR_EL1)

/* What KVM_GET_REG_LIST gives, in its order (timers before sysregs). */
static const uint64_t reg_ids[] = {
    KVMA_REG_X(0),	KVMA_REG_PC,	    KVMA_REG_PSTATE,
    REG_V0,		REG_FPSR,	    KVMA_REG_TIMER_CTL,
    KVMA_REG_TIMER_CNT, KVMA_REG_TIMER_CVAL, REG_MPIDR,
    REG_SCTLR,
};
#define NREGS ARRAY_SIZE(reg_ids)

/* With PMU_V3, KVM_GET_REG_LIST also lists these (after the others):
 * PMCR_EL0, PMCNTENSET_EL0, PMINTENSET_EL1, PMEVCNTR0_EL0, PMCCFILTR_EL0. */
#define REG_PMCR     (KVMA_REG_ARM64_SYSREG | 0xdce0)
#define REG_PMCNTEN  (KVMA_REG_ARM64_SYSREG | 0xdce1)
#define REG_PMINTEN  (KVMA_REG_ARM64_SYSREG | 0xc4f1)
#define REG_PMEVCNT0 (KVMA_REG_ARM64_SYSREG | 0xdf40)
#define REG_PMCCFILT (KVMA_REG_ARM64_SYSREG | 0xdf7f)
static const uint64_t pmu_ids[] = {REG_PMCR, REG_PMCNTEN, REG_PMINTEN,
				   REG_PMEVCNT0, REG_PMCCFILT};
#define NPMU ARRAY_SIZE(pmu_ids)
#define PMU_PPI 23

static const uint16_t sys_instr[NSYS] = {
    SYS_ICC_SRE_EL1,	 SYS_ICC_CTLR_EL1, SYS_ICC_IGRPEN0_EL1,
    SYS_ICC_IGRPEN1_EL1, SYS_ICC_PMR_EL1,  SYS_ICC_BPR0_EL1,
    SYS_ICC_BPR1_EL1,	 SYS_ICC_AP0R0_EL1, SYS_ICC_AP1R0_EL1,
};
/* ICC_CTLR_EL1's read-only part: PRIbits = 4 (5 bits), IDbits 0, A3V. */
#define CTLR_RO (4ULL << 8 | 1ULL << 15)

struct fake_cpu {
	uint8_t val[NREGS + NPMU][16];
	int pmu_irq;
	bool pmu_inited;
	uint32_t mp;
	uint32_t rd[0x20000 / 4];
	uint32_t ppi_level;
	uint64_t sys[NSYS];
};

struct call {
	char who; /* 'v'CPU, 'm' VM, 'd'evice (vGIC), 'i' the ITS */
	unsigned int id;
	unsigned long req;
	uint32_t group;
	uint64_t a; /* ONE_REG id, attr */
};

struct fake {
	struct vm vm;
	struct vcpu vcpus[NV];
	struct arch_vm arch;
	struct fake_cpu cpu[NV];
	uint32_t dist[0x10000 / 4];
	uint32_t spi_level[32];
	bool inited, has_offset;
	uint64_t host_cnt, voffset, realtime;
	struct vm_config cfg; /* gic_its, pmu */
	/* the ITS: GITS_CTLR, IIDR, CBASER, CWRITER, CREADR, BASER0-7 */
	uint64_t its_ctlr, its_iidr, its_cbaser, its_cwriter, its_creadr;
	uint64_t its_baser[8];
	struct call log[MAX_CALLS];
	unsigned int nlog;
};

/* kvm_device_ioctl has only an fd: the fake it talks to. */
static struct fake *cur;

static struct fake *fake_of(struct vm *vm)
{
	return container_of(vm, struct fake, vm);
}

static void record(struct fake *f, char who, unsigned int id,
		   unsigned long req, uint32_t group, uint64_t a)
{
	if (f->nlog < MAX_CALLS)
		f->log[f->nlog++] = (struct call){who, id, req, group, a};
}

long kvm_check_cap(struct vm *vm, unsigned int cap)
{
	return cap == KVMA_CAP_COUNTER_OFFSET && fake_of(vm)->has_offset;
}

long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return -ENOTTY;
}

long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	struct fake *f = fake_of(vm);
	struct kvma_counter_offset *o = arg;

	record(f, 'm', 0, req, 0, 0);
	if (req != KVMA_ARM_SET_COUNTER_OFFSET || !f->has_offset)
		return -ENOTTY;
	if (o->reserved)
		return -EINVAL;
	f->voffset = o->counter_offset;
	return 0;
}

static int reg_slot(uint64_t id)
{
	for (size_t i = 0; i < NREGS; i++)
		if (reg_ids[i] == id)
			return (int)i;
	for (size_t i = 0; i < NPMU; i++)
		if (pmu_ids[i] == id && cur && cur->cfg.pmu)
			return (int)(NREGS + i);
	return -1;
}

static bool is_pmu_id(uint64_t id)
{
	for (size_t i = 0; i < NPMU; i++)
		if (pmu_ids[i] == id)
			return true;
	return false;
}

static size_t id_size(uint64_t id)
{
	return (size_t)1 << ((id & KVMA_REG_SIZE_MASK) >> KVMA_REG_SIZE_SHIFT);
}

static long one_reg(struct fake *f, unsigned int id, bool set,
		    struct kvma_one_reg *r)
{
	int s = reg_slot(r->id);
	uint8_t *p = (uint8_t *)(uintptr_t)r->addr;
	uint64_t cnt;

	if (s < 0)
		return -ENOENT;
	/* the fake's rule for KVM's: no PMU register write before the PMU's
	 * INIT (a counter write may create the host's perf event) */
	if (set && is_pmu_id(r->id) && !f->cpu[id].pmu_inited)
		return -EBUSY;
	if (r->id == KVMA_REG_TIMER_CNT) {
		if (set) {
			memcpy(&cnt, p, 8);
			f->voffset = f->host_cnt - cnt;
		} else {
			cnt = f->host_cnt - f->voffset;
			memcpy(p, &cnt, 8);
		}
		return 0;
	}
	if (set)
		memcpy(f->cpu[id].val[s], p, id_size(r->id));
	else
		memcpy(p, f->cpu[id].val[s], id_size(r->id));
	return 0;
}

/* The vCPU's PMU attributes, with KVM's rules: a PMU_V3 vCPU only; the
 * interrupt before INIT, nothing after it; INIT after the vGIC's. */
static long pmu_attr(struct fake *f, struct fake_cpu *c,
		     const struct kvma_device_attr *a)
{
	if (!f->cfg.pmu || a->group != KVMA_ARM_VCPU_PMU_V3_CTRL)
		return -ENXIO;
	if (c->pmu_inited)
		return -EBUSY;
	if (a->attr == KVMA_ARM_VCPU_PMU_V3_IRQ) {
		c->pmu_irq = *(const int *)(uintptr_t)a->addr;
		return 0;
	}
	if (a->attr != KVMA_ARM_VCPU_PMU_V3_INIT)
		return -ENXIO;
	if (!f->inited)
		return -ENODEV;
	if (!c->pmu_irq)
		return -ENXIO;
	c->pmu_inited = true;
	return 0;
}

long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg)
{
	struct fake *f = fake_of(vcpu->vm);
	struct kvma_one_reg *r = arg;
	struct kvma_reg_list *l = arg;
	struct kvma_mp_state *mp = arg;
	unsigned int id = vcpu->id;

	struct kvma_device_attr *a = arg;
	size_t n = NREGS + (f->cfg.pmu ? NPMU : 0);

	if (req == KVMA_SET_DEVICE_ATTR) {
		record(f, 'v', id, req, a->group, a->attr);
		return pmu_attr(f, &f->cpu[id], a);
	}
	record(f, 'v', id, req,
	       0, req == KVMA_SET_ONE_REG || req == KVMA_GET_ONE_REG ? r->id
								  : 0);
	if (req == KVMA_GET_ONE_REG || req == KVMA_SET_ONE_REG)
		return one_reg(f, id, req == KVMA_SET_ONE_REG, r);
	if (req == KVMA_GET_REG_LIST) {
		uint64_t room = l->n;

		l->n = n;
		if (room < n)
			return -E2BIG;
		memcpy(l->reg, reg_ids, sizeof(reg_ids));
		if (f->cfg.pmu)
			memcpy(l->reg + NREGS, pmu_ids, sizeof(pmu_ids));
		return 0;
	}
	if (req == KVMA_GET_MP_STATE)
		mp->mp_state = f->cpu[id].mp;
	else if (req == KVMA_SET_MP_STATE)
		f->cpu[id].mp = mp->mp_state;
	else
		return -ENOTTY;
	return 0;
}

/* ---- the vGIC ---- */

static bool is_clear(uint32_t off)
{
	off &= 0xffff;
	return (off >= 0x180 && off < 0x200) || (off >= 0x380 && off < 0x400);
}

/* Distributor or redistributor word: set/clear pairs, ICPENDR RAZ/WI,
 * GICD_TYPER read-only. */
static long mmio_word(uint32_t *regs, uint32_t off, bool set, uint32_t *v,
		      bool dist)
{
	bool icpend = (off & 0xffff) >= 0x280 && (off & 0xffff) < 0x300;

	if (dist && off == 0x4 && set)
		return -EINVAL;
	/* KVM ignores PROPBASER and PENDBASER writes once LPIs are on */
	if (!dist && set && off >= 0x70 && off < 0x80 && (regs[0] & 1))
		return 0;
	if (icpend) {
		if (!set)
			*v = 0;
		return 0;
	}
	if (is_clear(off)) {
		if (set)
			regs[(off - 0x80) / 4] &= ~*v;
		else
			*v = regs[(off - 0x80) / 4];
		return 0;
	}
	if (set && off != 0x8 && (off & 0xffff) >= 0x100 &&
	    (off & 0xffff) < 0x400 && !((off & 0xffff) >= 0x200 &&
					(off & 0xffff) < 0x280))
		regs[off / 4] |= *v; /* ISENABLER, ISACTIVER */
	else if (set)
		regs[off / 4] = *v;
	else
		*v = regs[off / 4];
	return 0;
}

static long cif(struct fake_cpu *c, uint16_t instr, bool set, uint64_t *v)
{
	for (unsigned int i = 0; i < NSYS; i++) {
		if (sys_instr[i] != instr)
			continue;
		if (!set)
			*v = c->sys[i];
		else if (instr == SYS_ICC_CTLR_EL1 && (*v & 0xff00) != CTLR_RO)
			return -EINVAL;
		else if (instr == SYS_ICC_SRE_EL1 && !(*v & 1))
			return -EINVAL;
		else
			c->sys[i] = *v;
		return 0;
	}
	return -ENXIO;
}

static long dev_attr(struct fake *f, bool set, struct kvma_device_attr *a)
{
	unsigned int aff0 = (unsigned int)(a->attr >> 32) & 0xff;
	uint32_t off = (uint32_t)a->attr;
	void *v = (void *)(uintptr_t)a->addr;
	struct fake_cpu *c = aff0 < NV ? &f->cpu[aff0] : NULL;

	if (a->group == KVMA_VGIC_GRP_CTRL && set &&
	    a->attr == KVMA_VGIC_CTRL_INIT) {
		f->inited = true;
		return 0;
	}
	if (a->group == KVMA_VGIC_GRP_CTRL && set &&
	    a->attr == KVMA_VGIC_CTRL_SAVE_PENDING_TABLES)
		return f->inited && f->cfg.gic_its ? 0 : -ENXIO;
	if (!f->inited)
		return -EBUSY;
	if (!c)
		return -EINVAL;
	switch (a->group) {
	case KVMA_VGIC_GRP_DIST_REGS:
		return off < 0x10000 ? mmio_word(f->dist, off, set, v, true)
				     : -ENXIO;
	case KVMA_VGIC_GRP_REDIST_REGS:
		return off < 0x20000 ? mmio_word(c->rd, off, set, v, false)
				     : -ENXIO;
	case KVMA_VGIC_GRP_LEVEL_INFO: {
		uint32_t vintid = off & 0x3ff;
		uint32_t *w = vintid ? &f->spi_level[vintid / 32]
				     : &c->ppi_level;

		if (set)
			*w = *(uint32_t *)v;
		else
			*(uint32_t *)v = *w;
		return 0;
	}
	case KVMA_VGIC_GRP_CPU_SYSREGS:
		return cif(c, (uint16_t)a->attr, set, v);
	}
	return -ENXIO;
}

static uint64_t *its_slot(struct fake *f, uint64_t off)
{
	switch (off) {
	case 0x0:
		return &f->its_ctlr;
	case 0x4:
		return &f->its_iidr;
	case 0x80:
		return &f->its_cbaser;
	case 0x88:
		return &f->its_cwriter;
	case 0x90:
		return &f->its_creadr;
	}
	return off >= 0x100 && off < 0x140 && !(off % 8)
		   ? &f->its_baser[(off - 0x100) / 8]
		   : NULL;
}

/* The ITS as KVM has it: CBASER resets CREADR and CWRITER; with the ITS
 * enabled the other registers ignore writes; IIDR takes another
 * revision only. */
static long its_attr(struct fake *f, bool set, struct kvma_device_attr *a)
{
	uint64_t *v = (uint64_t *)(uintptr_t)a->addr, *slot;

	if (a->group == KVMA_VGIC_GRP_CTRL)
		return set && a->attr <= KVMA_ITS_CTRL_RESTORE_TABLES ? 0
								     : -ENXIO;
	if (a->group != KVMA_VGIC_GRP_ITS_REGS ||
	    !(slot = its_slot(f, a->attr)))
		return -ENXIO;
	if (!set) {
		*v = *slot;
		return 0;
	}
	if (slot == &f->its_iidr && ((*v ^ f->its_iidr) & ~0xf0000ULL))
		return -EINVAL;
	if (slot != &f->its_ctlr && (f->its_ctlr & 1))
		return 0;
	*slot = *v;
	if (slot == &f->its_cbaser)
		f->its_creadr = f->its_cwriter = 0;
	return 0;
}

long kvm_device_ioctl(int fd, unsigned long req, void *arg)
{
	struct kvma_device_attr *a = arg;
	bool set = req == KVMA_SET_DEVICE_ATTR;

	if (req != KVMA_SET_DEVICE_ATTR && req != KVMA_GET_DEVICE_ATTR)
		return -ENOTTY;
	if (fd == ITS_FD && cur->cfg.gic_its) {
		record(cur, 'i', 0, req, a->group, a->attr);
		return its_attr(cur, set, a);
	}
	if (fd != GIC_FD)
		return -ENOTTY;
	record(cur, 'd', 0, req, a->group, a->attr);
	return dev_attr(cur, set, a);
}

int kvm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	return -ENOTTY;
}

/* ---- set-up ---- */

static uint64_t src_realtime(void)
{
	return 1700000000000000000ULL;
}

static uint64_t dst_realtime(void) /* 10 s later */
{
	return 1700000010000000000ULL;
}

static const struct arm64_host src_host = {src_realtime, HZ};
static const struct arm64_host dst_host = {dst_realtime, HZ};
static const struct restore_opts catchup = {.clock = CLOCK_CATCH_UP};
static const struct restore_opts freeze = {.clock = CLOCK_FREEZE};

static void seed_gic(struct fake *f)
{
	for (unsigned int i = 0x80 / 4; i < 0x10000 / 4; i++)
		f->dist[i] = 0x9e3779b9u * i;
	for (unsigned int i = 0; i < 32; i++)
		f->spi_level[i] = 0x01010101u << (i % 8);
	f->spi_level[0] = 0; /* SGIs: RAZ */
	f->dist[0] = 0x12; /* GICD_CTLR: EnableGrp1A, ARE */
	for (unsigned int v = 0; v < NV; v++) {
		struct fake_cpu *c = &f->cpu[v];

		for (unsigned int i = 0; i < 0x20000 / 4; i++)
			c->rd[i] = 0x85ebca6bu * (i + 7 * v);
		c->rd[0] = 0;
		c->ppi_level = 1u << 27 | v; /* the virtual timer's PPI */
		c->sys[0] = 7;		     /* SRE, DFB, DIB */
		c->sys[1] = CTLR_RO | 2;     /* EOImode */
		c->sys[2] = 0;
		c->sys[3] = 1;
		c->sys[4] = 0xf0 - 8 * v;
		c->sys[5] = 2;
		c->sys[6] = 3;
		c->sys[7] = 0x1 << v;
		c->sys[8] = 0x80000000u >> v;
	}
}

/* A VM with an ITS and a PMU: their registers seeded on a source. */
static void make_its_pmu(struct fake *f, bool seeded)
{
	f->cfg.gic_its = f->cfg.pmu = true;
	f->arch.its_fd = ITS_FD;
	f->its_iidr = 0x4b00043b; /* KVM's: product 'K', revision 0 */
	if (!seeded)
		return;
	f->its_iidr = 0x4b01043b; /* revision 1 */
	f->its_ctlr = 1 | 1ULL << 31;
	f->its_cbaser = 0x8000000040a00000ULL;
	f->its_creadr = 0x1a0;
	f->its_cwriter = 0x1a0;
	for (unsigned int n = 0; n < 8; n++)
		f->its_baser[n] = n < 2 ? 0x8000000041000000ULL + n * 0x10000 : 0;
	for (unsigned int v = 0; v < NV; v++) {
		struct fake_cpu *c = &f->cpu[v];

		c->rd[0] = 1; /* GICR_CTLR.EnableLPIs */
		c->rd[0x70 / 4] = 0x40b00000u + v;  /* PROPBASER low */
		c->rd[0x74 / 4] = 0x7;		    /* PROPBASER high */
		c->rd[0x78 / 4] = 0x40c00000u + v;  /* PENDBASER low */
		c->rd[0x7c / 4] = 0x40000000u;	    /* PENDBASER high */
		for (size_t r = 0; r < NPMU; r++)
			for (size_t b = 0; b < 8; b++)
				c->val[NREGS + r][b] =
				    (uint8_t)(0x51 * r + 3 * b + v + 1);
	}
}

static struct fake *fake_new(bool seeded)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->vm.vcpus = f->vcpus;
	f->vm.nr_vcpus = NV;
	f->vm.arch = &f->arch;
	f->vm.cfg = &f->cfg;
	f->arch.gic_fd = GIC_FD;
	f->arch.its_fd = -1;
	f->has_offset = true;
	f->dist[1] = (NR_IRQS / 32 - 1) | 1u << 24; /* ITLinesNumber, A3V */
	f->dist[2] = 0x0300043b;		      /* GICD_IIDR */
	for (unsigned int i = 0; i < NV; i++) {
		struct fake_cpu *c = &f->cpu[i];
		uint64_t mpidr = 0x80000000ULL | i;

		f->vcpus[i] = (struct vcpu){.vm = &f->vm, .id = i, .fd = -1};
		memcpy(c->val[reg_slot(REG_MPIDR)], &mpidr, 8);
		c->sys[0] = 7;
		c->sys[1] = CTLR_RO;
		c->mp = i ? KVMA_MP_STATE_STOPPED : KVMA_MP_STATE_RUNNABLE;
		if (!seeded)
			continue;
		for (size_t r = 0; r < NREGS; r++)
			if (reg_ids[r] != REG_MPIDR)
				for (size_t b = 0; b < 16; b++)
					c->val[r][b] = (uint8_t)(31 * r +
								 7 * b + i);
		c->mp = KVMA_MP_STATE_RUNNABLE;
	}
	if (seeded) {
		f->host_cnt = 5000 * HZ; /* the host up 5000 s */
		f->voffset = 1000 * HZ;	 /* the guest 4000 s */
		f->inited = true;
		seed_gic(f);
	} else {
		f->host_cnt = 20 * HZ;	 /* a rebooted host */
		f->voffset = 20 * HZ;	 /* KVM's reset: the counter at 0 */
	}
	return f;
}

static int save(struct fake *src, struct snap_writer *w)
{
	cur = src;
	return arm64_state_save(&src->vm, w, &src_host);
}

static int restore(struct fake *dst, struct snap_writer *w,
		   const struct restore_opts *o)
{
	struct snap_reader r = {w};

	cur = dst;
	dst->nlog = 0;
	return arm64_state_restore(&dst->vm, &r, o, &dst_host);
}

/* ---- checks ---- */

static bool is_set(const struct call *c)
{
	return c->req == KVMA_SET_ONE_REG || c->req == KVMA_SET_MP_STATE ||
	       c->req == KVMA_SET_DEVICE_ATTR ||
	       c->req == KVMA_ARM_SET_COUNTER_OFFSET;
}

static unsigned int n_sets(const struct fake *f)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < f->nlog; i++)
		n += is_set(&f->log[i]);
	return n;
}

static bool is_timer_id(uint64_t id)
{
	return id == KVMA_REG_TIMER_CTL || id == KVMA_REG_TIMER_CVAL ||
	       id == KVMA_REG_TIMER_CNT;
}

/* Everything restored equals the source, except what the counter step
 * legitimately changes. */
static void check_same(const struct fake *src, const struct fake *dst)
{
	for (unsigned int v = 0; v < NV; v++) {
		const struct fake_cpu *a = &src->cpu[v], *b = &dst->cpu[v];

		CHECK_EQ(a->mp, b->mp);
		for (size_t r = 0; r < NREGS; r++)
			if (reg_ids[r] != KVMA_REG_TIMER_CNT)
				CHECK(!memcmp(a->val[r], b->val[r],
					      id_size(reg_ids[r])));
		CHECK(!memcmp(a->sys, b->sys, sizeof(a->sys)));
		CHECK_EQ(a->ppi_level, b->ppi_level);
		/* the saved redistributor words */
		CHECK_EQ(a->rd[0x10080 / 4], b->rd[0x10080 / 4]);
		CHECK(!memcmp(&a->rd[0x10400 / 4], &b->rd[0x10400 / 4], 32));
		CHECK(!memcmp(&a->rd[0x10c00 / 4], &b->rd[0x10c00 / 4], 8));
		CHECK_EQ(a->rd[0x10100 / 4], b->rd[0x10100 / 4]);
		CHECK_EQ(a->rd[0x10200 / 4], b->rd[0x10200 / 4]);
		CHECK_EQ(a->rd[0x10300 / 4], b->rd[0x10300 / 4]);
	}
	CHECK_EQ(src->dist[0], dst->dist[0]);
	CHECK_EQ(src->dist[2], dst->dist[2]);
	for (uint32_t irq = 32; irq < NR_IRQS; irq += 32) {
		CHECK_EQ(src->dist[(0x80 + irq / 8) / 4],
			 dst->dist[(0x80 + irq / 8) / 4]);
		CHECK_EQ(src->dist[(0x100 + irq / 8) / 4],
			 dst->dist[(0x100 + irq / 8) / 4]);
		CHECK_EQ(src->dist[(0x200 + irq / 8) / 4],
			 dst->dist[(0x200 + irq / 8) / 4]);
		CHECK_EQ(src->dist[(0x300 + irq / 8) / 4],
			 dst->dist[(0x300 + irq / 8) / 4]);
		CHECK_EQ(src->spi_level[irq / 32], dst->spi_level[irq / 32]);
	}
	CHECK(!memcmp(&src->dist[(0x400 + 32) / 4], &dst->dist[(0x400 + 32) / 4],
		      NR_IRQS - 32));
	CHECK(!memcmp(&src->dist[(0x6000 + 8 * 32) / 4],
		      &dst->dist[(0x6000 + 8 * 32) / 4], 8 * (NR_IRQS - 32)));
	/* not saved, so not written: the private part of GICD_IGROUPR */
	CHECK_EQ(dst->dist[0x80 / 4], 0);
}

static int first_call(const struct fake *f, bool (*pred)(const struct call *))
{
	for (unsigned int i = 0; i < f->nlog; i++)
		if (pred(&f->log[i]))
			return (int)i;
	return -1;
}

static int last_call(const struct fake *f, bool (*pred)(const struct call *))
{
	for (unsigned int i = f->nlog; i-- > 0;)
		if (pred(&f->log[i]))
			return (int)i;
	return -1;
}

static bool c_plain_reg_set(const struct call *c)
{
	return c->req == KVMA_SET_ONE_REG && !is_timer_id(c->a) &&
	       !is_pmu_id(c->a);
}
static bool c_timer_set(const struct call *c)
{
	return c->req == KVMA_SET_ONE_REG &&
	       (c->a == KVMA_REG_TIMER_CTL || c->a == KVMA_REG_TIMER_CVAL);
}
static bool c_counter(const struct call *c)
{
	return c->req == KVMA_ARM_SET_COUNTER_OFFSET ||
	       (c->req == KVMA_SET_ONE_REG && c->a == KVMA_REG_TIMER_CNT);
}
static bool c_gic_set(const struct call *c)
{
	return c->who == 'd' && c->req == KVMA_SET_DEVICE_ATTR;
}
static bool c_gic_reg_set(const struct call *c)
{
	return c_gic_set(c) && c->group != KVMA_VGIC_GRP_CTRL;
}
static bool c_mp_set(const struct call *c)
{
	return c->req == KVMA_SET_MP_STATE;
}

static void check_order(const struct fake *f)
{
	int init = first_call(f, c_gic_set), g0 = first_call(f, c_gic_reg_set);

	/* per vCPU: registers (list order, no timer), then MP_STATE; then the
	 * counter; then the timers */
	for (unsigned int i = 0, v = 0; i < f->nlog; i++) {
		if (c_mp_set(&f->log[i]))
			v = f->log[i].id + 1;
		else if (c_plain_reg_set(&f->log[i]))
			CHECK_EQ(f->log[i].id, v);
	}
	CHECK(last_call(f, c_mp_set) < first_call(f, c_counter));
	CHECK(last_call(f, c_counter) < first_call(f, c_timer_set));
	/* CTRL_INIT before any vGIC register, after the vCPU registers */
	CHECK(init >= 0 && f->log[init].group == KVMA_VGIC_GRP_CTRL &&
	      f->log[init].a == KVMA_VGIC_CTRL_INIT);
	CHECK(init > last_call(f, c_timer_set));
	/* GICD_IIDR is the first vGIC register written */
	CHECK(g0 > init && f->log[g0].group == KVMA_VGIC_GRP_DIST_REGS &&
	      f->log[g0].a == 0x8);
	/* the registers in list order: X0 first, SCTLR last */
	CHECK_EQ(f->log[first_call(f, c_plain_reg_set)].a, KVMA_REG_X(0));
	CHECK_EQ(f->log[last_call(f, c_plain_reg_set)].a, REG_SCTLR);
	/* CVAL before CTL */
	CHECK_EQ(f->log[first_call(f, c_timer_set)].a, KVMA_REG_TIMER_CVAL);
}

static uint64_t guest_cnt(const struct fake *f)
{
	return f->host_cnt - f->voffset;
}

static void test_round_trip(struct snap_writer *w)
{
	struct fake *src = fake_new(true), *dst;
	uint64_t saved = guest_cnt(src);

	src->cpu[1].mp = KVMA_MP_STATE_STOPPED;
	CHECK_EQ(save(src, w), 0);
	CHECK_EQ(w->n, NV + 1);
	CHECK_EQ(n_sets(src), 0); /* a save changes nothing */

	/* catch-up with KVM_ARM_SET_COUNTER_OFFSET: 10 s of ticks added */
	dst = fake_new(false);
	CHECK_EQ(restore(dst, w, &catchup), 0);
	check_same(src, dst);
	check_order(dst);
	CHECK_EQ(guest_cnt(dst), saved + 10 * HZ);
	CHECK_EQ(dst->cpu[1].mp, KVMA_MP_STATE_STOPPED);
	free(dst);

	/* freeze: the counter continues from the saved value */
	dst = fake_new(false);
	CHECK_EQ(restore(dst, w, &freeze), 0);
	check_same(src, dst);
	CHECK_EQ(guest_cnt(dst), saved);
	free(dst);

	/* fallback without the capability: TIMER_CNT on every vCPU */
	dst = fake_new(false);
	dst->has_offset = false;
	CHECK_EQ(restore(dst, w, &catchup), 0);
	check_same(src, dst);
	check_order(dst);
	CHECK_EQ(guest_cnt(dst), saved + 10 * HZ);
	for (unsigned int v = 0, n = 0; v < NV; v++, n = 0) {
		for (unsigned int i = 0; i < dst->nlog; i++)
			n += dst->log[i].id == v && c_counter(&dst->log[i]);
		CHECK_EQ(n, 1);
	}
	free(dst);
	free(src);
}

/* The GIC record alone: encode, decode, the same state. */
static void test_gic_encoding(void)
{
	struct fake *src = fake_new(true);
	uint64_t mpidr[NV] = {0x80000000, 0x80000001};
	struct gic_state g, h;
	struct sbuf b;

	cur = src;
	CHECK_EQ(gic_state_read(&src->vm, mpidr, &g), 0);
	CHECK_EQ(g.nr_irqs, NR_IRQS);
	CHECK_EQ(g.cpu[1].nr_sys, NSYS);
	CHECK_EQ(g.cpu[1].cif.pmr, 0xe8);
	CHECK_EQ(g.cpu[0].cif.ctlr_eoimode, 1);
	sbuf_init(&b);
	gic_state_encode(&g, &b);
	CHECK_EQ(gic_state_decode(b.data, b.len, NV, &h), 0);
	CHECK_EQ(h.nr_dist, g.nr_dist);
	CHECK(!memcmp(h.dist, g.dist, g.nr_dist * 4));
	CHECK(!memcmp(h.cpu, g.cpu, NV * sizeof(*g.cpu)));
	/* the VMCR the dump shows, in the GICv3 layout */
	{
		char line[320];

		gic_cpu_if_line(&h, 0, line, sizeof(line));
		CHECK(strstr(line, "VMCR 0x00000000f04c020a") != NULL);
	}
	/* the exit report's SPI list: none when nothing is up, every SPI
	 * from INTID 32 when every bit is, and it stops before overflowing */
	{
		char spis[64], big[4096];

		memset(h.dist, 0, h.nr_dist * 4);
		gic_state_report_spis(&h, spis, sizeof(spis));
		CHECK_STR(spis, " none");
		memset(h.dist, 0xff, h.nr_dist * 4);
		gic_state_report_spis(&h, big, sizeof(big));
		CHECK(!strncmp(big, " 32:line+pending+active 33:", 27));
		CHECK(strstr(big, "disabled") == NULL);
		gic_state_report_spis(&h, spis, sizeof(spis));
		CHECK(strlen(spis) < sizeof(spis) - 1);
	}
	/* every shorter length is refused */
	int q = quiet_begin();
	for (size_t n = 0; n < b.len; n++) {
		struct gic_state x;

		if (!gic_state_decode(b.data, n, NV, &x)) {
			CHECK(0);
			gic_state_free(&x);
		}
	}
	quiet_end(q);
	gic_state_free(&g);
	gic_state_free(&h);
	sbuf_free(&b);
	free(src);
}

/* Refused before any state is set: 0; otherwise 1. */
static int refused(struct snap_writer *w)
{
	struct fake *dst = fake_new(false);
	int ret = restore(dst, w, &catchup), bad = ret >= 0 || n_sets(dst);

	free(dst);
	return bad;
}

static void expect_refused(struct snap_writer *w, const char *what)
{
	int saved = quiet_begin(), bad = refused(w);

	quiet_end(saved);
	if (bad)
		fprintf(stderr, "not refused: %s\n", what);
	CHECK(!bad);
}

/* Byte offsets of a section's parts, for targeted damage. */
static void poke32(struct sec *s, size_t off, uint32_t v)
{
	put_le32(s->data + off, v);
}

static void test_corrupt(struct snap_writer *w)
{
	struct sec *vc = find_sec(w, SNAP_SEC_ARCH_VCPU, 1);
	struct sec *vm = find_sec(w, SNAP_SEC_ARCH_VM, 0);
	struct sec *secs[] = {find_sec(w, SNAP_SEC_ARCH_VCPU, 0), vc, vm};
	int saved, bad = 0;

	/* truncated anywhere */
	saved = quiet_begin();
	for (size_t k = 0; k < ARRAY_SIZE(secs); k++) {
		size_t len = secs[k]->len;

		for (size_t n = 0; n < len; n++) {
			secs[k]->len = n;
			bad += refused(w);
		}
		secs[k]->len = len;
	}
	quiet_end(saved);
	CHECK_EQ(bad, 0);

	/* vCPU section: {ver, count, MP_STATE tag, len 4, mp, REGS tag, len,
	 * n, id0 ...} */
	{
		uint8_t keep[64];

		memcpy(keep, vc->data, sizeof(keep));
		poke32(vc, 0, 2);
		expect_refused(w, "vCPU section version 2");
		memcpy(vc->data, keep, sizeof(keep));
		poke32(vc, 4, 3);
		expect_refused(w, "record count 3");
		memcpy(vc->data, keep, sizeof(keep));
		poke32(vc, 8, 9);
		expect_refused(w, "unknown record type");
		memcpy(vc->data, keep, sizeof(keep));
		poke32(vc, 20, 1); /* REGS tag made MP_STATE's */
		expect_refused(w, "two MP_STATE records");
		memcpy(vc->data, keep, sizeof(keep));
		poke32(vc, 24, 0xfffffff0);
		expect_refused(w, "REGS length past the end");
		memcpy(vc->data, keep, sizeof(keep));
		poke32(vc, 28, NREGS + 1);
		expect_refused(w, "one register more than stored");
		memcpy(vc->data, keep, sizeof(keep));
		vc->data[32 + 7] ^= 0x10; /* X0's id: not KVM_REG_ARM64 */
		expect_refused(w, "a foreign register id");
		memcpy(vc->data, keep, sizeof(keep));
		vc->data[32 + 6] = 0x90; /* X0's id: a 512-byte register */
		expect_refused(w, "a register size past the record");
		memcpy(vc->data, keep, sizeof(keep));
		/* X0's id made PC's: the same register twice */
		put_le64(vc->data + 32, KVMA_REG_PC);
		expect_refused(w, "a register twice");
		memcpy(vc->data, keep, sizeof(keep));
	}
	/* VM section: {ver, count, COUNTER tag, len 24, 24 bytes, GIC tag,
	 * len, nr_irqs, nr_vcpus, nr_dist, words...} */
	{
		uint8_t *keep = malloc(vm->len);
		size_t g = 4 + 4 + 8 + 24 + 8;
		size_t nd = (NR_IRQS - 32) * (1 + 8 + 2 + 64 + 1 + 1 + 1 + 1) / 32 +
			    3;
		size_t cpu0 = g + 12 + 4 * nd;
		size_t sys0 = cpu0 + 8 + 4 + 4 * 16 + 4;

		memcpy(keep, vm->data, vm->len);
		poke32(vm, 12, 16);
		expect_refused(w, "COUNTER of 16 bytes");
		memcpy(vm->data, keep, vm->len);
		poke32(vm, g, 100);
		expect_refused(w, "100 interrupts");
		memcpy(vm->data, keep, vm->len);
		poke32(vm, g, 160);
		expect_refused(w, "160 interrupts (not what GICD_TYPER says)");
		memcpy(vm->data, keep, vm->len);
		poke32(vm, g + 4, NV + 1);
		expect_refused(w, "a vCPU more in the vGIC state");
		memcpy(vm->data, keep, vm->len);
		poke32(vm, g + 8, (uint32_t)nd - 1);
		expect_refused(w, "a distributor word less");
		memcpy(vm->data, keep, vm->len);
		CHECK_EQ(get_le32(vm->data + sys0 - 4), NSYS);
		poke32(vm, sys0 - 4, NSYS + 2);
		expect_refused(w, "two CPU interface registers more");
		memcpy(vm->data, keep, vm->len);
		poke32(vm, sys0 + 12 * 4, SYS_ICC_BPR0_EL1);
		expect_refused(w, "PMR's place holding BPR0");
		memcpy(vm->data, keep, vm->len);
		put_le64(vm->data + sys0 + 12 * 4 + 4, 0x1f0);
		expect_refused(w, "PMR with a RES0 bit");
		memcpy(vm->data, keep, vm->len);
		put_le64(vm->data + sys0 + 12 * 1 + 4, CTLR_RO + 0x100);
		expect_refused(w, "CTLR with more priority bits than APRs");
		memcpy(vm->data, keep, vm->len);
		free(keep);
	}
	/* every single-byte change: refused or restored, never a crash */
	saved = quiet_begin();
	for (size_t k = 0; k < ARRAY_SIZE(secs); k++)
		for (size_t n = 0; n < secs[k]->len; n++) {
			struct fake *dst = fake_new(false);

			secs[k]->data[n] ^= 0xa5;
			restore(dst, w, &catchup);
			secs[k]->data[n] ^= 0xa5;
			free(dst);
		}
	quiet_end(saved);
}

static void test_missing(struct snap_writer *w)
{
	struct sec *vm = find_sec(w, SNAP_SEC_ARCH_VM, 0);
	struct sec *v1 = find_sec(w, SNAP_SEC_ARCH_VCPU, 1);

	vm->type = 77;
	expect_refused(w, "no ARCH_VM section");
	vm->type = SNAP_SEC_ARCH_VM;
	v1->inst = 5;
	expect_refused(w, "no section for vCPU 1");
	v1->inst = 1;
}

/* A host with other priority bits: refused by name, after CTRL_INIT. */
static void test_other_host(struct snap_writer *w)
{
	struct fake *dst = fake_new(false);
	int saved;

	dst->cpu[0].sys[1] = CTLR_RO + 0x100;
	saved = quiet_begin();
	CHECK_EQ(restore(dst, w, &catchup), -EINVAL);
	quiet_end(saved);
	free(dst);
}

/* ---- a VM with an ITS and a PMU ---- */

static bool c_its_any(const struct call *c)
{
	return c->who == 'i';
}
static bool c_save_pending(const struct call *c)
{
	return c->who == 'd' && c->group == KVMA_VGIC_GRP_CTRL &&
	       c->a == KVMA_VGIC_CTRL_SAVE_PENDING_TABLES;
}
static bool c_its_save_tables(const struct call *c)
{
	return c->who == 'i' && c->group == KVMA_VGIC_GRP_CTRL &&
	       c->a == KVMA_ITS_CTRL_SAVE_TABLES;
}
static bool c_its_reg(const struct call *c)
{
	return c->who == 'i' && c->group == KVMA_VGIC_GRP_ITS_REGS;
}
static bool c_rd_set(const struct call *c)
{
	return c_gic_set(c) && c->group == KVMA_VGIC_GRP_REDIST_REGS;
}
static bool c_gic_init(const struct call *c)
{
	return c_gic_set(c) && c->group == KVMA_VGIC_GRP_CTRL &&
	       c->a == KVMA_VGIC_CTRL_INIT;
}

/* The call index of vCPU v's redistributor write at offset off. */
static int rd_write(const struct fake *f, unsigned int v, uint32_t off)
{
	for (unsigned int i = 0; i < f->nlog; i++)
		if (c_rd_set(&f->log[i]) &&
		    ((f->log[i].a >> 32) & 0xff) == v &&
		    (uint32_t)f->log[i].a == off)
			return (int)i;
	return -1;
}

static int vcpu_call(const struct fake *f, unsigned int v, unsigned long req,
		     uint64_t a, bool last)
{
	int found = -1;

	for (unsigned int i = 0; i < f->nlog; i++) {
		const struct call *c = &f->log[i];

		if (c->who != 'v' || c->id != v || c->req != req ||
		    (req == KVMA_SET_ONE_REG ? !is_pmu_id(c->a) : c->a != a))
			continue;
		found = (int)i;
		if (!last)
			break;
	}
	return found;
}

/* Each redistributor's LPI registers before its GICR_CTLR; the ITS after
 * every redistributor: CTRL_INIT, IIDR, CBASER, CREADR, CWRITER,
 * BASER0-7, RESTORE_TABLES, CTLR, exactly; the PMU's PPI and INIT after
 * the vGIC's CTRL_INIT and before its registers. */
static void check_its_pmu_order(const struct fake *f)
{
	static const struct {
		uint32_t group;
		uint64_t attr;
	} want[] = {
	    {KVMA_VGIC_GRP_CTRL, KVMA_VGIC_CTRL_INIT},
	    {KVMA_VGIC_GRP_ITS_REGS, 0x4},   {KVMA_VGIC_GRP_ITS_REGS, 0x80},
	    {KVMA_VGIC_GRP_ITS_REGS, 0x90},  {KVMA_VGIC_GRP_ITS_REGS, 0x88},
	    {KVMA_VGIC_GRP_ITS_REGS, 0x100}, {KVMA_VGIC_GRP_ITS_REGS, 0x108},
	    {KVMA_VGIC_GRP_ITS_REGS, 0x110}, {KVMA_VGIC_GRP_ITS_REGS, 0x118},
	    {KVMA_VGIC_GRP_ITS_REGS, 0x120}, {KVMA_VGIC_GRP_ITS_REGS, 0x128},
	    {KVMA_VGIC_GRP_ITS_REGS, 0x130}, {KVMA_VGIC_GRP_ITS_REGS, 0x138},
	    {KVMA_VGIC_GRP_CTRL, KVMA_ITS_CTRL_RESTORE_TABLES},
	    {KVMA_VGIC_GRP_ITS_REGS, 0x0},
	};
	unsigned int k = 0;
	int init = first_call(f, c_gic_init);

	for (unsigned int v = 0; v < NV; v++) {
		int ctlr = rd_write(f, v, 0);
		int irq = vcpu_call(f, v, KVMA_SET_DEVICE_ATTR,
				    KVMA_ARM_VCPU_PMU_V3_IRQ, false);
		int pinit = vcpu_call(f, v, KVMA_SET_DEVICE_ATTR,
				      KVMA_ARM_VCPU_PMU_V3_INIT, false);

		for (uint32_t off = 0x70; off < 0x80; off += 4)
			CHECK(rd_write(f, v, off) >= 0 &&
			      rd_write(f, v, off) < ctlr);
		CHECK(init >= 0 && init < irq && irq < pinit);
		CHECK(pinit < vcpu_call(f, v, KVMA_SET_ONE_REG, 0, false));
		CHECK(last_call(f, c_its_any) < pinit);
		CHECK_EQ(f->cpu[v].pmu_irq, PMU_PPI);
	}
	CHECK(last_call(f, c_rd_set) < first_call(f, c_its_any));
	for (unsigned int i = 0; i < f->nlog; i++) {
		const struct call *c = &f->log[i];

		if (c->who != 'i' || c->req != KVMA_SET_DEVICE_ATTR)
			continue;
		CHECK(k < ARRAY_SIZE(want) && c->group == want[k].group &&
		      c->a == want[k].attr);
		k++;
	}
	CHECK_EQ(k, ARRAY_SIZE(want));
}

static void check_its_pmu_same(const struct fake *a, const struct fake *b)
{
	CHECK_EQ(a->its_ctlr, b->its_ctlr);
	CHECK_EQ(a->its_iidr, b->its_iidr);
	CHECK_EQ(a->its_cbaser, b->its_cbaser);
	CHECK_EQ(a->its_creadr, b->its_creadr);
	CHECK_EQ(a->its_cwriter, b->its_cwriter);
	CHECK(!memcmp(a->its_baser, b->its_baser, sizeof(a->its_baser)));
	for (unsigned int v = 0; v < NV; v++) {
		CHECK_EQ(a->cpu[v].rd[0], b->cpu[v].rd[0]);
		CHECK(!memcmp(&a->cpu[v].rd[0x70 / 4], &b->cpu[v].rd[0x70 / 4],
			      16));
		CHECK(b->cpu[v].pmu_inited);
		for (size_t r = 0; r < NPMU; r++)
			CHECK(!memcmp(a->cpu[v].val[NREGS + r],
				      b->cpu[v].val[NREGS + r],
				      id_size(pmu_ids[r])));
	}
}

/* Restored into dst (freed): 0 when refused before anything was set. */
static int refused_by(struct fake *dst, struct snap_writer *w)
{
	int saved = quiet_begin();
	int ret = restore(dst, w, &catchup), bad = ret >= 0 || n_sets(dst);

	quiet_end(saved);
	free(dst);
	return bad;
}

static struct fake *its_pmu_vm(bool its, bool pmu)
{
	struct fake *f = fake_new(false);

	make_its_pmu(f, false);
	f->cfg.gic_its = its;
	f->cfg.pmu = pmu;
	f->arch.its_fd = its ? ITS_FD : -1;
	return f;
}

static void test_its_pmu(void)
{
	struct snap_writer *w = calloc(1, sizeof(*w));
	struct snap_writer *plain = calloc(1, sizeof(*plain));
	struct fake *src = fake_new(true), *dst;
	struct sec *vm;
	int pend, tabs, saved, bad = 0;

	make_its_pmu(src, true);
	cur = src;
	CHECK_EQ(save(src, w), 0);
	/* the pending tables, then the ITS tables (both into guest RAM),
	 * then the ITS registers; nothing else set */
	pend = first_call(src, c_save_pending);
	tabs = first_call(src, c_its_save_tables);
	CHECK(pend >= 0 && pend < tabs && tabs < first_call(src, c_its_reg));
	CHECK_EQ(n_sets(src), 2);

	dst = its_pmu_vm(true, true);
	CHECK_EQ(restore(dst, w, &catchup), 0);
	check_same(src, dst);
	check_order(dst);
	check_its_pmu_same(src, dst);
	check_its_pmu_order(dst);
	free(dst);

	/* a VM of another shape: refused before anything is set */
	CHECK(!refused_by(its_pmu_vm(false, true), w));
	CHECK(!refused_by(its_pmu_vm(true, false), w));
	CHECK(!refused_by(fake_new(false), w));
	dst = fake_new(true);
	CHECK_EQ(save(dst, plain), 0);
	free(dst);
	CHECK(!refused_by(its_pmu_vm(true, true), plain));
	CHECK(!refused_by(its_pmu_vm(true, false), plain));

	/* the VM section cut anywhere, the ITS record's counts changed */
	vm = find_sec(w, SNAP_SEC_ARCH_VM, 0);
	saved = vm->len;
	for (size_t n = 0; n < (size_t)saved; n++) {
		vm->len = n;
		bad += refused_by(its_pmu_vm(true, true), w);
	}
	vm->len = saved;
	CHECK_EQ(bad, 0);
	{
		/* ITS: u32 nr_vcpus, NV x 16, u32 count, 13 x {u32, u64}:
		 * the last record, at the end of the section */
		size_t its = vm->len - (4 + 16 * NV + 4 + 12 * ITS_NR_REGS);

		CHECK_EQ(get_le32(vm->data + its), NV);
		poke32(vm, its, NV + 1);
		CHECK(!refused_by(its_pmu_vm(true, true), w));
		poke32(vm, its, NV);
		poke32(vm, its + 4 + 16 * NV, ITS_NR_REGS - 1);
		CHECK(!refused_by(its_pmu_vm(true, true), w));
		poke32(vm, its + 4 + 16 * NV, ITS_NR_REGS);
		poke32(vm, its + 8 + 16 * NV, 0x80); /* CBASER where IIDR is */
		CHECK(!refused_by(its_pmu_vm(true, true), w));
		poke32(vm, its + 8 + 16 * NV, 0x4);
	}
	dst = its_pmu_vm(true, true);
	CHECK_EQ(restore(dst, w, &catchup), 0); /* put back as it was */
	free(dst);
	free(src);
	writer_free(w);
	writer_free(plain);
	free(w);
	free(plain);
}

int main(void)
{
	struct snap_writer *w = calloc(1, sizeof(*w));

	test_round_trip(w);
	test_gic_encoding();
	test_corrupt(w);
	test_missing(w);
	test_other_host(w);
	test_its_pmu();
	writer_free(w);
	free(w);
	return unit_done("arm64_state");
}
