/* ctl.c: the control guest: does what "ctl=ACTION" on the command line says,
 * for the exit, reset and hostile-guest tests.
 *   ctl=exit [val=N] [port=P]  write N to port P (default 0xf4); if still
 *                              running, say so and power off through ACPI
 *   ctl=poweroff | acpireset | i8042
 *   ctl=triple                 zero-limit IDT, then #UD: a triple fault
 *   ctl=spin | halt            loop forever with interrupts off (busy / hlt)
 *   ctl=wildio [step=N]        port I/O all over the 16-bit port space
 *   ctl=wildmmio               MMIO to unmapped guest-physical addresses */
#include "rt.h"

void main64(const u8 *bp);

static const char *cmdline;

static u64 arg_num(const char *key, u64 def)
{
	char buf[24];
	u64 v;

	if (!cmdline_get(cmdline, key, buf, sizeof(buf)))
		return def;
	if (parse_num(buf, &v)) {
		printf("ctl: bad number %s=%s\n", key, buf);
		guest_exit(GX_FAIL);
	}
	return v;
}

static void do_exit(void)
{
	u64 val = arg_num("val", 0), port = arg_num("port", EXIT_PORT);

	printf("ctl: writing %llu to exit port %llx\n", val, port);
	exit_port((u16)port, (u8)val);
	printf("ctl: still running after the exit-port write; powering off\n");
	acpi_poweroff();
}

static void do_i8042(void)
{
	puts("ctl: i8042 reset (0xfe to port 0x64)\n");
	/* Wait (bounded) for the controller's input buffer to be empty. */
	for (int i = 0; i < 1000 && (inb(0x64) & 0x02); i++)
		cpu_relax();
	outb(0x64, 0xfe);
	puts("ctl: FAIL: still running after the i8042 reset\n");
	guest_exit(GX_FAIL);
}

static void do_triple(void)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) none = { 0, 0 };

	puts("ctl: loading a zero-limit IDT and raising #UD\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(none));
	puts("ctl: FAIL: survived a triple fault\n");
	guest_exit(GX_FAIL);
}

static u16 fadt_sleep_port, fadt_reset_port;

/* Ports of devices a PC has (and minivmm emulates) or where a write would
 * end the VM: wildio leaves them alone. */
