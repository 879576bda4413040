/* gic_state.c: the in-kernel vGICv3's state (distributor, redistributors, CPU interfaces) through its device attributes, for snapshots. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm64_state.h"
#include "arm64_vm.h"
#include "kvm.h"
#include "log.h"
#include "onereg_state.h"
#include "sbuf.h"
#include "sysreg.h"
#include "util.h"
#include "vm.h"

/*
 * What is saved, in the order it is restored (the tables below):
 *  distributor (DIST_REGS, u32 accesses; SPIs 32..nr_irqs-1 only, the
 *  private interrupts live in the redistributors):
 *   GICD_IIDR first (it sets the vGIC's implementation revision, which
 *   decides what else is writable), GICD_TYPER (compared, read-only),
 *   GICD_CTLR, IGROUPR, IPRIORITYR, ICFGR (before anything pending:
 *   level or edge), IROUTER (two u32 halves), the line levels
 *   (LEVEL_INFO), ISPENDR (userspace writes set the raw pending latch;
 *   ICPENDR is RAZ/WI for userspace), ISENABLER and ISACTIVER (each after
 *   writing the complement to ICENABLER/ICACTIVER).
 *  per vCPU, redistributor (REDIST_REGS, attr = affinity | offset, SGI
 *  frame at +64 KiB): GICR_CTLR, IGROUPR0, IPRIORITYR0-7, ICFGR0-1, the
 *  PPI line levels, ISPENDR0, ISENABLER0, ISACTIVER0, as above.
 *  per vCPU, CPU interface (CPU_SYSREGS, u64): ICC_SRE, then CTLR,
 *  IGRPEN0, IGRPEN1, PMR, BPR0, BPR1 (what KVM keeps in the virtual
 *  VMCR; written through vgic_vmcr.c, which keeps CTLR's read-only fields
 *  as this host has them), then the active-priority registers AP0Rn and
 *  AP1Rn (1, 2 or 4 each, from CTLR.PRIbits; a host with other PRIbits
 *  is refused).
 *
 * All of it needs CTRL_INIT first (KVM refuses register access before),
 * which needs every vCPU; accesses while a vCPU runs fail with -EBUSY.
 * Not saved here: GICR_WAKER, GICD_STATUSR, IGRPMODR (RAZ/WI). A VM
 * with an ITS (the only way a guest gets LPIs) also has GICR_PROPBASER
 * and GICR_PENDBASER, the LPI pending tables and the ITS itself saved by
 * its_state.c; gic_state_restore() writes the two LPI registers of each
 * redistributor before its GICR_CTLR.
 */

enum gic_kind {
	GK_PLAIN,  /* written as saved */
	GK_SETCLR, /* set register; the clear one is CLR_DELTA above it */
	GK_CHECK,  /* read-only: must match */
	GK_IIDR,   /* written first */
	GK_LEVEL,  /* LEVEL_INFO line levels, 32 interrupts a word */
};

#define CLR_DELTA      0x80
#define GICR_SGI_FRAME 0x10000
#define NR_PRIVATE     32
#define MIN_IRQS       64
#define MAX_IRQS       1024

struct gic_reg {
	const char *name;
	uint32_t off; /* first word; for GK_LEVEL unused */
	uint8_t bits; /* per interrupt; 0: one register */
	uint8_t kind;
};

static const struct gic_reg dist_regs[] = {
    {"GICD_IIDR", 0x0008, 0, GK_IIDR},
    {"GICD_TYPER", 0x0004, 0, GK_CHECK},
    {"GICD_CTLR", 0x0000, 0, GK_PLAIN},
    {"GICD_IGROUPR", 0x0080, 1, GK_PLAIN},
    {"GICD_IPRIORITYR", 0x0400, 8, GK_PLAIN},
    {"GICD_ICFGR", 0x0c00, 2, GK_PLAIN},
    {"GICD_IROUTER", 0x6000, 64, GK_PLAIN},
    {"line level", 0, 1, GK_LEVEL},
    {"GICD_ISPENDR", 0x0200, 1, GK_PLAIN},
    {"GICD_ISENABLER", 0x0100, 1, GK_SETCLR},
    {"GICD_ISACTIVER", 0x0300, 1, GK_SETCLR},
};

