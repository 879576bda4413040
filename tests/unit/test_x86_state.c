/* test_x86_state.c: x86 snapshot state against a fake KVM. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "kvm.h"
#include "kvm_x86.h"
#include "snapshot_file.h"
#include "state.h"
#include "util.h"
#include "vm.h"
#include "fake_snap.h"
#include "unit.h"

#define NV	  2
#define MAX_CALLS 512
#define NCPUID	  5
#define TSC_MSR	  0x10
#define DL_MSR	  0x6e0

/* What KVM_GET_MSR_INDEX_LIST lists; the vCPU reads only the first set. */
static const uint32_t readable_msrs[] = {
    TSC_MSR, 0x174,  0x175,	 0x176,	     0x1a0,	 0x277,
    0x3b,    DL_MSR, 0xc0000081, 0xc0000102, 0x4b564d01,
};
static const uint32_t listed_msrs[] = {
    TSC_MSR, 0x174, 0x40000020, 0x175,	    0x176,	0x1a0,	    0x4b564d05,
    0x277,   0x3b,  DL_MSR,	0xc0000081, 0xc0000102, 0x4b564d01, 0x40000073,
};
#define NMSR ARRAY_SIZE(readable_msrs)

struct fake_cpu {
	struct kvmx_mp_state mp;
	struct kvmx_regs regs;
	struct kvmx_sregs sregs;
	struct kvmx_sregs2 sregs2;
	uint8_t xsave[KVMX_XSAVE_SIZE];
	struct kvmx_fpu fpu;
	struct kvmx_xcrs xcrs;
	struct kvmx_debugregs dregs;
	struct kvmx_lapic_state lapic;
	struct kvmx_vcpu_events ev;
	uint64_t msr[NMSR];
	struct kvmx_cpuid_entry2 cpuid[NCPUID];
	uint32_t ncpuid;
	uint32_t khz;
	uint64_t tsc_ofs;
};

struct call {
	char who; /* 's'ystem, 'v'm, 'c'pu */
	unsigned int id;
	unsigned long req;
	uint64_t aux; /* SET_MSRS: first index; IRQCHIP: chip; CLOCK: flags */
};

struct fake {
	struct vm vm;
	struct vcpu vcpus[NV];
	struct fake_cpu cpu[NV];
	long caps[256];
	bool has_attr;
	long set_khz_ret;
	long vm_khz; /* KVM_GET_TSC_KHZ on the VM fd (VM_TSC_CONTROL) */
	struct kvmx_pic_state pic[2];
	struct kvmx_ioapic_state ioapic;
	struct kvmx_pit_state2 pit;
	struct kvmx_clock_data clock;	  /* what GET_CLOCK returns */
	struct kvmx_clock_data set_clock; /* the last SET_CLOCK */
	struct call log[MAX_CALLS];
	unsigned int nlog;
	unsigned int get_msrs_calls[NV];
};

static struct fake *fake_of(struct vm *vm)
{
	return container_of(vm, struct fake, vm);
}

static void record(struct fake *f, char who, unsigned int id, unsigned long req,
		   uint64_t aux)
{
	if (f->nlog < MAX_CALLS)
		f->log[f->nlog++] = (struct call){who, id, req, aux};
}

static int msr_slot(uint32_t index)
{
	for (size_t i = 0; i < NMSR; i++)
		if (readable_msrs[i] == index)
			return (int)i;
	return -1;
}

/* ---- the fake KVM: the four wrappers of include/kvm.h ---- */

long kvm_check_cap(struct vm *vm, unsigned int cap)
{
	return cap < 256 ? fake_of(vm)->caps[cap] : 0;
}

long kvm_sys_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	struct kvmx_msr_list *l = arg;
	uint32_t n = ARRAY_SIZE(listed_msrs);

	record(fake_of(vm), 's', 0, req, 0);
	if (req != KVMX_GET_MSR_INDEX_LIST)
		return -ENOTTY;
	if (l->nmsrs < n) {
		l->nmsrs = n;
		return -E2BIG;
	}
	l->nmsrs = n;
	memcpy(l->indices, listed_msrs, sizeof(listed_msrs));
	return 0;
}

long kvm_vm_ioctl(struct vm *vm, unsigned long req, void *arg)
{
	struct fake *f = fake_of(vm);
	struct kvmx_irqchip *ic = arg;
	struct kvmx_clock_data *cd = arg;
	uint64_t aux = 0;
	long ret = 0;

	switch (req) {
	case KVMX_GET_IRQCHIP:
	case KVMX_SET_IRQCHIP:
		aux = ic->chip_id;
		if (ic->chip_id > KVMX_IRQCHIP_IOAPIC)
			return -EINVAL;
		if (ic->chip_id == KVMX_IRQCHIP_IOAPIC &&
		    req == KVMX_GET_IRQCHIP)
			ic->chip.ioapic = f->ioapic;
		else if (ic->chip_id == KVMX_IRQCHIP_IOAPIC)
			f->ioapic = ic->chip.ioapic;
		else if (req == KVMX_GET_IRQCHIP)
			ic->chip.pic = f->pic[ic->chip_id];
		else
			f->pic[ic->chip_id] = ic->chip.pic;
		break;
	case KVMX_GET_PIT2:
		memcpy(arg, &f->pit, sizeof(f->pit));
		break;
	case KVMX_SET_PIT2:
		memcpy(&f->pit, arg, sizeof(f->pit));
		break;
	case KVMX_GET_CLOCK:
		*cd = f->clock;
		break;
	case KVMX_GET_TSC_KHZ:
		ret = f->vm_khz;
		break;
	case KVMX_SET_CLOCK:
		aux = cd->flags;
		if (cd->flags & ~KVMX_CLOCK_REALTIME)
			return -EINVAL;
		f->set_clock = *cd;
		break;
	default:
		ret = -ENOTTY;
	}
	record(f, 'v', 0, req, aux);
	return ret;
}

