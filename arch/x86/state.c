/* state.c: x86 vCPU and VM state to and from snapshot sections. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kvm.h"
#include "kvm_x86.h"
#include "log.h"
#include "sbuf.h"
#include "snap_records.h"
#include "snapshot_file.h"
#include "state.h"
#include "util.h"
#include "vm.h"

/*
 * Save order, per vCPU (all paused out of KVM_RUN):
 *   MP_STATE first (reading it runs KVM's apic_accept_events), REGS,
 *   SREGS2 (SREGS without KVM_CAP_SREGS2), XSAVE (XSAVE2 when the size is
 *   over 4 KiB; FPU without XSAVE), XCRS, DEBUGREGS, LAPIC, MSRs, CPUID,
 *   TSC kHz, TSC offset, VCPU_EVENTS last.
 * then the VM: PIC master, PIC slave, IOAPIC, PIT2, KVM_GET_CLOCK.
 *
 * Restore order (what KVM requires; Firecracker and QEMU agree):
 *  per vCPU:
 *   1. SET_CPUID2 first: MSR and XSAVE writes are checked against CPUID,
 *      and CPUID may be replaced only before the first KVM_RUN.
 *   2. SET_TSC_KHZ when the saved frequency is over 250 ppm away from this
 *      vCPU's (before anything that depends on the TSC).
 *   3. MP_STATE, REGS, SREGS2/SREGS (SET_REGS drops pending exceptions;
 *      VCPU_EVENTS put them back at the end).
 *   4. XSAVE (or FPU), XCRS, DEBUGREGS.
 *   5. LAPIC: after SREGS (apic_base is in sregs), before MSRs (a
 *      TSC_DEADLINE write needs the LVT timer in deadline mode).
 *   6. MSRs except IA32_TSC and IA32_TSC_DEADLINE.
 *  the VM:
 *   7. IRQCHIP PIC master, PIC slave, IOAPIC; PIT2.
 *   8. SET_CLOCK (catch-up: flags KVM_CLOCK_REALTIME, so KVM adds the time
 *      since the save; freeze: flags 0), then GET_CLOCK for the host TSC and
 *      kvmclock now.
 *  per vCPU:
 *   9. the guest TSC: the KVM_VCPU_TSC_OFFSET attribute by the documented
 *      formula (devices/vcpu.rst), which avoids KVM's IA32_TSC
 *      write-matching; else (fallback) an IA32_TSC write. Then the deferred
 *      IA32_TSC_DEADLINE, so IA32_TSC always comes first.
 *      The formula is the same for both clock modes: the guest TSC advances
 *      by exactly the kvmclock time between the save's GET_CLOCK and step
 *      8's GET_CLOCK, which keeps the guest TSC value at kvmclock 0 (the
 *      base of kvmclock's TSC-to-ns scaling in the guest) where it was. In
 *      catch-up that time is the blackout; in freeze it is only the moment
 *      from SET_CLOCK to GET_CLOCK (microseconds to milliseconds), since
 *      kvmclock resumed from its saved value and already runs. Giving the
 *      TSC its saved value exactly instead (x86_tsc_offset_freeze) would put
 *      it that moment behind kvmclock for the rest of the guest's life.
 *  10. VCPU_EVENTS, on every vCPU, last.
 *  11. KVMCLOCK_CTRL (-EINVAL: the guest has no kvmclock; ignored).
 *
 * Fallbacks (each logged):
 *  - catch-up without KVM_CLOCK_REALTIME (this kernel's KVM_CAP_ADJUST_CLOCK
 *    lacks it, or the source's clock was not TSC-based): SET_CLOCK flags 0,
 *    so kvmclock resumes from its saved value (downtime not accounted).
 *  - no TSC offset attribute here, no offsets in the snapshot (a vCPU whose
 *    TSC KVM scaled when it was saved has none), no host TSC in either
 *    GET_CLOCK, or a scaled TSC (the formula ignores scaling):
 *    write IA32_TSC = the saved value + the kvmclock time that passed (both
 *    modes, as step 9); KVM applies any scaling itself.
 *
 * Format: each section is u32 version, u32 record count, then records
 * {u32 tag, u32 len, len bytes}; new record types need a new version.
 * x86 is little-endian, so the KVM structs' own bytes are the format;
 * every record's size is checked before use.
 */

#define STATE_VERSION	      1
#define MSR_IA32_TSC	      0x10
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MAX_MSRS	      4096
#define MAX_CPUID	      4096
#define MAX_XSAVE	      (1U << 20)
#define CPUID_FIRST_GUESS     256

enum vcpu_rec {
	VR_MP_STATE = 1,
	VR_REGS,
	VR_SREGS,
	VR_SREGS2,
	VR_XSAVE,
	VR_FPU,
	VR_XCRS,
	VR_DEBUGREGS,
	VR_LAPIC,
	VR_MSRS,
	VR_CPUID,
	VR_TSC_KHZ,
	VR_TSC_OFFSET,
	VR_EVENTS,
	VR_NR
};

enum vm_rec {
	MR_PIC_MASTER = 1,
	MR_PIC_SLAVE,
	MR_IOAPIC,
	MR_PIT2,
	MR_CLOCK,
	MR_NR
};

#define BIT(tag)      (1U << (tag))
#define HAVE(st, tag) (((st)->have & BIT(tag)) != 0)