static const struct gic_reg rd_regs[] = {
    {"GICR_CTLR", 0x0000, 0, GK_PLAIN},
    {"GICR_IGROUPR0", GICR_SGI_FRAME + 0x0080, 1, GK_PLAIN},
    {"GICR_IPRIORITYR", GICR_SGI_FRAME + 0x0400, 8, GK_PLAIN},
    {"GICR_ICFGR", GICR_SGI_FRAME + 0x0c00, 2, GK_PLAIN},
    {"line level", 0, 1, GK_LEVEL},
    {"GICR_ISPENDR0", GICR_SGI_FRAME + 0x0200, 1, GK_PLAIN},
    {"GICR_ISENABLER0", GICR_SGI_FRAME + 0x0100, 1, GK_SETCLR},
    {"GICR_ISACTIVER0", GICR_SGI_FRAME + 0x0300, 1, GK_SETCLR},
};

static const uint16_t cif_fixed[GIC_CIF_FIXED] = {
    SYS_ICC_SRE_EL1,	 SYS_ICC_CTLR_EL1, SYS_ICC_IGRPEN0_EL1,
    SYS_ICC_IGRPEN1_EL1, SYS_ICC_PMR_EL1,  SYS_ICC_BPR0_EL1,
    SYS_ICC_BPR1_EL1,
};
static const uint16_t cif_ap0r[4] = {SYS_ICC_AP0R0_EL1, SYS_ICC_AP0R1_EL1,
				     SYS_ICC_AP0R2_EL1, SYS_ICC_AP0R3_EL1};
static const uint16_t cif_ap1r[4] = {SYS_ICC_AP1R0_EL1, SYS_ICC_AP1R1_EL1,
				     SYS_ICC_AP1R2_EL1, SYS_ICC_AP1R3_EL1};

/* Where a table's interrupt-indexed registers start and how many
 * interrupts they cover. */
struct gic_range {
	const struct gic_reg *regs;
	size_t nr_regs;
	uint32_t group; /* DIST_REGS or REDIST_REGS */
	unsigned int first, count;
	uint64_t aff; /* vgic_attr_from_mpidr() of the vCPU */
};

static unsigned int reg_words(const struct gic_reg *r, unsigned int count)
{
	return r->bits ? count * r->bits / 32 : 1;
}

static unsigned int range_words(const struct gic_range *g)
{
	unsigned int n = 0;

	for (size_t i = 0; i < g->nr_regs; i++)
		n += reg_words(&g->regs[i], g->count);
	return n;
}

static unsigned int dist_words(uint32_t nr_irqs)
{
	struct gic_range g = {dist_regs, ARRAY_SIZE(dist_regs), 0, NR_PRIVATE,
			      nr_irqs - NR_PRIVATE, 0};

	return range_words(&g);
}

static unsigned int rd_words(void)
{
	struct gic_range g = {rd_regs, ARRAY_SIZE(rd_regs), 0, 0, NR_PRIVATE,
			      0};

	return range_words(&g);
}

/* 1, 2 or 4 active-priority registers per group, by ICC_CTLR_EL1.PRIbits
 * (the number of priority bits minus one), as KVM has them. */
static unsigned int nr_apr(uint64_t ctlr)
{
	unsigned int bits = (unsigned int)FIELD_GET(ICC_CTLR_EL1_PRIbits,
						    ctlr) + 1;

	return bits >= 7 ? 4 : bits == 6 ? 2 : 1;
}

static unsigned int cif_order(uint64_t ctlr, uint16_t *instr)
{
	unsigned int n = 0, apr = nr_apr(ctlr);

	for (unsigned int i = 0; i < GIC_CIF_FIXED; i++)
		instr[n++] = cif_fixed[i];
	for (unsigned int i = 0; i < apr; i++)
		instr[n++] = cif_ap0r[i];
	for (unsigned int i = 0; i < apr; i++)
		instr[n++] = cif_ap1r[i];
	return n;
}

/* ---- device attribute access ---- */

static int dev_attr(struct vm *vm, bool set, uint32_t group, uint64_t attr,
		    void *val)
{
	struct kvma_device_attr a = {
	    .group = group, .attr = attr, .addr = (uintptr_t)val};
	long ret = kvm_device_ioctl(vm->arch->gic_fd,
				    set ? KVMA_SET_DEVICE_ATTR
					: KVMA_GET_DEVICE_ATTR,
				    &a);

	return ret < 0 ? (int)ret : 0;
}