static long cpu_msrs(struct fake_cpu *c, struct kvmx_msrs *m, bool set)
{
	uint32_t i;

	for (i = 0; i < m->nmsrs; i++) {
		int s = msr_slot(m->entries[i].index);

		if (s < 0)
			break;
		if (set)
			c->msr[s] = m->entries[i].data;
		else
			m->entries[i].data = c->msr[s];
	}
	return i;
}

static long cpu_cpuid(struct fake_cpu *c, struct kvmx_cpuid2 *p, bool set)
{
	if (set) {
		if (p->nent > NCPUID)
			return -E2BIG;
		c->ncpuid = p->nent;
		memcpy(c->cpuid, p->entries, p->nent * sizeof(c->cpuid[0]));
		return 0;
	}
	if (p->nent < c->ncpuid) {
		p->nent = c->ncpuid;
		return -E2BIG;
	}
	p->nent = c->ncpuid;
	memcpy(p->entries, c->cpuid, c->ncpuid * sizeof(c->cpuid[0]));
	return 0;
}

#define COPY_OUT(field) (memcpy(arg, &c->field, sizeof(c->field)), 0)
#define COPY_IN(field)	(memcpy(&c->field, arg, sizeof(c->field)), 0)

static long cpu_ioctl(struct fake *f, unsigned int id, unsigned long req,
		      void *arg)
{
	struct fake_cpu *c = &f->cpu[id];
	struct kvmx_device_attr *a = arg;

	switch (req) {
	case KVMX_GET_MP_STATE:
		return COPY_OUT(mp);
	case KVMX_SET_MP_STATE:
		return COPY_IN(mp);
	case KVMX_GET_REGS:
		return COPY_OUT(regs);
	case KVMX_SET_REGS:
		return COPY_IN(regs);
	case KVMX_GET_SREGS:
		return COPY_OUT(sregs);
	case KVMX_SET_SREGS:
		return COPY_IN(sregs);
	case KVMX_GET_SREGS2:
		return COPY_OUT(sregs2);
	case KVMX_SET_SREGS2:
		return COPY_IN(sregs2);
	case KVMX_GET_XSAVE:
		return COPY_OUT(xsave);
	case KVMX_GET_XSAVE2:
		return COPY_OUT(xsave);
	case KVMX_SET_XSAVE:
		return COPY_IN(xsave);
	case KVMX_GET_FPU:
		return COPY_OUT(fpu);
	case KVMX_SET_FPU:
		return COPY_IN(fpu);
	case KVMX_GET_XCRS:
		return COPY_OUT(xcrs);
	case KVMX_SET_XCRS:
		return COPY_IN(xcrs);
	case KVMX_GET_DEBUGREGS:
		return COPY_OUT(dregs);
	case KVMX_SET_DEBUGREGS:
		return COPY_IN(dregs);
	case KVMX_GET_LAPIC:
		return COPY_OUT(lapic);
	case KVMX_SET_LAPIC:
		return COPY_IN(lapic);
	case KVMX_GET_VCPU_EVENTS:
		return COPY_OUT(ev);
	case KVMX_SET_VCPU_EVENTS:
		return COPY_IN(ev);
	case KVMX_GET_MSRS:
		f->get_msrs_calls[id]++;
		return cpu_msrs(c, arg, false);
	case KVMX_SET_MSRS:
		return cpu_msrs(c, arg, true);
	case KVMX_GET_CPUID2:
		return cpu_cpuid(c, arg, false);
	case KVMX_SET_CPUID2:
		return cpu_cpuid(c, arg, true);
	case KVMX_GET_TSC_KHZ:
		return c->khz;
	case KVMX_SET_TSC_KHZ:
		if (f->set_khz_ret < 0)
			return f->set_khz_ret;
		c->khz = (uint32_t)(uintptr_t)arg;
		return 0;
	case KVMX_HAS_DEVICE_ATTR:
		return f->has_attr && a->group == KVMX_VCPU_TSC_CTRL &&
			       a->attr == KVMX_VCPU_TSC_OFFSET
			   ? 0
			   : -ENXIO;
	case KVMX_GET_DEVICE_ATTR:
		memcpy((void *)(uintptr_t)a->addr, &c->tsc_ofs, 8);
		return 0;
	case KVMX_SET_DEVICE_ATTR:
		memcpy(&c->tsc_ofs, (void *)(uintptr_t)a->addr, 8);
		return 0;
	case KVMX_KVMCLOCK_CTRL:
		return id == 1 ? -EINVAL : 0; /* vCPU 1: no kvmclock */
	default:
		return -ENOTTY;
	}
}

