/* test_riscv_state.c: riscv snapshot state (registers, HSM, timer, PLIC) against a fake KVM: round trips, restore order, blackout arithmetic, the timebase refusal, corrupt sections. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "kvm.h"
#include "kvm_riscv.h"
#include "log.h"
#include "plic.h"
#include "riscv_state.h"
#include "riscv_vm.h"
#include "sbuf.h"
#include "snapshot_file.h"
#include "util.h"
#include "vm.h"
#include "fake_snap.h"
#include "unit.h"

#define NV	  2
#define MAX_REGS_F 256
#define MAX_CALLS 4096
#define SRC_HZ	  10000000ULL
#define DST_HZ	  25000000ULL
#define NSEC	  1000000000ULL

struct freg {
	uint64_t id;
	uint64_t val;
};

struct fake_cpu {
	struct freg r[MAX_REGS_F];
	unsigned int n;
	uint32_t mp;
};

struct call {
	unsigned int vcpu;
	unsigned long req;
	uint64_t id; /* ONE_REG id, or the MP state */
};

struct fake {
	struct vm vm;
	struct vcpu vcpus[NV];
	struct arch_vm arch;
	struct fake_cpu cpu[NV];
	bool has_list, freq_writable;
	uint64_t hz, cycles, delta; /* time = cycles + delta, VM-wide */
	struct call log[MAX_CALLS];
	unsigned int nlog;
	int irq_level[NV]; /* the PLIC's last notification per hart, or -1 */
	unsigned int nr_notify;
};

static struct fake *fake_of(struct vm *vm)
{
	return container_of(vm, struct fake, vm);
}

static uint64_t reg_size(uint64_t id)
{
	return 1ULL << ((id & KVMR_REG_SIZE_MASK) >> KVMR_REG_SIZE_SHIFT);
}

static struct freg *freg_find(struct fake_cpu *c, uint64_t id)
{
	for (unsigned int i = 0; i < c->n; i++)
		if (c->r[i].id == id)
			return &c->r[i];
	return NULL;
}

static void freg_add(struct fake_cpu *c, uint64_t id, uint64_t val)
{
	c->r[c->n++] = (struct freg){id, val};
}

/* ---- the fake KVM ---- */

long kvm_check_cap(struct vm *vm, unsigned int cap)
{
	return 0;
}

long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return -ENOTTY;
}

long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	return -ENOTTY;
}

long kvm_device_ioctl(int fd, unsigned long req, void *arg)
{
	return -ENOTTY;
}

static long timer_get(struct fake *f, struct fake_cpu *c, uint64_t id,
		      uint64_t *v)
{
	if (id == KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY))
		*v = f->hz;
	else if (id == KVMR_TIMER_ID(KVMR_TIMER_TIME))
		*v = f->cycles + f->delta;
	else
		*v = freg_find(c, id)->val;
	return 0;
}

/* As Linux 6.1: frequency not writable (even with its own value), time
 * VM-wide; zicbom_block_size never writable; stopping a stopped timer
 * refused. */
static long reg_set(struct fake *f, struct fake_cpu *c, uint64_t id,
		    uint64_t v)
{
	struct freg *r = freg_find(c, id);

	if (!r)
		return -EINVAL;
	if (id == KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY)) {
		if (!f->freq_writable)
			return -EOPNOTSUPP;
		f->hz = v;
		return 0;
	}
	if (id == KVMR_TIMER_ID(KVMR_TIMER_TIME)) {
		f->delta = v - f->cycles;
		return 0;
	}
	if (id == KVMR_CONFIG_ID(KVMR_CONFIG_ZICBOM_BLOCK_SIZE))
		return -EOPNOTSUPP;
	if (id == KVMR_TIMER_ID(KVMR_TIMER_STATE) &&
	    v == KVMR_TIMER_STATE_OFF && r->val == KVMR_TIMER_STATE_OFF)
		return -EINVAL; /* a timer that is not running */
	r->val = v;
	return 0;
}

static long reg_list(struct fake *f, struct fake_cpu *c,
		     struct kvmr_reg_list *l)
{
	uint64_t n = l->n;

	if (!f->has_list)
		return -EINVAL;
	l->n = c->n;
	if (n < c->n)
		return -E2BIG;
	for (unsigned int i = 0; i < c->n; i++)
		l->reg[i] = c->r[i].id;
	return 0;
}