/* The attr of word k of register r. */
static void word_attr(const struct gic_range *g, const struct gic_reg *r,
		      unsigned int k, uint32_t *group, uint64_t *attr)
{
	if (r->kind == GK_LEVEL) {
		*group = KVMA_VGIC_GRP_LEVEL_INFO;
		*attr = g->aff |
			FIELD_PREP(LEVEL_INFO_KVM_VGIC_V3_ATTR_INFO,
				   KVMA_VGIC_LEVEL_INFO_LINE_LEVEL) |
			FIELD_PREP(LEVEL_INFO_KVM_VGIC_V3_ATTR_VINTID,
				   g->first + 32 * k);
		return;
	}
	*group = g->group;
	*attr = g->aff | FIELD_PREP(KVM_VGIC_V3_ATTR_OFFSET,
				    r->bits ? r->off + g->first * r->bits / 8 +
						  4 * k
					    : r->off);
}

static int word_io(struct vm *vm, const struct gic_range *g,
		   const struct gic_reg *r, unsigned int k, bool set,
		   uint32_t delta, uint32_t *val)
{
	uint32_t group;
	uint64_t attr;
	int ret;

	word_attr(g, r, k, &group, &attr);
	ret = dev_attr(vm, set, group, attr + delta, val);
	if (ret)
		pr_err("vGIC: %s %s word %u (attr 0x%" PRIx64 "): %s",
		       set ? "writing" : "reading", r->name, k, attr + delta,
		       strerror(-ret));
	return ret;
}

static int cif_io(struct vm *vm, uint64_t mpidr, uint16_t instr, bool set,
		  uint64_t *val)
{
	int ret = dev_attr(vm, set, KVMA_VGIC_GRP_CPU_SYSREGS,
			   vgic_cpu_sysreg_attr(mpidr, instr), val);

	if (ret)
		pr_err("vGIC: %s CPU interface register 0x%04x of MPIDR "
		       "0x%" PRIx64 ": %s",
		       set ? "writing" : "reading", instr, mpidr,
		       strerror(-ret));
	return ret;
}

/* ---- read ---- */