long kvm_vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg)
{
	struct fake *f = fake_of(vcpu->vm);
	long ret = cpu_ioctl(f, vcpu->id, req, arg);
	uint64_t aux = 0;

	if (req == KVMX_SET_MSRS || req == KVMX_GET_MSRS)
		aux = ((struct kvmx_msrs *)arg)->entries[0].index;
	record(f, 'c', vcpu->id, req, aux);
	return ret;
}

/* ---- set-up ---- */

static void fill(void *p, size_t n, unsigned int seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static struct fake *fake_new(bool seeded)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->vm.vcpus = f->vcpus;
	f->vm.nr_vcpus = NV;
	for (unsigned int i = 0; i < NV; i++) {
		struct fake_cpu *c = &f->cpu[i];

		f->vcpus[i] = (struct vcpu){.vm = &f->vm, .id = i, .fd = -1};
		c->khz = 2700000;
		c->ncpuid = NCPUID;
		if (!seeded)
			continue;
		c->mp.mp_state = i ? KVMX_MP_STATE_HALTED : 0;
		fill(&c->regs, sizeof(c->regs), 10 + i);
		fill(&c->sregs2, sizeof(c->sregs2), 20 + i);
		fill(c->xsave, sizeof(c->xsave), 30 + i);
		fill(&c->xcrs, sizeof(c->xcrs), 40 + i);
		fill(&c->dregs, sizeof(c->dregs), 50 + i);
		fill(&c->lapic, sizeof(c->lapic), 60 + i);
		fill(&c->ev, sizeof(c->ev), 70 + i);
		fill(c->cpuid, sizeof(c->cpuid), 80 + i);
		for (size_t m = 0; m < NMSR; m++)
			c->msr[m] = 0x1000 * (i + 1) + m;
		c->msr[0] = 5000000000ULL + i; /* IA32_TSC */
		c->tsc_ofs = (uint64_t)-1000000 - i;
	}
	f->caps[KVMX_CAP_SREGS2] = 1;
	f->caps[KVMX_CAP_XSAVE] = 1;
	f->caps[KVMX_CAP_XSAVE2] = KVMX_XSAVE_SIZE;
	f->caps[KVMX_CAP_XCRS] = 1;
	f->caps[KVMX_CAP_DEBUGREGS] = 1;
	f->caps[KVMX_CAP_VCPU_EVENTS] = 1;
	f->caps[KVMX_CAP_PIT_STATE2] = 1;
	f->caps[KVMX_CAP_GET_TSC_KHZ] = 1;
	f->caps[KVMX_CAP_KVMCLOCK_CTRL] = 1;
	f->caps[KVMX_CAP_VCPU_ATTRIBUTES] = 1;
	f->caps[KVMX_CAP_ADJUST_CLOCK] =
	    KVMX_CLOCK_TSC_STABLE | KVMX_CLOCK_REALTIME | KVMX_CLOCK_HOST_TSC;
	f->has_attr = true;
	f->clock.flags =
	    KVMX_CLOCK_TSC_STABLE | KVMX_CLOCK_REALTIME | KVMX_CLOCK_HOST_TSC;
	if (seeded) {
		fill(f->pic, sizeof(f->pic), 90);
		fill(&f->ioapic, sizeof(f->ioapic), 91);
		fill(&f->pit, sizeof(f->pit), 92);
		f->clock.clock = 100000000000ULL; /* 100 s */
		f->clock.realtime = 1700000000000000000ULL;
		f->clock.host_tsc = 9000000000ULL;
	} else { /* the destination, after the downtime */
		f->clock.clock = 110000000000ULL; /* what KVM made it */
		f->clock.realtime = 1700000010000000000ULL;
		f->clock.host_tsc = 4000000000ULL; /* rebooted host */
	}
	return f;
}

static const struct x86_restore_opts catchup = {X86_CLOCK_CATCHUP, false};
static const struct x86_restore_opts freeze = {X86_CLOCK_FREEZE, false};

static int restore(struct fake *dst, struct snap_writer *w,
		   const struct x86_restore_opts *o)
{
	struct snap_reader r = {w};

	dst->nlog = 0;
	return x86_snapshot_restore(&dst->vm, &r, o);
}

/* ---- checks ---- */

/* How many calls changed state. */
static unsigned int n_sets(const struct fake *f)
{
	static const unsigned long setters[] = {
	    KVMX_SET_CPUID2,	  KVMX_SET_TSC_KHZ,	KVMX_SET_MP_STATE,
	    KVMX_SET_REGS,	  KVMX_SET_SREGS,	KVMX_SET_SREGS2,
	    KVMX_SET_XSAVE,	  KVMX_SET_FPU,		KVMX_SET_XCRS,
	    KVMX_SET_DEBUGREGS,	  KVMX_SET_LAPIC,	KVMX_SET_MSRS,
	    KVMX_SET_IRQCHIP,	  KVMX_SET_PIT2,	KVMX_SET_CLOCK,
	    KVMX_SET_DEVICE_ATTR, KVMX_SET_VCPU_EVENTS, KVMX_KVMCLOCK_CTRL,
	};
	unsigned int n = 0;

	for (unsigned int i = 0; i < f->nlog; i++)
		for (size_t k = 0; k < ARRAY_SIZE(setters); k++)
			if (f->log[i].req == setters[k] &&
			    (f->log[i].who == 'c') ==
				(setters[k] != KVMX_SET_IRQCHIP &&
				 setters[k] != KVMX_SET_PIT2 &&
				 setters[k] != KVMX_SET_CLOCK))
				n++;
	return n;
}

