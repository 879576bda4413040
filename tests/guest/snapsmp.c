/* snapsmp.c: a 4-vCPU guest for the SMP snapshot test. The BSP starts every
 * AP (INIT-SIPI-SIPI through smp_tramp.S, as smp.c does); each CPU then
 * increments its own counter in one shared page, and the BSP prints all the
 * counters every 'delay' of its own increments:
 *   snapsmp: tick T: C0 C1 C2 C3
 * After 'ticks' lines it exits through the exit port (GX_DONE_SNAPSMP). A
 * snapshot taken meanwhile and restored must show every counter still
 * increasing. Command line: ticks=N (default 100), delay=N (default 20000). */
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
#define NCPU		4
#define STRIDE		8 /* u64s: one cache line per counter */
#define GX_DONE_SNAPSMP 0x18

void main64(const u8 *bp);
void ap_main(void);

extern char tramp_start[], tramp_end[], tramp_cr3[], tramp_stack[],
	tramp_entry[];

static u8 ap_stacks[MP_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));
/* The shared page: counter i at counters[i * STRIDE]. */
static volatile u64 counters[512] __attribute__((aligned(4096)));
static volatile u32 ap_online;

void ap_main(void)
{
	u32 me = __atomic_add_fetch(&ap_online, 1, __ATOMIC_SEQ_CST);
	volatile u64 *c = &counters[(me < NCPU ? me : NCPU - 1) * STRIDE];

	idt_load();
	for (;;)
		(*c)++;
}

static void ipi(u32 apic_id, u32 cmd)
{
	lapic_write(ICR_HI, apic_id << 24);
	lapic_write(ICR_LO, cmd);
	for (int i = 0; i < 100000 && (lapic_read(ICR_LO) & ICR_PENDING); i++)
		cpu_relax();
}

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
	ipi(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	ipi(apic_id, ICR_INIT | ICR_LEVEL);
	ipi(apic_id, ICR_STARTUP | (TRAMP_BASE >> 12));
	if (wait_online(before, 200000))
		return 0;
	ipi(apic_id, ICR_STARTUP | (TRAMP_BASE >> 12));
	if (wait_online(before, 2000000))
		return 0;
	printf("snapsmp: FAIL: APIC id %u did not come up\n", apic_id);
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
	struct cpu_list l;
	const char *cl = 0;
	u32 a, b, c, d, bsp;
	u64 cr3, ticks, delay;
	volatile u64 *mine = &counters[0];

	serial_init();
	idt_init();
	if (bp && rd32(bp, BP_HEADER) == 0x53726448)
		cl = (const char *)(usize)rd32(bp, BP_CMD_LINE_PTR);
	ticks = arg(cl, "ticks", 100);
	delay = arg(cl, "delay", 20000);
	cpuid(1, &a, &b, &c, &d);
	bsp = b >> 24;
	if (mp_find_cpus(&l) && madt_find_cpus(&l)) {
		puts("snapsmp: FAIL: no CPU list\n");
		guest_exit(GX_FAIL);
	}
	if (l.n != NCPU) {
		printf("snapsmp: FAIL: %u cpus, this guest wants %u\n", l.n, NCPU);
		guest_exit(GX_FAIL);
	}
	memcpy((void *)(usize)TRAMP_BASE, tramp_start,
	       (usize)(tramp_end - tramp_start));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	*(volatile u64 *)(usize)(TRAMP_BASE + (tramp_cr3 - tramp_start)) = cr3;
	*(volatile u64 *)(usize)(TRAMP_BASE + (tramp_entry - tramp_start)) =
		(u64)(usize)ap_main;
	lapic_write(0xf0, 0x100 | 0xff); /* SVR: APIC enabled */
	for (unsigned int i = 0; i < l.n; i++)
		if (l.apic_id[i] != bsp && start_ap(i, l.apic_id[i]))
			guest_exit(GX_FAIL);
	printf("snapsmp: %u APs counting, counters at %llx\n", ap_online,
	       (unsigned long long)(usize)counters);
	for (u64 t = 0; t < ticks; t++) {
		for (u64 i = 0; i < delay; i++)
			(*mine)++;
		printf("snapsmp: tick %llu:", (unsigned long long)t);
		for (int i = 0; i < NCPU; i++)
			printf(" %llu", (unsigned long long)counters[i * STRIDE]);
		puts("\n");
	}
	puts("snapsmp: done\n");
	guest_exit(GX_DONE_SNAPSMP);
}
