/* vgic_vmcr.h: a vCPU's vGIC CPU interface state, its KVM CPU_SYSREGS values and its ICH_VMCR_EL2 image (GICv3 and GICv5 layouts). */
#ifndef MINIVMM_ARM64_VGIC_VMCR_H
#define MINIVMM_ARM64_VGIC_VMCR_H

#include <stddef.h>
#include <stdint.h>

/*
 * The part of the GIC CPU interface KVM keeps in the virtual VMCR, as the
 * field values of the registers read and written through the vGICv3
 * device's CPU_SYSREGS group (one u64 per register, attr = affinity |
 * encoding): ICC_PMR_EL1, ICC_BPR0_EL1, ICC_BPR1_EL1, ICC_IGRPEN0_EL1,
 * ICC_IGRPEN1_EL1 and the EOImode and CBPR bits of ICC_CTLR_EL1.
 */
struct vgic_cpu_if {
	uint8_t pmr;	      /* ICC_PMR_EL1.Priority, 8 bits */
	uint8_t bpr0;	      /* ICC_BPR0_EL1.BinaryPoint, 3 bits */
	uint8_t bpr1;	      /* ICC_BPR1_EL1.BinaryPoint, 3 bits */
	uint8_t igrpen0;      /* ICC_IGRPEN0_EL1.Enable */
	uint8_t igrpen1;      /* ICC_IGRPEN1_EL1.Enable */
	uint8_t ctlr_eoimode; /* ICC_CTLR_EL1.EOImode */
	uint8_t ctlr_cbpr;    /* ICC_CTLR_EL1.CBPR */
};

/*
 * Which ICH_VMCR_EL2 layout. GICv5 (FEAT_GCIE) keeps only VPMR[31:27], a
 * 5-bit priority mask, and EN[0], the enable of the vCPU's virtual
 * interrupt domain (what the guest sees as ICC_CR0_EL1.EN). GICv5 has no
 * interrupt groups, binary points or split EOI: EN carries igrpen1 (Group 1
 * is the only group Linux uses on GICv3) and VPMR carries pmr[7:3]; the low
 * three pmr bits are dropped, as on a GICv3 implementing 5 priority bits.
 */
enum vgic_layout { VGIC_LAYOUT_V3, VGIC_LAYOUT_V5 };

/* State -> ICH_VMCR_EL2. GICv3 also sets VFIQEn and clears VAckCtl (RES1
 * and RES0 with the system-register interface, as KVM does). -EINVAL with a
 * reason for a value wider than its field or, for GICv5, a field the
 * layout cannot hold that is not zero. */
int vgic_vmcr_pack(enum vgic_layout layout, const struct vgic_cpu_if *s,
		   uint64_t *vmcr, char *err, size_t errlen);
/* ICH_VMCR_EL2 -> state. -EINVAL with a reason if a RES0 bit is set. */
int vgic_vmcr_unpack(enum vgic_layout layout, uint64_t vmcr,
		     struct vgic_cpu_if *s, char *err, size_t errlen);

/* One CPU_SYSREGS access: register encoding and u64 value. */
struct vgic_sysreg_val {
	uint16_t instr;
	uint64_t val;
};
#define VGIC_CPU_IF_NR_REGS 6

/* The values to write, in restore order (CTLR, IGRPEN0/1, PMR, BPR0/1).
 * CTLR keeps the read-only fields (PRIbits, IDbits, ...) of 'ctlr_now',
 * the value read from KVM, which rejects a CTLR that changes them.
 * Returns the number of registers filled, or -EINVAL (with a reason) for
 * a value wider than its register field. */
int vgic_cpu_if_to_regs(const struct vgic_cpu_if *s, uint64_t ctlr_now,
			struct vgic_sysreg_val regs[VGIC_CPU_IF_NR_REGS],
			char *err, size_t errlen);
/* Take one value read through CPU_SYSREGS into s: -ENOENT for a register
 * that is not part of this state, -EINVAL if a RES0 bit is set. */
int vgic_cpu_if_from_reg(struct vgic_cpu_if *s, uint16_t instr, uint64_t val,
			 char *err, size_t errlen);

/* KVM's 16-bit encoding op0[15:14] op1[13:11] CRn[10:7] CRm[6:3] op2[2:0],
 * or -EINVAL if an operand is out of range. */
int arm64_sysreg_instr(unsigned int op0, unsigned int op1, unsigned int crn,
		       unsigned int crm, unsigned int op2);
/* MPIDR_EL1 -> the affinity part of a vGICv3 attr: Aff3[63:56]
 * Aff2[55:48] Aff1[47:40] Aff0[39:32] (not MPIDR_EL1's own layout). */
uint64_t vgic_attr_from_mpidr(uint64_t mpidr);
/* The CPU_SYSREGS attr for register 'instr' of the vCPU with this MPIDR. */
uint64_t vgic_cpu_sysreg_attr(uint64_t mpidr, uint16_t instr);
/* The MPIDR_EL1 KVM gives vCPU 'id' at reset: 16 vCPUs per Aff0 cluster. */
uint64_t arm64_kvm_default_mpidr(unsigned int id);

/* "gic-cpu 0.0.0.1 v3: pmr=0xf0 bpr0=2 bpr1=3 grpen0=0 grpen1=1 eoimode=1
 * cbpr=0 vmcr=0x00000000f04c020a" (GICv5: pmr and en only). Returns the
 * snprintf length; the line is truncated to fit 'len'. */
int vgic_cpu_if_format(enum vgic_layout layout, uint64_t mpidr,
		       const struct vgic_cpu_if *s, char *buf, size_t len);

#endif
