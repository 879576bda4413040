/* vgic_vmcr.c: converts a vCPU's GIC CPU interface state between KVM's CPU_SYSREGS values and ICH_VMCR_EL2 (GICv3 and GICv5 layouts). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sysreg.h"
#include "util.h"
#include "vgic_vmcr.h"

/* KVM's reset MPIDR_EL1 puts 16 vCPUs in each Aff0 cluster (GICv3's
 * 16-entry SGI target list), then counts Aff1 and Aff2. */
#define KVM_AFF0_CPUS 16U

#define MEMBER(m) offsetof(struct vgic_cpu_if, m)

/* One state member and the field of a register that holds it. */
struct field_map {
	const char *name;  /* for messages and the dump */
	size_t off;	   /* member of struct vgic_cpu_if */
	const char *field; /* generated field name */
	uint64_t mask;
	unsigned int shift;
	unsigned int drop; /* low member bits the field does not hold */
};

#define MAP(n, m, f, d)                                                        \
	{                                                                      \
		n, MEMBER(m), #f, f##_MASK, f##_SHIFT, d                       \
	}

static const struct field_map v3_map[] = {
    MAP("pmr", pmr, ICH_VMCR_EL2_VPMR, 0),
    MAP("bpr0", bpr0, ICH_VMCR_EL2_VBPR0, 0),
    MAP("bpr1", bpr1, ICH_VMCR_EL2_VBPR1, 0),
    MAP("grpen0", igrpen0, ICH_VMCR_EL2_VENG0, 0),
    MAP("grpen1", igrpen1, ICH_VMCR_EL2_VENG1, 0),
    MAP("eoimode", ctlr_eoimode, ICH_VMCR_EL2_VEOIM, 0),
    MAP("cbpr", ctlr_cbpr, ICH_VMCR_EL2_VCBPR, 0),
};

#define V5_PMR_DROP                                                            \
	(ICC_PMR_EL1_Priority_WIDTH - FEAT_GCIE_ICH_VMCR_EL2_VPMR_WIDTH)

static const struct field_map v5_map[] = {
    MAP("pmr", pmr, FEAT_GCIE_ICH_VMCR_EL2_VPMR, V5_PMR_DROP),
    MAP("en", igrpen1, FEAT_GCIE_ICH_VMCR_EL2_EN, 0),
};

struct vmcr_layout {
	const char *name;
	const struct field_map *map;
	size_t nr;
	uint64_t res0;
	uint64_t set; /* written as 1 by pack (VFIQEn); unpack ignores it */
};

static const struct vmcr_layout layouts[] = {
    [VGIC_LAYOUT_V3] = {"v3", v3_map, ARRAY_SIZE(v3_map), ICH_VMCR_EL2_RES0,
			ICH_VMCR_EL2_VFIQEn_MASK},
    [VGIC_LAYOUT_V5] = {"v5", v5_map, ARRAY_SIZE(v5_map),
			FEAT_GCIE_ICH_VMCR_EL2_RES0, 0},
};

/* The state members, for fields a layout cannot hold. */
static const struct {
	const char *name;
	size_t off;
} members[] = {
    {"pmr", MEMBER(pmr)},
    {"bpr0", MEMBER(bpr0)},
    {"bpr1", MEMBER(bpr1)},
    {"igrpen0", MEMBER(igrpen0)},
    {"igrpen1", MEMBER(igrpen1)},
    {"ctlr_eoimode", MEMBER(ctlr_eoimode)},
    {"ctlr_cbpr", MEMBER(ctlr_cbpr)},
};

static uint8_t *member(struct vgic_cpu_if *s, size_t off)
{
	return (uint8_t *)s + off;
}

static uint8_t cmember(const struct vgic_cpu_if *s, size_t off)
{
	return *((const uint8_t *)s + off);
}

static const struct vmcr_layout *get_layout(enum vgic_layout l)
{
	return (unsigned int)l < ARRAY_SIZE(layouts) ? &layouts[l] : NULL;
}

static bool in_map(const struct vmcr_layout *lay, size_t off)
{
	for (size_t i = 0; i < lay->nr; i++)
		if (lay->map[i].off == off)
			return true;
	return false;
}

/* Members a layout has no field for must be zero, or state would be lost. */
static int check_unmapped(const struct vmcr_layout *lay,
			  const struct vgic_cpu_if *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
		uint8_t v = cmember(s, members[i].off);

		if (v && !in_map(lay, members[i].off)) {
			snprintf(err, errlen,
				 "ICH_VMCR_EL2 (%s layout) has no field for "
				 "%s = %u",
				 lay->name, members[i].name, v);
			return -EINVAL;
		}
	}
	return 0;
}

