/* onereg_state.c: saves, decodes and restores the ONE_REG vCPU state (registers, MP state) the arm64 and riscv backends snapshot alike. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ioctl_num.h"
#include "kvm.h"
#include "log.h"
#include "onereg_state.h"
#include "sbuf.h"
#include "snap_records.h"
#include "snapshot_file.h"
#include "util.h"
#include "vm.h"

/* The generic KVM ABI: the same structs and numbers on arm64 and riscv. */
struct onereg_io {
	uint64_t id;
	uint64_t addr; /* user pointer to the value */
};

struct onereg_list_hdr {
	uint64_t n; /* in: the room; out: the count (-E2BIG if short) */
	uint64_t reg[];
};

struct onereg_mp_state {
	uint32_t mp_state;
};

#define GET_ONE_REG  MVM_IOW(MVM_KVMIO, 0xab, sizeof(struct onereg_io))
#define SET_ONE_REG  MVM_IOW(MVM_KVMIO, 0xac, sizeof(struct onereg_io))
#define GET_REG_LIST MVM_IOWR(MVM_KVMIO, 0xb0, sizeof(struct onereg_list_hdr))
#define GET_MP_STATE MVM_IOR(MVM_KVMIO, 0x98, sizeof(struct onereg_mp_state))
#define SET_MP_STATE MVM_IOW(MVM_KVMIO, 0x99, sizeof(struct onereg_mp_state))

enum vcpu_rec { VR_MP_STATE = 1, VR_REGS };

