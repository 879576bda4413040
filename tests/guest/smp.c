/* smp.c: SMP bring-up. The BSP finds the CPUs in the MP table (and checks
 * the ACPI MADT agrees), starts each AP with INIT-SIPI-SIPI through its
 * local APIC and the real-mode trampoline (smp_tramp.S), one at a time.
 * Each AP reports its APIC id from CPUID and from its local APIC under a
 * spinlock; the BSP exits with GX_PASS_SMP when all of them came up. */
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

void main64(const u8 *bp);
void ap_main(void);

extern char tramp_start[], tramp_end[], tramp_cr3[], tramp_stack[],
	tramp_entry[];

static u8 ap_stacks[MP_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));
static volatile int print_lock;
static volatile u32 ap_online;
static volatile u8 ap_seen[256];

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

static u32 cpuid_apic_id(void)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	return b >> 24;
}

void ap_main(void)
{
	u32 id = cpuid_apic_id(), lapic = lapic_read(0x20) >> 24;

	idt_load();
	lock();
	printf("smp: cpu online: apic_id %u (local APIC id %u)\n", id, lapic);
	unlock();
	ap_seen[id & 0xff] = 1;
	__atomic_add_fetch(&ap_online, 1, __ATOMIC_SEQ_CST);
	halt_forever();
}

static void print_list(const char *what, const struct cpu_list *l)
{
	printf("smp: %s at %llx lists %u cpus:", what, l->table, l->n);
	for (unsigned int i = 0; i < l->n; i++)
		printf(" %u%s", l->apic_id[i], (int)i == l->bsp_index ? "(bsp)" : "");
	puts("\n");
}

static void ipi(u32 apic_id, u32 cmd)
{
	lapic_write(ICR_HI, apic_id << 24);
	lapic_write(ICR_LO, cmd);
	for (int i = 0; i < 100000 && (lapic_read(ICR_LO) & ICR_PENDING); i++)
		cpu_relax();
}

/* Waits (bounded: this machine runs ~1M guest instructions a second) for
 * ap_online to pass 'before'. */
static int wait_online(u32 before, u32 spins)
{
	for (u32 i = 0; i < spins; i++) {
		if (ap_online > before)
			return 1;
		cpu_relax();
	}
	return ap_online > before;
}

static int start_ap(unsigned int index, u32 apic_id)
{
	u64 stack = (u64)(usize)ap_stacks[index] + AP_STACK;
	u32 before = ap_online;

	*(volatile u64 *)(usize)(TRAMP_BASE + (tramp_stack - tramp_start)) = stack;
	lock();
	printf("smp: starting APIC id %u\n", apic_id);
	unlock();
	ipi(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	ipi(apic_id, ICR_INIT | ICR_LEVEL); /* de-assert */
	ipi(apic_id, ICR_STARTUP | (TRAMP_BASE >> 12));
	if (wait_online(before, 200000))
		return 0;
	ipi(apic_id, ICR_STARTUP | (TRAMP_BASE >> 12));
	if (wait_online(before, 2000000))
		return 0;
	lock();
	printf("smp: FAIL: APIC id %u did not come up\n", apic_id);
	unlock();
	return -1;
}

void main64(const u8 *bp)
{
	struct cpu_list mp, madt, *l;
	u32 bsp = cpuid_apic_id(), expected = 0;
	u64 cr3;
	int failed = 0;

	(void)bp;
	serial_init();
	idt_init();
	printf("smp: bsp apic_id %u (local APIC id %u)\n", bsp,
	       lapic_read(0x20) >> 24);
	ap_seen[bsp & 0xff] = 1;
	if (mp_find_cpus(&mp) == 0)
		print_list("MP table", &mp);
	else
		puts("smp: no MP table\n");
	if (madt_find_cpus(&madt) == 0)
		print_list("MADT", &madt);
	else
		puts("smp: no MADT\n");
	if (mp.n && madt.n && mp.n != madt.n) {
		puts("smp: FAIL: the MP table and the MADT disagree\n");
		failed = 1;
	}
	l = mp.n ? &mp : &madt;
	if (!l->n) {
		puts("smp: FAIL: no CPU list\n");
		guest_exit(GX_FAIL);
	}

	memcpy((void *)(usize)TRAMP_BASE, tramp_start,
	       (usize)(tramp_end - tramp_start));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	*(volatile u64 *)(usize)(TRAMP_BASE + (tramp_cr3 - tramp_start)) = cr3;
	*(volatile u64 *)(usize)(TRAMP_BASE + (tramp_entry - tramp_start)) =
		(u64)(usize)ap_main;
	lapic_write(0xf0, 0x100 | 0xff); /* SVR: APIC enabled */

	for (unsigned int i = 0; i < l->n && i < MP_MAX_CPUS; i++) {
		if (l->apic_id[i] == bsp)
			continue;
		expected++;
		if (start_ap(i, l->apic_id[i]))
			failed = 1;
	}
	lock();
	printf("smp: %u of %u APs online, %u cpus in all\n", ap_online,
	       expected, ap_online + 1);
	for (unsigned int i = 0; i < l->n; i++)
		if (!ap_seen[l->apic_id[i]]) {
			printf("smp: FAIL: no cpu reported APIC id %u\n",
			       l->apic_id[i]);
			failed = 1;
		}
	unlock();
	guest_exit(failed || ap_online != expected ? GX_FAIL : GX_PASS_SMP);
}