struct step {
	char who;
	int id; /* < 0: a group, repeated for each vCPU in turn */
	unsigned long req;
};

/* The log must be exactly 'steps', with per-vCPU groups expanded. */
static void check_order(const struct fake *f, const struct step *steps,
			size_t n)
{
	unsigned int at = 0;

	for (size_t i = 0; i < n;) {
		size_t j = i;

		if (steps[i].id >= 0) {
			j = i + 1;
			CHECK(at < f->nlog);
			if (at < f->nlog) {
				CHECK_EQ(f->log[at].who, steps[i].who);
				CHECK_EQ(f->log[at].id, steps[i].id);
				CHECK_EQ(f->log[at].req, steps[i].req);
				if (f->log[at].req != steps[i].req)
					fprintf(stderr, "  at call %u\n", at);
			}
			at++;
			i = j;
			continue;
		}
		while (j < n && steps[j].id == steps[i].id)
			j++;
		for (unsigned int v = 0; v < NV; v++)
			for (size_t k = i; k < j; k++, at++) {
				CHECK(at < f->nlog);
				if (at >= f->nlog)
					continue;
				CHECK_EQ(f->log[at].id, v);
				CHECK_EQ(f->log[at].req, steps[k].req);
				if (f->log[at].req != steps[k].req)
					fprintf(stderr, "  at call %u\n", at);
			}
		i = j;
	}
	CHECK_EQ(at, f->nlog);
}

static void check_same_cpu(const struct fake_cpu *a, const struct fake_cpu *b,
			   bool tsc_too)
{
	CHECK(!memcmp(&a->mp, &b->mp, sizeof(a->mp)));
	CHECK(!memcmp(&a->regs, &b->regs, sizeof(a->regs)));
	CHECK(!memcmp(&a->sregs2, &b->sregs2, sizeof(a->sregs2)));
	CHECK(!memcmp(a->xsave, b->xsave, sizeof(a->xsave)));
	CHECK(!memcmp(&a->xcrs, &b->xcrs, sizeof(a->xcrs)));
	CHECK(!memcmp(&a->dregs, &b->dregs, sizeof(a->dregs)));
	CHECK(!memcmp(&a->lapic, &b->lapic, sizeof(a->lapic)));
	CHECK(!memcmp(&a->ev, &b->ev, sizeof(a->ev)));
	CHECK_EQ(a->ncpuid, b->ncpuid);
	CHECK(!memcmp(a->cpuid, b->cpuid, sizeof(a->cpuid)));
	for (size_t m = tsc_too ? 0 : 1; m < NMSR; m++)
		CHECK_EQ(a->msr[m], b->msr[m]);
}

static void test_save(struct fake *src, struct snap_writer *w)
{
	static const struct step order[] = {
	    {'s', 0, KVMX_GET_MSR_INDEX_LIST},
	    {'s', 0, KVMX_GET_MSR_INDEX_LIST},
	};
	unsigned int at;

	CHECK_EQ(x86_snapshot_save(&src->vm, w), 0);
	CHECK_EQ(w->n, NV + 1);
	CHECK(find_sec(w, SNAP_SEC_ARCH_VCPU, 0) != NULL);
	CHECK(find_sec(w, SNAP_SEC_ARCH_VCPU, 1) != NULL);
	CHECK(find_sec(w, SNAP_SEC_ARCH_VM, 0) != NULL);
	/* vCPU 0 filters the list (3 refused: 4 reads), vCPU 1 reuses it */
	CHECK_EQ(src->get_msrs_calls[0], 4);
	CHECK_EQ(src->get_msrs_calls[1], 1);

	/* The save order: after the probe, MP_STATE first, VCPU_EVENTS last */
	at = 0;
	while (at < src->nlog && src->log[at].req == KVMX_HAS_DEVICE_ATTR)
		at++;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++, at++)
		CHECK_EQ(src->log[at].req, order[i].req);
	for (unsigned int v = 0; v < NV; v++) {
		static const unsigned long per_cpu[] = {
		    KVMX_GET_MP_STATE, KVMX_GET_REGS, KVMX_GET_SREGS2,
		    KVMX_GET_XSAVE,    KVMX_GET_XCRS, KVMX_GET_DEBUGREGS,
		    KVMX_GET_LAPIC,
		};
		for (size_t i = 0; i < ARRAY_SIZE(per_cpu); i++, at++) {
			CHECK_EQ(src->log[at].id, v);
			CHECK_EQ(src->log[at].req, per_cpu[i]);
		}
		while (at < src->nlog && src->log[at].req == KVMX_GET_MSRS)
			at++;
		CHECK_EQ(src->log[at++].req, KVMX_GET_CPUID2);
		CHECK_EQ(src->log[at++].req, KVMX_GET_TSC_KHZ);
		CHECK_EQ(src->log[at++].req, KVMX_GET_DEVICE_ATTR);
		CHECK_EQ(src->log[at].id, v);
		CHECK_EQ(src->log[at++].req, KVMX_GET_VCPU_EVENTS);
	}
	CHECK_EQ(src->log[at].aux, KVMX_IRQCHIP_PIC_MASTER);
	CHECK_EQ(src->log[at++].req, KVMX_GET_IRQCHIP);
	CHECK_EQ(src->log[at].aux, KVMX_IRQCHIP_PIC_SLAVE);
	CHECK_EQ(src->log[at++].req, KVMX_GET_IRQCHIP);
	CHECK_EQ(src->log[at].aux, KVMX_IRQCHIP_IOAPIC);
	CHECK_EQ(src->log[at++].req, KVMX_GET_IRQCHIP);
	CHECK_EQ(src->log[at++].req, KVMX_GET_PIT2);
	CHECK_EQ(src->log[at++].req, KVMX_GET_CLOCK);
	CHECK_EQ(at, src->nlog);
}

