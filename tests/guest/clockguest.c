/* clockguest.c: reads the TSC and kvmclock in a tight loop on every vCPU and
 * prints one status line per vCPU every 'period' ms of kvmclock time, for
 * checking what a snapshot restore does to the guest's clocks.
 *
 * Each vCPU enables kvmclock (MSR_KVM_SYSTEM_TIME_NEW, its own pvclock
 * structure) and reads (kvmclock ns, TSC) pairs back to back. The largest
 * step between two successive reads in a window is that window's gap: a few
 * microseconds while the vCPU runs, the time it did not run otherwise (a
 * pause, a host that descheduled it, a print, or a snapshot and restore,
 * where kvmclock jumps by the blackout in catch-up mode and by about 0 in
 * freeze mode). Line, at the end of each window:
 *   CLK cpu=C seq=N kvm=NS tsc=T gap_kvm=NS gap_tsc=NS work_kvm=NS
 *       work_tsc=NS back=B [skew_...]
 * gap_tsc is the TSC step of the same pair of reads, in ns at the pvclock
 * scale; work_* is the time from the last read of the previous window to
 * the first read of this one (that line's print, and the BSP's burst):
 * a snapshot taken during a print shows there, on top of the usual print
 * time. back counts reads where kvmclock or the TSC went backwards.
 *
 * With 2 or more vCPUs the BSP and the first AP also measure the TSC and
 * kvmclock of one against the other before each of the BSP's lines: in each
 * of 'rounds' round trips the BSP publishes its reading and the AP reads its
 * own as soon as it sees it (d1 = AP - BSP), then the other way round
 * (d2 = BSP - AP). Causality makes d1 >= skew and d2 >= -skew for the true
 * skew = AP offset - BSP offset, so skew lies in [-min d2, min d1] whatever
 * the latency: the BSP prints
 *   skew_tsc=LO..HI skew_kvm=LO..HI   (ns; LO = -min d2, HI = min d1)
 * An interval that does not contain 0 would be a TSC warp between vCPUs.
 *
 * The BSP also watches the CMOS RTC, which minivmm serves from the host's
 * CLOCK_REALTIME: at each change of its seconds register it prints
 *   EDGE n=N sod=SECONDS-OF-THE-UTC-DAY kvm=NS kvm_w=NS tsc=NS tsc_w=NS
 * kvmclock and the TSC (in ns at the pvclock scale) at that host second
 * boundary: the middle of a bracket of width *_w that contains it (plus the
 * lag of the host's time(), up to a tick); a change by more than one second
 * (the vCPU stopped for longer) is no edge. kvm - sod * 10^9 is the guest
 * clock's offset from host wall time, unaffected by how long the vCPU was
 * descheduled: across a restore it changes by (the jump KVM applied) - (the
 * wall time that passed since the save).
 *
 * Command line: ticks=K (default 12; the BSP powers off after its line
 * seq=K-1), period=MS (500), rounds=R (64). Exit: ACPI power-off (status 0);
 * no kvmclock: GX_FAIL.
 */
#include "mp.h"

#define TRAMP_BASE	0x3000
#define AP_STACK	8192
#define ICR_LO		0x300
#define ICR_HI		0x310
#define ICR_PENDING	(1 << 12)
#define ICR_INIT	0x0500
#define ICR_STARTUP	0x0600
#define ICR_ASSERT	(1 << 14)
#define ICR_LEVEL	(1 << 15)

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MAX_CPUS		 8
#define SPIN_LIMIT		 (1ULL << 28) /* bounded waits, in iterations */

typedef long long s64;

void main64(const u8 *bp);
void ap_main(void);

extern char tramp_start[], tramp_end[], tramp_cr3[], tramp_stack[],
	tramp_entry[];

/* The pvclock structure KVM writes for each vCPU (32 bytes). */
struct pvclock {
	volatile u32 version;
	u32 pad0;
	volatile u64 tsc_timestamp;
	volatile u64 system_time;
	volatile u32 mul;
	volatile signed char shift;
	volatile u8 flags;
	u8 pad[2];
} __attribute__((aligned(64)));