static int port_skipped(u32 p)
{
	static const u16 skip[][2] = {
		{ 0x20, 0x21 },	  /* PIC */
		{ 0x40, 0x43 },	  /* PIT */
		{ 0x60, 0x64 },	  /* i8042 (0x64: reset), port B */
		{ 0x70, 0x71 },	  /* RTC */
		{ 0x92, 0x92 },	  /* fast A20 / reset */
		{ 0xa0, 0xa1 },	  /* PIC */
		{ 0xf4, 0xf4 },	  /* exit port */
		{ 0x600, 0x607 }, /* ACPI sleep / reset (minivmm's FADT) */
		{ 0x3f8, 0x3ff }, /* COM1 */
		{ 0x440, 0x440 }, /* boot timer */
		{ 0xcf8, 0xcff }, /* PCI config, reset control */
	};

	if (p == fadt_sleep_port || p == fadt_reset_port)
		return 1;
	for (unsigned int i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (p >= skip[i][0] && p <= skip[i][1])
			return 1;
	return 0;
}

static void do_wildio(void)
{
	u32 step = (u32)arg_num("step", 97), n = 0, odd = 0, odd_high = 0;

	u8 v8;

	if (!step)
		step = 97;
	fadt_sleep_port = acpi_sleep_ctl_port();
	fadt_reset_port = acpi_reset_port(&v8);
	printf("ctl: wild port I/O, every %u ports\n", step);
	for (u32 p = 0, i = 0; p < 0x10000; p += step, i++) {
		u32 width = 1U << (i % 3), v, ones;

		if (port_skipped(p) || port_skipped(p + width - 1))
			continue;
		if (width == 1)
			v = inb((u16)p), ones = 0xff;
		else if (width == 2)
			v = inw((u16)p), ones = 0xffff;
		else
			v = inl((u16)p), ones = 0xffffffff;
		n++;
		if (v != ones) {
			odd++;
			if (p >= 0x1000)
				odd_high++;
			if (odd <= 32)
				printf("ctl: port %04x read%u gave %x, not all-ones\n",
				       p, width * 8, v);
		}
		if (width == 1)
			outb((u16)p, 0xa5);
		else if (width == 2)
			outw((u16)p, 0xa5a5);
		else
			outl((u16)p, 0xa5a5a5a5);
		n++;
	}
	printf("ctl: wildio done: %u accesses, %u reads not all-ones "
	       "(%u at ports >= 0x1000)\n", n, odd, odd_high);
	guest_exit(GX_DONE_WILDIO);
}

static u32 mmio_checks, mmio_odd;

static void mmio_expect(usize a, unsigned int bits, u64 v)
{
	u64 ones = bits == 64 ? ~0ULL : (1ULL << bits) - 1;

	mmio_checks++;
	if (v != ones) {
		mmio_odd++;
		printf("ctl: mmio %llx read%u gave %llx, not all-ones\n",
		       (u64)a, bits, v);
	}
}

/* The highest end of e820 RAM below 4 GiB. */
static u64 ram_end_low(const u8 *bp)
{
	u64 end = 0;
	unsigned int n = rd8(bp, BP_E820_ENTRIES);

	for (unsigned int i = 0; i < n && i < 128; i++) {
		const u8 *e = bp + BP_E820_TABLE + i * 20;
		u64 e_end = rd64(e, 0) + rd64(e, 8);

		if (rd32(e, 16) == 1 && e_end <= 0x100000000ULL && e_end > end)
			end = e_end;
	}
	return end;
}

static void do_wildmmio(const u8 *bp)
{
	u64 beyond = (ram_end_low(bp) + 0x1fffff) & ~0x1fffffULL;
	usize addrs[] = {
		(usize)beyond + 0x100000, /* beyond RAM */
		0xc0000000,		  /* start of the 32-bit MMIO hole */
		0xd0000000,
		0xfebfe000,
		0xfec01000,		  /* just past the IOAPIC */
		0xfed00000,		  /* where a PC has its HPET */
		0xfee01000,		  /* just past the local APIC */
		0xffffe000,		  /* below the BIOS ROM of a PC */
	};

	printf("ctl: wild MMIO, RAM below 4 GiB ends at %llx\n",
	       ram_end_low(bp));
	if (beyond >= 0xc0000000ULL)
		addrs[0] = 0xc0100000;
	for (unsigned int i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		usize a = addrs[i];

		printf("ctl: mmio %llx\n", (u64)a);
		mmio_expect(a, 8, mmio_read8(a));
		mmio_expect(a + 2, 16, mmio_read16(a + 2));
		mmio_expect(a + 4, 32, mmio_read32(a + 4));
		mmio_expect(a + 8, 64, mmio_read64(a + 8));
		mmio_write8(a, 0x5a);
		mmio_write16(a + 0x10, 0x5a5a);
		mmio_write32(a + 0x14, 0x5a5a5a5a);
		mmio_write64(a + 0x18, 0x5a5a5a5a5a5a5a5aULL);
		/* Nothing sticks: the writes went nowhere. */
		mmio_expect(a, 8, mmio_read8(a));
		mmio_expect(a + 0x18, 64, mmio_read64(a + 0x18));
		/* One that crosses a page boundary. */
		mmio_expect(a + 0xffe, 32, mmio_read32(a + 0xffe));
	}
	printf("ctl: wildmmio done: %u reads, %u not all-ones\n", mmio_checks,
	       mmio_odd);
	guest_exit(GX_DONE_WILDMMIO);
}

void main64(const u8 *bp)
{
	char action[32];

	serial_init();
	idt_init();
	cmdline = (const char *)(usize)(rd32(bp, BP_CMD_LINE_PTR) |
					 ((u64)rd32(bp, BP_EXT_CMD_LINE_PTR) << 32));
	if (!cmdline_get(cmdline, "ctl", action, sizeof(action))) {
		printf("ctl: FAIL: no ctl=ACTION in the command line '%s'\n",
		       cmdline ? cmdline : "");
		guest_exit(GX_FAIL);
	}
	printf("ctl: action %s\n", action);
	if (!memcmp(action, "exit", 5))
		do_exit();
	else if (!memcmp(action, "poweroff", 9))
		acpi_poweroff();
	else if (!memcmp(action, "acpireset", 10)) {
		acpi_reset();
		puts("ctl: FAIL: still running after the ACPI reset\n");
		guest_exit(GX_FAIL);
	} else if (!memcmp(action, "i8042", 6))
		do_i8042();
	else if (!memcmp(action, "triple", 7))
		do_triple();
	else if (!memcmp(action, "spin", 5)) {
		puts("ctl: spinning forever with interrupts off\n");
		__asm__ volatile("cli; 1: jmp 1b");
	} else if (!memcmp(action, "halt", 5)) {
		puts("ctl: halting forever with interrupts off\n");
		halt_forever();
	} else if (!memcmp(action, "wildio", 7))
		do_wildio();
	else if (!memcmp(action, "wildmmio", 9))
		do_wildmmio(bp);
	printf("ctl: FAIL: unknown action '%s'\n", action);
	guest_exit(GX_FAIL);
}