/* The documented restore order, with the TSC through the attribute. */
static const struct step restore_order[] = {
    {'c', 0, KVMX_HAS_DEVICE_ATTR},  {'c', -1, KVMX_SET_CPUID2},
    {'c', -1, KVMX_GET_TSC_KHZ},     {'c', -1, KVMX_SET_MP_STATE},
    {'c', -1, KVMX_SET_REGS},	     {'c', -1, KVMX_SET_SREGS2},
    {'c', -1, KVMX_SET_XSAVE},	     {'c', -1, KVMX_SET_XCRS},
    {'c', -1, KVMX_SET_DEBUGREGS},   {'c', -1, KVMX_SET_LAPIC},
    {'c', -1, KVMX_SET_MSRS},	     {'v', 0, KVMX_SET_IRQCHIP},
    {'v', 0, KVMX_SET_IRQCHIP},	     {'v', 0, KVMX_SET_IRQCHIP},
    {'v', 0, KVMX_SET_PIT2},	     {'v', 0, KVMX_SET_CLOCK},
    {'v', 0, KVMX_GET_CLOCK},	     {'c', -2, KVMX_SET_DEVICE_ATTR},
    {'c', -2, KVMX_SET_MSRS}, /* the deferred TSC deadline */
    {'c', -3, KVMX_SET_VCPU_EVENTS},
};

static void check_restore_order(const struct fake *f, unsigned long tsc_req)
{
	struct step s[ARRAY_SIZE(restore_order)];
	size_t n = ARRAY_SIZE(restore_order);

	memcpy(s, restore_order, sizeof(s));
	s[n - 3].req = tsc_req;
	check_order(f, s, n);
}

/* After the per-vCPU TSC group: events on every vCPU, then KVMCLOCK_CTRL. */
static void check_tail(const struct fake *f)
{
	unsigned int at = f->nlog - 2 * NV;

	for (unsigned int v = 0; v < NV; v++, at++) {
		CHECK_EQ(f->log[at].req, KVMX_SET_VCPU_EVENTS);
		CHECK_EQ(f->log[at].id, v);
	}
	for (unsigned int v = 0; v < NV; v++, at++) {
		CHECK_EQ(f->log[at].req, KVMX_KVMCLOCK_CTRL);
		CHECK_EQ(f->log[at].id, v);
	}
}

static void strip_tail(struct fake *f, unsigned int *saved)
{
	*saved = f->nlog;
	f->nlog -= NV; /* drop KVMCLOCK_CTRL for check_restore_order */
}

static void test_restore_catchup(struct fake *src, struct snap_writer *w)
{
	struct fake *dst = fake_new(false);
	unsigned int full;

	CHECK_EQ(restore(dst, w, &catchup), 0);
	check_tail(dst);
	strip_tail(dst, &full);
	check_restore_order(dst, KVMX_SET_DEVICE_ATTR);
	dst->nlog = full;
	/* the first SET_MSRS has neither IA32_TSC nor the deadline; the
	 * deferred one is the deadline alone */
	for (unsigned int i = 0; i < dst->nlog; i++)
		if (dst->log[i].req == KVMX_SET_MSRS)
			CHECK(dst->log[i].aux != TSC_MSR);
	CHECK_EQ(dst->set_clock.flags, KVMX_CLOCK_REALTIME);
	CHECK_EQ(dst->set_clock.clock, src->clock.clock);
	CHECK_EQ(dst->set_clock.realtime, src->clock.realtime);
	for (unsigned int v = 0; v < NV; v++) {
		check_same_cpu(&src->cpu[v], &dst->cpu[v], false);
		CHECK_EQ(dst->cpu[v].msr[0], 0); /* IA32_TSC not written */
		CHECK_EQ(dst->cpu[v].tsc_ofs,
			 x86_tsc_offset_catchup(
			     src->cpu[v].tsc_ofs, src->clock.host_tsc,
			     src->clock.clock, dst->clock.host_tsc,
			     dst->clock.clock, 2700000));
		/* 10 s at 2.7 GHz more guest TSC than at the save */
		CHECK_EQ(
		    x86_guest_tsc(dst->cpu[v].tsc_ofs, dst->clock.host_tsc) -
			x86_guest_tsc(src->cpu[v].tsc_ofs, src->clock.host_tsc),
		    27000000000ULL);
	}
	CHECK(!memcmp(dst->pic, src->pic, sizeof(src->pic)));
	CHECK(!memcmp(&dst->ioapic, &src->ioapic, sizeof(src->ioapic)));
	CHECK(!memcmp(&dst->pit, &src->pit, sizeof(src->pit)));
	free(dst);
}