static struct pvclock pv[MAX_CPUS];
static u8 ap_stacks[MAX_CPUS][AP_STACK] __attribute__((aligned(16)));
static volatile int print_lock;
static volatile u32 cpus_online = 1;
static volatile u32 next_index = 1;
static u64 period_ns = 500000000ULL, ticks = 12, rounds = 64;

/* Round trips between the BSP and AP 1. */
static volatile u32 pp_active;	   /* the BSP is in a burst: AP 1 spins */
static volatile u64 pp_seq;	   /* odd: BSP -> AP, even: AP -> BSP */
static volatile u64 pp_tsc, pp_kvm; /* the sender's reading */
static volatile s64 pp_d1_tsc, pp_d1_kvm; /* AP's reading - BSP's */

static void lock(void)
{
	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		while (print_lock)
			cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

static inline u64 rdtsc_ordered(void)
{
	u32 lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}

/* (delta << shift or >> -shift) * mul >> 32, as the pvclock ABI scales. */
static u64 pv_scale(u64 delta, u32 mul, signed char shift)
{
	u64 lo, hi;

	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	__asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(delta), "r"((u64)mul));
	return (hi << 32) | (lo >> 32);
}

/* kvmclock ns and the TSC it was computed from, consistently. */
static void clock_read(const struct pvclock *p, u64 *ns, u64 *tsc, u32 *mul,
		       signed char *shift)
{
	u32 v, m;
	u64 t, ts, st;
	signed char sh;

	do {
		v = p->version;
		barrier();
		t = rdtsc_ordered();
		ts = p->tsc_timestamp;
		st = p->system_time;
		m = p->mul;
		sh = p->shift;
		barrier();
	} while ((v & 1) || v != p->version);
	if ((s64)(t - ts) >= 0)
		*ns = st + pv_scale(t - ts, m, sh);
	else
		*ns = st - pv_scale(ts - t, m, sh);
	*tsc = t;
	if (mul)
		*mul = m;
	if (shift)
		*shift = sh;
}

/* Signed cycles to signed ns at the pvclock scale. */
static s64 cycles_ns(s64 c, u32 mul, signed char shift)
{
	return c < 0 ? -(s64)pv_scale((u64)-c, mul, shift)
		     : (s64)pv_scale((u64)c, mul, shift);
}

static int kvmclock_enable(unsigned int idx)
{
	u32 a, b, c, d;
	u64 i;

	cpuid(0x40000000, &a, &b, &c, &d);
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d) /* KVMKVMKVM */
		return -1;
	cpuid(0x40000001, &a, &b, &c, &d);
	if (!(a & KVM_FEATURE_CLOCKSOURCE2))
		return -1;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (u64)(usize)&pv[idx] | 1);
	for (i = 0; i < SPIN_LIMIT && !pv[idx].version; i++)
		cpu_relax();
	return pv[idx].version ? 0 : -1;
}

/* One vCPU's loop state. */
struct loop {
	unsigned int idx;
	u64 prev_ns, prev_tsc, next_ns;
	u64 gap_ns, gap_tsc; /* the largest step in this window, and its TSC step */
	u64 work_ns, work_tsc; /* the last line's print (and burst) */
	u32 back, seq;
	u32 mul;
	signed char shift;
};

static void loop_init(struct loop *l, unsigned int idx)
{
	memset(l, 0, sizeof(*l));
	l->idx = idx;
	clock_read(&pv[idx], &l->prev_ns, &l->prev_tsc, &l->mul, &l->shift);
	l->next_ns = l->prev_ns + period_ns;
}

/* One read; returns 1 when the window is over. */
static int loop_step(struct loop *l)
{
	u64 ns, tsc, dn, dt;

	clock_read(&pv[l->idx], &ns, &tsc, &l->mul, &l->shift);
	if ((s64)(ns - l->prev_ns) < 0 || (s64)(tsc - l->prev_tsc) < 0)
		l->back++;
	dn = ns - l->prev_ns;
	dt = tsc - l->prev_tsc;
	if ((s64)dn > (s64)l->gap_ns) {
		l->gap_ns = dn;
		l->gap_tsc = dt;
	}
	l->prev_ns = ns;
	l->prev_tsc = tsc;
	return (s64)(ns - l->next_ns) >= 0;
}