#define corrupt(inst, fmt, ...)                                                \
	(pr_err("snapshot section ARCH_VCPU %u: " fmt, inst, ##__VA_ARGS__),   \
	 -EINVAL)

long onereg_try(struct vcpu *v, bool set, uint64_t id, void *buf)
{
	struct onereg_io r = {.id = id, .addr = (uintptr_t)buf};

	return kvm_vcpu_ioctl(v, set ? SET_ONE_REG : GET_ONE_REG, &r);
}

int onereg_rw(struct vcpu *v, bool set, uint64_t id, void *buf)
{
	long ret = onereg_try(v, set, id, buf);

	if (ret < 0)
		pr_err("vCPU %u: %s register 0x%016" PRIx64 ": %s", v->id,
		       set ? "KVM_SET_ONE_REG" : "KVM_GET_ONE_REG", id,
		       strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

int onereg_get_u64(struct vcpu *v, uint64_t id, uint64_t *val)
{
	long ret = onereg_try(v, false, id, val);

	return ret < 0 ? (int)ret : 0;
}

int onereg_set_u64(struct vcpu *v, uint64_t id, uint64_t val)
{
	long ret = onereg_try(v, true, id, &val);

	return ret < 0 ? (int)ret : 0;
}

int onereg_set_all(struct vcpu *v, const struct onereg_u64 *regs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t val = regs[i].val;
		int ret = onereg_rw(v, true, regs[i].id, &val);

		if (ret)
			return ret;
	}
	return 0;
}

/* ---- save ---- */

/*
 * KVM_GET_REG_LIST as candidates (none optional), filtered; or, where
 * the kernel has none, *out = NULL and 0 (the probe's error unreported).
 */
static int reg_list(struct vcpu *v, const struct onereg_arch *a,
		    struct onereg_cand **out, uint32_t *n)
{
	struct onereg_list_hdr probe = {.n = 0}, *l;
	long ret = kvm_vcpu_ioctl(v, GET_REG_LIST, &probe);
	uint32_t k;

	*out = NULL;
	*n = 0;
	if (ret < 0 && ret != -E2BIG)
		return 0;
	if (probe.n > a->max_regs) {
		pr_err("vCPU %u: KVM_GET_REG_LIST: %" PRIu64 " registers "
		       "(this build saves at most %u)",
		       v->id, probe.n, a->max_regs);
		return -E2BIG;
	}
	l = calloc(1, sizeof(*l) + probe.n * sizeof(l->reg[0]));
	if (!l)
		return -ENOMEM;
	l->n = probe.n;
	ret = kvm_vcpu_ioctl(v, GET_REG_LIST, l);
	if (ret < 0 || l->n != probe.n) {
		pr_err("vCPU %u: KVM_GET_REG_LIST: %s", v->id,
		       ret < 0 ? strerror((int)-ret) : "the list changed");
		ret = ret < 0 ? ret : -EAGAIN;
		goto out;
	}
	k = (uint32_t)l->n;
	if (a->filter)
		k = a->filter(l->reg, k);
	*out = calloc(k ? k : 1, sizeof(**out));
	if (!*out) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < k; i++)
		(*out)[i] = (struct onereg_cand){l->reg[i], false};
	*n = k;
	ret = 0;
out:
	free(l);
	return (int)ret;
}

static int candidates(struct vcpu *v, const struct onereg_arch *a,
		      struct onereg_cand **c, uint32_t *n)
{
	int ret = reg_list(v, a, c, n);

	if (ret || *c)
		return ret;
	if (!a->known_list) {
		pr_err("vCPU %u: KVM has no KVM_GET_REG_LIST", v->id);
		return -ENOTSUP;
	}
	return a->known_list(v, c, n);
}

static int save_regs(struct vcpu *v, const struct onereg_arch *a,
		     struct sbuf *p)
{
	uint8_t val[ONEREG_MAX_SIZE];
	struct onereg_cand *c;
	uint32_t n, kept = 0;
	size_t count_at;
	int ret = candidates(v, a, &c, &n);

	if (ret)
		return ret;
	count_at = p->len;
	sbuf_put_u32(p, 0);
	for (uint32_t i = 0; i < n && !ret; i++) {
		uint64_t id = c[i].id;
		long r;

		if ((id & ONEREG_ARCH_MASK) != a->arch ||
		    onereg_size(id) > ONEREG_MAX_SIZE) {
			pr_err("vCPU %u: KVM lists register 0x%016" PRIx64
			       ", which this build cannot save",
			       v->id, id);
			ret = -ENOTSUP;
			break;
		}
		r = onereg_try(v, false, id, val);
		if (r < 0 && c[i].optional)
			continue;
		if (r < 0) {
			ret = onereg_rw(v, false, id, val);
			break;
		}
		sbuf_put_u64(p, id);
		sbuf_put_bytes(p, val, onereg_size(id));
		kept++;
	}
	if (!ret && !p->err)
		put_le32(p->data + count_at, kept);
	free(c);
	return ret;
}

static int save_vcpu(struct vcpu *v, struct snap_writer *w,
		     const struct onereg_arch *a)
{
	struct onereg_mp_state mp;
	struct snap_records b;
	struct sbuf p;
	long r = kvm_vcpu_ioctl(v, GET_MP_STATE, &mp);
	int ret = r < 0 ? (int)r : 0;

	if (ret) {
		pr_err("vCPU %u: KVM_GET_MP_STATE: %s", v->id, strerror(-ret));
		return ret;
	}
	snap_records_init(&b, a->version);
	sbuf_init(&p);
	sbuf_put_u32(&p, mp.mp_state);
	snap_records_put_sbuf(&b, VR_MP_STATE, &p);
	p.len = 0;
	ret = save_regs(v, a, &p);
	if (!ret) {
		snap_records_put_sbuf(&b, VR_REGS, &p);
		ret = snap_records_write(w, SNAP_SEC_ARCH_VCPU, v->id, &b);
	}
	sbuf_free(&p);
	sbuf_free(&b.b);
	return ret;
}

int onereg_save_vcpus(struct vm *vm, struct snap_writer *w,
		      const struct onereg_arch *a)
{
	int ret = vm->nr_vcpus ? 0 : -EINVAL;

	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = save_vcpu(&vm->vcpus[i], w, a);
	return ret;
}

/* ---- decode ---- */

struct decode_ctx {
	const struct onereg_arch *a;
	struct onereg_vcpu *st;
	unsigned int inst;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* No register twice: sorted ids, so that a file with the most registers
 * allowed costs n log n, not n^2. The list itself keeps its order (the
 * order registers are set in). */
static int check_unique(struct decode_ctx *d, const struct onereg_val *regs,
			uint32_t n)
{
	uint64_t *ids = malloc((n ? n : 1) * sizeof(*ids));
	int ret = 0;

	if (!ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		ids[i] = regs[i].id;
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (uint32_t i = 1; i < n && !ret; i++)
		if (ids[i] == ids[i - 1])
			ret = corrupt(d->inst, "REGS: 0x%016" PRIx64 " twice",
				      ids[i]);
	free(ids);
	return ret;
}

static int decode_regs(struct decode_ctx *d, const uint8_t *data,
		       uint32_t len)
{
	struct onereg_vcpu *st = d->st;
	struct sbuf_reader r;
	uint32_t n;

	sbuf_reader_init(&r, data, len);
	n = sbuf_get_u32(&r);
	if (r.err || n > d->a->max_regs)
		return corrupt(d->inst, "REGS: %u registers", n);
	st->regs = calloc(n ? n : 1, sizeof(*st->regs));
	if (!st->regs)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t rid = sbuf_get_u64(&r);
		size_t sz = onereg_size(rid);

		if (r.err || (rid & ONEREG_ARCH_MASK) != d->a->arch ||
		    sz > ONEREG_MAX_SIZE || sz > r.len - r.pos)
			return corrupt(d->inst,
				       "REGS: register %u (0x%016" PRIx64
				       ") is malformed or truncated",
				       i, rid);
		st->regs[i] = (struct onereg_val){rid, r.data + r.pos};
		r.pos += sz;
	}
	st->nr_regs = n;
	if (r.pos != r.len)
		return corrupt(d->inst, "REGS: %zu bytes left over",
			       r.len - r.pos);
	return check_unique(d, st->regs, n);
}

static int decode_rec(void *opaque, uint32_t tag, const uint8_t *p,
		      uint32_t n)
{
	struct decode_ctx *d = opaque;

	if (tag == VR_MP_STATE && n == 4) {
		d->st->mp_state = get_le32(p);
		return 0;
	}
	if (tag == VR_REGS)
		return decode_regs(d, p, n);
	return corrupt(d->inst, "record type %u of %u bytes is not known", tag,
		       n);
}

int onereg_decode_vcpus(struct vm *vm, struct snap_reader *r,
			const struct onereg_arch *a, struct onereg_vcpu **out)
{
	const uint32_t need = 1U << VR_MP_STATE | 1U << VR_REGS;
	unsigned int n = vm->nr_vcpus;
	struct onereg_vcpu *st;
	const void *data;
	size_t len;
	int ret;

	if (!n)
		return -EINVAL;
	st = *out = calloc(n, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		struct decode_ctx d = {a, &st[i], i};

		if (snap_reader_find(r, SNAP_SEC_ARCH_VCPU, i, &data, &len)) {
			pr_err("snapshot has no state for vCPU %u", i);
			return -EINVAL;
		}
		ret = snap_records_walk(data, len, a->version, "ARCH_VCPU", i,
					&st[i].have, decode_rec, &d);
		if (ret)
			return ret;
		if ((st[i].have & need) != need)
			return corrupt(i, "no MP_STATE or REGS");
	}
	if (!snap_reader_find(r, SNAP_SEC_ARCH_VCPU, n, &data, &len)) {
		pr_err("snapshot has more vCPUs than this VM's %u", n);
		return -EINVAL;
	}
	return 0;
}

void onereg_vcpus_free(struct onereg_vcpu *st, unsigned int n)
{
	for (unsigned int i = 0; st && i < n; i++)
		free(st[i].regs);
	free(st);
}

const struct onereg_val *onereg_find(const struct onereg_vcpu *st,
				     uint64_t id)
{
	for (uint32_t i = 0; i < st->nr_regs; i++)
		if (st->regs[i].id == id)
			return &st->regs[i];
	return NULL;
}

/* ---- restore ---- */

int onereg_restore_regs(struct vcpu *v, const struct onereg_vcpu *st,
			bool (*skip)(uint64_t id))
{
	int ret = 0;

	for (uint32_t i = 0; i < st->nr_regs && !ret; i++) {
		uint8_t val[ONEREG_MAX_SIZE];
		uint64_t id = st->regs[i].id;

		if (skip && skip(id))
			continue;
		memcpy(val, st->regs[i].val, onereg_size(id));
		ret = onereg_rw(v, true, id, val);
	}
	return ret;
}

int onereg_set_mp_state(struct vcpu *v, uint32_t mp_state)
{
	struct onereg_mp_state mp = {mp_state};
	long r = kvm_vcpu_ioctl(v, SET_MP_STATE, &mp);

	if (r < 0)
		pr_err("vCPU %u: KVM_SET_MP_STATE %u: %s", v->id, mp.mp_state,
		       strerror((int)-r));
	return r < 0 ? (int)r : 0;
}