static int pack_field(const struct field_map *f, uint8_t v, uint64_t *vmcr,
		      char *err, size_t errlen)
{
	uint64_t x = (uint64_t)v >> f->drop;

	if (x & ~(f->mask >> f->shift)) {
		snprintf(err, errlen, "%s = %u does not fit %s", f->name, v,
			 f->field);
		return -EINVAL;
	}
	*vmcr |= x << f->shift;
	return 0;
}

int vgic_vmcr_pack(enum vgic_layout layout, const struct vgic_cpu_if *s,
		   uint64_t *vmcr, char *err, size_t errlen)
{
	const struct vmcr_layout *lay = get_layout(layout);
	uint64_t v;
	int ret;

	if (!lay) {
		snprintf(err, errlen, "unknown ICH_VMCR_EL2 layout %d", layout);
		return -EINVAL;
	}
	ret = check_unmapped(lay, s, err, errlen);
	if (ret)
		return ret;
	v = lay->set;
	for (size_t i = 0; i < lay->nr; i++) {
		ret = pack_field(&lay->map[i], cmember(s, lay->map[i].off), &v,
				 err, errlen);
		if (ret)
			return ret;
	}
	*vmcr = v;
	return 0;
}

int vgic_vmcr_unpack(enum vgic_layout layout, uint64_t vmcr,
		     struct vgic_cpu_if *s, char *err, size_t errlen)
{
	const struct vmcr_layout *lay = get_layout(layout);

	if (!lay) {
		snprintf(err, errlen, "unknown ICH_VMCR_EL2 layout %d", layout);
		return -EINVAL;
	}
	if (vmcr & lay->res0) {
		snprintf(err, errlen,
			 "ICH_VMCR_EL2 0x%016llx sets RES0 bits 0x%016llx of "
			 "the %s layout",
			 (unsigned long long)vmcr,
			 (unsigned long long)(vmcr & lay->res0), lay->name);
		return -EINVAL;
	}
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < lay->nr; i++) {
		const struct field_map *f = &lay->map[i];

		*member(s, f->off) =
		    (uint8_t)(((vmcr & f->mask) >> f->shift) << f->drop);
	}
	return 0;
}

/* The same members as seen through CPU_SYSREGS, in restore order. */
struct reg_map {
	uint16_t instr;
	uint64_t res0;
	struct field_map f;
};

#define REG(r, n, m, field)                                                    \
	{                                                                      \
		SYS_##r, r##_RES0, MAP(n, m, r##_##field, 0)                   \
	}

static const struct reg_map reg_map[] = {
    REG(ICC_CTLR_EL1, "ctlr_eoimode", ctlr_eoimode, EOImode),
    REG(ICC_CTLR_EL1, "ctlr_cbpr", ctlr_cbpr, CBPR),
    REG(ICC_IGRPEN0_EL1, "igrpen0", igrpen0, Enable),
    REG(ICC_IGRPEN1_EL1, "igrpen1", igrpen1, Enable),
    REG(ICC_PMR_EL1, "pmr", pmr, Priority),
    REG(ICC_BPR0_EL1, "bpr0", bpr0, BinaryPoint),
    REG(ICC_BPR1_EL1, "bpr1", bpr1, BinaryPoint),
};

static struct vgic_sysreg_val *reg_slot(struct vgic_sysreg_val *regs,
					unsigned int *nr, uint16_t instr,
					uint64_t ctlr_now)
{
	for (unsigned int i = 0; i < *nr; i++)
		if (regs[i].instr == instr)
			return &regs[i];
	regs[*nr].instr = instr;
	regs[*nr].val = instr == SYS_ICC_CTLR_EL1 ? ctlr_now : 0;
	return &regs[(*nr)++];
}

int vgic_cpu_if_to_regs(const struct vgic_cpu_if *s, uint64_t ctlr_now,
			struct vgic_sysreg_val regs[VGIC_CPU_IF_NR_REGS],
			char *err, size_t errlen)
{
	unsigned int nr = 0;

	for (size_t i = 0; i < ARRAY_SIZE(reg_map); i++) {
		const struct field_map *f = &reg_map[i].f;
		struct vgic_sysreg_val *r;
		uint64_t v = 0;
		int ret;

		ret = pack_field(f, cmember(s, f->off), &v, err, errlen);
		if (ret)
			return ret;
		r = reg_slot(regs, &nr, reg_map[i].instr, ctlr_now);
		r->val = (r->val & ~f->mask) | v;
	}
	return (int)nr;
}