/* The end of a window: the line, then one read that starts the next window.
 * What the print (and the BSP's burst before it, from 'start') took is not
 * a gap of the next window: the next line reports it as work_kvm/work_tsc. */
static void loop_print(struct loop *l, const char *extra, u64 start_ns,
		       u64 start_tsc)
{
	lock();
	printf("CLK cpu=%u seq=%u kvm=%llu tsc=%llu gap_kvm=%llu gap_tsc=%lld "
	       "work_kvm=%llu work_tsc=%lld back=%u%s\n",
	       l->idx, l->seq, l->prev_ns, l->prev_tsc, l->gap_ns,
	       cycles_ns((s64)l->gap_tsc, l->mul, l->shift), l->work_ns,
	       cycles_ns((s64)l->work_tsc, l->mul, l->shift), l->back, extra);
	unlock();
	l->seq++;
	l->gap_ns = l->gap_tsc = 0;
	clock_read(&pv[l->idx], &l->prev_ns, &l->prev_tsc, &l->mul, &l->shift);
	l->work_ns = l->prev_ns - start_ns;
	l->work_tsc = l->prev_tsc - start_tsc;
	/* From the end of the print: a catch-up jump gives one line, not a
	 * burst of them. */
	l->next_ns = l->prev_ns + period_ns;
}

/* AP 1's side of a burst: answer each odd pp_seq (only the BSP makes it
 * odd, only this answer makes it even again). */
static void ap_pingpong(void)
{
	u64 spins = 0;

	while (pp_active && spins < SPIN_LIMIT) {
		u64 s = pp_seq, ns, tsc;

		if (!(s & 1)) {
			cpu_relax();
			spins++;
			continue;
		}
		clock_read(&pv[1], &ns, &tsc, 0, 0);
		pp_d1_tsc = (s64)(tsc - pp_tsc);
		pp_d1_kvm = (s64)(ns - pp_kvm);
		clock_read(&pv[1], &ns, &tsc, 0, 0);
		pp_tsc = tsc;
		pp_kvm = ns;
		__atomic_store_n(&pp_seq, s + 1, __ATOMIC_RELEASE);
		spins = 0;
	}
}

/* The CMOS RTC (BCD unless register B says binary; 24-hour). minivmm reads
 * the host's CLOCK_REALTIME for every access, so a change of the seconds
 * register is a host second boundary. Only the BSP touches it. */