long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg)
{
	struct fake *f = fake_of(vcpu->vm);
	struct fake_cpu *c = &f->cpu[vcpu->id];
	struct kvmr_one_reg *o = arg;
	struct kvmr_mp_state *mp = arg;
	uint64_t v = 0;
	long ret;

	if (f->nlog < MAX_CALLS)
		f->log[f->nlog++] = (struct call){
		    vcpu->id, req,
		    req == KVMR_SET_MP_STATE ? mp->mp_state
		    : (req == KVMR_GET_ONE_REG || req == KVMR_SET_ONE_REG)
			? o->id
			: 0};
	switch (req) {
	case KVMR_GET_REG_LIST:
		return reg_list(f, c, arg);
	case KVMR_GET_MP_STATE:
		mp->mp_state = c->mp;
		return 0;
	case KVMR_SET_MP_STATE:
		c->mp = mp->mp_state;
		return 0;
	case KVMR_GET_ONE_REG:
		if (!freg_find(c, o->id))
			return -EINVAL;
		if ((o->id & KVMR_REG_TYPE_MASK) ==
		    KVMR_REG_TYPE(KVMR_REG_TIMER))
			timer_get(f, c, o->id, &v);
		else
			v = freg_find(c, o->id)->val;
		memcpy((void *)(uintptr_t)o->addr, &v, reg_size(o->id));
		return 0;
	case KVMR_SET_ONE_REG:
		memcpy(&v, (void *)(uintptr_t)o->addr, reg_size(o->id));
		ret = reg_set(f, c, o->id, v);
		return ret;
	}
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

static uint64_t past_realtime(void) /* 3 s before the save */
{
	return 1699999997000000000ULL;
}

static const struct riscv_host src_host = {src_realtime};
static const struct riscv_host dst_host = {dst_realtime};
static const struct riscv_host past_host = {past_realtime};

static void notify(void *opaque, unsigned int ctx, bool level)
{
	struct fake *f = opaque;

	f->irq_level[ctx] = level;
	f->nr_notify++;
	if (f->nlog < MAX_CALLS)
		f->log[f->nlog++] =
		    (struct call){ctx, KVMR_INTERRUPT, (uint64_t)level};
}

#define ISA_IMAFDC                                                             \
	(1ULL << 0 | 1ULL << 2 | 1ULL << 3 | 1ULL << 5 | 1ULL << 8 | 1ULL << 12)

/* A Linux 6.1-like vCPU (new: also what 6.6+ adds, and a register list);
 * 'seed' varies the running state, 0 leaves it as a fresh vCPU's. */
static void seed_cpu(struct fake_cpu *c, bool new, uint64_t seed, bool v)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL;

	c->n = 0;
	freg_add(c, KVMR_CONFIG_ID(KVMR_CONFIG_ISA), ISA_IMAFDC);
	freg_add(c, KVMR_CONFIG_ID(KVMR_CONFIG_ZICBOM_BLOCK_SIZE), 64);
	for (unsigned int i = KVMR_CONFIG_MVENDORID; i <= KVMR_CONFIG_MIMPID;
	     i++)
		freg_add(c, KVMR_CONFIG_ID(i), 0);
	for (unsigned int i = 0; i <= KVMR_ISA_EXT_ZICBOM; i++)
		freg_add(c, KVMR_ISA_EXT_ID(i), i != KVMR_ISA_EXT_H);
	if (v || new)
		freg_add(c, KVMR_ISA_EXT_ID(KVMR_ISA_EXT_V), v);
	if (new)
		for (unsigned int i = 0; i <= KVMR_SBI_EXT_DBCN; i++)
			freg_add(c, KVMR_SBI_EXT_SINGLE_ID(i),
				 i != KVMR_SBI_EXT_DBCN);
	for (unsigned int i = 0; i <= KVMR_CORE_MODE; i++)
		freg_add(c, KVMR_CORE_ID(i), seed ? x + i : 0);
	for (unsigned int i = 0; i <= KVMR_CSR_SCOUNTEREN; i++)
		freg_add(c, KVMR_CSR_ID(i), seed ? x ^ (i << 8) : 0);
	if (new)
		freg_add(c, KVMR_CSR_ID(KVMR_CSR_SENVCFG), seed ? x >> 3 : 0);
	/* Both FP views, as KVM has them for a hart with D. */
	for (unsigned int i = 0; i <= KVMR_FP_FCSR; i++)
		freg_add(c, KVMR_FP_F_ID(i), seed ? (uint32_t)(x * 3 + i) : 0);
	for (unsigned int i = 0; i < KVMR_FP_NR; i++)
		freg_add(c, KVMR_FP_D_ID(i), seed ? x * 7 + i : 0);
	freg_add(c, KVMR_FP_D_FCSR_ID, seed ? (uint32_t)(x >> 40) : 0);
	for (unsigned int i = 0; i <= KVMR_TIMER_STATE; i++)
		freg_add(c, KVMR_TIMER_ID(i), 0);
	if (seed) {
		freg_find(c, KVMR_TIMER_ID(KVMR_TIMER_COMPARE))->val =
		    0x123456789 + seed;
		freg_find(c, KVMR_TIMER_ID(KVMR_TIMER_STATE))->val =
		    seed & 1 ? KVMR_TIMER_STATE_ON : KVMR_TIMER_STATE_OFF;
	}
}