/* Freeze: SET_CLOCK puts kvmclock back at its saved value, and it runs on
 * until step 8's GET_CLOCK (here 2.7 ms later, a slow host). */
#define FREEZE_LAG_NS 2700000ULL

static void freeze_clock(struct fake *dst, const struct fake *src)
{
	dst->clock.clock = src->clock.clock + FREEZE_LAG_NS;
}

/*
 * The guest TSC goes on from its saved value plus the lag (7290000 cycles
 * at 2.7 GHz), not from the saved value exactly: that keeps the TSC value
 * at kvmclock 0 unchanged, so the guest's kvmclock and TSC stay in step.
 */
static void test_restore_freeze(struct fake *src, struct snap_writer *w)
{
	struct fake *dst = fake_new(false);

	freeze_clock(dst, src);
	CHECK_EQ(restore(dst, w, &freeze), 0);
	CHECK_EQ(dst->set_clock.flags, 0);
	CHECK_EQ(dst->set_clock.clock, src->clock.clock);
	for (unsigned int v = 0; v < NV; v++) {
		CHECK_EQ(
		    x86_guest_tsc(dst->cpu[v].tsc_ofs, dst->clock.host_tsc) -
			x86_guest_tsc(src->cpu[v].tsc_ofs, src->clock.host_tsc),
		    x86_tsc_cycles((int64_t)FREEZE_LAG_NS, 2700000));
		CHECK_EQ(x86_tsc_at_kvmclock_zero(dst->cpu[v].tsc_ofs,
						  dst->clock.host_tsc,
						  dst->clock.clock, 2700000),
			 x86_tsc_at_kvmclock_zero(src->cpu[v].tsc_ofs,
						  src->clock.host_tsc,
						  src->clock.clock, 2700000));
	}
	free(dst);
}

/* No TSC offset attribute here: IA32_TSC, then the deadline, per vCPU. */
static void test_restore_no_attr(struct fake *src, struct snap_writer *w)
{
	struct fake *dst = fake_new(false);
	unsigned int full;

	dst->has_attr = false;
	CHECK_EQ(restore(dst, w, &catchup), 0);
	strip_tail(dst, &full);
	/* HAS_DEVICE_ATTR, then the groups; the TSC group has 2 SET_MSRS */
	for (unsigned int i = 0, seen = 0; i < dst->nlog; i++)
		if (dst->log[i].req == KVMX_SET_MSRS && ++seen > NV) {
			unsigned int k = seen - NV - 1; /* 0,1 cpu0; 2,3 cpu1 */

			CHECK_EQ(dst->log[i].id, k / 2);
			CHECK_EQ(dst->log[i].aux, k % 2 ? DL_MSR : TSC_MSR);
		}
	dst->nlog = full;
	for (unsigned int v = 0; v < NV; v++) {
		CHECK_EQ(dst->cpu[v].tsc_ofs, 0);
		/* saved IA32_TSC + the kvmclock time that passed (10 s) */
		CHECK_EQ(dst->cpu[v].msr[0],
			 src->cpu[v].msr[0] + 27000000000ULL);
		CHECK_EQ(dst->cpu[v].msr[7], src->cpu[v].msr[7]); /* deadline */
	}
	free(dst);

	/* freeze through IA32_TSC: the saved value + the lag since SET_CLOCK */
	dst = fake_new(false);
	dst->caps[KVMX_CAP_VCPU_ATTRIBUTES] = 0;
	freeze_clock(dst, src);
	CHECK_EQ(restore(dst, w, &freeze), 0);
	for (unsigned int v = 0; v < NV; v++)
		CHECK_EQ(dst->cpu[v].msr[0],
			 src->cpu[v].msr[0] +
				 x86_tsc_cycles((int64_t)FREEZE_LAG_NS, 2700000));
	free(dst);

	/* this host's GET_CLOCK gives no host TSC: also IA32_TSC */
	dst = fake_new(false);
	dst->clock.flags = 0;
	CHECK_EQ(restore(dst, w, &catchup), 0);
	for (unsigned int v = 0; v < NV; v++)
		CHECK_EQ(dst->cpu[v].tsc_ofs, 0);
	free(dst);
}

/* No KVM_CLOCK_REALTIME: catch-up falls back to a plain SET_CLOCK. */
static void test_restore_no_realtime(struct snap_writer *w)
{
	struct fake *dst = fake_new(false);

	dst->caps[KVMX_CAP_ADJUST_CLOCK] = KVMX_CLOCK_TSC_STABLE;
	CHECK_EQ(restore(dst, w, &catchup), 0);
	CHECK_EQ(dst->set_clock.flags, 0);
	free(dst);
}

