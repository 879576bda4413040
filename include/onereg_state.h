/* onereg_state.h: the vCPU state the ONE_REG backends (arm64, riscv) snapshot alike: the register list, MP state, their ARCH_VCPU section. */
#ifndef MINIVMM_ONEREG_STATE_H
#define MINIVMM_ONEREG_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;
struct vm;
struct snap_writer;
struct snap_reader;

/*
 * A ONE_REG id: arch[63:56], log2 of the value's byte count [55:52], then
 * what the arch defines. The ioctls (KVM_GET_ONE_REG, KVM_SET_ONE_REG,
 * KVM_GET_REG_LIST, KVM_GET_MP_STATE, KVM_SET_MP_STATE) and this layout
 * are the same on every arch that has them.
 */
#define ONEREG_ARCH_MASK 0xff00000000000000ULL
#define ONEREG_MAX_SIZE	 256 /* U2048: an SVE Z or a VLEN 2048 V register */

static inline size_t onereg_size(uint64_t id)
{
	return (size_t)1 << ((id & 0x00f0000000000000ULL) >> 52);
}

/* KVM_{GET,SET}_ONE_REG; onereg_try returns -errno unreported,
 * onereg_rw reports a failure (vCPU, register) once. */
long onereg_try(struct vcpu *v, bool set, uint64_t id, void *buf);
int onereg_rw(struct vcpu *v, bool set, uint64_t id, void *buf);
/* A 64-bit register: 0 or -errno, unreported. */
int onereg_get_u64(struct vcpu *v, uint64_t id, uint64_t *val);
int onereg_set_u64(struct vcpu *v, uint64_t id, uint64_t val);

/* Sets 64-bit registers in order (a boot protocol's); the first failure
 * is reported (vCPU, register) and returned. */
struct onereg_u64 {
	uint64_t id, val;
};
int onereg_set_all(struct vcpu *v, const struct onereg_u64 *regs, size_t n);

/* A register to save: optional ones KVM does not have are left out. */
struct onereg_cand {
	uint64_t id;
	bool optional;
};

/* What tells the arch backends apart. */
struct onereg_arch {
	uint64_t arch;	   /* this arch's id bits 63:56 (KVM_REG_ARM64, ...) */
	uint32_t version;  /* of the ARCH_VCPU section */
	uint32_t max_regs; /* more in KVM's list or a section: refused */
	/* Drops from KVM_GET_REG_LIST's ids what is not to be saved (in
	 * place; returns how many are left); NULL keeps them all. */
	uint32_t (*filter)(uint64_t *ids, uint32_t n);
	/* Where KVM has no KVM_GET_REG_LIST: the registers to try instead
	 * (calloc'd, reports its errors); NULL: such a KVM is an error. */
	int (*known_list)(struct vcpu *v, struct onereg_cand **out,
			  uint32_t *n);
};

/*
 * Saves every vCPU's section ARCH_VCPU (instance = vCPU id): records
 * {u32 tag, u32 len, bytes} after u32 version, u32 count (snap_records.h):
 * MP_STATE (1): u32; REGS (2): u32 n, then n times {u64 id, the value in
 * onereg_size(id) bytes}, in KVM's list order.
 */
int onereg_save_vcpus(struct vm *vm, struct snap_writer *w,
		      const struct onereg_arch *a);

/* One saved register; val points into the section's data. */
struct onereg_val {
	uint64_t id;
	const uint8_t *val;
};

struct onereg_vcpu {
	uint32_t have; /* bit 'tag' of each record seen */
	uint32_t mp_state;
	uint32_t nr_regs;
	struct onereg_val *regs;
};

/*
 * Decodes and checks the ARCH_VCPU section of each of the VM's vCPUs into
 * (*st)[0 .. nr_vcpus), allocated here (free it with onereg_vcpus_free
 * whatever this returns): both records there, no register twice, nothing
 * truncated or left over, no section for a vCPU beyond the VM's.
 */
int onereg_decode_vcpus(struct vm *vm, struct snap_reader *r,
			const struct onereg_arch *a, struct onereg_vcpu **st);
/* Frees st (NULL is fine) and the register tables of its n vCPUs. */
void onereg_vcpus_free(struct onereg_vcpu *st, unsigned int n);

const struct onereg_val *onereg_find(const struct onereg_vcpu *st,
				     uint64_t id);

/* Writes the saved registers in their saved order, but those 'skip'
 * (NULL: none) says the arch writes at another step. */
int onereg_restore_regs(struct vcpu *v, const struct onereg_vcpu *st,
			bool (*skip)(uint64_t id));
int onereg_set_mp_state(struct vcpu *v, uint32_t mp_state);

#endif