static struct fake *fake_new(bool new, uint64_t seed, uint64_t hz)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->vm.vcpus = f->vcpus;
	f->vm.nr_vcpus = NV;
	f->vm.arch = &f->arch;
	f->arch.irqchip = RISCV_IRQCHIP_PLIC;
	f->has_list = new;
	f->hz = hz;
	f->cycles = seed ? 0x1000000000ULL : 0x77;
	f->delta = seed ? 0x5000 : 0;
	for (unsigned int i = 0; i < NV; i++) {
		f->vcpus[i].vm = &f->vm;
		f->vcpus[i].id = i;
		f->irq_level[i] = -1;
		seed_cpu(&f->cpu[i], new, seed ? seed + i : 0, false);
		f->cpu[i].mp = i ? KVMR_MP_STATE_STOPPED
				 : KVMR_MP_STATE_RUNNABLE;
	}
	plic_init(&f->arch.plic, 8, NV, notify, f);
	return f;
}

static void fake_free(struct fake *f)
{
	plic_destroy(&f->arch.plic);
	free(f);
}

static void plic_w(struct plic *p, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	plic_write(p, off, b, 4);
}

static uint32_t plic_r(struct plic *p, uint64_t off)
{
	uint8_t b[4];

	plic_read(p, off, b, 4);
	return get_le32(b);
}

/* Source 3 pending for hart 1, source 5 claimed by hart 0. */
static void seed_plic(struct plic *p)
{
	plic_w(p, 3 * 4, 2);
	plic_w(p, 5 * 4, 6);
	plic_w(p, PLIC_ENABLE_BASE, 1U << 5);
	plic_w(p, PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE, 1U << 3);
	plic_w(p, PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE, 1);
	plic_set_level(p, 5, true);
	CHECK_EQ(plic_r(p, PLIC_CONTEXT_BASE + PLIC_CTX_CLAIM), 5);
	plic_set_level(p, 3, true);
}