static u8 cmos_read(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static u32 cmos_num(u8 v, int binary)
{
	return binary ? v : (u32)(v & 15) + (u32)(v >> 4) * 10;
}

/* The BSP's RTC edge watch: one RTC read per loop iteration, bracketed by
 * clock reads. A change of the seconds register happened after the previous
 * read's first clock read and before this read's last one. */
struct edge_watch {
	int have, binary;
	u8 sec;
	u64 s_ns, s_tsc; /* the clock before the previous RTC read */
	u32 n;
};

static void edge_step(struct edge_watch *w, u64 s_ns, u64 s_tsc, u32 mul,
		      signed char shift)
{
	u8 sec = cmos_read(0), prev = w->sec, min, hour, sec2;
	u64 e_ns, e_tsc, lo_ns = w->s_ns, lo_tsc = w->s_tsc;
	int binary = w->binary, changed = w->have && sec != prev;

	if (!w->have)
		w->binary = (cmos_read(0x0b) & 0x04) != 0;
	w->have = 1;
	w->sec = sec;
	w->s_ns = s_ns;
	w->s_tsc = s_tsc;
	if (!changed)
		return;
	min = cmos_read(2);
	hour = cmos_read(4);
	sec2 = cmos_read(0);
	clock_read(&pv[0], &e_ns, &e_tsc, 0, 0);
	/* One second boundary, not a longer stop: after a freeze restore the
	 * bracket is short in guest time while seconds of wall time passed. */
	if (sec2 != sec ||
	    (cmos_num(sec, binary) + 60 - cmos_num(prev, binary)) % 60 != 1)
		return;
	/* Seconds of the UTC day at the edge; the bracket's middle and
	 * width, in kvmclock ns and in TSC cycles scaled to ns. */
	lock();
	printf("EDGE n=%u sod=%u kvm=%llu kvm_w=%llu tsc=%llu tsc_w=%llu\n",
	       w->n, cmos_num(hour & 0x7f, binary) * 3600 +
			  cmos_num(min, binary) * 60 + cmos_num(sec, binary),
	       lo_ns + (e_ns - lo_ns) / 2, e_ns - lo_ns,
	       pv_scale(lo_tsc, mul, shift) +
		       pv_scale(e_tsc - lo_tsc, mul, shift) / 2,
	       pv_scale(e_tsc - lo_tsc, mul, shift));
	unlock();
	w->n++;
}

static void fmt_s64(char **p, s64 v)
{
	char buf[24];
	int n = 0;
	u64 u = v < 0 ? (u64)-v : (u64)v;

	do {
		buf[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*(*p)++ = '-';
	while (n)
		*(*p)++ = buf[--n];
}

static void fmt_str(char **p, const char *s)
{
	while (*s)
		*(*p)++ = *s++;
}

/* The BSP's side: 'rounds' round trips; writes " skew_tsc=LO..HI
 * skew_kvm=LO..HI" (ns) or " skew=timeout" into out. */
static void bsp_pingpong(struct loop *l, char *out)
{
	s64 min1t = 0x7fffffffffffffffLL, min2t = min1t, min1k = min1t,
	    min2k = min1t;
	char *p = out;

	__atomic_store_n(&pp_active, 1, __ATOMIC_SEQ_CST);
	for (u64 r = 0; r < rounds; r++) {
		u64 s = pp_seq, ns, tsc, spins = 0;

		clock_read(&pv[0], &ns, &tsc, 0, 0);
		pp_tsc = tsc;
		pp_kvm = ns;
		__atomic_store_n(&pp_seq, s + 1, __ATOMIC_RELEASE);
		while (pp_seq != s + 2 && spins++ < SPIN_LIMIT)
			cpu_relax();
		if (pp_seq != s + 2) {
			pp_active = 0;
			fmt_str(&p, " skew=timeout");
			*p = 0;
			return;
		}
		clock_read(&pv[0], &ns, &tsc, 0, 0);
		if (pp_d1_tsc < min1t)
			min1t = pp_d1_tsc;
		if (pp_d1_kvm < min1k)
			min1k = pp_d1_kvm;
		if ((s64)(tsc - pp_tsc) < min2t)
			min2t = (s64)(tsc - pp_tsc);
		if ((s64)(ns - pp_kvm) < min2k)
			min2k = (s64)(ns - pp_kvm);
	}
	__atomic_store_n(&pp_active, 0, __ATOMIC_SEQ_CST);
	fmt_str(&p, " skew_tsc=");
	fmt_s64(&p, -cycles_ns(min2t, l->mul, l->shift));
	fmt_str(&p, "..");
	fmt_s64(&p, cycles_ns(min1t, l->mul, l->shift));
	fmt_str(&p, " skew_kvm=");
	fmt_s64(&p, -min2k);
	fmt_str(&p, "..");
	fmt_s64(&p, min1k);
	*p = 0;
}

void ap_main(void)
{
	unsigned int idx = __atomic_fetch_add(&next_index, 1, __ATOMIC_SEQ_CST);
	struct loop l;

	idt_load();
	if (idx >= MAX_CPUS || kvmclock_enable(idx)) {
		lock();
		printf("clockguest: FAIL: cpu %u: no kvmclock\n", idx);
		unlock();
		halt_forever();
	}
	__atomic_add_fetch(&cpus_online, 1, __ATOMIC_SEQ_CST);
	loop_init(&l, idx);
	for (;;) {
		if (idx == 1 && pp_active)
			ap_pingpong();
		if (loop_step(&l))
			loop_print(&l, "", l.prev_ns, l.prev_tsc);
	}
}

static void ipi(u32 apic_id, u32 cmd)
{
	lapic_write(ICR_HI, apic_id << 24);
	lapic_write(ICR_LO, cmd);
	for (int i = 0; i < 100000 && (lapic_read(ICR_LO) & ICR_PENDING); i++)
		cpu_relax();
}

static int start_ap(unsigned int index, u32 apic_id)
{
	u64 stack = (u64)(usize)ap_stacks[index] + AP_STACK;
	u32 before = cpus_online;

	*(volatile u64 *)(usize)(TRAMP_BASE + (tramp_stack - tramp_start)) =
		stack;
	ipi(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	ipi(apic_id, ICR_INIT | ICR_LEVEL);
	for (int t = 0; t < 2; t++) {
		ipi(apic_id, ICR_STARTUP | (TRAMP_BASE >> 12));
		for (u64 i = 0; i < SPIN_LIMIT / 16; i++) {
			if (cpus_online > before)
				return 0;
			cpu_relax();
		}
	}
	return -1;
}

static u64 arg(const char *cl, const char *key, u64 def)
{
	char buf[24];
	u64 v;

	if (cl && cmdline_get(cl, key, buf, sizeof(buf)) &&
	    parse_num(buf, &v) == 0)
		return v;
	return def;
}

void main64(const u8 *bp)
{
	const char *cl = 0;
	struct cpu_list mp;
	struct loop l;
	u32 bsp_id, a, b, c, d;
	unsigned int n = 0;
	u64 cr3;
	char extra[96];
	struct edge_watch ew = {0};

	serial_init();
	idt_init();
	if (bp && rd32(bp, BP_HEADER) == 0x53726448)
		cl = (const char *)(usize)rd32(bp, BP_CMD_LINE_PTR);
	ticks = arg(cl, "ticks", ticks);
	period_ns = arg(cl, "period", period_ns / 1000000) * 1000000ULL;
	rounds = arg(cl, "rounds", rounds);
	if (kvmclock_enable(0)) {
		puts("clockguest: FAIL: no kvmclock (KVM_FEATURE_CLOCKSOURCE2)\n");
		guest_exit(GX_FAIL);
	}
	cpuid(1, &a, &b, &c, &d);
	bsp_id = b >> 24;
	if (mp_find_cpus(&mp) == 0 && mp.n > 1) {
		memcpy((void *)(usize)TRAMP_BASE, tramp_start,
		       (usize)(tramp_end - tramp_start));
		__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
		*(volatile u64 *)(usize)(TRAMP_BASE + (tramp_cr3 - tramp_start)) =
			cr3;
		*(volatile u64 *)(usize)(TRAMP_BASE +
					 (tramp_entry - tramp_start)) =
			(u64)(usize)ap_main;
		lapic_write(0xf0, 0x100 | 0xff); /* SVR: APIC enabled */
		for (unsigned int i = 0; i < mp.n && i < MAX_CPUS; i++) {
			if (mp.apic_id[i] == bsp_id)
				continue;
			if (start_ap(++n, mp.apic_id[i])) {
				printf("clockguest: FAIL: APIC id %u did not "
				       "come up\n",
				       mp.apic_id[i]);
				guest_exit(GX_FAIL);
			}
		}
	}
	lock();
	printf("clockguest: %u cpus, kvmclock flags %x, ticks %llu, period "
	       "%llu ms, rounds %llu\n",
	       cpus_online, pv[0].flags, ticks, period_ns / 1000000, rounds);
	unlock();
	loop_init(&l, 0);
	while (l.seq < ticks) {
		u64 ns, tsc;

		if (!loop_step(&l)) {
			edge_step(&ew, l.prev_ns, l.prev_tsc, l.mul, l.shift);
			continue;
		}
		ns = l.prev_ns;
		tsc = l.prev_tsc;
		extra[0] = 0;
		if (cpus_online > 1)
			bsp_pingpong(&l, extra);
		loop_print(&l, extra, ns, tsc);
	}
	lock();
	puts("clockguest: done\n");
	acpi_poweroff();
}