/* A corrupt section: one message naming it, -EINVAL. */
#define corrupt(sec, inst, fmt, ...)                                           \
	(pr_err("snapshot section %s %u: " fmt, sec, inst, ##__VA_ARGS__),     \
	 -EINVAL)

struct x86_caps {
	bool sregs2, xsave, xcrs, debugregs, events, pit2;
	bool get_tsc_khz, set_tsc_khz, tsc_attr, kvmclock_ctrl;
	size_t xsave_size;
	uint32_t clock_flags; /* KVM_CAP_ADJUST_CLOCK: valid KVM_CLOCK_* */
};

struct vcpu_state {
	uint32_t have; /* BIT(VR_*) */
	struct kvmx_mp_state mp;
	struct kvmx_regs regs;
	struct kvmx_sregs sregs;
	struct kvmx_sregs2 sregs2;
	struct kvmx_fpu fpu;
	struct kvmx_xcrs xcrs;
	struct kvmx_debugregs dregs;
	struct kvmx_lapic_state lapic;
	struct kvmx_vcpu_events events;
	uint32_t tsc_khz;
	uint64_t tsc_offset;
	uint8_t *xsave;
	uint32_t xsave_len;
	struct kvmx_msr_entry *msrs;
	uint32_t nr_msrs;
	struct kvmx_cpuid_entry2 *cpuid;
	uint32_t nr_cpuid;
	bool scaled; /* restore: KVM_SET_TSC_KHZ changed the frequency */
};

struct vm_state {
	uint32_t have; /* BIT(MR_*) */
	struct kvmx_pic_state pic_master, pic_slave;
	struct kvmx_ioapic_state ioapic;
	struct kvmx_pit_state2 pit;
	struct kvmx_clock_data clock;
};

/* Fixed-size records: where each goes. size 0: variable, decoded apart. */
struct rec_desc {
	uint32_t tag;
	size_t off, size;
	const char *name;
};

#define VREC(tag, f, name)                                                     \
	{                                                                      \
		tag, offsetof(struct vcpu_state, f),                           \
		    sizeof(((struct vcpu_state *)0)->f), name                  \
	}
#define MREC(tag, f, name)                                                     \
	{                                                                      \
		tag, offsetof(struct vm_state, f),                             \
		    sizeof(((struct vm_state *)0)->f), name                    \
	}

static const struct rec_desc vcpu_recs[] = {
    VREC(VR_MP_STATE, mp, "MP_STATE"),
    VREC(VR_REGS, regs, "REGS"),
    VREC(VR_SREGS, sregs, "SREGS"),
    VREC(VR_SREGS2, sregs2, "SREGS2"),
    {VR_XSAVE, 0, 0, "XSAVE"},
    VREC(VR_FPU, fpu, "FPU"),
    VREC(VR_XCRS, xcrs, "XCRS"),
    VREC(VR_DEBUGREGS, dregs, "DEBUGREGS"),
    VREC(VR_LAPIC, lapic, "LAPIC"),
    {VR_MSRS, 0, 0, "MSRS"},
    {VR_CPUID, 0, 0, "CPUID"},
    VREC(VR_TSC_KHZ, tsc_khz, "TSC_KHZ"),
    VREC(VR_TSC_OFFSET, tsc_offset, "TSC_OFFSET"),
    VREC(VR_EVENTS, events, "VCPU_EVENTS"),
};

static const struct rec_desc vm_recs[] = {
    MREC(MR_PIC_MASTER, pic_master, "PIC_MASTER"),
    MREC(MR_PIC_SLAVE, pic_slave, "PIC_SLAVE"),
    MREC(MR_IOAPIC, ioapic, "IOAPIC"),
    MREC(MR_PIT2, pit, "PIT2"),
    MREC(MR_CLOCK, clock, "CLOCK"),
};

static const struct rec_desc *rec_find(const struct rec_desc *d, size_t n,
				       uint32_t tag)
{
	for (size_t i = 0; i < n; i++)
		if (d[i].tag == tag)
			return &d[i];
	return NULL;
}

/* ---- capabilities ---- */

static bool cap(struct vm *vm, unsigned int c)
{
	return kvm_check_cap(vm, c) > 0;
}

static void probe_caps(struct vm *vm, struct x86_caps *c)
{
	struct kvmx_device_attr a = {.group = KVMX_VCPU_TSC_CTRL,
				     .attr = KVMX_VCPU_TSC_OFFSET};
	long v;

	memset(c, 0, sizeof(*c));
	c->sregs2 = cap(vm, KVMX_CAP_SREGS2);
	c->xsave = cap(vm, KVMX_CAP_XSAVE);
	v = kvm_check_cap(vm, KVMX_CAP_XSAVE2);
	c->xsave_size = v > KVMX_XSAVE_SIZE ? (size_t)v : KVMX_XSAVE_SIZE;
	c->xcrs = cap(vm, KVMX_CAP_XCRS);
	c->debugregs = cap(vm, KVMX_CAP_DEBUGREGS);
	c->events = cap(vm, KVMX_CAP_VCPU_EVENTS);
	c->pit2 = cap(vm, KVMX_CAP_PIT_STATE2);
	c->get_tsc_khz = cap(vm, KVMX_CAP_GET_TSC_KHZ);
	c->set_tsc_khz = cap(vm, KVMX_CAP_TSC_CONTROL);
	c->kvmclock_ctrl = cap(vm, KVMX_CAP_KVMCLOCK_CTRL);
	v = kvm_check_cap(vm, KVMX_CAP_ADJUST_CLOCK);
	c->clock_flags = v > 0 ? (uint32_t)v : 0;
	if (vm->nr_vcpus && cap(vm, KVMX_CAP_VCPU_ATTRIBUTES))
		c->tsc_attr = kvm_vcpu_ioctl(&vm->vcpus[0],
					     KVMX_HAS_DEVICE_ATTR, &a) == 0;
}

/* ---- save ---- */

struct save_ctx {
	struct vm *vm;
	struct x86_caps caps;
	uint32_t host_khz; /* the VM's default TSC rate (the host's); 0: unknown */
	struct kvmx_msr_list *msrs; /* index list, filtered on the first vCPU */
	bool msrs_filtered;
};

static int vcpu_get(struct vcpu *v, struct snap_records *b, uint32_t tag,
		    unsigned long req, void *buf, size_t len, const char *what)
{
	long ret = kvm_vcpu_ioctl(v, req, buf);

	if (ret < 0) {
		pr_err("vCPU %u: %s: %s", v->id, what, strerror((int)-ret));
		return (int)ret;
	}
	snap_records_put(b, tag, buf, len);
	return 0;
}

static struct kvmx_msr_list *msr_index_list(struct vm *vm)
{
	struct kvmx_msr_list probe = {.nmsrs = 0}, *l;
	long ret = kvm_sys_ioctl(vm, KVMX_GET_MSR_INDEX_LIST, &probe);

	if ((ret < 0 && ret != -E2BIG) || probe.nmsrs > MAX_MSRS) {
		pr_err("KVM_GET_MSR_INDEX_LIST: %s",
		       ret < 0 ? strerror((int)-ret) : "too many MSRs");
		return NULL;
	}
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	if (!l)
		return NULL;
	l->nmsrs = probe.nmsrs;
	ret = l->nmsrs ? kvm_sys_ioctl(vm, KVMX_GET_MSR_INDEX_LIST, l) : 0;
	if (ret < 0) {
		pr_err("KVM_GET_MSR_INDEX_LIST: %s", strerror((int)-ret));
		free(l);
		return NULL;
	}
	return l;
}

/* Reads m's n MSRs in one KVM_GET_MSRS. KVM stops at the first it refuses
 * and returns how many it read: drop that one and retry. Returns the number
 * kept (in order, with their values) or -errno. */
static long msrs_read_filtered(struct vcpu *v, struct kvmx_msrs *m, uint32_t n)
{
	while (n) {
		long ret;

		m->nmsrs = n;
		ret = kvm_vcpu_ioctl(v, KVMX_GET_MSRS, m);
		if (ret < 0) {
			pr_err("vCPU %u: KVM_GET_MSRS: %s", v->id,
			       strerror((int)-ret));
			return ret;
		}
		if ((uint32_t)ret >= n)
			break;
		pr_debug(
		    "vCPU %u: MSR 0x%x is listed but not readable; not saved",
		    v->id, m->entries[ret].index);
		memmove(&m->entries[ret], &m->entries[ret + 1],
			(n - (uint32_t)ret - 1) * sizeof(m->entries[0]));
		n--;
	}
	return n;
}

static int vcpu_save_msrs(struct save_ctx *c, struct vcpu *v, struct snap_records *b)
{
	uint32_t n = c->msrs->nmsrs;
	struct kvmx_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	long kept;

	if (!m)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		m->entries[i].index = c->msrs->indices[i];
	kept = msrs_read_filtered(v, m, n);
	if (kept >= 0) {
		if (!c->msrs_filtered) { /* the list every vCPU accepts */
			for (long i = 0; i < kept; i++)
				c->msrs->indices[i] = m->entries[i].index;
			c->msrs->nmsrs = (uint32_t)kept;
			c->msrs_filtered = true;
		}
		snap_records_put(b, VR_MSRS, m->entries,
			(size_t)kept * sizeof(m->entries[0]));
	}
	free(m);
	return kept < 0 ? (int)kept : 0;
}

/* The CPUID KVM holds for this vCPU: exactly what restore must set. */
static int vcpu_save_cpuid(struct vcpu *v, struct snap_records *b)
{
	uint32_t n = CPUID_FIRST_GUESS;
	struct kvmx_cpuid2 *c;
	long ret;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		ret = kvm_vcpu_ioctl(v, KVMX_GET_CPUID2, c);
		if (ret != -E2BIG || n >= MAX_CPUID)
			break;
		free(c);
		n *= 2;
	}
	if (ret >= 0 && c->nent <= n)
		snap_records_put(b, VR_CPUID, c->entries,
			c->nent * sizeof(c->entries[0]));
	else
		pr_err("vCPU %u: KVM_GET_CPUID2: %s", v->id,
		       strerror(ret < 0 ? (int)-ret : E2BIG));
	free(c);
	return ret < 0 ? (int)ret : 0;
}