/* stderr of one call into a buffer. */
static int capture_begin(char *path)
{
	int saved = dup(2), fd;

	strcpy(path, "/tmp/test_riscv_state.XXXXXX");
	fd = mkstemp(path);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static void capture_end(int saved, char *path, char *buf, size_t len)
{
	int fd;
	ssize_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, len - 1) : -1;
	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static int find_call(const struct fake *f, unsigned int vcpu,
		     unsigned long req, uint64_t id)
{
	for (unsigned int i = 0; i < f->nlog; i++)
		if (f->log[i].vcpu == vcpu && f->log[i].req == req &&
		    f->log[i].id == id)
			return (int)i;
	return -1;
}

static uint64_t regval(struct fake *f, unsigned int v, uint64_t id)
{
	struct freg *r = freg_find(&f->cpu[v], id);

	return r ? r->val : 0xdeadULL;
}

/* ---- tests ---- */

static void test_clock_target(void)
{
	struct riscv_clock s = {1000 * NSEC, 5000, SRC_HZ};
	uint64_t t, b;

	CHECK_EQ(riscv_clock_target(&s, 1010 * NSEC, CLOCK_CATCH_UP, &t, &b),
		 0);
	CHECK_EQ(t, 5000 + 10 * SRC_HZ);
	CHECK_EQ(b, 10 * NSEC);
	CHECK_EQ(riscv_clock_target(&s, 1010 * NSEC, CLOCK_FREEZE, &t, &b), 0);
	CHECK_EQ(t, 5000);
	CHECK_EQ(b, 0);
	/* The wall clock went back: nothing added. */
	CHECK_EQ(riscv_clock_target(&s, 999 * NSEC, CLOCK_CATCH_UP, &t, &b), 1);
	CHECK_EQ(t, 5000);
	CHECK_EQ(b, 0);
	/* Sub-tick blackouts round down: 1 ms at 1 kHz is 1 tick, 999 us 0. */
	s.hz = 1000;
	riscv_clock_target(&s, 1000 * NSEC + 999999, CLOCK_CATCH_UP, &t, &b);
	CHECK_EQ(t, 5000);
	riscv_clock_target(&s, 1000 * NSEC + 1000000, CLOCK_CATCH_UP, &t, &b);
	CHECK_EQ(t, 5001);
	/* The counter wraps as the hardware's does. */
	s.time = UINT64_MAX - 5;
	riscv_clock_target(&s, 1001 * NSEC, CLOCK_CATCH_UP, &t, &b);
	CHECK_EQ(t, 994);
	/* 100 years at 10 GHz against 128-bit arithmetic. */
	s = (struct riscv_clock){7, 0x0123456789abcdefULL, 10000000000ULL};
	{
		uint64_t ns = 100ULL * 365 * 24 * 3600 * NSEC + 123456789;
		unsigned __int128 ref =
		    (unsigned __int128)ns * s.hz / NSEC + s.time;

		riscv_clock_target(&s, 7 + ns, CLOCK_CATCH_UP, &t, &b);
		CHECK_EQ(t, (uint64_t)ref);
		CHECK_EQ(b, ns);
	}
	/* Random blackouts and timebases against the same reference. */
	srand(42);
	for (int i = 0; i < 100000; i++) {
		uint64_t hz = 1000 + (((uint64_t)rand() << 31 | (uint64_t)rand()) %
				      (10000000000ULL - 1000));
		uint64_t ns = ((uint64_t)rand() << 32 | (uint64_t)rand()) >>
			      (rand() % 40);
		uint64_t now;

		s = (struct riscv_clock){(uint64_t)rand(),
					 (uint64_t)rand() << 33, hz};
		now = s.realtime_ns + ns;
		if (now < s.realtime_ns)
			continue;
		riscv_clock_target(&s, now, CLOCK_CATCH_UP, &t, &b);
		CHECK_EQ(t, (uint64_t)((unsigned __int128)ns * hz / NSEC +
				       s.time));
		if (unit_failures)
			break;
	}
	/* Out-of-range timebases are refused. */
	s.hz = 0;
	CHECK_EQ(riscv_clock_target(&s, 0, CLOCK_FREEZE, &t, &b), -EINVAL);
	s.hz = 999;
	CHECK_EQ(riscv_clock_target(&s, 0, CLOCK_FREEZE, &t, &b), -EINVAL);
	s.hz = 10000000001ULL;
	CHECK_EQ(riscv_clock_target(&s, 0, CLOCK_FREEZE, &t, &b), -EINVAL);
}

/* Every register the restore must carry over (not the timer, not the
 * FP_F view, which shares FP_D's state). */
static bool carried(uint64_t id)
{
	uint64_t t = id & KVMR_REG_TYPE_MASK;

	return t != KVMR_REG_TYPE(KVMR_REG_TIMER) &&
	       t != KVMR_REG_TYPE(KVMR_REG_FP_F);
}

static void round_trip(bool new, enum clock_mode mode)
{
	struct fake *src = fake_new(new, 11, SRC_HZ);
	struct fake *dst = fake_new(new, 0, SRC_HZ);
	struct restore_opts o = {.clock = mode};
	struct snap_writer w = {.n = 0};
	struct snap_reader r = {&w};
	uint64_t saved_time;
	int i_time, i_cmp0, i_state0, i_cmp1, i_mp, i_sip, i_irq;

	src->cpu[1].mp = KVMR_MP_STATE_RUNNABLE;
	src->cpu[0].mp = KVMR_MP_STATE_STOPPED; /* hart 0 stopped itself */
	seed_plic(&src->arch.plic);
	saved_time = src->cycles + src->delta;
	CHECK_EQ(riscv_state_save(&src->vm, &w, &src_host), 0);
	CHECK_EQ(w.n, NV + 1);
	dst->nlog = 0;
	CHECK_EQ(riscv_state_restore(&dst->vm, &r, &o, &dst_host), 0);

	for (unsigned int v = 0; v < NV; v++) {
		for (unsigned int k = 0; k < src->cpu[v].n; k++) {
			uint64_t id = src->cpu[v].r[k].id;

			if (!carried(id))
				continue;
			CHECK_EQ(regval(dst, v, id), src->cpu[v].r[k].val);
			if (regval(dst, v, id) != src->cpu[v].r[k].val)
				fprintf(stderr, "  vCPU %u reg 0x%016" PRIx64
					"\n", v, id);
		}
		CHECK_EQ(dst->cpu[v].mp, src->cpu[v].mp);
		CHECK_EQ(regval(dst, v, KVMR_TIMER_ID(KVMR_TIMER_COMPARE)),
			 regval(src, v, KVMR_TIMER_ID(KVMR_TIMER_COMPARE)));
		CHECK_EQ(regval(dst, v, KVMR_TIMER_ID(KVMR_TIMER_STATE)),
			 regval(src, v, KVMR_TIMER_ID(KVMR_TIMER_STATE)));
		/* The FP_F view is never written (it would clobber FP_D). */
		CHECK_EQ(find_call(dst, v, KVMR_SET_ONE_REG, KVMR_FP_F_ID(0)),
			 -1);
	}
	/* Guest time: the blackout of 10 s in ticks, or nothing. */
	CHECK_EQ(dst->cycles + dst->delta,
		 saved_time + (mode == CLOCK_CATCH_UP ? 10 * SRC_HZ : 0));
	/* Shape registers equal to the new vCPU's are not written (6.1
	 * refuses zicbom_block_size writes); the others are. */
	CHECK_EQ(find_call(dst, 0, KVMR_SET_ONE_REG,
			   KVMR_CONFIG_ID(KVMR_CONFIG_ZICBOM_BLOCK_SIZE)),
		 -1);
	CHECK_EQ(find_call(dst, 0, KVMR_SET_ONE_REG,
			   KVMR_CONFIG_ID(KVMR_CONFIG_ISA)),
		 -1);
	if (new)
		CHECK(find_call(dst, 1, KVMR_SET_ONE_REG,
				KVMR_SBI_EXT_SINGLE_ID(KVMR_SBI_EXT_V01)) < 0);
	/* Order: time once (vCPU 0), then each vCPU's compare before its
	 * state, MP state after the timer, the PLIC lines after sip. */
	i_time = find_call(dst, 0, KVMR_SET_ONE_REG,
			   KVMR_TIMER_ID(KVMR_TIMER_TIME));
	i_cmp0 = find_call(dst, 0, KVMR_SET_ONE_REG,
			   KVMR_TIMER_ID(KVMR_TIMER_COMPARE));
	i_state0 = find_call(dst, 0, KVMR_SET_ONE_REG,
			     KVMR_TIMER_ID(KVMR_TIMER_STATE));
	i_cmp1 = find_call(dst, 1, KVMR_SET_ONE_REG,
			   KVMR_TIMER_ID(KVMR_TIMER_COMPARE));
	i_mp = find_call(dst, 1, KVMR_SET_MP_STATE, KVMR_MP_STATE_RUNNABLE);
	i_sip = find_call(dst, 1, KVMR_SET_ONE_REG, KVMR_CSR_ID(KVMR_CSR_SIP));
	i_irq = find_call(dst, 1, KVMR_INTERRUPT, 1);
	CHECK(i_time >= 0 && i_cmp0 > i_time && i_state0 > i_cmp0 &&
	      i_cmp1 > i_state0 && i_mp > i_cmp1 && i_sip >= 0 &&
	      i_irq > i_sip && i_irq > i_mp);
	CHECK_EQ(find_call(dst, 1, KVMR_SET_ONE_REG,
			   KVMR_TIMER_ID(KVMR_TIMER_TIME)),
		 -1);
	CHECK_EQ(find_call(dst, 0, KVMR_SET_ONE_REG,
			   KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY)),
		 -1);
	/* The PLIC: both harts told their line (1 has source 3 pending,
	 * 0's source 5 is in service), and the registers as saved. */
	CHECK_EQ(dst->irq_level[0], 0);
	CHECK_EQ(dst->irq_level[1], 1);
	CHECK_EQ(plic_r(&dst->arch.plic, 5 * 4), 6);
	CHECK_EQ(plic_r(&dst->arch.plic, PLIC_PENDING_BASE), 1U << 3);
	CHECK_EQ(plic_r(&dst->arch.plic,
			PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE +
			    PLIC_CTX_CLAIM),
		 3);
	/* Completing 5 on hart 0: its line is still high, so it is
	 * pending again, as on the source. */
	plic_w(&dst->arch.plic, PLIC_CONTEXT_BASE + PLIC_CTX_CLAIM, 5);
	plic_w(&src->arch.plic, PLIC_CONTEXT_BASE + PLIC_CTX_CLAIM, 5);
	CHECK_EQ(dst->irq_level[0], 1);
	CHECK_EQ(src->irq_level[0], 1);
	writer_free(&w);
	fake_free(src);
	fake_free(dst);
}