/* A VM whose TSC KVM scales (restored from a 2.7 GHz host onto this 3 GHz
 * one) is saved again: the offsets, which no longer are guest minus host
 * TSC, are left out, so the next restore (here onto a 2.7 GHz host, no
 * scaling) sets IA32_TSC instead of an offset computed as if unscaled. */
static void test_resave_scaled(struct fake *scaled)
{
	struct snap_writer w2 = {.n = 0};
	struct fake *dst = fake_new(false);

	scaled->caps[KVMX_CAP_VM_TSC_CONTROL] = 1;
	scaled->vm_khz = 3000000;
	for (unsigned int v = 0; v < NV; v++)
		scaled->cpu[v].tsc_ofs = 0x123456789ULL; /* KVM's, scaled */
	CHECK_EQ(x86_snapshot_save(&scaled->vm, &w2), 0);
	for (unsigned int v = 0; v < NV; v++)
		dst->cpu[v].tsc_ofs = 7; /* must stay untouched */
	CHECK_EQ(restore(dst, &w2, &catchup), 0);
	for (unsigned int v = 0; v < NV; v++) { /* the fakes' clocks agree */
		CHECK_EQ(dst->cpu[v].tsc_ofs, 7);
		CHECK_EQ(dst->cpu[v].msr[0], scaled->cpu[v].msr[0]);
	}
	/* Unscaled (the VM's rate is the host's): offsets are saved. */
	scaled->vm_khz = 2700000;
	writer_free(&w2);
	w2.n = 0;
	CHECK_EQ(x86_snapshot_save(&scaled->vm, &w2), 0);
	CHECK_EQ(restore(dst, &w2, &catchup), 0);
	for (unsigned int v = 0; v < NV; v++)
		CHECK(dst->cpu[v].tsc_ofs != 7);
	writer_free(&w2);
	free(dst);
}

static void test_restore_khz(struct fake *src, struct snap_writer *w)
{
	struct fake *dst = fake_new(false);
	struct x86_restore_opts allow = {X86_CLOCK_CATCHUP, true};

	/* within 250 ppm (675 kHz at 2.7 GHz): no KVM_SET_TSC_KHZ */
	for (unsigned int v = 0; v < NV; v++)
		dst->cpu[v].khz = 2700675;
	CHECK_EQ(restore(dst, w, &catchup), 0);
	for (unsigned int i = 0; i < dst->nlog; i++)
		CHECK(dst->log[i].req != KVMX_SET_TSC_KHZ);
	free(dst);

	/* beyond, without TSC control: refused before anything is set */
	dst = fake_new(false);
	for (unsigned int v = 0; v < NV; v++)
		dst->cpu[v].khz = 2700676;
	CHECK_EQ(restore(dst, w, &catchup), -ENOTSUP);
	CHECK_EQ(n_sets(dst), 1); /* SET_CPUID2 of vCPU 0 only */
	CHECK_EQ(restore(dst, w, &allow), 0);
	free(dst);

	/* beyond, KVM scales: SET_TSC_KHZ after CPUID, TSC via IA32_TSC */
	dst = fake_new(false);
	dst->caps[KVMX_CAP_TSC_CONTROL] = 1;
	for (unsigned int v = 0; v < NV; v++)
		dst->cpu[v].khz = 3000000;
	CHECK_EQ(restore(dst, w, &catchup), 0);
	CHECK_EQ(dst->log[1].req, KVMX_SET_CPUID2);
	CHECK_EQ(dst->log[2].req, KVMX_GET_TSC_KHZ);
	CHECK_EQ(dst->log[3].req, KVMX_SET_TSC_KHZ);
	CHECK_EQ(dst->log[4].req, KVMX_SET_MP_STATE);
	for (unsigned int v = 0; v < NV; v++) {
		CHECK_EQ(dst->cpu[v].khz, 2700000);
		CHECK_EQ(dst->cpu[v].tsc_ofs, 0);
		CHECK_EQ(dst->cpu[v].msr[0],
			 src->cpu[v].msr[0] + 27000000000ULL);
	}
	test_resave_scaled(dst);
	free(dst);

	/* scaling refused by KVM: an error naming both frequencies */
	dst = fake_new(false);
	dst->caps[KVMX_CAP_TSC_CONTROL] = 1;
	dst->set_khz_ret = -EINVAL;
	dst->cpu[0].khz = 1000000;
	CHECK_EQ(restore(dst, w, &catchup), -ENOTSUP);
	free(dst);
}

/* A corrupt section is refused before any state is set, and never crashes.
 * Returns 1 when it was not. */
static int refused_quietly(struct snap_writer *w)
{
	struct fake *dst = fake_new(false);
	int ret = restore(dst, w, &catchup), bad = ret >= 0 || n_sets(dst);

	free(dst);
	return bad;
}

static void expect_refused(struct snap_writer *w, const char *what)
{
	struct fake *dst = fake_new(false);
	int ret = restore(dst, w, &catchup);

	CHECK(ret < 0);
	CHECK_EQ(n_sets(dst), 0);
	if (ret >= 0 || n_sets(dst))
		fprintf(stderr, "  case: %s\n", what);
	free(dst);
}