static int vcpu_save_fpu(struct save_ctx *c, struct vcpu *v, struct snap_records *b)
{
	struct kvmx_fpu fpu;
	size_t sz = c->caps.xsave_size;
	void *x;
	int ret;

	if (!c->caps.xsave)
		return vcpu_get(v, b, VR_FPU, KVMX_GET_FPU, &fpu, sizeof(fpu),
				"KVM_GET_FPU");
	x = calloc(1, sz);
	if (!x)
		return -ENOMEM;
	if (sz > KVMX_XSAVE_SIZE)
		ret = vcpu_get(v, b, VR_XSAVE, KVMX_GET_XSAVE2, x, sz,
			       "KVM_GET_XSAVE2");
	else
		ret = vcpu_get(v, b, VR_XSAVE, KVMX_GET_XSAVE, x, sz,
			       "KVM_GET_XSAVE");
	free(x);
	return ret;
}

/*
 * Does KVM scale this vCPU's TSC (a restore asked for the saving host's
 * rate)? Then the guest TSC is the scaled host TSC plus the offset, and
 * the offset alone cannot carry it to another host: the snapshot gets no
 * TSC offsets, and a restore sets IA32_TSC (which KVM scales itself).
 */
static bool tsc_scaled_here(const struct save_ctx *c, struct vcpu *v,
			    uint32_t khz)
{
	if (!c->host_khz || !khz || !x86_tsc_khz_mismatch(khz, c->host_khz))
		return false;
	pr_info("vCPU %u: the guest TSC is scaled (%u kHz on a %u kHz "
		"host): saved as IA32_TSC, without an offset", v->id, khz,
		c->host_khz);
	return true;
}

static int vcpu_save_tsc(struct save_ctx *c, struct vcpu *v, struct snap_records *b)
{
	uint64_t ofs = 0;
	struct kvmx_device_attr a = {.group = KVMX_VCPU_TSC_CTRL,
				     .attr = KVMX_VCPU_TSC_OFFSET,
				     .addr = (uintptr_t)&ofs};
	uint32_t khz = 0; /* the vCPU's TSC rate; 0: unknown */
	long ret;

	if (c->caps.get_tsc_khz) {
		ret = kvm_vcpu_ioctl(v, KVMX_GET_TSC_KHZ, NULL);
		if (ret < 0) {
			pr_err("vCPU %u: KVM_GET_TSC_KHZ: %s", v->id,
			       strerror((int)-ret));
			return (int)ret;
		}
		khz = (uint32_t)ret;
		if (khz)
			snap_records_put(b, VR_TSC_KHZ, &khz, sizeof(khz));
	}
	if (!c->caps.tsc_attr)
		return 0;
	if (tsc_scaled_here(c, v, khz))
		return 0; /* restored through IA32_TSC instead */
	ret = kvm_vcpu_ioctl(v, KVMX_GET_DEVICE_ATTR, &a);
	if (ret < 0) {
		pr_err("vCPU %u: KVM_GET_DEVICE_ATTR(TSC_OFFSET): %s", v->id,
		       strerror((int)-ret));
		return (int)ret;
	}
	snap_records_put(b, VR_TSC_OFFSET, &ofs, sizeof(ofs));
	return 0;
}

/* The records in save order; any failure is reported by its helper. */
static int vcpu_save_records(struct save_ctx *c, struct vcpu *v,
			     struct snap_records *b)
{
	struct kvmx_mp_state mp;
	struct kvmx_regs regs;
	struct kvmx_sregs sregs;
	struct kvmx_sregs2 sregs2;
	struct kvmx_xcrs xcrs;
	struct kvmx_debugregs dregs;
	struct kvmx_lapic_state lapic;
	struct kvmx_vcpu_events ev;
	int ret;