/* The known set on a 6.1-like KVM: what it saves. */
static void test_known_set(void)
{
	struct fake *src = fake_new(false, 3, SRC_HZ);
	struct snap_writer w = {.n = 0};
	struct sec *s;
	uint32_t n;

	CHECK_EQ(riscv_state_save(&src->vm, &w, &src_host), 0);
	s = find_sec(&w, SNAP_SEC_ARCH_VCPU, 0);
	CHECK(s != NULL);
	/* header 8, MP_STATE record 12, REGS record header 8, then n. */
	n = get_le32(s->data + 28);
	/* isa, zicbom, 3 ids, ISA_EXT a..zicbom (12), 33 core, 10 CSRs,
	 * 33 FP_D, 4 timer. */
	CHECK_EQ(n, 1 + 1 + 3 + 12 + 33 + 10 + 33 + 4);
	writer_free(&w);
	/* The V extension without a register list cannot be saved. */
	freg_add(&src->cpu[1], KVMR_ISA_EXT_ID(KVMR_ISA_EXT_V), 1);
	{
		int q = quiet_begin(), ret;

		ret = riscv_state_save(&src->vm, &w, &src_host);
		quiet_end(q);
		CHECK_EQ(ret, -ENOTSUP);
	}
	writer_free(&w);
	/* Nor the in-kernel AIA. */
	src->arch.irqchip = RISCV_IRQCHIP_AIA;
	{
		int q = quiet_begin(), ret;

		ret = riscv_state_save(&src->vm, &w, &src_host);
		quiet_end(q);
		CHECK_EQ(ret, -ENOTSUP);
	}
	CHECK_EQ(w.n, 0);
	writer_free(&w);
	fake_free(src);
}