static void test_corrupt(struct snap_writer *w)
{
	struct sec *cs = find_sec(w, SNAP_SEC_ARCH_VCPU, 1);
	struct sec *vs = find_sec(w, SNAP_SEC_ARCH_VM, 0);
	uint8_t *orig = malloc(cs->len);
	size_t len = cs->len;
	int quiet, bad = 0;
	memcpy(orig, cs->data, len);
	/* truncations of a vCPU section, each byte near the ends */
	quiet = quiet_begin();
	for (size_t cut = 0; cut < len;
	     cut += (cut < 64 || len - cut < 64) ? 1 : 97) {
		cs->len = cut;
		bad += refused_quietly(w);
	}
	cs->len = len;
	quiet_end(quiet);
	CHECK_EQ(bad, 0);
	/* a bad version, a bad count, an unknown record, a wrong size */
	put_le32(cs->data, 2);
	expect_refused(w, "version");
	memcpy(cs->data, orig, len);
	put_le32(cs->data + 4, get_le32(orig + 4) + 1);
	expect_refused(w, "count");
	memcpy(cs->data, orig, len);
	put_le32(cs->data + 8, 99);
	expect_refused(w, "unknown record");
	memcpy(cs->data, orig, len);
	put_le32(cs->data + 12, get_le32(orig + 12) + 1);
	expect_refused(w, "record size");
	memcpy(cs->data, orig, len);
	put_le32(cs->data + 12, 0xffffffffU);
	expect_refused(w, "huge record");
	memcpy(cs->data, orig, len);
	/* the first record (MP_STATE, 4 bytes) appended again */
	{
		uint8_t *dup = malloc(len + 12), *keep = cs->data;

		memcpy(dup, orig, len);
		memcpy(dup + len, orig + 8, 12);
		put_le32(dup + 4, get_le32(orig + 4) + 1);
		CHECK_EQ(get_le32(orig + 12), 4);
		cs->data = dup;
		cs->len = len + 12;
		expect_refused(w, "duplicate record");
		cs->data = keep;
		cs->len = len;
		free(dup);
	}
	/* random byte flips: either refused cleanly or accepted, no crash */
	quiet = quiet_begin();
	srand(1);
	for (int i = 0; i < 300; i++) {
		struct fake *dst = fake_new(false);

		cs->data[rand() % (int)len] ^= (uint8_t)(1 + rand() % 255);
		(void)restore(dst, w, &catchup);
		free(dst);
		memcpy(cs->data, orig, len);
	}
	/* the VM section truncated anywhere */
	{
		size_t vlen = vs->len;

		for (size_t cut = 0; cut < vlen; cut++) {
			vs->len = cut;
			bad += refused_quietly(w);
		}
		vs->len = vlen;
	}
	quiet_end(quiet);
	CHECK_EQ(bad, 0);
	/* a missing vCPU section, an extra one */
	cs->type = 99;
	expect_refused(w, "missing vCPU");
	cs->type = SNAP_SEC_ARCH_VCPU;
	cs->inst = NV;
	expect_refused(w, "vCPU 1 missing, vCPU 2 extra");
	cs->inst = 1;
	snap_write_section(w, SNAP_SEC_ARCH_VCPU, NV, orig, len);
	expect_refused(w, "one vCPU more than the VM");
	free(w->s[--w->n].data);
	free(orig);
	/* still fine after all that */
	{
		struct fake *dst = fake_new(false);

		CHECK_EQ(restore(dst, w, &catchup), 0);
		free(dst);
	}
}

/* Without SREGS2 and XSAVE the state travels as SREGS and FPU. */
static void test_old_kernel(void)
{
	struct fake *src = fake_new(true), *dst = fake_new(false);
	struct snap_writer w = {.n = 0};

	src->caps[KVMX_CAP_SREGS2] = 0;
	src->caps[KVMX_CAP_XSAVE] = 0;
	src->caps[KVMX_CAP_VCPU_ATTRIBUTES] = 0;
	fill(&src->cpu[0].sregs, sizeof(src->cpu[0].sregs), 7);
	fill(&src->cpu[0].fpu, sizeof(src->cpu[0].fpu), 8);
	CHECK_EQ(x86_snapshot_save(&src->vm, &w), 0);
	CHECK_EQ(restore(dst, &w, &catchup), 0);
	CHECK(!memcmp(&src->cpu[0].sregs, &dst->cpu[0].sregs,
		      sizeof(dst->cpu[0].sregs)));
	CHECK(!memcmp(&src->cpu[0].fpu, &dst->cpu[0].fpu,
		      sizeof(dst->cpu[0].fpu)));
	CHECK_EQ(dst->cpu[0].msr[0], src->cpu[0].msr[0] + 27000000000ULL);
	writer_free(&w);
	free(src);
	free(dst);
}

int main(void)
{
	struct fake *src = fake_new(true);
	struct snap_writer w = {.n = 0};

	test_save(src, &w);
	test_restore_catchup(src, &w);
	test_restore_freeze(src, &w);
	test_restore_no_attr(src, &w);
	test_restore_no_realtime(&w);
	test_restore_khz(src, &w);
	test_corrupt(&w);
	test_old_kernel();
	writer_free(&w);
	free(src);
	return unit_done("x86_state");
}