	if ((ret = vcpu_get(v, b, VR_MP_STATE, KVMX_GET_MP_STATE, &mp,
			    sizeof(mp), "KVM_GET_MP_STATE")) ||
	    (ret = vcpu_get(v, b, VR_REGS, KVMX_GET_REGS, &regs, sizeof(regs),
			    "KVM_GET_REGS")))
		return ret;
	if (c->caps.sregs2)
		ret = vcpu_get(v, b, VR_SREGS2, KVMX_GET_SREGS2, &sregs2,
			       sizeof(sregs2), "KVM_GET_SREGS2");
	else
		ret = vcpu_get(v, b, VR_SREGS, KVMX_GET_SREGS, &sregs,
			       sizeof(sregs), "KVM_GET_SREGS");
	if (ret || (ret = vcpu_save_fpu(c, v, b)))
		return ret;
	if (c->caps.xcrs && (ret = vcpu_get(v, b, VR_XCRS, KVMX_GET_XCRS, &xcrs,
					    sizeof(xcrs), "KVM_GET_XCRS")))
		return ret;
	if (c->caps.debugregs &&
	    (ret = vcpu_get(v, b, VR_DEBUGREGS, KVMX_GET_DEBUGREGS, &dregs,
			    sizeof(dregs), "KVM_GET_DEBUGREGS")))
		return ret;
	if ((ret = vcpu_get(v, b, VR_LAPIC, KVMX_GET_LAPIC, &lapic,
			    sizeof(lapic), "KVM_GET_LAPIC")) ||
	    (ret = vcpu_save_msrs(c, v, b)) || (ret = vcpu_save_cpuid(v, b)) ||
	    (ret = vcpu_save_tsc(c, v, b)))
		return ret;
	if (c->caps.events)
		ret = vcpu_get(v, b, VR_EVENTS, KVMX_GET_VCPU_EVENTS, &ev,
			       sizeof(ev), "KVM_GET_VCPU_EVENTS");
	return ret;
}

static int vcpu_save(struct save_ctx *c, struct vcpu *v, struct snap_writer *w)
{
	struct snap_records b;
	int ret;

	snap_records_init(&b, STATE_VERSION);
	ret = vcpu_save_records(c, v, &b);
	if (!ret)
		ret = snap_records_write(w, SNAP_SEC_ARCH_VCPU, v->id, &b);
	sbuf_free(&b.b);
	return ret;
}

static int vm_get(struct vm *vm, struct snap_records *b, uint32_t tag,
		  unsigned long req, void *buf, size_t len, const char *what)
{
	long ret = kvm_vm_ioctl(vm, req, buf);

	if (ret < 0) {
		pr_err("%s: %s", what, strerror((int)-ret));
		return (int)ret;
	}
	snap_records_put(b, tag, buf, len);
	return 0;
}

static int irqchip_get(struct vm *vm, struct snap_records *b, uint32_t tag,
		       uint32_t chip, const char *what)
{
	struct kvmx_irqchip ic = {.chip_id = chip};
	long ret = kvm_vm_ioctl(vm, KVMX_GET_IRQCHIP, &ic);

	if (ret < 0) {
		pr_err("KVM_GET_IRQCHIP(%s): %s", what, strerror((int)-ret));
		return (int)ret;
	}
	if (chip == KVMX_IRQCHIP_IOAPIC)
		snap_records_put(b, tag, &ic.chip.ioapic, sizeof(ic.chip.ioapic));
	else
		snap_records_put(b, tag, &ic.chip.pic, sizeof(ic.chip.pic));
	return 0;
}

static int vm_save_records(struct save_ctx *c, struct snap_records *b)
{
	struct kvmx_pit_state2 pit;
	struct kvmx_clock_data clk;
	int ret;

	memset(&clk, 0, sizeof(clk));
	if ((ret = irqchip_get(c->vm, b, MR_PIC_MASTER, KVMX_IRQCHIP_PIC_MASTER,
			       "PIC master")) ||
	    (ret = irqchip_get(c->vm, b, MR_PIC_SLAVE, KVMX_IRQCHIP_PIC_SLAVE,
			       "PIC slave")) ||
	    (ret = irqchip_get(c->vm, b, MR_IOAPIC, KVMX_IRQCHIP_IOAPIC,
			       "IOAPIC")))
		return ret;
	if (c->caps.pit2 && (ret = vm_get(c->vm, b, MR_PIT2, KVMX_GET_PIT2,
					  &pit, sizeof(pit), "KVM_GET_PIT2")))
		return ret;
	return vm_get(c->vm, b, MR_CLOCK, KVMX_GET_CLOCK, &clk, sizeof(clk),
		      "KVM_GET_CLOCK");
}

int x86_snapshot_save(struct vm *vm, struct snap_writer *w)
{
	struct save_ctx c = {.vm = vm};
	struct snap_records b;
	int ret = 0;

	probe_caps(vm, &c.caps);
	if (cap(vm, KVMX_CAP_VM_TSC_CONTROL)) {
		long khz = kvm_vm_ioctl(vm, KVMX_GET_TSC_KHZ, NULL);

		c.host_khz = khz > 0 ? (uint32_t)khz : 0;
	}
	c.msrs = msr_index_list(vm);
	if (!c.msrs)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = vcpu_save(&c, &vm->vcpus[i], w);
	free(c.msrs);
	if (ret)
		return ret;
	snap_records_init(&b, STATE_VERSION);
	ret = vm_save_records(&c, &b);
	if (!ret)
		ret = snap_records_write(w, SNAP_SEC_ARCH_VM, 0, &b);
	sbuf_free(&b.b);
	return ret;
}

/* ---- decode ---- */