/* A different timebase: set through KVM where it accepts the write,
 * else refused naming both (before any register is written), unless
 * allowed. */
static void test_timebase(void)
{
	struct fake *src = fake_new(true, 5, SRC_HZ);
	struct snap_writer w = {.n = 0};
	struct snap_reader r = {&w};
	struct restore_opts o = {.clock = CLOCK_CATCH_UP};
	struct fake *dst;
	char path[64], msg[1024];
	uint64_t saved_time = src->cycles + src->delta;
	int saved, ret;

	CHECK_EQ(riscv_state_save(&src->vm, &w, &src_host), 0);

	dst = fake_new(true, 0, DST_HZ);
	dst->nlog = 0;
	saved = capture_begin(path);
	CHECK_EQ(riscv_state_restore(&dst->vm, &r, &o, &dst_host), -ENOTSUP);
	capture_end(saved, path, msg, sizeof(msg));
	CHECK(strstr(msg, "10000000 Hz") != NULL);
	CHECK(strstr(msg, "25000000 Hz") != NULL);
	CHECK(strstr(msg, "--allow-timebase-mismatch") != NULL);
	for (unsigned int i = 0; i < dst->nlog; i++)
		CHECK(dst->log[i].req != KVMR_SET_ONE_REG ||
		      dst->log[i].id == KVMR_TIMER_ID(KVMR_TIMER_FREQUENCY));
	CHECK_EQ(dst->cpu[1].mp, KVMR_MP_STATE_STOPPED);
	CHECK_EQ(regval(dst, 0, KVMR_CORE_ID(KVMR_CORE_PC)), 0);
	fake_free(dst);

	/* Allowed: restored, the blackout counted in the saved timebase
	 * (the one the guest was told). */
	dst = fake_new(true, 0, DST_HZ);
	o.allow_timebase_mismatch = true;
	saved = quiet_begin();
	ret = riscv_state_restore(&dst->vm, &r, &o, &dst_host);
	quiet_end(saved);
	CHECK_EQ(ret, 0);
	CHECK_EQ(dst->hz, DST_HZ);
	CHECK_EQ(dst->cycles + dst->delta, saved_time + 10 * SRC_HZ);
	CHECK_EQ(regval(dst, 0, KVMR_CORE_ID(KVMR_CORE_PC)),
		 regval(src, 0, KVMR_CORE_ID(KVMR_CORE_PC)));
	fake_free(dst);

	/* A KVM that can set it: set, no option needed. */
	dst = fake_new(true, 0, DST_HZ);
	dst->freq_writable = true;
	o.allow_timebase_mismatch = false;
	CHECK_EQ(riscv_state_restore(&dst->vm, &r, &o, &dst_host), 0);
	CHECK_EQ(dst->hz, SRC_HZ);
	fake_free(dst);

	/* The wall clock behind the save: catch-up adds nothing. */
	dst = fake_new(true, 0, SRC_HZ);
	saved = quiet_begin();
	ret = riscv_state_restore(&dst->vm, &r, &o, &past_host);
	quiet_end(saved);
	CHECK_EQ(ret, 0);
	CHECK_EQ(dst->cycles + dst->delta, saved_time);
	fake_free(dst);
	writer_free(&w);
	fake_free(src);
}

