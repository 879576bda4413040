/* rt.c: serial output, printf, exits and string helpers for the test guests. */
#include <stdarg.h>
#include "rt.h"

#define UART_LSR 5
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* IER: no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0x07); /* FIFO on, cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void putc(char c)
{
	/* Bounded: a UART that never reports THRE must not hang the guest. */
	for (int i = 0; i < 1000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
		cpu_relax();
	outb(COM1, (u8)c);
}

void puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc('\r');
		putc(*s++);
	}
}

static void put_num(u64 v, unsigned int base, int width, char pad, int neg)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width)
		putc(pad), width--;
	while (n)
		putc(buf[--n]);
}

/* %s %c %d %u %x %p with an optional 0-padded width and l/ll. */
void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';

		if (*fmt != '%') {
			if (*fmt == '\n')
				putc('\r');
			putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			puts(s ? s : "(null)");
			break;
		}
		case 'c':
			putc((char)va_arg(ap, int));
			break;
		case 'd': {
			long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(v < 0 ? (u64)-v : (u64)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_num(lng ? va_arg(ap, u64) : va_arg(ap, u32), 10, width,
				pad, 0);
			break;
		case 'x':
			put_num(lng ? va_arg(ap, u64) : va_arg(ap, u32), 16, width,
				pad, 0);
			break;
		case 'p':
			puts("0x");
			put_num((u64)(usize)va_arg(ap, void *), 16, width, pad, 0);
			break;
		case '%':
			putc('%');
			break;
		default:
			putc('?');
			break;
		}
	}
	va_end(ap);
}

void exit_port(u16 port, u8 value)
{
	outb(port, value);
}

void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_exit(u8 value)
{
	exit_port(EXIT_PORT, value);
	puts("guest: still running after the exit-port write\n");
	halt_forever();
}

void acpi_poweroff(void)
{
	u16 port = acpi_sleep_ctl_port();

	printf("guest: ACPI power-off: S5 to sleep control port %x\n", port);
	outb(port, (5 << 2) | (1 << 5)); /* SLP_TYP S5, SLP_EN */
	puts("guest: still running after the ACPI power-off write\n");
	halt_forever();
}

void acpi_reset(void)
{
	u8 value;
	u16 port = acpi_reset_port(&value);

	printf("guest: ACPI reset: %x to reset port %x\n", value, port);
	outb(port, value);
}

void boot_timer_mark(void)
{
	outb(BOOT_TIMER_PORT, 123);
}

void *memset(void *d, int c, usize n)
{
	u8 *p = d;

	while (n--)
		*p++ = (u8)c;
	return d;
}

void *memcpy(void *d, const void *s, usize n)
{
	u8 *p = d;
	const u8 *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, usize n)
{
	const u8 *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

usize strlen(const char *s)
{
	usize n = 0;

	while (s[n])
		n++;
	return n;
}

int cmdline_get(const char *cl, const char *key, char *out, usize outlen)
{
	usize klen = strlen(key);

	while (cl && *cl) {
		while (*cl == ' ')
			cl++;
		if (!memcmp(cl, key, klen) && cl[klen] == '=') {
			usize n = 0;

			cl += klen + 1;
			while (cl[n] && cl[n] != ' ' && n + 1 < outlen) {
				out[n] = cl[n];
				n++;
			}
			out[n] = 0;
			return 1;
		}
		while (*cl && *cl != ' ')
			cl++;
	}
	return 0;
}

int parse_num(const char *s, u64 *v)
{
	unsigned int base = 10;
	u64 r = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		r = r * base + d;
	}
	*v = r;
	return 0;
}

u8 sum_bytes(const void *p, usize n)
{
	const volatile u8 *b = p;
	u8 s = 0;

	while (n--)
		s += *b++;
	return s;
}

int print_e820(const u8 *bp)
{
	unsigned int n = rd8(bp, BP_E820_ENTRIES), ram = 0;

	printf("e820: %u entries\n", n);
	for (unsigned int i = 0; i < n && i < 128; i++) {
		const u8 *e = bp + BP_E820_TABLE + i * 20;
		u64 addr = rd64(e, 0), size = rd64(e, 8);
		u32 type = rd32(e, 16);

		printf("e820: [%016llx-%016llx] type %u\n", addr,
		       addr + size - 1, type);
		if (type == 1)
			ram++;
	}
	return (int)ram;
}