static int range_read(struct vm *vm, const struct gic_range *g, uint32_t *w)
{
	unsigned int n = 0;

	for (size_t i = 0; i < g->nr_regs; i++) {
		const struct gic_reg *r = &g->regs[i];

		for (unsigned int k = 0; k < reg_words(r, g->count); k++) {
			int ret = word_io(vm, g, r, k, false, 0, &w[n++]);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The VMCR part of a vCPU's CPU interface registers. */
static int cif_fill(struct gic_cpu *c, char *err, size_t errlen)
{
	memset(&c->cif, 0, sizeof(c->cif));
	for (unsigned int i = 1; i < GIC_CIF_FIXED; i++) {
		int ret = vgic_cpu_if_from_reg(&c->cif, c->sys[i].instr,
					       c->sys[i].val, err, errlen);

		if (ret)
			return ret;
	}
	return 0;
}

static int cif_read(struct vm *vm, struct gic_cpu *c)
{
	uint16_t instr[GIC_CIF_MAX];
	uint64_t ctlr;
	char err[160];
	int ret = cif_io(vm, c->mpidr, SYS_ICC_CTLR_EL1, false, &ctlr);

	if (ret)
		return ret;
	c->nr_sys = cif_order(ctlr, instr);
	for (unsigned int i = 0; i < c->nr_sys; i++) {
		c->sys[i].instr = instr[i];
		ret = cif_io(vm, c->mpidr, instr[i], false, &c->sys[i].val);
		if (ret)
			return ret;
	}
	ret = cif_fill(c, err, sizeof(err));
	if (ret)
		pr_err("vGIC: MPIDR 0x%" PRIx64 ": %s", c->mpidr, err);
	return ret;
}

static int gic_alloc(struct gic_state *g, uint32_t nr_irqs,
		     unsigned int nr_vcpus)
{
	memset(g, 0, sizeof(*g));
	g->nr_irqs = nr_irqs;
	g->nr_vcpus = nr_vcpus;
	g->nr_dist = dist_words(nr_irqs);
	g->dist = calloc(g->nr_dist, sizeof(*g->dist));
	g->cpu = calloc(nr_vcpus ? nr_vcpus : 1, sizeof(*g->cpu));
	if (g->dist && g->cpu)
		return 0;
	gic_state_free(g);
	return -ENOMEM;
}

static uint32_t irqs_of_typer(uint32_t typer)
{
	return 32 * ((uint32_t)FIELD_GET(GICD_TYPER_ITLinesNumber, typer) + 1);
}

int gic_state_read(struct vm *vm, const uint64_t *mpidr, struct gic_state *g)
{
	struct gic_range d = {dist_regs, ARRAY_SIZE(dist_regs),
			      KVMA_VGIC_GRP_DIST_REGS, NR_PRIVATE, 0, 0};
	uint32_t typer;
	int ret = word_io(vm, &d, &dist_regs[1], 0, false, 0, &typer);

	if (ret)
		return ret;
	ret = gic_alloc(g, MIN(irqs_of_typer(typer), MAX_IRQS), vm->nr_vcpus);
	if (ret)
		return ret;
	d.count = g->nr_irqs - NR_PRIVATE;
	d.aff = vgic_attr_from_mpidr(mpidr[0]);
	ret = range_read(vm, &d, g->dist);
	for (unsigned int i = 0; i < g->nr_vcpus && !ret; i++) {
		struct gic_range r = {rd_regs, ARRAY_SIZE(rd_regs),
				      KVMA_VGIC_GRP_REDIST_REGS, 0, NR_PRIVATE,
				      vgic_attr_from_mpidr(mpidr[i])};

		g->cpu[i].mpidr = mpidr[i];
		ret = range_read(vm, &r, g->cpu[i].rd);
		if (!ret)
			ret = cif_read(vm, &g->cpu[i]);
	}
	if (ret)
		gic_state_free(g);
	return ret;
}

void gic_state_free(struct gic_state *g)
{
	free(g->dist);
	free(g->cpu);
	g->dist = NULL;
	g->cpu = NULL;
}

/* ---- encoding ----
 * u32 nr_irqs, u32 nr_vcpus, u32 nr_dist, nr_dist x u32; per vCPU: u64
 * mpidr, u32 nr_rd, nr_rd x u32, u32 nr_sys, nr_sys x {u32 instr, u64}. */

void gic_state_encode(const struct gic_state *g, struct sbuf *b)
{
	sbuf_put_u32(b, g->nr_irqs);
	sbuf_put_u32(b, g->nr_vcpus);
	sbuf_put_u32(b, g->nr_dist);
	for (unsigned int i = 0; i < g->nr_dist; i++)
		sbuf_put_u32(b, g->dist[i]);
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		const struct gic_cpu *c = &g->cpu[i];

		sbuf_put_u64(b, c->mpidr);
		sbuf_put_u32(b, rd_words());
		for (unsigned int k = 0; k < rd_words(); k++)
			sbuf_put_u32(b, c->rd[k]);
		sbuf_put_u32(b, c->nr_sys);
		for (unsigned int k = 0; k < c->nr_sys; k++) {
			sbuf_put_u32(b, c->sys[k].instr);
			sbuf_put_u64(b, c->sys[k].val);
		}
	}
}

#define bad(fmt, ...)                                                          \
	(pr_err("snapshot section ARCH_VM: vGIC state: " fmt, ##__VA_ARGS__),  \
	 -EINVAL)

static int decode_cpu(struct sbuf_reader *r, struct gic_cpu *c,
		      unsigned int id)
{
	uint16_t instr[GIC_CIF_MAX];
	unsigned int n;
	char err[160];

	c->mpidr = sbuf_get_u64(r);
	if (sbuf_get_u32(r) != rd_words())
		return bad("vCPU %u: redistributor word count", id);
	for (unsigned int k = 0; k < rd_words(); k++)
		c->rd[k] = sbuf_get_u32(r);
	c->nr_sys = sbuf_get_u32(r);
	if (r->err || c->nr_sys < GIC_CIF_FIXED || c->nr_sys > GIC_CIF_MAX)
		return bad("vCPU %u: truncated, or %u CPU interface registers",
			   id, c->nr_sys);
	for (unsigned int k = 0; k < c->nr_sys; k++) {
		uint32_t in = sbuf_get_u32(r);

		c->sys[k].instr = (uint16_t)in;
		c->sys[k].val = sbuf_get_u64(r);
		if (in > UINT16_MAX)
			return bad("vCPU %u: register encoding 0x%x", id, in);
	}
	n = cif_order(c->nr_sys > 1 ? c->sys[1].val : 0, instr);
	for (unsigned int k = 0; k < c->nr_sys; k++)
		if (n != c->nr_sys || c->sys[k].instr != instr[k])
			return bad("vCPU %u: CPU interface register %u is "
				   "0x%04x, not the expected one",
				   id, k, c->sys[k].instr);
	if (cif_fill(c, err, sizeof(err)))
		return bad("vCPU %u: %s", id, err);
	return r->err ? bad("vCPU %u: truncated", id) : 0;
}

int gic_state_decode(const void *data, size_t len, unsigned int nr_vcpus,
		     struct gic_state *g)
{
	struct sbuf_reader r;
	uint32_t nr_irqs, n, nd;
	int ret;

	memset(g, 0, sizeof(*g));
	sbuf_reader_init(&r, data, len);
	nr_irqs = sbuf_get_u32(&r);
	n = sbuf_get_u32(&r);
	nd = sbuf_get_u32(&r);
	if (r.err)
		return bad("truncated header");
	if (nr_irqs < MIN_IRQS || nr_irqs > MAX_IRQS || nr_irqs % 32)
		return bad("%u interrupts", nr_irqs);
	if (n != nr_vcpus)
		return bad("%u vCPUs, this VM has %u", n, nr_vcpus);
	if (nd != dist_words(nr_irqs))
		return bad("%u distributor words, %u interrupts need %u", nd,
			   nr_irqs, dist_words(nr_irqs));
	if (nd > (len - r.pos) / 4)
		return bad("truncated distributor state");
	if ((ret = gic_alloc(g, nr_irqs, n)))
		return ret;
	for (unsigned int i = 0; i < nd; i++)
		g->dist[i] = sbuf_get_u32(&r);
	for (unsigned int i = 0; i < n && !ret; i++)
		ret = decode_cpu(&r, &g->cpu[i], i);
	if (!ret && sbuf_reader_done(&r))
		ret = bad("%zu bytes left over", r.len - r.pos);
	if (!ret && irqs_of_typer(g->dist[1]) != nr_irqs)
		ret = bad("GICD_TYPER 0x%x does not give %u interrupts",
			  g->dist[1], nr_irqs);
	if (ret)
		gic_state_free(g);
	return ret;
}

/* ---- restore ---- */

static int check_word(const char *what, uint32_t saved, uint32_t now)
{
	if (saved == now)
		return 0;
	pr_err("vGIC: saved %s is 0x%08x, this host's is 0x%08x", what, saved,
	       now);
	return -EINVAL;
}

static int reg_restore(struct vm *vm, const struct gic_range *g,
		       const struct gic_reg *r, unsigned int k, uint32_t v)
{
	uint32_t now, clr = ~v;
	int ret;

	switch (r->kind) {
	case GK_CHECK:
		ret = word_io(vm, g, r, k, false, 0, &now);
		return ret ? ret : check_word(r->name, v, now);
	case GK_IIDR:
		ret = word_io(vm, g, r, k, false, 0, &now);
		if (!ret && (ret = word_io(vm, g, r, k, true, 0, &v)))
			pr_err("vGIC: this host's GICD_IIDR is 0x%08x", now);
		return ret;
	case GK_SETCLR:
		ret = word_io(vm, g, r, k, true, CLR_DELTA, &clr);
		return ret ? ret : word_io(vm, g, r, k, true, 0, &v);
	default:
		return word_io(vm, g, r, k, true, 0, &v);
	}
}

static int range_restore(struct vm *vm, const struct gic_range *g,
			 const uint32_t *w)
{
	unsigned int n = 0;

	for (size_t i = 0; i < g->nr_regs; i++) {
		const struct gic_reg *r = &g->regs[i];

		for (unsigned int k = 0; k < reg_words(r, g->count); k++) {
			int ret = reg_restore(vm, g, r, k, w[n++]);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* SRE, the VMCR registers through vgic_vmcr.c, then the APRs. */
static int cif_restore(struct vm *vm, const struct gic_cpu *c)
{
	struct vgic_sysreg_val regs[VGIC_CPU_IF_NR_REGS];
	uint64_t ctlr_now, v;
	char err[160];
	int n, ret = cif_io(vm, c->mpidr, SYS_ICC_CTLR_EL1, false, &ctlr_now);

	if (ret)
		return ret;
	if (nr_apr(ctlr_now) != nr_apr(c->sys[1].val)) {
		pr_err("vGIC: saved ICC_CTLR_EL1 0x%" PRIx64 " has other "
		       "priority bits than this host's 0x%" PRIx64,
		       c->sys[1].val, ctlr_now);
		return -EINVAL;
	}
	v = c->sys[0].val;
	if ((ret = cif_io(vm, c->mpidr, SYS_ICC_SRE_EL1, true, &v)))
		return ret;
	n = vgic_cpu_if_to_regs(&c->cif, ctlr_now, regs, err, sizeof(err));
	if (n < 0) {
		pr_err("vGIC: MPIDR 0x%" PRIx64 ": %s", c->mpidr, err);
		return n;
	}
	for (int i = 0; i < n && !ret; i++)
		ret = cif_io(vm, c->mpidr, regs[i].instr, true, &regs[i].val);
	for (unsigned int i = GIC_CIF_FIXED; i < c->nr_sys && !ret; i++) {
		v = c->sys[i].val;
		ret = cif_io(vm, c->mpidr, c->sys[i].instr, true, &v);
	}
	return ret;
}

static int vcpu_mpidrs_match(struct vm *vm, const struct gic_state *g)
{
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		uint64_t m = 0;
		int ret = onereg_get_u64(&vm->vcpus[i],
					 KVMA_REG_ARM64_SYSREG | SYS_MPIDR_EL1,
					 &m);

		if (ret) {
			pr_err("vCPU %u: reading MPIDR_EL1: %s", i,
			       strerror(-ret));
			return ret;
		}
		if (m != g->cpu[i].mpidr) {
			pr_err("vCPU %u: MPIDR_EL1 0x%" PRIx64 ", the vGIC "
			       "state was saved for 0x%" PRIx64,
			       i, m, g->cpu[i].mpidr);
			return -EINVAL;
		}
	}
	return 0;
}

static int ctrl_init(struct vm *vm)
{
	int ret = dev_attr(vm, true, KVMA_VGIC_GRP_CTRL, KVMA_VGIC_CTRL_INIT,
			   NULL);

	if (ret)
		pr_err("vGIC: CTRL_INIT: %s", strerror(-ret));
	return ret;
}

/* CTRL_INIT; the distributor (GICD_IIDR first); each redistributor (with
 * an ITS: its PROPBASER and PENDBASER first); each CPU interface. */
int gic_state_restore(struct vm *vm, const struct gic_state *g,
		      const struct its_state *its)
{
	struct gic_range d = {dist_regs,
			      ARRAY_SIZE(dist_regs),
			      KVMA_VGIC_GRP_DIST_REGS,
			      NR_PRIVATE,
			      g->nr_irqs - NR_PRIVATE,
			      vgic_attr_from_mpidr(g->cpu[0].mpidr)};
	int ret = vcpu_mpidrs_match(vm, g);

	if (!ret)
		ret = ctrl_init(vm);
	if (!ret)
		ret = range_restore(vm, &d, g->dist);
	for (unsigned int i = 0; i < g->nr_vcpus && !ret; i++) {
		struct gic_range r = {rd_regs, ARRAY_SIZE(rd_regs),
				      KVMA_VGIC_GRP_REDIST_REGS, 0, NR_PRIVATE,
				      vgic_attr_from_mpidr(g->cpu[i].mpidr)};

		if (its)
			ret = its_state_restore_lpi(vm, its, i,
						    g->cpu[i].mpidr);
		if (!ret)
			ret = range_restore(vm, &r, g->cpu[i].rd);
	}
	for (unsigned int i = 0; i < g->nr_vcpus && !ret; i++)
		ret = cif_restore(vm, &g->cpu[i]);
	return ret;
}

/* ---- read-back check ---- */

static const char *word_name(const struct gic_reg *regs, size_t nr,
			     unsigned int count, unsigned int w,
			     unsigned int *k)
{
	for (size_t i = 0; i < nr; i++) {
		unsigned int n = reg_words(&regs[i], count);

		if (w < n) {
			*k = w;
			return regs[i].name;
		}
		w -= n;
	}
	*k = w;
	return "?";
}

static unsigned int diff_words(const char *who, const struct gic_reg *regs,
			       size_t nr, unsigned int count, const uint32_t *a,
			       const uint32_t *b, unsigned int n)
{
	unsigned int bad = 0, k = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		pr_warn("vGIC read-back: %s %s word %u: 0x%08x, saved 0x%08x",
			who, word_name(regs, nr, count, i, &k), k, b[i], a[i]);
		bad++;
	}
	return bad;
}

static unsigned int diff_cif(unsigned int id, const struct gic_cpu *a,
			     const struct gic_cpu *b)
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < a->nr_sys && i < b->nr_sys; i++) {
		if (a->sys[i].val == b->sys[i].val)
			continue;
		pr_warn("vGIC read-back: vCPU %u CPU interface register "
			"0x%04x: 0x%" PRIx64 ", saved 0x%" PRIx64,
			id, a->sys[i].instr, b->sys[i].val, a->sys[i].val);
		bad++;
	}
	return bad + (a->nr_sys != b->nr_sys);
}

int gic_state_verify(struct vm *vm, const struct gic_state *g)
{
	struct gic_state now;
	uint64_t *mpidr = calloc(g->nr_vcpus, sizeof(*mpidr));
	unsigned int bad = 0;
	char who[32];
	int ret;

	if (!mpidr)
		return -ENOMEM;
	for (unsigned int i = 0; i < g->nr_vcpus; i++)
		mpidr[i] = g->cpu[i].mpidr;
	ret = gic_state_read(vm, mpidr, &now);
	free(mpidr);
	if (ret)
		return ret;
	if (now.nr_irqs != g->nr_irqs) {
		gic_state_free(&now);
		return check_word("interrupt count", g->nr_irqs, now.nr_irqs);
	}
	bad += diff_words("distributor", dist_regs, ARRAY_SIZE(dist_regs),
			  g->nr_irqs - NR_PRIVATE, g->dist, now.dist,
			  g->nr_dist);
	for (unsigned int i = 0; i < g->nr_vcpus; i++) {
		snprintf(who, sizeof(who), "vCPU %u redistributor", i);
		bad += diff_words(who, rd_regs, ARRAY_SIZE(rd_regs),
				  NR_PRIVATE, g->cpu[i].rd, now.cpu[i].rd,
				  rd_words());
		bad += diff_cif(i, &g->cpu[i], &now.cpu[i]);
	}
	gic_state_free(&now);
	return (int)bad;
}

void gic_cpu_if_line(const struct gic_state *g, unsigned int i, char *buf,
		     size_t len)
{
	const struct gic_cpu *c = &g->cpu[i];
	char dump[200], err[160];
	uint64_t vmcr = 0;

	vgic_cpu_if_format(VGIC_LAYOUT_V3, c->mpidr, &c->cif, dump,
			   sizeof(dump));
	if (vgic_vmcr_pack(VGIC_LAYOUT_V3, &c->cif, &vmcr, err, sizeof(err)))
		snprintf(buf, len, "VMCR ? (%s; %s)", err, dump);
	else
		snprintf(buf, len, "VMCR 0x%016" PRIx64 " (%s)", vmcr, dump);
}

/* Word index in g->dist of register 'name' (a per-interrupt one). */
static int dist_reg_at(const struct gic_state *g, const char *name)
{
	unsigned int at = 0;

	for (size_t i = 0; i < ARRAY_SIZE(dist_regs); i++) {
		if (!strcmp(dist_regs[i].name, name))
			return (int)at;
		at += reg_words(&dist_regs[i], g->nr_irqs - NR_PRIVATE);
	}
	return -1;
}

/* The shared interrupts whose line is high or that are pending or active,
 * each as " INTID:what" (what: line, pending, active, disabled, joined by
 * '+'). */
void gic_state_report_spis(const struct gic_state *g, char *buf, size_t len)
{
	int lvl = dist_reg_at(g, "line level");
	int pend = dist_reg_at(g, "GICD_ISPENDR");
	int en = dist_reg_at(g, "GICD_ISENABLER");
	int act = dist_reg_at(g, "GICD_ISACTIVER");
	size_t at = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i + NR_PRIVATE < g->nr_irqs && at + 40 < len;
	     i++) {
		uint32_t bit = 1u << (i % 32), w = i / 32;
		bool l = g->dist[lvl + w] & bit, p = g->dist[pend + w] & bit;
		bool a = g->dist[act + w] & bit, e = g->dist[en + w] & bit;

		if (!l && !p && !a)
			continue;
		at += (size_t)snprintf(buf + at, len - at, " %u:%s%s%s%s%s%s%s",
				       i + NR_PRIVATE, l ? "line" : "",
				       l && (p || a || !e) ? "+" : "",
				       p ? "pending" : "", p && (a || !e) ? "+" : "",
				       a ? "active" : "", a && !e ? "+" : "",
				       e ? "" : "disabled");
	}
	if (!at)
		snprintf(buf, len, " none");
}