/* A shape the new vCPU cannot take (an extension this host lacks) is
 * refused with the register named. */
static void test_shape_refused(void)
{
	struct fake *src = fake_new(true, 5, SRC_HZ);
	struct fake *dst = fake_new(true, 0, SRC_HZ);
	struct snap_writer w = {.n = 0};
	struct snap_reader r = {&w};
	struct restore_opts o = {.clock = CLOCK_FREEZE};
	char path[64], msg[1024];
	int saved;

	freg_find(&src->cpu[0], KVMR_ISA_EXT_ID(KVMR_ISA_EXT_V))->val = 1;
	/* The destination has no V at all. */
	freg_find(&dst->cpu[0], KVMR_ISA_EXT_ID(KVMR_ISA_EXT_V))->id =
	    KVMR_ISA_EXT_ID(KVMR_ISA_EXT_KNOWN);
	CHECK_EQ(riscv_state_save(&src->vm, &w, &src_host), 0);
	saved = capture_begin(path);
	CHECK(riscv_state_restore(&dst->vm, &r, &o, &dst_host) < 0);
	capture_end(saved, path, msg, sizeof(msg));
	CHECK(strstr(msg, "ISA_EXT register 0x803000000700000f") != NULL);
	CHECK(strstr(msg, "does not have it") != NULL);
	writer_free(&w);
	fake_free(src);
	fake_free(dst);
}

/* Truncations and bit flips of every byte of each section: refused or
 * restored, never a crash (run under the sanitizers by make check's
 * fuzz build flags where enabled); truncations are always refused. */