static int vcpu_decode_var(struct vcpu_state *st, struct sbuf_reader *r,
			   uint32_t tag, uint32_t len, unsigned int id)
{
	void *p;

	if (tag == VR_XSAVE &&
	    (len < KVMX_XSAVE_SIZE || len % 4 || len > MAX_XSAVE))
		return corrupt("ARCH_VCPU", id, "XSAVE record of %u bytes",
			       len);
	if (tag == VR_MSRS && (len % sizeof(struct kvmx_msr_entry) ||
			       len / sizeof(struct kvmx_msr_entry) > MAX_MSRS))
		return corrupt("ARCH_VCPU", id, "MSRS record of %u bytes", len);
	if (tag == VR_CPUID &&
	    (!len || len % sizeof(struct kvmx_cpuid_entry2) ||
	     len / sizeof(struct kvmx_cpuid_entry2) > MAX_CPUID))
		return corrupt("ARCH_VCPU", id, "CPUID record of %u bytes",
			       len);
	p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	sbuf_get_bytes(r, p, len);
	if (tag == VR_XSAVE) {
		st->xsave = p;
		st->xsave_len = len;
	} else if (tag == VR_MSRS) {
		st->msrs = p;
		st->nr_msrs = len / sizeof(struct kvmx_msr_entry);
	} else {
		st->cpuid = p;
		st->nr_cpuid = len / sizeof(struct kvmx_cpuid_entry2);
	}
	return 0;
}

/* Walks the records of one section into 'base' (a vcpu_state or vm_state
 * whose first member is the 'have' mask). */
static int decode_section(const void *data, size_t len, const char *sec,
			  unsigned int inst, const struct rec_desc *d,
			  size_t nd, void *base)
{
	uint32_t *have = base;
	struct sbuf_reader r;
	uint32_t ver, count, seen = 0;

	sbuf_reader_init(&r, data, len);
	ver = sbuf_get_u32(&r);
	count = sbuf_get_u32(&r);
	if (r.err)
		return corrupt(sec, inst, "no header");
	if (ver != STATE_VERSION)
		return corrupt(sec, inst, "version %u (this build reads %u)",
			       ver, STATE_VERSION);
	for (; r.pos < r.len; seen++) {
		uint32_t tag = sbuf_get_u32(&r), n = sbuf_get_u32(&r);
		const struct rec_desc *rd = rec_find(d, nd, tag);
		int ret;

		if (r.err || n > r.len - r.pos)
			return corrupt(sec, inst,
				       "truncated record at byte %zu", r.pos);
		if (!rd)
			return corrupt(sec, inst, "unknown record type %u",
				       tag);
		if (*have & BIT(tag))
			return corrupt(sec, inst, "two %s records", rd->name);
		if (rd->size && n != rd->size)
			return corrupt(sec, inst,
				       "%s record is %u bytes, not %zu",
				       rd->name, n, rd->size);
		if (rd->size)
			sbuf_get_bytes(&r, (uint8_t *)base + rd->off, n);
		else if ((ret = vcpu_decode_var(base, &r, tag, n, inst)))
			return ret;
		*have |= BIT(tag);
	}
	if (seen != count)
		return corrupt(sec, inst, "%u records, the header says %u",
			       seen, count);
	return sbuf_reader_done(&r) ? corrupt(sec, inst, "bad length") : 0;
}

static const char *vcpu_missing(const struct vcpu_state *st)
{
	if (!HAVE(st, VR_MP_STATE))
		return "MP_STATE";
	if (!HAVE(st, VR_REGS))
		return "REGS";
	if (!HAVE(st, VR_SREGS) && !HAVE(st, VR_SREGS2))
		return "SREGS";
	if (!HAVE(st, VR_XSAVE) && !HAVE(st, VR_FPU))
		return "XSAVE";
	if (!HAVE(st, VR_LAPIC))
		return "LAPIC";
	if (!HAVE(st, VR_MSRS))
		return "MSRS";
	return HAVE(st, VR_CPUID) ? NULL : "CPUID";
}

static int vcpu_decode(struct vcpu_state *st, const void *data, size_t len,
		       unsigned int id)
{
	int ret = decode_section(data, len, "ARCH_VCPU", id, vcpu_recs,
				 ARRAY_SIZE(vcpu_recs), st);
	const char *miss = ret ? NULL : vcpu_missing(st);

	if (miss)
		return corrupt("ARCH_VCPU", id, "no %s record", miss);
	return ret;
}

static int vm_decode(struct vm_state *st, const void *data, size_t len)
{
	int ret = decode_section(data, len, "ARCH_VM", 0, vm_recs,
				 ARRAY_SIZE(vm_recs), st);
	uint32_t need = BIT(MR_PIC_MASTER) | BIT(MR_PIC_SLAVE) |
			BIT(MR_IOAPIC) | BIT(MR_CLOCK);

	if (!ret && (st->have & need) != need)
		return corrupt("ARCH_VM", 0, "irqchip or clock record missing");
	return ret;
}

/* ---- restore ---- */

struct restore_ctx {
	struct vm *vm;
	const struct x86_restore_opts *o;
	struct x86_caps caps;
	struct vcpu_state *st; /* one per vCPU */
	struct vm_state vms;
};