int vgic_cpu_if_from_reg(struct vgic_cpu_if *s, uint16_t instr, uint64_t val,
			 char *err, size_t errlen)
{
	bool found = false;

	for (size_t i = 0; i < ARRAY_SIZE(reg_map); i++) {
		const struct reg_map *r = &reg_map[i];

		if (r->instr != instr)
			continue;
		if (val & r->res0) {
			snprintf(err, errlen,
				 "CPU_SYSREGS 0x%04x = 0x%016llx sets RES0 "
				 "bits 0x%016llx",
				 instr, (unsigned long long)val,
				 (unsigned long long)(val & r->res0));
			return -EINVAL;
		}
		*member(s, r->f.off) =
		    (uint8_t)((val & r->f.mask) >> r->f.shift);
		found = true;
	}
	if (!found) {
		snprintf(err, errlen,
			 "CPU_SYSREGS 0x%04x is not part of the VMCR state",
			 instr);
		return -ENOENT;
	}
	return 0;
}

int arm64_sysreg_instr(unsigned int op0, unsigned int op1, unsigned int crn,
		       unsigned int crm, unsigned int op2)
{
	if (!FIELD_FITS(KVM_SYSREG_INSTR_Op0, op0) ||
	    !FIELD_FITS(KVM_SYSREG_INSTR_Op1, op1) ||
	    !FIELD_FITS(KVM_SYSREG_INSTR_CRn, crn) ||
	    !FIELD_FITS(KVM_SYSREG_INSTR_CRm, crm) ||
	    !FIELD_FITS(KVM_SYSREG_INSTR_Op2, op2))
		return -EINVAL;
	return (int)(FIELD_PREP(KVM_SYSREG_INSTR_Op0, op0) |
		     FIELD_PREP(KVM_SYSREG_INSTR_Op1, op1) |
		     FIELD_PREP(KVM_SYSREG_INSTR_CRn, crn) |
		     FIELD_PREP(KVM_SYSREG_INSTR_CRm, crm) |
		     FIELD_PREP(KVM_SYSREG_INSTR_Op2, op2));
}

uint64_t vgic_attr_from_mpidr(uint64_t mpidr)
{
	return FIELD_PREP(KVM_VGIC_V3_ATTR_Aff3,
			  FIELD_GET(MPIDR_EL1_Aff3, mpidr)) |
	       FIELD_PREP(KVM_VGIC_V3_ATTR_Aff2,
			  FIELD_GET(MPIDR_EL1_Aff2, mpidr)) |
	       FIELD_PREP(KVM_VGIC_V3_ATTR_Aff1,
			  FIELD_GET(MPIDR_EL1_Aff1, mpidr)) |
	       FIELD_PREP(KVM_VGIC_V3_ATTR_Aff0,
			  FIELD_GET(MPIDR_EL1_Aff0, mpidr));
}

uint64_t vgic_cpu_sysreg_attr(uint64_t mpidr, uint16_t instr)
{
	return vgic_attr_from_mpidr(mpidr) |
	       FIELD_PREP(CPU_SYSREGS_KVM_VGIC_V3_ATTR_INSTR, instr);
}

uint64_t arm64_kvm_default_mpidr(unsigned int id)
{
	return MPIDR_EL1_RES1 | FIELD_PREP(MPIDR_EL1_Aff0, id % KVM_AFF0_CPUS) |
	       FIELD_PREP(MPIDR_EL1_Aff1, id / KVM_AFF0_CPUS) |
	       FIELD_PREP(MPIDR_EL1_Aff2,
			  id / KVM_AFF0_CPUS >> MPIDR_EL1_Aff1_WIDTH);
}

int vgic_cpu_if_format(enum vgic_layout layout, uint64_t mpidr,
		       const struct vgic_cpu_if *s, char *buf, size_t len)
{
	const struct vmcr_layout *lay = get_layout(layout);
	char why[128];
	uint64_t vmcr;
	size_t n;

	n = (size_t)snprintf(buf, len, "gic-cpu %u.%u.%u.%u %s:",
			     (unsigned int)FIELD_GET(MPIDR_EL1_Aff3, mpidr),
			     (unsigned int)FIELD_GET(MPIDR_EL1_Aff2, mpidr),
			     (unsigned int)FIELD_GET(MPIDR_EL1_Aff1, mpidr),
			     (unsigned int)FIELD_GET(MPIDR_EL1_Aff0, mpidr),
			     lay ? lay->name : "?");
	for (size_t i = 0; lay && i < lay->nr; i++) {
		const struct field_map *f = &lay->map[i];

		n += (size_t)snprintf(buf + MIN(n, len), len - MIN(n, len),
				      f->off == MEMBER(pmr) ? " %s=0x%02x"
							    : " %s=%u",
				      f->name, cmember(s, f->off));
	}
	if (vgic_vmcr_pack(layout, s, &vmcr, why, sizeof(why)))
		n += (size_t)snprintf(buf + MIN(n, len), len - MIN(n, len),
				      " vmcr=? (%s)", why);
	else
		n += (size_t)snprintf(buf + MIN(n, len), len - MIN(n, len),
				      " vmcr=0x%016llx",
				      (unsigned long long)vmcr);
	return (int)n;
}