static void test_corrupt(void)
{
	struct fake *src = fake_new(true, 9, SRC_HZ);
	struct snap_writer w = {.n = 0};
	struct snap_reader r = {&w};
	struct restore_opts o = {.clock = CLOCK_FREEZE};
	unsigned int refused = 0, tries = 0;
	int q;

	seed_plic(&src->arch.plic);
	CHECK_EQ(riscv_state_save(&src->vm, &w, &src_host), 0);
	q = quiet_begin();
	for (unsigned int s = 0; s < w.n; s++) {
		size_t len = w.s[s].len;

		for (size_t cut = 0; cut < len; cut++) {
			struct fake *dst = fake_new(true, 0, SRC_HZ);

			w.s[s].len = cut;
			tries++;
			if (riscv_state_restore(&dst->vm, &r, &o, &dst_host))
				refused++;
			w.s[s].len = len;
			fake_free(dst);
		}
	}
	quiet_end(q);
	CHECK_EQ(refused, tries);
	/* Specific fields: an unknown MP state, a register of another arch,
	 * a PLIC priority above 7, a timebase of 0. */
	{
		struct sec *v0 = find_sec(&w, SNAP_SEC_ARCH_VCPU, 0);
		struct sec *vm = find_sec(&w, SNAP_SEC_ARCH_VM, 0);
		struct fake *dst;
		int ret;
		/* ARCH_VCPU: MP_STATE's value at 16, the first register id
		 * at 32. ARCH_VM: CLOCK's hz at 32, IRQCHIP's value at 48,
		 * the PLIC record at 60 (source 3's priority at 76). */
		static const struct {
			int vcpu;
			size_t off;
			uint8_t x;
		} flips[] = {
		    {1, 16, 0x01}, {1, 39, 0x40}, {0, 39, 0xff},
		    {0, 48, 0x01}, {0, 76, 0x08},
		};

		for (size_t i = 0; i < ARRAY_SIZE(flips); i++) {
			struct sec *s = flips[i].vcpu ? v0 : vm;

			s->data[flips[i].off] ^= flips[i].x;
			dst = fake_new(true, 0, SRC_HZ);
			q = quiet_begin();
			ret = riscv_state_restore(&dst->vm, &r, &o, &dst_host);
			quiet_end(q);
			CHECK_EQ(ret, -EINVAL);
			if (ret != -EINVAL)
				fprintf(stderr, "  flip %zu not refused\n", i);
			s->data[flips[i].off] ^= flips[i].x;
			fake_free(dst);
		}
	}
	/* A missing vCPU section, and one vCPU too many in this VM. */
	{
		struct fake *dst = fake_new(true, 0, SRC_HZ);
		struct sec *v1 = find_sec(&w, SNAP_SEC_ARCH_VCPU, 1);

		int r1, r2;

		v1->inst = 2;
		q = quiet_begin();
		r1 = riscv_state_restore(&dst->vm, &r, &o, &dst_host);
		v1->inst = 1;
		dst->vm.nr_vcpus = 1;
		r2 = riscv_state_restore(&dst->vm, &r, &o, &dst_host);
		quiet_end(q);
		CHECK_EQ(r1, -EINVAL);
		CHECK_EQ(r2, -EINVAL);
		dst->vm.nr_vcpus = NV;
		CHECK_EQ(riscv_state_restore(&dst->vm, &r, &o, &dst_host), 0);
		fake_free(dst);
	}
	writer_free(&w);
	fake_free(src);
}

/* The PLIC record alone: refused for another shape or bad values. */
static void test_plic_record(void)
{
	struct fake *a = fake_new(false, 0, SRC_HZ);
	struct plic other;
	struct sbuf b;
	char err[160];

	seed_plic(&a->arch.plic);
	sbuf_init(&b);
	plic_save(&a->arch.plic, &b);
	plic_init(&other, 9, NV, NULL, NULL);
	CHECK_EQ(plic_restore(&other, b.data, b.len, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "8 sources") != NULL);
	plic_destroy(&other);
	plic_init(&other, 8, NV, NULL, NULL);
	CHECK_EQ(plic_restore(&other, b.data, b.len - 1, err, sizeof(err)),
		 -EINVAL);
	b.data[8 + 4 * 2] = 8; /* source 3's priority */
	CHECK_EQ(plic_restore(&other, b.data, b.len, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "source 3") != NULL);
	b.data[8 + 4 * 2] = 2;
	b.data[8 + 4 * 8 + 1] = 0x02; /* level bit 9: no such source */
	CHECK_EQ(plic_restore(&other, b.data, b.len, err, sizeof(err)),
		 -EINVAL);
	b.data[8 + 4 * 8 + 1] = 0;
	CHECK_EQ(plic_restore(&other, b.data, b.len, err, sizeof(err)), 0);
	CHECK_EQ(plic_r(&other, PLIC_PENDING_BASE), 1U << 3);
	plic_destroy(&other);
	sbuf_free(&b);
	fake_free(a);
}

int main(void)
{
	log_set_level(LOG_WARN);
	test_clock_target();
	round_trip(false, CLOCK_CATCH_UP);
	round_trip(false, CLOCK_FREEZE);
	round_trip(true, CLOCK_CATCH_UP);
	round_trip(true, CLOCK_FREEZE);
	test_known_set();
	test_timebase();
	test_shape_refused();
	test_corrupt();
	test_plic_record();
	return unit_done("riscv_state");
}