static int vcpu_set(struct vcpu *v, unsigned long req, void *arg,
		    const char *what)
{
	long ret = kvm_vcpu_ioctl(v, req, arg);

	if (ret < 0)
		pr_err("vCPU %u: %s: %s", v->id, what, strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

static int restore_cpuid(struct vcpu *v, const struct vcpu_state *st)
{
	size_t sz = st->nr_cpuid * sizeof(st->cpuid[0]);
	struct kvmx_cpuid2 *c = calloc(1, sizeof(*c) + sz);
	int ret;

	if (!c)
		return -ENOMEM;
	c->nent = st->nr_cpuid;
	memcpy(c->entries, st->cpuid, sz);
	ret = vcpu_set(v, KVMX_SET_CPUID2, c, "KVM_SET_CPUID2");
	free(c);
	return ret;
}

/* Within 250 ppm KVM runs the guest TSC unscaled; beyond, ask it to scale. */
static int restore_tsc_khz(struct restore_ctx *c, struct vcpu *v,
			   struct vcpu_state *st)
{
	long cur = c->caps.get_tsc_khz
		       ? kvm_vcpu_ioctl(v, KVMX_GET_TSC_KHZ, NULL)
		       : -ENOTSUP;
	long ret = -ENOTSUP;

	if (!HAVE(st, VR_TSC_KHZ)) {
		st->tsc_khz = cur > 0 ? (uint32_t)cur : 0;
		return 0;
	}
	if (cur > 0 && !x86_tsc_khz_mismatch(st->tsc_khz, (uint32_t)cur))
		return 0;
	if (c->caps.set_tsc_khz)
		ret = kvm_vcpu_ioctl(v, KVMX_SET_TSC_KHZ,
				     (void *)(uintptr_t)st->tsc_khz);
	if (ret >= 0) {
		st->scaled = true;
		pr_info("vCPU %u: TSC scaled to the saved %u kHz (this host: %ld "
			"kHz)", v->id, st->tsc_khz, cur);
		return 0;
	}
	if (c->o->allow_tsc_mismatch) {
		pr_warn("vCPU %u: the guest TSC was %u kHz and is now %ld kHz "
			"(KVM_SET_TSC_KHZ: %s); restoring anyway",
			v->id, st->tsc_khz, cur, strerror((int)-ret));
		return 0;
	}
	pr_err("vCPU %u: the snapshot's TSC runs at %u kHz, this host's at %ld "
	       "kHz (over %u ppm apart) and KVM_SET_TSC_KHZ failed: %s; "
	       "allow a TSC mismatch to restore anyway",
	       v->id, st->tsc_khz, cur, X86_TSC_TOLERANCE_PPM,
	       strerror((int)-ret));
	return -ENOTSUP;
}

static int restore_sregs(struct restore_ctx *c, struct vcpu *v,
			 struct vcpu_state *st)
{
	struct kvmx_sregs s;
	const struct kvmx_sregs2 *s2 = &st->sregs2;

	if (!HAVE(st, VR_SREGS2))
		return vcpu_set(v, KVMX_SET_SREGS, &st->sregs, "KVM_SET_SREGS");
	if (c->caps.sregs2)
		return vcpu_set(v, KVMX_SET_SREGS2, &st->sregs2,
				"KVM_SET_SREGS2");
	/* Same layout up to apic_base; PAE PDPTRs get reloaded from CR3. */
	if (s2->flags & KVMX_SREGS2_FLAGS_PDPTRS_VALID)
		pr_warn("vCPU %u: no KVM_SET_SREGS2: PDPTRs reloaded from CR3",
			v->id);
	memset(&s, 0, sizeof(s));
	memcpy(&s, s2, offsetof(struct kvmx_sregs, interrupt_bitmap));
	return vcpu_set(v, KVMX_SET_SREGS, &s, "KVM_SET_SREGS");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* KVM_SET_XSAVE reads KVM_CAP_XSAVE2's size: pad a shorter state with
 * zeros; a longer one only fits if the extra bytes are unused. */
static int restore_xsave(struct restore_ctx *c, struct vcpu *v,
			 struct vcpu_state *st)
{
	size_t sz = MAX(c->caps.xsave_size, (size_t)st->xsave_len);
	uint8_t *x;
	int ret;

	if (!HAVE(st, VR_XSAVE))
		return vcpu_set(v, KVMX_SET_FPU, &st->fpu, "KVM_SET_FPU");
	if (st->xsave_len > c->caps.xsave_size &&
	    !all_zero(st->xsave + c->caps.xsave_size,
		      st->xsave_len - c->caps.xsave_size)) {
		pr_err("vCPU %u: the saved XSAVE state is %u bytes, this host "
		       "takes %zu",
		       v->id, st->xsave_len, c->caps.xsave_size);
		return -ENOTSUP;
	}
	x = calloc(1, sz);
	if (!x)
		return -ENOMEM;
	memcpy(x, st->xsave, st->xsave_len);
	ret = vcpu_set(v, KVMX_SET_XSAVE, x, "KVM_SET_XSAVE");
	free(x);
	return ret;
}

/* KVM_SET_MSRS stops at the first MSR it refuses and returns the count. */
static int set_msrs(struct vcpu *v, const struct kvmx_msr_entry *e, uint32_t n)
{
	struct kvmx_msrs *m = calloc(1, sizeof(*m) + n * sizeof(*e));
	long ret;

	if (!m)
		return -ENOMEM;
	m->nmsrs = n;
	memcpy(m->entries, e, n * sizeof(*e));
	ret = kvm_vcpu_ioctl(v, KVMX_SET_MSRS, m);
	if (ret < 0)
		pr_err("vCPU %u: KVM_SET_MSRS: %s", v->id, strerror((int)-ret));
	else if ((uint32_t)ret < n)
		pr_err("vCPU %u: KVM refused MSR 0x%x = 0x%llx", v->id,
		       e[ret].index, (unsigned long long)e[ret].data);
	free(m);
	return ret < 0 ? (int)ret : (uint32_t)ret < n ? -EINVAL : 0;
}

/* All but IA32_TSC and IA32_TSC_DEADLINE, which step 9 writes. */
static int restore_msrs(struct vcpu *v, const struct vcpu_state *st)
{
	struct kvmx_msr_entry *e = calloc(st->nr_msrs + 1, sizeof(*e));
	uint32_t n = 0;
	int ret;

	if (!e)
		return -ENOMEM;
	for (uint32_t i = 0; i < st->nr_msrs; i++)
		if (st->msrs[i].index != MSR_IA32_TSC &&
		    st->msrs[i].index != MSR_IA32_TSC_DEADLINE)
			e[n++] = st->msrs[i];
	ret = n ? set_msrs(v, e, n) : 0;
	free(e);
	return ret;
}

static int restore_opt(struct vcpu *v, const struct vcpu_state *st,
		       uint32_t tag, unsigned long req, const void *arg,
		       const char *what)
{
	return HAVE(st, tag) ? vcpu_set(v, req, (void *)arg, what) : 0;
}

/* Steps 1-6. */
static int vcpu_restore_early(struct restore_ctx *c, struct vcpu *v,
			      struct vcpu_state *st)
{
	int ret;

	if ((ret = restore_cpuid(v, st)) || (ret = restore_tsc_khz(c, v, st)) ||
	    (ret =
		 vcpu_set(v, KVMX_SET_MP_STATE, &st->mp, "KVM_SET_MP_STATE")) ||
	    (ret = vcpu_set(v, KVMX_SET_REGS, &st->regs, "KVM_SET_REGS")) ||
	    (ret = restore_sregs(c, v, st)) ||
	    (ret = restore_xsave(c, v, st)) ||
	    (ret = restore_opt(v, st, VR_XCRS, KVMX_SET_XCRS, &st->xcrs,
			       "KVM_SET_XCRS")) ||
	    (ret = restore_opt(v, st, VR_DEBUGREGS, KVMX_SET_DEBUGREGS,
			       &st->dregs, "KVM_SET_DEBUGREGS")) ||
	    (ret = vcpu_set(v, KVMX_SET_LAPIC, &st->lapic, "KVM_SET_LAPIC")))
		return ret;
	return restore_msrs(v, st);
}

static int irqchip_set(struct vm *vm, uint32_t chip, const void *state,
		       size_t len, const char *what)
{
	struct kvmx_irqchip ic = {.chip_id = chip};
	long ret;

	memcpy(&ic.chip, state, len);
	ret = kvm_vm_ioctl(vm, KVMX_SET_IRQCHIP, &ic);
	if (ret < 0)
		pr_err("KVM_SET_IRQCHIP(%s): %s", what, strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

/* Step 7. */
static int vm_restore_chips(struct restore_ctx *c)
{
	struct vm_state *s = &c->vms;
	long ret;

	if ((ret = irqchip_set(c->vm, KVMX_IRQCHIP_PIC_MASTER, &s->pic_master,
			       sizeof(s->pic_master), "PIC master")) ||
	    (ret = irqchip_set(c->vm, KVMX_IRQCHIP_PIC_SLAVE, &s->pic_slave,
			       sizeof(s->pic_slave), "PIC slave")) ||
	    (ret = irqchip_set(c->vm, KVMX_IRQCHIP_IOAPIC, &s->ioapic,
			       sizeof(s->ioapic), "IOAPIC")))
		return (int)ret;
	if (!HAVE(s, MR_PIT2))
		return 0;
	ret = kvm_vm_ioctl(c->vm, KVMX_SET_PIT2, &s->pit);
	if (ret < 0)
		pr_err("KVM_SET_PIT2: %s", strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

/* Step 8. Fills 'now' from KVM_GET_CLOCK after the set. */
static int vm_restore_clock(struct restore_ctx *c, struct kvmx_clock_data *now)
{
	const struct kvmx_clock_data *saved = &c->vms.clock;
	struct kvmx_clock_data set = {.clock = saved->clock};
	bool catchup = c->o->clock == X86_CLOCK_CATCHUP;
	long ret;

	if (catchup && !(c->caps.clock_flags & KVMX_CLOCK_REALTIME))
		pr_warn("KVM_SET_CLOCK lacks KVM_CLOCK_REALTIME here: kvmclock "
			"resumes from its saved value (downtime not counted)");
	else if (catchup && !(saved->flags & KVMX_CLOCK_REALTIME))
		pr_warn("the saving host's clock was not TSC-based (no "
			"KVM_CLOCK_REALTIME): kvmclock resumes from its saved "
			"value (downtime not counted)");
	else if (catchup) {
		set.flags = KVMX_CLOCK_REALTIME;
		set.realtime = saved->realtime;
	}
	ret = kvm_vm_ioctl(c->vm, KVMX_SET_CLOCK, &set);
	if (ret < 0) {
		pr_err("KVM_SET_CLOCK: %s", strerror((int)-ret));
		return (int)ret;
	}
	memset(now, 0, sizeof(*now));
	ret = kvm_vm_ioctl(c->vm, KVMX_GET_CLOCK, now);
	if (ret < 0)
		pr_err("KVM_GET_CLOCK: %s", strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}

/* Why the TSC offsets cannot be set through the attribute, or NULL. */
static const char *tsc_offset_unusable(const struct restore_ctx *c,
				       const struct kvmx_clock_data *now)
{
	if (!c->caps.tsc_attr)
		return "this kernel has no KVM_VCPU_TSC_OFFSET attribute";
	for (unsigned int i = 0; i < c->vm->nr_vcpus; i++) {
		if (!HAVE(&c->st[i], VR_TSC_OFFSET))
			return "the snapshot has no TSC offsets";
		if (c->st[i].scaled)
			return "the guest TSC is scaled";
	}
	if (!(c->vms.clock.flags & KVMX_CLOCK_HOST_TSC))
		return "the saving host's KVM_GET_CLOCK gave no host TSC";
	if (!(now->flags & KVMX_CLOCK_HOST_TSC))
		return "this host's KVM_GET_CLOCK gives no host TSC";
	return NULL;
}

static int set_tsc_offset(struct vcpu *v, uint64_t ofs)
{
	struct kvmx_device_attr a = {.group = KVMX_VCPU_TSC_CTRL,
				     .attr = KVMX_VCPU_TSC_OFFSET,
				     .addr = (uintptr_t)&ofs};

	return vcpu_set(v, KVMX_SET_DEVICE_ATTR, &a,
			"KVM_SET_DEVICE_ATTR(TSC_OFFSET)");
}

static const struct kvmx_msr_entry *msr_find(const struct vcpu_state *st,
					     uint32_t index)
{
	for (uint32_t i = 0; i < st->nr_msrs; i++)
		if (st->msrs[i].index == index)
			return &st->msrs[i];
	return NULL;
}

/* Seconds in a signed count of cycles at khz (for the log only). */
static double tsc_seconds(int64_t cycles, uint32_t khz)
{
	return khz ? (double)cycles / ((double)khz * 1000.0) : 0.0;
}

/* Step 9 for one vCPU: its guest TSC, then the deferred TSC deadline. */
static int vcpu_restore_tsc(struct restore_ctx *c, struct vcpu *v,
			    const struct vcpu_state *st, bool by_offset,
			    const struct kvmx_clock_data *now)
{
	const struct kvmx_clock_data *s = &c->vms.clock;
	const struct kvmx_msr_entry *tsc = msr_find(st, MSR_IA32_TSC);
	const struct kvmx_msr_entry *dl = msr_find(st, MSR_IA32_TSC_DEADLINE);
	struct kvmx_msr_entry e;
	uint64_t ofs;
	int64_t jump; /* guest TSC cycles added over the blackout */
	int ret = 0;

	if (by_offset) {
		/* Both modes: the TSC advances by the kvmclock time that
		 * passed (freeze: only what passed since SET_CLOCK). */
		ofs = x86_tsc_offset_catchup(st->tsc_offset, s->host_tsc,
					     s->clock, now->host_tsc,
					     now->clock, st->tsc_khz);
		ret = set_tsc_offset(v, ofs);
		/* Guest TSC now minus the one the save's clock read saw. */
		jump = (int64_t)(x86_guest_tsc(ofs, now->host_tsc) -
				 x86_guest_tsc(st->tsc_offset, s->host_tsc));
		if (!ret)
			pr_info("restore: vCPU %u: TSC offset %#llx (saved "
				"%#llx), guest TSC %+lld cycles = %+.6f s at "
				"%u kHz",
				v->id, (unsigned long long)ofs,
				(unsigned long long)st->tsc_offset,
				(long long)jump, tsc_seconds(jump, st->tsc_khz),
				st->tsc_khz);
	} else if (tsc) {
		e = *tsc;
		e.data += x86_tsc_cycles_between(now->clock, s->clock,
						 st->tsc_khz);
		ret = set_msrs(v, &e, 1);
		jump = (int64_t)(e.data - tsc->data);
		if (!ret)
			pr_info(
			    "restore: vCPU %u: IA32_TSC %#llx (saved %#llx), "
			    "guest TSC %+lld cycles = %+.6f s at %u kHz",
			    v->id, (unsigned long long)e.data,
			    (unsigned long long)tsc->data, (long long)jump,
			    tsc_seconds(jump, st->tsc_khz), st->tsc_khz);
	} else
		pr_warn("vCPU %u: no saved IA32_TSC; the guest TSC starts "
			"from this host's",
			v->id);
	if (!ret && dl)
		ret = set_msrs(v, dl, 1);
	return ret;
}

/* What step 8 did to kvmclock: the blackout it accounted (kvmclock now
 * minus the saved value) against the wall time since the save's clock read
 * (when both hosts' GET_CLOCK gave CLOCK_REALTIME). Info level. */
static void log_blackout(const struct restore_ctx *c,
			 const struct kvmx_clock_data *now)
{
	const struct kvmx_clock_data *s = &c->vms.clock;
	bool catchup = c->o->clock == X86_CLOCK_CATCHUP;
	double applied = (double)(int64_t)(now->clock - s->clock) / 1e9;
	char wall[64] = "unknown: no KVM_CLOCK_REALTIME";

	if ((s->flags & KVMX_CLOCK_REALTIME) &&
	    (now->flags & KVMX_CLOCK_REALTIME))
		snprintf(wall, sizeof(wall), "%.6f s",
			 (double)(int64_t)(now->realtime - s->realtime) / 1e9);
	pr_info("restore: clock %s: blackout %.6f s (kvmclock %llu -> %llu "
		"ns; wall time since the save %s%s)",
		catchup ? "catch-up" : "freeze", applied,
		(unsigned long long)s->clock, (unsigned long long)now->clock,
		wall, catchup ? "" : ", not counted");
}

/* Steps 8-11. */
static int vm_restore_late(struct restore_ctx *c)
{
	struct kvmx_clock_data now;
	const char *why;
	int ret = vm_restore_clock(c, &now);

	if (ret)
		return ret;
	log_blackout(c, &now);
	why = tsc_offset_unusable(c, &now);
	if (why)
		pr_info("restoring the guest TSC through IA32_TSC: %s", why);
	for (unsigned int i = 0; i < c->vm->nr_vcpus && !ret; i++)
		ret = vcpu_restore_tsc(c, &c->vm->vcpus[i], &c->st[i], !why,
				       &now);
	for (unsigned int i = 0; i < c->vm->nr_vcpus && !ret; i++)
		ret = restore_opt(&c->vm->vcpus[i], &c->st[i], VR_EVENTS,
				  KVMX_SET_VCPU_EVENTS, &c->st[i].events,
				  "KVM_SET_VCPU_EVENTS");
	for (unsigned int i = 0; i < c->vm->nr_vcpus && !ret; i++)
		if (c->caps.kvmclock_ctrl)
			ret = x86_vcpu_kvmclock_ctrl(&c->vm->vcpus[i]);
	return ret;
}

/* Finds and validates every section before anything is set. */
static int restore_decode(struct restore_ctx *c, struct snap_reader *r)
{
	unsigned int n = c->vm->nr_vcpus;
	const void *data;
	size_t len;
	int ret;

	for (unsigned int i = 0; i < n; i++) {
		ret = snap_reader_find(r, SNAP_SEC_ARCH_VCPU, i, &data, &len);
		if (ret) {
			pr_err("snapshot has no state for vCPU %u", i);
			return ret < 0 ? ret : -EINVAL;
		}
		if ((ret = vcpu_decode(&c->st[i], data, len, i)))
			return ret;
	}
	if (!snap_reader_find(r, SNAP_SEC_ARCH_VCPU, n, &data, &len)) {
		pr_err("snapshot has more vCPUs than this VM's %u", n);
		return -EINVAL;
	}
	ret = snap_reader_find(r, SNAP_SEC_ARCH_VM, 0, &data, &len);
	if (ret) {
		pr_err("snapshot has no x86 VM state (irqchip, PIT, clock)");
		return ret < 0 ? ret : -EINVAL;
	}
	return vm_decode(&c->vms, data, len);
}

static void free_states(struct vcpu_state *st, unsigned int n)
{
	for (unsigned int i = 0; st && i < n; i++) {
		free(st[i].xsave);
		free(st[i].msrs);
		free(st[i].cpuid);
	}
	free(st);
}

int x86_snapshot_restore(struct vm *vm, struct snap_reader *r,
			 const struct x86_restore_opts *o)
{
	struct restore_ctx c = {.vm = vm, .o = o};
	int ret;

	c.st = calloc(vm->nr_vcpus ? vm->nr_vcpus : 1, sizeof(*c.st));
	if (!c.st)
		return -ENOMEM;
	ret = restore_decode(&c, r);
	if (!ret)
		probe_caps(vm, &c.caps);
	for (unsigned int i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = vcpu_restore_early(&c, &vm->vcpus[i], &c.st[i]);
	if (!ret)
		ret = vm_restore_chips(&c);
	if (!ret)
		ret = vm_restore_late(&c);
	free_states(c.st, vm->nr_vcpus);
	return ret;
}

int x86_vcpu_kvmclock_ctrl(struct vcpu *vcpu)
{
	long ret = kvm_vcpu_ioctl(vcpu, KVMX_KVMCLOCK_CTRL, NULL);

	if (ret == -EINVAL) /* the guest has not enabled kvmclock */
		return 0;
	if (ret < 0)
		pr_err("vCPU %u: KVM_KVMCLOCK_CTRL: %s", vcpu->id,
		       strerror((int)-ret));
	return ret < 0 ? (int)ret : 0;
}
