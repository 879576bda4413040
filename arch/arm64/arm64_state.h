/* arm64_state.h: arm64 snapshot state: vCPU registers, the counter and the PMU (state.c), the vGICv3 (gic_state.c), the ITS (its_state.c). */
#ifndef MINIVMM_ARM64_STATE_H
#define MINIVMM_ARM64_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgic_vmcr.h"

struct vm;
struct sbuf;
struct snap_writer;
struct snap_reader;
struct restore_opts;

/* What the host says about time; arch.c gives the real one, tests a fake. */
struct arm64_host {
	uint64_t (*realtime_ns)(void); /* CLOCK_REALTIME */
	uint64_t counter_hz;	       /* CNTFRQ_EL0, 0 if unknown */
};

int arm64_state_save(struct vm *vm, struct snap_writer *w,
		     const struct arm64_host *h);
/* After the vCPUs exist, before the first KVM_RUN: also does the vGIC's
 * CTRL_INIT and the PMU's set-up (arch_vm_finalize does not run on a
 * restore). */
int arm64_state_restore(struct vm *vm, struct snap_reader *r,
			const struct restore_opts *o,
			const struct arm64_host *h);

/* ---- the vGICv3 (gic_state.c) ---- */

#define GIC_RD_MAX_WORDS 32
/* SRE, CTLR, IGRPEN0, IGRPEN1, PMR, BPR0, BPR1, then 1, 2 or 4 of each of
 * AP0Rn and AP1Rn (as ICC_CTLR_EL1.PRIbits says). */
#define GIC_CIF_FIXED 7
#define GIC_CIF_MAX   (GIC_CIF_FIXED + 2 * 4)

struct gic_cpu {
	uint64_t mpidr;
	uint32_t rd[GIC_RD_MAX_WORDS]; /* redistributor words, table order */
	unsigned int nr_sys;
	struct vgic_sysreg_val sys[GIC_CIF_MAX]; /* CPU_SYSREGS, in order */
	struct vgic_cpu_if cif;			 /* the VMCR part of sys */
};

struct gic_state {
	uint32_t nr_irqs; /* from GICD_TYPER: 64..1024 */
	unsigned int nr_vcpus, nr_dist;
	uint32_t *dist; /* distributor words, table order */
	struct gic_cpu *cpu;
};

/* Reads the whole vGIC (every vCPU paused); mpidr[i] is vCPU i's. */
int gic_state_read(struct vm *vm, const uint64_t *mpidr, struct gic_state *g);
void gic_state_encode(const struct gic_state *g, struct sbuf *b);
/* Checks everything (counts, register order, RES0 bits); -EINVAL with one
 * message naming the problem. */
int gic_state_decode(const void *data, size_t len, unsigned int nr_vcpus,
		     struct gic_state *g);
struct its_state;
/* CTRL_INIT, then every register in restore order (gic_state.c's comment);
 * the vCPUs' MPIDRs must be the saved ones. With its (a VM with an ITS),
 * each redistributor's LPI registers go before its GICR_CTLR. */
int gic_state_restore(struct vm *vm, const struct gic_state *g,
		      const struct its_state *its);
/* Reads the vGIC back and compares it with g: the number of registers
 * that differ (each logged), or -errno. */
int gic_state_verify(struct vm *vm, const struct gic_state *g);
void gic_state_free(struct gic_state *g);
/* " 68:line+pending 70:active" for the SPIs with a high line, pending or
 * active (INTIDs; "+disabled" when not enabled), or " none". */
void gic_state_report_spis(const struct gic_state *g, char *buf, size_t len);
/* "VMCR 0x... (gic-cpu 0.0.0.0 v3: pmr=0xf0 ...)" for vCPU i. */
void gic_cpu_if_line(const struct gic_state *g, unsigned int i, char *buf,
		     size_t len);

/* ---- the ITS and the redistributors' LPI registers (its_state.c) ---- */

/* GITS_IIDR, CBASER, CREADR, CWRITER, BASER0-7, CTLR: the restore order. */
#define ITS_NR_REGS 13

struct gic_lpi {
	uint64_t propbaser, pendbaser;
};

struct its_state {
	unsigned int nr_vcpus;
	struct gic_lpi *lpi; /* per vCPU */
	uint64_t regs[ITS_NR_REGS];
};

/* Every vCPU paused: the vGIC's SAVE_PENDING_TABLES and the ITS's
 * SAVE_TABLES (both write guest RAM, so before it is saved), then the
 * registers; mpidr[i] is vCPU i's. */
int its_state_save(struct vm *vm, const uint64_t *mpidr, struct its_state *s);
void its_state_encode(const struct its_state *s, struct sbuf *b);
int its_state_decode(const void *data, size_t len, unsigned int nr_vcpus,
		     struct its_state *s);
/* vCPU i's GICR_PROPBASER and GICR_PENDBASER (gic_state_restore calls it
 * before that redistributor's GICR_CTLR). */
int its_state_restore_lpi(struct vm *vm, const struct its_state *s,
			  unsigned int i, uint64_t mpidr);
/* After every redistributor: the ITS registers but GITS_CTLR,
 * RESTORE_TABLES, then GITS_CTLR. */
int its_state_restore(struct vm *vm, const struct its_state *s);
/* Reads it all back: the number of registers that differ (each logged),
 * or -errno. */
int its_state_verify(struct vm *vm, const uint64_t *mpidr,
		     const struct its_state *s);
bool its_state_enabled(const struct its_state *s);
void its_state_free(struct its_state *s);

#endif
